/*
 * dsn_module.h - the database and directory back ends as modules, loaded
 * when a configuration first names a table of theirs (as Postfix's
 * dynamicmaps): pgsql.so, mysql.so and ldap.so in MODULEDIR, each in a
 * Debian package of its own (postdkim-pgsql, postdkim-mysql,
 * postdkim-ldap). A daemon whose tables are files never maps a client
 * library, nor what it pulls in (GSSAPI, Kerberos, SASL, GnuTLS).
 */
#ifndef POSTDKIM_DSN_MODULE_H
#define POSTDKIM_DSN_MODULE_H

#include <stddef.h>

#include "dsn_backend.h"

/*
 * The back end called name ("pgsql", "mysql", "ldap"), its module loaded
 * on first use and kept. NULL with err: an unknown name, a module not
 * installed (err names the package to install), unsafe, or of another
 * version. The environment variable POSTDKIM_MODULE_DIR replaces MODULEDIR
 * (the tests run the modules of the build tree).
 */
const struct dsn_backend *dsn_module(const char *name, char *err, size_t errsize);

#endif
