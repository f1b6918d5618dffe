/*
 * policy.c - which mail postdkim signs, and with which keys.
 *
 * Three questions, each answered from facts alone (no I/O): is the message
 * ours (authenticated, internal client, trusted daemon or macro), what is
 * the From address, and which signers apply to it (KeyFile domains or the
 * SigningTable, looked up in OpenDKIM's order).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../tables/glob.h"
#include "policy.h"
#include "tables.h"

#define FROM_COMMENT_DEPTH 32	/* nested comments deeper than this are refused */
#define POLICY_ADDR_MAX 320	/* local@domain */

/* Nonzero when a macro value is present and not empty. */
static int
present(const char *s)
{
	return s != NULL && *s != '\0';
}

/* A macro's value by its configured name, trying "{name}" when that is absent. */
static const char *
macro_value(const struct policy_facts *f, const char *name)
{
	char braced[128];
	const char *v;

	if (f->macro == NULL)
		return NULL;
	if ((v = f->macro(f->macro_arg, name)) != NULL)
		return v;
	/* MacroList entries are written "daemon_name" or "{daemon_name}". */
	if (name[0] != '{' && strlen(name) > 1 && strlen(name) + 3 <= sizeof(braced)) {
		snprintf(braced, sizeof(braced), "{%s}", name);
		return f->macro(f->macro_arg, braced);
	}
	return NULL;
}

/* Nonzero when one MacroList entry matches. */
static int
macro_match(const struct policy_facts *f, const struct config_macro *m)
{
	const char *v = macro_value(f, m->name);
	size_t i;

	if (v == NULL)
		return 0;
	if (m->nvalues == 0)
		return 1;
	/* OpenDKIM compares macro values with case. */
	for (i = 0; i < m->nvalues; i++)
		if (strcmp(v, m->values[i]) == 0)
			return 1;
	return 0;
}

/* The client's address as text, for reasons; "unknown" when none. */
static void
client_text(const struct policy_facts *f, char *buf, size_t size)
{
	const struct sockaddr *sa = f->client_sa;

	if (sa != NULL && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
	    buf, (socklen_t)size) != NULL)
		return;
	if (sa != NULL && sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
	    buf, (socklen_t)size) != NULL)
		return;
	snprintf(buf, size, "%s", present(f->client_addr) ? f->client_addr :
	    present(f->client_name) ? f->client_name : "unknown");
}

/* Nonzero when the client is in the list (socket address, else text, else name). */
static int
client_in(const struct cidr_list *l, const struct policy_facts *f)
{
	const struct sockaddr *sa = f->client_sa;

	if (sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		return cidr_match(l, sa, f->client_name);
	if (present(f->client_addr))
		return cidr_match_str(l, f->client_addr, f->client_name);
	/*
	 * Postfix's sendmail(1)/pickup path can reach the milter with the name
	 * "localhost" and no address at all; that connection is local by
	 * construction (an SMTP client always has an address).
	 */
	if (present(f->client_name) && strcasecmp(f->client_name, "localhost") == 0)
		return cidr_match_str(l, "127.0.0.1", f->client_name);
	return cidr_match(l, NULL, f->client_name);
}

/* Nonzero when the message is ours; otherwise *why says why. */
int
policy_is_ours(const struct config *cfg, const struct policy_facts *f, const char **why)
{
	static _Thread_local char reason[200];
	char addr[INET6_ADDRSTRLEN + 64];
	size_t i;

	if (present(f->auth_type) || present(f->auth_authen))
		return 1;
	if (client_in(&cfg->internal_hosts, f))
		return 1;
	if (present(f->daemon_name))
		for (i = 0; i < cfg->nmta; i++)
			if (strcasecmp(f->daemon_name, cfg->mta[i]) == 0)
				return 1;
	for (i = 0; i < cfg->nmacros; i++)
		if (macro_match(f, &cfg->macros[i]))
			return 1;
	if (why != NULL) {
		client_text(f, addr, sizeof(addr));
		snprintf(reason, sizeof(reason), "external client %s%s, not authenticated", addr,
		    client_in(&cfg->external_ignore, f) ? " (ExternalIgnoreList)" : "");
		*why = reason;
	}
	return 0;
}

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
		while (s->p < s->end && *s->p != ']')
			s->p++;
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

/* The address of a From value with exactly one mailbox. */
int
policy_from_address(const char *value, size_t len, char *local, size_t localsize,
    char *domain, size_t domainsize, const char **why)
{
	struct from_scan s = { value, value + len, NULL };
	struct from_scan a;
	const char *mstart = NULL, *mend = NULL, *angle = NULL, *ang;
	size_t nboxes = 0;
	int group;

	if (localsize == 0 || domainsize == 0) {
		*why = "From address too long";
		return -1;
	}
	/* Pass 1: count non-empty list elements (obs-mbox-list allows empty ones). */
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
			if (++nboxes == 1) {
				mstart = start;
				mend = s.p;
				angle = ang;
			}
		}
		if (s.p < s.end)
			s.p++;	/* the ',' */
	}
	if (nboxes == 0) {
		*why = "From has no address";
		return -1;
	}
	if (nboxes > 1) {
		*why = nboxes == 2 ? "From has 2 mailboxes" : "From has more than 2 mailboxes";
		return -1;
	}
	/* Pass 2: the addr-spec, inside the angle brackets when there are any. */
	a.p = angle ? angle + 1 : mstart;
	a.end = mend;
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

