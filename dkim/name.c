/*
 * name.c - validate a domain name or selector.
 */
#include <stdio.h>
#include <string.h>

#include "name.h"

/* Write a reason when the caller wants one. */
#define NAME_WHY(...) do { if (why != NULL && whysize > 0) snprintf(why, whysize, __VA_ARGS__); } while (0)

/* Check a domain name or selector. */
int
dkim_name_check(const char *name, size_t maxlen, char *why, size_t whysize)
{
	size_t i, n = strlen(name), lstart = 0;
	unsigned char c;

	if (n == 0) {
		NAME_WHY("is empty");
		return -1;
	}
	if (n > maxlen) {
		NAME_WHY("is longer than %zu bytes", maxlen);
		return -1;
	}
	for (i = 0; i <= n; i++) {
		c = (unsigned char)name[i];
		if (i == n || c == '.') {
			if (i == lstart) {
				NAME_WHY("has an empty label (two dots, or a dot at the start or end)");
				return -1;
			}
			if (i - lstart > 63) {
				NAME_WHY("has a label longer than 63 bytes");
				return -1;
			}
			if (name[lstart] == '-' || name[i - 1] == '-') {
				NAME_WHY("has a label that starts or ends with '-'");
				return -1;
			}
			lstart = i + 1;
			continue;
		}
		if (c >= 0x80) {
			NAME_WHY("is not ASCII: give an internationalized name in its xn-- "
			    "(punycode) form");
			return -1;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			if (c < 0x21 || c == 0x7f)
				NAME_WHY("contains byte 0x%02x: only letters, digits, '-', '_' and "
				    "'.' are allowed", c);
			else
				NAME_WHY("contains '%c': only letters, digits, '-', '_' and '.' are "
				    "allowed", c);
			return -1;
		}
	}
	return 0;
}

/* Nonzero when the name is fit. */
int
dkim_name_ok(const char *name)
{
	return dkim_name_check(name, 253, NULL, 0) == 0;
}
