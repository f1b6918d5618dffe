/*
 * from.c - the address of a From field (RFC 5322 mailbox-list with display
 * names, comments, quoted local parts, angle brackets, obsolete routes),
 * parsed with bounds on everything, as whoever sends the mail chooses it.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "from.h"

#define FROM_COMMENT_DEPTH 32	/* nested comments deeper than this are refused */

/* The From parser: a cursor over the field value. */
struct from_scan {
	const char *p, *end;
	const char *why;
};

/* Skip white space, folding and (nested) comments; 0, or -1 with why. */
static int
skip_cfws(struct from_scan *s)
{
	int depth;

	for (;;) {
		while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' ||
		    *s->p == '\n'))
			s->p++;
		if (s->p >= s->end || *s->p != '(')
			return 0;
		depth = 0;
		do {
			if (s->p >= s->end) {
				s->why = "From has an unterminated comment";
				return -1;
			}
			if (*s->p == '\\' && s->p + 1 < s->end)
				s->p++;
			else if (*s->p == '(' && ++depth > FROM_COMMENT_DEPTH) {
				s->why = "From has comments nested too deep";
				return -1;
			} else if (*s->p == ')')
				depth--;
			s->p++;
		} while (depth > 0);
	}
}

/* Skip a quoted string starting at '"'; 0, or -1 with why. */
static int
skip_quoted(struct from_scan *s)
{
	for (s->p++; s->p < s->end; s->p++) {
		if (*s->p == '\\' && s->p + 1 < s->end)
			s->p++;
		else if (*s->p == '"') {
			s->p++;
			return 0;
		}
	}
	s->why = "From has an unterminated quoted string";
	return -1;
}

