/*
 * rotmatch.c - does an answered key record carry our key (rotmatch.h)?
 * A small tag-list reader: tags split at ';', white space around names and
 * inside values ignored (RFC 6376 section 3.2), bounded by the buffers.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "rotmatch.h"

/* Tag t's value in a tag list, white space removed; default dflt. */
static void
tag(const char *rec, const char *t, const char *dflt, char *out, size_t size)
{
	const char *p = rec, *name, *eq, *end;
	size_t n = 0, tl = strlen(t);

	snprintf(out, size, "%s", dflt);
	while (*p != '\0') {
		end = p + strcspn(p, ";");
		while (p < end && isspace((unsigned char)*p))
			p++;
		name = p;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL) {
			const char *ne = eq;

			while (ne > name && isspace((unsigned char)ne[-1]))
				ne--;
			if ((size_t)(ne - name) == tl && memcmp(name, t, tl) == 0) {
				for (p = eq + 1; p < end && n + 1 < size; p++)
					if (!isspace((unsigned char)*p))
						out[n++] = *p;
				out[n] = '\0';
				return;
			}
		}
		p = *end ? end + 1 : end;
	}
}

/* Nonzero when the colon-separated list h (white space removed) names sha256. */
static int
allows_sha256(const char *h)
{
	size_t n;

	for (; *h; h += n + (h[n] == ':')) {
		n = strcspn(h, ":");
		if (n == 6 && strncmp(h, "sha256", 6) == 0)
			return 1;
	}
	return 0;
}

/*
 * The answered record carries the key we sign with: the same p= and k=,
 * and an h= that lets verifiers use it with our rsa-sha256 or
 * ed25519-sha256 signatures (absent, or naming sha256). A record typed in
 * by hand without h= is as good as ours.
 */
int
rotmatch_record(const char *got, const char *want)
{
	char a[8192], b[8192];

	tag(got, "p", "", a, sizeof(a));
	tag(want, "p", "", b, sizeof(b));
	if (strcmp(a, b) != 0)
		return 0;
	tag(got, "k", "rsa", a, sizeof(a));
	tag(want, "k", "rsa", b, sizeof(b));
	if (strcmp(a, b) != 0)
		return 0;
	tag(got, "h", "", a, sizeof(a));
	return a[0] == '\0' || allows_sha256(a);
}

