/*
 * keyprobe.c - a key's type and size from the head of its DER encoding
 * (keyprobe.h): PKCS#8 PrivateKeyInfo (SEQUENCE { version, SEQUENCE {
 * algorithm OID, ... }, OCTET STRING { RSAPrivateKey | CurvePrivateKey } })
 * or PKCS#1 RSAPrivateKey (SEQUENCE { version, modulus, ... }). Only the
 * first 96 bytes are decoded: the RSA modulus length comes before them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "keyprobe.h"

#define HEAD_B64 128	/* base64 characters decoded: 96 bytes of DER */

static const unsigned char oid_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const unsigned char oid_ed25519[] = { 0x2b, 0x65, 0x70 };

struct der {
	const unsigned char *p, *end;
};

/*
 * Read a tag and length header; the content starts at d->p after it.
 * *len may reach past the decoded head (its length is in the header).
 */
static int
header(struct der *d, unsigned char *tag, size_t *len)
{
	size_t n, i;

	if (d->end - d->p < 2)
		return -1;
	*tag = *d->p++;
	n = *d->p++;
	if (n & 0x80) {
		if ((n &= 0x7f) == 0 || n > 3 || (size_t)(d->end - d->p) < n)
			return -1;
		for (*len = 0, i = 0; i < n; i++)
			*len = (*len << 8) | *d->p++;
	} else
		*len = n;
	return 0;
}

/* Skip a whole element that lies within the head. */
static int
skip(struct der *d, unsigned char want)
{
	unsigned char tag;
	size_t len;

	if (header(d, &tag, &len) < 0 || tag != want || (size_t)(d->end - d->p) < len)
		return -1;
	d->p += len;
	return 0;
}

/* RSAPrivateKey: SEQUENCE { INTEGER 0, INTEGER modulus ... }: the modulus's bits. */
static int
rsa_bits(struct der *d, int *bits)
{
	unsigned char tag;
	size_t len;
	int b;

	if (header(d, &tag, &len) < 0 || tag != 0x30 || skip(d, 0x02) < 0 ||
	    header(d, &tag, &len) < 0 || tag != 0x02 || len == 0 || d->p >= d->end)
		return -1;
	/* A leading zero byte keeps the INTEGER positive. */
	if (*d->p == 0) {
		d->p++;
		len--;
		if (len == 0 || d->p >= d->end)
			return -1;
	}
	for (b = 8; b > 0 && !(*d->p & (1u << (b - 1))); b--)
		;
	*bits = (int)(len - 1) * 8 + b;
	return 0;
}

/* From PEM text. */
int
keyprobe_pem(const char *pem, size_t len, char *alg, size_t algsize, int *bits)
{
	unsigned char der[HEAD_B64];
	char b64[HEAD_B64 + 1];
	const char *p, *body, *end = pem + len;
	unsigned char tag;
	size_t n = 0, l;
	struct der d;
	int pkcs1, dl;

	if ((p = memmem(pem, len, "-----BEGIN ", 11)) == NULL)
		return -1;
	pkcs1 = (size_t)(end - p) > 31 && memcmp(p, "-----BEGIN RSA PRIVATE KEY-----", 31) == 0;
	if (!pkcs1 && ((size_t)(end - p) < 27 || memcmp(p, "-----BEGIN PRIVATE KEY-----", 27) != 0))
		return -1;
	if ((body = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return -1;
	for (p = body + 1; p < end && *p != '-' && n < HEAD_B64; p++)
		if (*p != '\n' && *p != '\r')
			b64[n++] = *p;
	n -= n % 4;
	b64[n] = '\0';
	if (n < 8 || (dl = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n)) < 8)
		return -1;
	d.p = der;
	d.end = der + dl;
	if (pkcs1) {
		snprintf(alg, algsize, "rsa");
		return rsa_bits(&d, bits);
	}
	/* PrivateKeyInfo: SEQUENCE { INTEGER, SEQUENCE { OID ... }, OCTET STRING } */
	if (header(&d, &tag, &l) < 0 || tag != 0x30 || skip(&d, 0x02) < 0 ||
	    header(&d, &tag, &l) < 0 || tag != 0x30)
		return -1;
	if (header(&d, &tag, &l) < 0 || tag != 0x06 || (size_t)(d.end - d.p) < l)
		return -1;
	if (l == sizeof(oid_ed25519) && memcmp(d.p, oid_ed25519, l) == 0) {
		snprintf(alg, algsize, "ed25519");
		*bits = 256;
		return 0;
	}
	if (l != sizeof(oid_rsa) || memcmp(d.p, oid_rsa, l) != 0)
		return -1;
	d.p += l;
	/* The NULL parameters, then the OCTET STRING holding RSAPrivateKey. */
	if (skip(&d, 0x05) < 0 || header(&d, &tag, &l) < 0 || tag != 0x04)
		return -1;
	snprintf(alg, algsize, "rsa");
	return rsa_bits(&d, bits);
}

/* From a file: its first 4 KB hold the header. */
int
keyprobe_file(const char *path, char *alg, size_t algsize, int *bits)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return -1;
	return keyprobe_pem(buf, (size_t)n, alg, algsize, bits);
}