/* Nonzero for atext (RFC 5322) plus any UTF-8 byte (RFC 6532). */
static int
is_atext(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Append n bytes to a bounded output; -1 when it would overflow. */
static int
out_add(char *out, size_t size, size_t *len, const char *p, size_t n)
{
	if (*len + n >= size)
		return -1;
	memcpy(out + *len, p, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

/*
 * Parse an addr-spec at the cursor: local-part "@" domain, each a dot-atom
 * or quoted string / domain literal, with CFWS tolerated around the dots
 * (obs-local-part, obs-domain). Stops at '>', ',' or the end.
 */
static int
parse_addr_spec(struct from_scan *s, char *local, size_t lsize, char *domain, size_t dsize)
{
	const char *start;
	size_t ll = 0, dl = 0, i;

	local[0] = domain[0] = '\0';
	/* Local part: words separated by dots. */
	for (;;) {
		if (skip_cfws(s) < 0)
			return -1;
		start = s->p;
		if (s->p < s->end && *s->p == '"') {
			if (skip_quoted(s) < 0)
				return -1;
		} else
			while (s->p < s->end && is_atext((unsigned char)*s->p))
				s->p++;
		if (s->p == start)
			break;
		if (out_add(local, lsize, &ll, start, (size_t)(s->p - start)) < 0)
			goto toolong;
		if (skip_cfws(s) < 0)
			return -1;
		if (s->p < s->end && *s->p == '.') {
			s->p++;
			if (out_add(local, lsize, &ll, ".", 1) < 0)
				goto toolong;
			continue;
		}
		break;
	}
	if (s->p >= s->end || *s->p != '@') {
		s->why = ll > 0 && s->p >= s->end ? "From address has no domain" :
		    "From has no address";
		return -1;
	}
	if (ll == 0) {
		s->why = "From address has an empty local part";
		return -1;
	}
	s->p++;
	if (skip_cfws(s) < 0)
		return -1;
	if (s->p < s->end && *s->p == '[') {
		/* Domain literal: kept as written, no key will match it. */
		start = s->p;
		while (s->p < s->end && *s->p != ']') {
			/*
			 * It is logged ("no signing key for [...]"): no line breaks
			 * or other control characters (FWS in a literal is legal,
			 * and never seen in a From that a key could match).
			 */
			if ((unsigned char)*s->p < 0x20 || *s->p == 0x7f) {
				s->why = "From has a control character in a domain literal";
				return -1;
			}
			s->p++;
		}
		if (s->p >= s->end) {
			s->why = "From has an unterminated domain literal";
			return -1;
		}
		s->p++;
		if (out_add(domain, dsize, &dl, start, (size_t)(s->p - start)) < 0)
			goto toolong;
	} else
		for (;;) {
			start = s->p;
			while (s->p < s->end && is_atext((unsigned char)*s->p))
				s->p++;
			if (s->p == start) {
				s->why = "From address has an empty domain";
				return -1;
			}
			if (out_add(domain, dsize, &dl, start, (size_t)(s->p - start)) < 0)
				goto toolong;
			if (skip_cfws(s) < 0)
				return -1;
			if (s->p < s->end && *s->p == '.') {
				s->p++;
				if (out_add(domain, dsize, &dl, ".", 1) < 0)
					goto toolong;
				if (skip_cfws(s) < 0)
					return -1;
				continue;
			}
			break;
		}
	for (i = 0; i < dl; i++)
		domain[i] = (char)tolower((unsigned char)domain[i]);
	return 0;
toolong:
	s->why = "From address too long";
	return -1;
}

/*
 * Scan one mailbox to its end (a top-level ',' or the end of the value),
 * noting whether it holds angle brackets or a group's ':'.
 */
static int
scan_mailbox(struct from_scan *s, const char **angle, int *group)
{
	const char *at = NULL;

	*angle = NULL;
	*group = 0;
	while (s->p < s->end) {
		if (skip_cfws(s) < 0)
			return -1;
		if (s->p >= s->end)
			break;
		switch (*s->p) {
		case '"':
			if (skip_quoted(s) < 0)
				return -1;
			continue;
		case '<':
			if (*angle == NULL)
				*angle = s->p;
			/* Skip to '>' over quoted strings and comments. */
			for (s->p++; s->p < s->end && *s->p != '>';) {
				if (*s->p == '"') {
					if (skip_quoted(s) < 0)
						return -1;
				} else if (*s->p == '(') {
					if (skip_cfws(s) < 0)
						return -1;
				} else
					s->p++;
			}
			if (s->p >= s->end) {
				s->why = "From has '<' without '>'";
				return -1;
			}
			break;
		case ':':
		case ';':
			*group = 1;
			break;
		case '@':
			at = s->p;
			break;
		case ',':
			goto done;
		default:
			break;
		}
		s->p++;
	}
done:
	/*
	 * "a@example.com <b@example.org>": readers disagree on which address
	 * is meant, so no signature is made for either.
	 */
	if (*angle != NULL && at != NULL) {
		s->why = "From has an address outside '<...>' as well as inside";
		return -1;
	}
	return 0;
}

/* One mailbox of the list: its text and its '<', if any. */
struct from_span {
	const char *start, *end, *angle;
};

/*
 * Pass 1: the non-empty list elements (obs-mbox-list allows empty ones),
 * the first max of them kept in spans. Returns how many there are, or -1
 * with why.
 */
static int
from_list(const char *value, size_t len, struct from_span *spans, size_t max, size_t *count,
    const char **why)
{
	struct from_scan s = { value, value + len, NULL };
	struct from_scan a;
	const char *ang;
	int group;

	*count = 0;
	while (s.p < s.end) {
		const char *start = s.p;

		if (scan_mailbox(&s, &ang, &group) < 0) {
			*why = s.why;
			return -1;
		}
		if (group) {
			*why = "From uses group syntax, not a mailbox";
			return -1;
		}
		a.p = start;
		a.end = s.p;
		a.why = NULL;
		if (skip_cfws(&a) == 0 && a.p < a.end) {
			if (*count < max) {
				spans[*count].start = start;
				spans[*count].end = s.p;
				spans[*count].angle = ang;
			}
			(*count)++;
		}
		if (s.p < s.end)
			s.p++;	/* the ',' */
	}
	if (*count == 0) {
		*why = "From has no address";
		return -1;
	}
	return 0;
}

/* Pass 2: the addr-spec of one mailbox, inside the angle brackets when there are any. */
static int
from_mailbox(const struct from_span *m, char *local, size_t localsize, char *domain,
    size_t domainsize, const char **why)
{
	const char *angle = m->angle;
	struct from_scan a;

	if (localsize == 0 || domainsize == 0) {
		*why = "From address too long";
		return -1;
	}
	a.p = angle ? angle + 1 : m->start;
	a.end = m->end;
	a.why = NULL;
	if (angle) {
		/* obs-route: "<@relay1,@relay2:user@example.org>". */
		const char *colon = NULL, *q;

		if (skip_cfws(&a) < 0) {
			*why = a.why;
			return -1;
		}
		if (a.p < a.end && *a.p == '@') {
			for (q = a.p; q < a.end && *q != '>'; q++)
				if (*q == ':') {
					colon = q;
					break;
				}
			if (colon == NULL) {
				*why = "From has a bad route in '<...>'";
				return -1;
			}
			a.p = colon + 1;
		}
		if (skip_cfws(&a) < 0) {
			*why = a.why;
			return -1;
		}
		if (a.p < a.end && *a.p == '>') {
			*why = "From has no address";	/* <> */
			return -1;
		}
	}
	if (parse_addr_spec(&a, local, localsize, domain, domainsize) < 0) {
		*why = a.why;
		return -1;
	}
	if (skip_cfws(&a) < 0) {
		*why = a.why;
		return -1;
	}
	if (angle ? (a.p >= a.end || *a.p != '>') : a.p < a.end) {
		*why = "From has text after the address";
		return -1;
	}
	if (angle) {
		/* After '>' only comments and white space. */
		a.p++;
		if (skip_cfws(&a) < 0 || a.p < a.end) {
			*why = a.why ? a.why : "From has text after '>'";
			return -1;
		}
	}
	return 0;
}

/* The address of a From value with exactly one mailbox. */
int
from_address(const char *value, size_t len, char *local, size_t localsize,
    char *domain, size_t domainsize, const char **why)
{
	struct from_span m;
	size_t n;

	if (from_list(value, len, &m, 1, &n, why) < 0)
		return -1;
	if (n > 1) {
		*why = n == 2 ? "From has 2 mailboxes" : "From has more than 2 mailboxes";
		return -1;
	}
	return from_mailbox(&m, local, localsize, domain, domainsize, why);
}

/* Every mailbox of a From value, at most max of them. */
int
from_addresses(const char *value, size_t len, struct from_box *box, size_t max, size_t *n,
    const char **why)
{
	struct from_span m[FROM_MAILBOXES_MAX];
	size_t i, count;

	*n = 0;
	if (max > FROM_MAILBOXES_MAX)
		max = FROM_MAILBOXES_MAX;
	if (from_list(value, len, m, max, &count, why) < 0)
		return -1;
	if (count > max) {
		*why = "From has too many mailboxes";
		return -1;
	}
	for (i = 0; i < count; i++)
		if (from_mailbox(&m[i], box[i].local, sizeof(box[i].local), box[i].domain,
		    sizeof(box[i].domain), why) < 0)
			return -1;
	*n = count;
	return 0;
}
