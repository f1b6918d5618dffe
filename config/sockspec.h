/*
 * sockspec.h - the one reading of a Socket value, shared by the
 * configuration check (postdkim -n, reloads) and the listener: local:PATH
 * (also unix:PATH or a bare absolute path), inet:PORT[@HOST],
 * inet6:PORT[@HOST], prefixes in any case.
 */
#ifndef POSTDKIM_SOCKSPEC_H
#define POSTDKIM_SOCKSPEC_H

#include <stddef.h>

/*
 * Check spec and return its canonical form, the one libmilter is given:
 * "local:/path", "inet:PORT[@HOST]" or "inet6:PORT[@HOST]" (caller frees).
 * NULL when spec is not valid (or out of memory), with the reason in err.
 */
char *sockspec_canon(const char *spec, char *err, size_t errsize);
/* The file of a UNIX socket spec (any accepted spelling), or NULL for TCP. */
const char *sockspec_unix_path(const char *spec);

#endif
