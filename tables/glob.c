/*
 * glob.c - the '*' wildcard patterns of refile: tables and host lists.
 */
#include <ctype.h>
#include <stddef.h>

#include "glob.h"

/* Case-insensitive match; '*' matches any run, with one-star backtracking. */
int
glob_match(const char *p, const char *s)
{
	const char *star = NULL, *retry = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			retry = s;
		} else if (*p && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++retry;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}
