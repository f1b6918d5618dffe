/*
 * rotsel.c - new selector names (rotsel.h). A selector is a DNS label
 * sequence (RFC 6376 §3.1): letters, digits, '-' and '.', in lower case
 * here so that it reads the same in tables and in DNS.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "rotsel.h"

/* Nonzero when s is a usable selector. */
static int
valid(const char *s)
{
	size_t i, label = 0;

	if (s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; s[i]; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[i - 1] != '-';
}

/* Format, check, and find a free name. */
int
rotsel_make(const char *fmt, time_t t, rotsel_taken_fn taken, void *arg, char *out,
    size_t outsize, char *err, size_t errsize)
{
	char base[64], cand[80];
	struct tm tm;
	size_t i, n;

	/* The format is the administrator's setting, not ours: that is its purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = gmtime_r(&t, &tm) == NULL ? 0 : strftime(base, sizeof(base), fmt, &tm);
#pragma GCC diagnostic pop
	if (n == 0) {
		snprintf(err, errsize, "RotateSelectorFormat '%s' makes no selector", fmt);
		return -1;
	}
	for (i = 0; i < n; i++)
		base[i] = (char)tolower((unsigned char)base[i]);
	if (!valid(base)) {
		snprintf(err, errsize, "RotateSelectorFormat '%s' makes '%s', not a valid selector "
		    "(letters, digits, '-' and '.')", fmt, base);
		return -1;
	}
	for (i = 1; i <= 100; i++) {
		if (i == 1)
			snprintf(cand, sizeof(cand), "%s", base);
		else
			snprintf(cand, sizeof(cand), "%s-%zu", base, i);
		if (taken == NULL || !taken(arg, cand)) {
			if (strlen(cand) >= outsize)
				break;
			strcpy(out, cand);
			return 0;
		}
	}
	snprintf(err, errsize, "no free selector from '%s' (tried %s to %s-100)", fmt, base, base);
	return -1;
}
