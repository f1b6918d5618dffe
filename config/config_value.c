/*
 * config_value.c - the value types postdkim.conf shares between its
 * daemon, signing and verification keywords: Booleans, bounded numbers and
 * On-* actions, read as OpenDKIM reads them, with errors that name file,
 * line and keyword. An unset keyword leaves *out alone.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "config_impl.h"

/* Record "FILE:LINE: Name: message" for setting s; returns -1. */
int
config_seterr(struct load *ld, const struct setting *s, const char *name, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->file != NULL)
		snprintf(ld->err, ld->errsize, "%s:%u: %s: %s", s->file, s->line, name, msg);
	else
		snprintf(ld->err, ld->errsize, "%s: %s", name, msg);
	return -1;
}

/* yes/no, true/false, on/off, 1/0, y/n, t/f, in any case. */
int
config_bool(struct load *ld, const struct setting *s, const char *name, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "y", "t", NULL };
	static const char *const no[] = { "no", "false", "off", "0", "n", "f", NULL };
	size_t i;

	if (s->value == NULL)
		return 0;
	for (i = 0; yes[i]; i++)
		if (strcasecmp(s->value, yes[i]) == 0)
			return *out = 1, 0;
	for (i = 0; no[i]; i++)
		if (strcasecmp(s->value, no[i]) == 0)
			return *out = 0, 0;
	return config_seterr(ld, s, name, "'%s' is not yes or no", s->value);
}

/* A whole number in [lo, hi]; what says what it counts ("a number of seconds"). */
int
config_number(struct load *ld, const struct setting *s, const char *name, unsigned long lo,
    unsigned long hi, const char *what, unsigned long *out)
{
	const char *v = s->value;
	unsigned long n;
	char *end;

	if (v == NULL)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 || n < lo || n > hi)
		return config_seterr(ld, s, name, "'%s' is not %s from %lu to %lu", v, what, lo, hi);
	*out = n;
	return 0;
}

/*
 * OpenDKIM's action values, in any case: accept, tempfail, reject, discard,
 * quarantine, or their first letters.
 */
int
config_action(struct load *ld, const struct setting *s, const char *name,
    enum config_action *out)
{
	static const struct { const char *word; enum config_action a; } forms[] = {
		{ "accept", ACTION_ACCEPT }, { "tempfail", ACTION_TEMPFAIL },
		{ "reject", ACTION_REJECT }, { "discard", ACTION_DISCARD },
		{ "quarantine", ACTION_QUARANTINE },
	};
	const char *v = s->value;
	size_t i;

	if (v == NULL)
		return 0;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (strcasecmp(v, forms[i].word) == 0 || (v[0] != '\0' && v[1] == '\0' &&
		    tolower((unsigned char)v[0]) == forms[i].word[0]))
			return *out = forms[i].a, 0;
	return config_seterr(ld, s, name, "'%s' is not accept, tempfail, reject, discard or "
	    "quarantine", v);
}

/*
 * A duration: a whole number of seconds, or a number followed by s, m, h
 * or d ("180d", "90m"), at most ten years. 0, or -1.
 */
int
config_parse_duration(const char *v, unsigned long *out)
{
	unsigned long n, unit = 1;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (isdigit((unsigned char)*v) && errno == 0 && end[0] != '\0' && end[1] == '\0') {
		switch (tolower((unsigned char)*end)) {
		case 's': unit = 1; end++; break;
		case 'm': unit = 60; end++; break;
		case 'h': unit = 3600; end++; break;
		case 'd': unit = 86400; end++; break;
		}
	}
	if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 ||
	    n > 3650UL * 86400 / unit)
		return -1;
	*out = n * unit;
	return 0;
}

/* A duration setting (config_parse_duration). */
int
config_duration(struct load *ld, const struct setting *s, const char *name,
    unsigned long *out)
{
	if (s->value == NULL)
		return 0;
	if (config_parse_duration(s->value, out) < 0)
		return config_seterr(ld, s, name, "'%s' is not a duration (a number of seconds, "
		    "or a number with s, m, h or d, at most 3650d)", s->value);
	return 0;
}
