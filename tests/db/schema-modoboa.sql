-- schema-modoboa.sql - like modoboa's: a domain table and the dkim view its
-- OpenDKIM configuration reads (SQL common to PostgreSQL and MariaDB).
CREATE TABLE admin_domain (
	id SERIAL PRIMARY KEY,
	name VARCHAR(100) NOT NULL UNIQUE,
	enabled BOOLEAN NOT NULL DEFAULT TRUE,
	enable_dkim BOOLEAN NOT NULL DEFAULT FALSE,
	dkim_key_selector VARCHAR(30),
	dkim_private_key_path VARCHAR(254)
);
CREATE VIEW dkim AS SELECT id, name AS domain_name,
	dkim_private_key_path AS private_key_path, dkim_key_selector AS selector
	FROM admin_domain WHERE enable_dkim = TRUE;
INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path) VALUES
	('example.com', TRUE, 'mail', '/var/lib/dkim/example.com.pem');
INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path) VALUES
	('example.org', TRUE, 'sel2', '/var/lib/dkim/example.org.pem');
INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path) VALUES
	('nodkim.example', FALSE, 'x', '/var/lib/dkim/nodkim.pem');
