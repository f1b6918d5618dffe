/*
 * idna.c - domain names from UTF-8 to A-labels, label by label.
 *
 * libidn2 implements IDNA2008 (RFC 5890-5893), the protocol RFC 8616 points
 * DKIM to, with the UTS #46 mapping that folds case and normalizes the way
 * mail software does; libidn implements only IDNA2003, which maps some
 * names (with sharp s or final sigma) to other A-labels.
 */
#include <stdio.h>
#include <string.h>

#include <idn2.h>

#include "idna.h"

/* Nonzero when s has a non-ASCII byte. */
int
dkim_idna_utf8(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* Append n bytes to out; -1 when they do not fit. */
static int
idna_add(char *out, size_t size, size_t *o, const char *p, size_t n)
{
	if (*o + n >= size)
		return -1;
	memcpy(out + *o, p, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

/* Convert the UTF-8 labels of in. */
int
dkim_idna_alabel(const char *in, size_t len, char *out, size_t size, char *why,
    size_t whysize)
{
	const char *at = NULL, *p, *end = in + len, *dot;
	char label[256], *a;
	size_t o = 0, n;
	int rc;

	if (size == 0)
		return -1;
	out[0] = '\0';
	for (p = in; p < end; p++)
		if (*p == '@')
			at = p;
	p = at != NULL ? at + 1 : in;
	if (idna_add(out, size, &o, in, (size_t)(p - in)) < 0)
		goto toolong;
	while (p <= end) {
		dot = memchr(p, '.', (size_t)(end - p));
		n = (size_t)((dot != NULL ? dot : end) - p);
		if (!dkim_idna_utf8(p, n)) {
			if (idna_add(out, size, &o, p, n) < 0)
				goto toolong;
		} else {
			if (n >= sizeof(label) || memchr(p, '\0', n) != NULL) {
				snprintf(why, whysize, "is not a valid internationalized name");
				return -1;
			}
			memcpy(label, p, n);
			label[n] = '\0';
			a = NULL;
			rc = idn2_to_ascii_8z(label, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
			if (rc != IDN2_OK) {
				snprintf(why, whysize, "is not a valid internationalized name (%s)",
				    idn2_strerror(rc));
				return -1;
			}
			rc = idna_add(out, size, &o, a, strlen(a));
			idn2_free(a);
			if (rc < 0)
				goto toolong;
		}
		if (dot == NULL)
			break;
		if (idna_add(out, size, &o, ".", 1) < 0)
			goto toolong;
		p = dot + 1;
	}
	return 0;
toolong:
	snprintf(why, whysize, "is too long");
	return -1;
}
