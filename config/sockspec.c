/*
 * sockspec.c - read a Socket value once, the same way for the check and
 * for the listener, so that what postdkim -n accepts the daemon can open.
 * Prefixes are matched in any case, as OpenDKIM and libmilter do, and
 * given to libmilter in lower case.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sockspec.h"

/* The part after a prefix (any case), or NULL when spec does not start with it. */
static const char *after(const char *spec, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncasecmp(spec, prefix, n) == 0 ? spec + n : NULL;
}

/* The file of a UNIX socket spec, or NULL. */
const char *sockspec_unix_path(const char *spec)
{
	const char *p;

	if ((p = after(spec, "local:")) != NULL || (p = after(spec, "unix:")) != NULL)
		return p;
	return spec[0] == '/' ? spec : NULL;
}

/* Check PORT[@HOST] after an inet prefix. */
static int check_port(const char *spec, const char *p, char *err, size_t errsize)
{
	unsigned long port;
	char *end;

	if (!isdigit((unsigned char)*p)) {
		snprintf(err, errsize, "'%s': expected a port number after '%.*s'", spec,
		    (int)(p - spec), spec);
		return -1;
	}
	errno = 0;
	port = strtoul(p, &end, 10);
	if (errno != 0 || port == 0 || port > 65535 || (*end != '\0' && *end != '@') ||
	    (*end == '@' && end[1] == '\0')) {
		snprintf(err, errsize, "'%s': expected PORT or PORT@ADDRESS with a port from 1 to "
		    "65535", spec);
		return -1;
	}
	return 0;
}

/* Check a Socket value and return its canonical form. */
char *sockspec_canon(const char *spec, char *err, size_t errsize)
{
	const char *p, *kind;
	char *out;
	size_t n;

	if ((p = sockspec_unix_path(spec)) != NULL) {
		if (p[0] != '/') {
			snprintf(err, errsize, "'%s': the socket path must be absolute", spec);
			return NULL;
		}
		kind = "local:";
	} else if ((p = after(spec, "inet:")) != NULL || (p = after(spec, "inet6:")) != NULL) {
		if (check_port(spec, p, err, errsize) != 0)
			return NULL;
		kind = p - spec == 5 ? "inet:" : "inet6:";
	} else {
		snprintf(err, errsize, "'%s': expected local:PATH, inet:PORT@ADDRESS or "
		    "inet6:PORT@ADDRESS", spec);
		return NULL;
	}
	n = strlen(kind) + strlen(p) + 1;
	if ((out = malloc(n)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	snprintf(out, n, "%s%s", kind, p);
	return out;
}