/* Add the rules whose pattern is exactly key; returns nonzero when out is full. */
static int
add_exact(const struct config *cfg, const char *key, const dkim_signer **out, size_t max,
    size_t *n)
{
	size_t i, j;

	for (i = 0; i < cfg->nrules && *n < max; i++) {
		if (strcasecmp(cfg->rules[i].pattern, key) != 0)
			continue;
		for (j = 0; j < *n; j++)
			if (out[j] == cfg->rules[i].signer)
				break;
		if (j < *n)
			continue;
		out[(*n)++] = cfg->rules[i].signer;
		if (!cfg->multiple_signatures)
			return 1;
	}
	return *n >= max;
}

/*
 * The signers for a sender. A refile: SigningTable is matched in file order;
 * any other table is looked up as OpenDKIM does: user@host, host,
 * user@.parent and .parent for each parent domain, then (SubDomains) each
 * bare parent, then user@* and *.
 */
size_t
config_signers(const struct config *cfg, const char *local, const char *domain,
    const dkim_signer **out, size_t max)
{
	char addr[POLICY_ADDR_MAX + 4], key[POLICY_ADDR_MAX + 4];
	const char *p;
	size_t n = 0, i;
	int pass;

	if (local == NULL)
		local = "";
	if (domain == NULL || *domain == '\0' || max == 0)
		return 0;
	if ((size_t)snprintf(addr, sizeof(addr), "%s@%s", local, domain) >= sizeof(addr))
		return 0;
	if (cfg->refile) {
		for (i = 0; i < cfg->nrules && n < max; i++)
			if (glob_match(cfg->rules[i].pattern, addr)) {
				out[n++] = cfg->rules[i].signer;
				if (!cfg->multiple_signatures)
					break;
			}
		return n;
	}
	if (add_exact(cfg, addr, out, max, &n) || add_exact(cfg, domain, out, max, &n))
		return n;
	for (pass = 0; pass < 3; pass++) {
		if (pass == 2 && !cfg->subdomains)
			break;
		for (p = strchr(domain, '.'); p != NULL && p[1] != '\0'; p = strchr(p + 1, '.')) {
			/* p points at ".parent". */
			if (pass == 0)
				snprintf(key, sizeof(key), "%s@%s", local, p);
			else
				snprintf(key, sizeof(key), "%s", pass == 1 ? p : p + 1);
			if (add_exact(cfg, key, out, max, &n))
				return n;
		}
	}
	snprintf(key, sizeof(key), "%s@*", local);
	if (add_exact(cfg, key, out, max, &n))
		return n;
	add_exact(cfg, "*", out, max, &n);
	return n;
}
