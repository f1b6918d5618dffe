/*
 * dsn_dl.h - a database client library (libpq, MariaDB Connector/C),
 * opened when a first dsn: data set of its kind connects instead of being
 * linked into the daemon: with what they pull in (GSSAPI and Kerberos,
 * LDAP, SASL, GnuTLS and p11-kit, whose constructors run at start) they
 * made about 3 MB of the memory of every daemon, most of which never use
 * a database. Opened once, never closed.
 */
#ifndef POSTDKIM_DSN_DL_H
#define POSTDKIM_DSN_DL_H

#include <stddef.h>

/* Open soname (product names it in messages); NULL with err. */
void *dsn_dlopen(const char *soname, const char *product, char *err, size_t errsize);
/* The address of name in h; NULL with err. */
void *dsn_dlsym(void *h, const char *soname, const char *name, char *err, size_t errsize);

#endif
