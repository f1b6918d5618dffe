/*
 * idna.h - internationalized domain names (RFC 8616) as DKIM writes and
 * compares them: in A-label form (xn--...), converted from UTF-8 with
 * IDNA2008. Every domain taken from mail, tables or the command line goes
 * through here before it is compared or put into d= or i=.
 */
#ifndef DKIM_IDNA_H
#define DKIM_IDNA_H

#include <stddef.h>

/* Nonzero when s[0..len) has a byte that is not ASCII. */
int dkim_idna_utf8(const char *s, size_t len);

/*
 * Copy in[0..len) to out, NUL-terminated, with each dot-separated label of
 * its domain part (after the last '@', or all of it without '@') that holds
 * UTF-8 replaced by its A-label; ASCII labels, the local part and patterns
 * such as "*" are copied as they are. Returns 0, or -1 with why (a label
 * that is not a valid U-label, or out too small).
 */
int dkim_idna_alabel(const char *in, size_t len, char *out, size_t size, char *why,
    size_t whysize);

#endif
