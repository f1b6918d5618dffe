/*
 * base64.c - base64 encoding and whitespace-tolerant decoding (RFC 6376 §2.7).
 */
#include "base64.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Length of the encoding of n bytes. */
size_t
base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Encode n bytes; out gets base64_encoded_len(n) + 1 bytes with the NUL. */
size_t
base64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = b64chars[v & 63];
	}
	if (i < n) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* Value of a base64 character, or -1. */
static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode, skipping folding whitespace; strict about padding. */
int
base64_decode(const char *in, size_t n, unsigned char *out, size_t outsize, size_t *outlen)
{
	unsigned long acc = 0;
	size_t i, o = 0, pad = 0, nchars = 0;
	int v;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			if (pad > 2)
				return -1;
			continue;
		}
		if (pad != 0 || (v = b64val(c)) < 0)
			return -1;	/* data after padding, or a bad character */
		acc = acc << 6 | (unsigned long)v;
		nchars++;
		if (nchars % 4 == 0) {
			if (o + 3 > outsize)
				return -1;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (nchars % 4) {
	case 0:
		if (pad != 0)
			return -1;
		break;
	case 2:
		if (pad != 0 && pad != 2)
			return -1;
		if (o + 1 > outsize)
			return -1;
		out[o++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (pad > 1)
			return -1;
		if (o + 2 > outsize)
			return -1;
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
		break;
	default:
		return -1;
	}
	*outlen = o;
	return 0;
}
