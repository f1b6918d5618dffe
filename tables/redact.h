/*
 * redact.h - database passwords out of messages. A data set URL
 * (dsn:BACKEND://USER:PASSWORD@HOST/...) may be shown by any message that
 * quotes a configuration value (a typo such as dns: for dsn:, a value in
 * the wrong keyword) and a client library may quote what it was given:
 * every such message goes through redact() before anyone sees it.
 */
#ifndef POSTDKIM_REDACT_H
#define POSTDKIM_REDACT_H

#include <stddef.h>

/* What a password is replaced with. */
#define REDACT_MARK "***"

/*
 * The first URL password in s: after "SCHEME:" and its slashes, USER then
 * ':' and the password, which runs to the last '@' before the first '/'
 * that follows an '@' (a password may hold ':' and '@', and a mistyped
 * one '/'); without any '@' after it, to the end of the word. In an
 * ldap:, ldaps: or ldapi: URL, digits after the ':' are a port. Returns 1
 * with its offset and length (which may be 0), or 0 when s has none.
 */
int redact_find(const char *s, size_t *off, size_t *len);

/*
 * Replace every URL password in the string s (of size bytes) with
 * REDACT_MARK, and every occurrence of known (a password the caller holds,
 * NULL or "" for none) too; truncated to size when the marks make it
 * longer.
 */
void redact(char *s, size_t size, const char *known);

#endif
