-- schema-odkim.sql - like OpenDKIM's README.SQL: the key itself in a text
-- column, and a signing table of authors pointing at keys (SQL common to
-- PostgreSQL and MariaDB).
CREATE TABLE dkim (
	id SERIAL PRIMARY KEY,
	domain_name VARCHAR(255) NOT NULL,
	selector VARCHAR(63) NOT NULL,
	private_key TEXT,
	public_key TEXT
);
CREATE TABLE dkim_signing (
	id SERIAL PRIMARY KEY,
	author VARCHAR(255) NOT NULL,
	dkim_id INT NOT NULL,
	note VARCHAR(50)
);
CREATE INDEX dkim_signing_author ON dkim_signing (author);
INSERT INTO dkim (domain_name, selector, private_key) VALUES ('example.net', 'sql',
	CONCAT('-----BEGIN PRIVATE KEY-----', REPEAT('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 50),
	'-----END PRIVATE KEY-----'));
INSERT INTO dkim (domain_name, selector, private_key) VALUES ('example.edu', 'edu', NULL);
INSERT INTO dkim_signing (author, dkim_id, note) VALUES ('example.net', 1, 'domain');
INSERT INTO dkim_signing (author, dkim_id, note) VALUES ('user@example.net', 1, 'user');
INSERT INTO dkim_signing (author, dkim_id, note) VALUES ('user@example.net', 2, 'second');
INSERT INTO dkim_signing (author, dkim_id, note) VALUES ('a%b_c@example.net', 1, 'percent');
INSERT INTO dkim_signing (author, dkim_id, note) VALUES ('o''brien@example.net', 1, 'quote');
INSERT INTO dkim_signing (author, dkim_id, note) VALUES ('nullnote@example.net', 2, NULL);
