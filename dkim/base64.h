/*
 * base64.h - base64 as DKIM uses it (RFC 6376 §2.7): encoding without line
 * breaks; decoding that skips folding whitespace, as b=, bh= and p= allow.
 */
#ifndef DKIM_BASE64_H
#define DKIM_BASE64_H

#include <stddef.h>

/* Encoded length of n bytes, without the NUL. */
size_t base64_encoded_len(size_t n);
/* Encode n bytes into out (base64_encoded_len(n) + 1 bytes); returns length. */
size_t base64_encode(const unsigned char *in, size_t n, char *out);
/*
 * Decode, ignoring SP, HTAB, CR and LF. Returns 0 and the length in *outlen,
 * or -1 on a bad character, bad padding or when outsize is too small.
 */
int base64_decode(const char *in, size_t n, unsigned char *out, size_t outsize, size_t *outlen);

#endif
