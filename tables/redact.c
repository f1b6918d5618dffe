/*
 * redact.c - replace database passwords in a message with "***": those of
 * data set URLs, found by their syntax, and one the caller knows.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

/* Characters that end a word in a message: a quote or a blank. */
#define REDACT_WORDEND " \t\r\n'\""

/* Nonzero when the URL scheme ending at colon (in s) is ldap, ldaps or ldapi. */
static int
redact_ldap(const char *s, const char *colon)
{
	const char *b = colon;

	while (b > s && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", b[-1]))
		b--;
	return (colon - b == 4 && strncasecmp(b, "ldap", 4) == 0) ||
	    (colon - b == 5 && (strncasecmp(b, "ldaps", 5) == 0 || strncasecmp(b, "ldapi", 5) == 0));
}

/* The first URL password. */
int
redact_find(const char *s, size_t *off, size_t *len)
{
	const char *p, *user, *pw, *at, *slash, *end;

	for (p = strstr(s, ":/"); p != NULL; p = strstr(p + 1, ":/")) {
		user = p + 1 + strspn(p + 1, "/");
		pw = user + strcspn(user, ":/" REDACT_WORDEND);
		if (*pw != ':')
			continue;
		pw++;
		/* An LDAP URL's HOST:PORT, not USER:PASSWORD. */
		if (redact_ldap(s, p) && strspn(pw, "0123456789") > 0 &&
		    pw[strspn(pw, "0123456789")] != '@')
			continue;
		if ((at = strchr(pw, '@')) == NULL) {
			end = pw + strcspn(pw, "/" REDACT_WORDEND);
			/* "URL: text": the message's own colon, no password. */
			if (end == pw)
				continue;
		} else {
			/* The host follows the last '@' before the next '/'. */
			slash = at + strcspn(at, "/");
			for (end = at; (at = memchr(at + 1, '@', (size_t)(slash - at - 1))) != NULL;)
				end = at;
		}
		*off = (size_t)(pw - s);
		*len = (size_t)(end - pw);
		return 1;
	}
	return 0;
}

/* Append n bytes of src to dst (of size, holding *used), as far as they fit. */
static void
put(char *dst, size_t size, size_t *used, const char *src, size_t n)
{
	if (n > size - 1 - *used)
		n = size - 1 - *used;
	memcpy(dst + *used, src, n);
	*used += n;
}

/* Redact s in place. */
void
redact(char *s, size_t size, const char *known)
{
	size_t off, len, used = 0, kl = known != NULL ? strlen(known) : 0;
	char *out, *rest, *k;

	if (size == 0 || (out = malloc(size)) == NULL) {
		/* Nothing can be rewritten: show nothing rather than a password. */
		if (size > 0 && (kl > 0 || redact_find(s, &off, &len)))
			s[0] = '\0';
		return;
	}
	for (rest = s; redact_find(rest, &off, &len); rest += off + len) {
		put(out, size, &used, rest, off);
		put(out, size, &used, REDACT_MARK, strlen(REDACT_MARK));
	}
	put(out, size, &used, rest, strlen(rest));
	out[used] = '\0';
	memcpy(s, out, used + 1);
	/* The known password, wherever a library may have quoted it. */
	if (kl > 0) {
		used = 0;
		for (rest = s; (k = strstr(rest, known)) != NULL; rest = k + kl) {
			put(out, size, &used, rest, (size_t)(k - rest));
			put(out, size, &used, REDACT_MARK, strlen(REDACT_MARK));
		}
		put(out, size, &used, rest, strlen(rest));
		out[used] = '\0';
		memcpy(s, out, used + 1);
	}
	explicit_bzero(out, size);
	free(out);
}
