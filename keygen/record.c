/*
 * record.c - build the key record dkimgen prints and writes to
 * SELECTOR.txt, in the layout opendkim-genkey uses so existing habits and
 * scripts keep working: the tags in one string, p= starting a new one.
 */
#include <stdio.h>
#include <string.h>

#include "record.h"

/* Nonzero for the bytes a tag value may carry unencoded in n=. */
static int
qp_safe(unsigned char c)
{
	/*
	 * dkim-safe-char (RFC 6376 §2.11) minus '"' and '\', which would
	 * need escaping in a zone file; ';' and '=' are excluded already.
	 */
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=' && c != '"' && c != '\\';
}

/* Encode the note; interior single spaces stay readable. */
void
record_qp(dbuf *out, const char *note)
{
	size_t i, n = strlen(note);
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)note[i];
		/* A space is FWS inside the value, but not at either end. */
		if (qp_safe(c) || (c == ' ' && i > 0 && i + 1 < n && note[i + 1] != ' '))
			dbuf_addc(out, c);
		else
			dbuf_printf(out, "=%02X", c);
	}
}

/* The tags before p=, each followed by "; ". */
static void
record_head(const struct record_opts *ro, dbuf *out)
{
	dbuf_adds(out, "v=DKIM1; ");
	if (ro->note != NULL && ro->note[0] != '\0') {
		dbuf_adds(out, "n=");
		record_qp(out, ro->note);
		dbuf_adds(out, "; ");
	}
	dbuf_adds(out, "h=sha256; ");
	dbuf_printf(out, "k=%s; ", dkim_alg_keytype(ro->alg));
	if (ro->testing && ro->strict)
		dbuf_adds(out, "t=y:s; ");
	else if (ro->testing)
		dbuf_adds(out, "t=y; ");
	else if (ro->strict)
		dbuf_adds(out, "t=s; ");
	if (ro->restrict_email)
		dbuf_adds(out, "s=email; ");
}

/* Build the record text. */
int
record_text(const struct record_opts *ro, dbuf *out)
{
	record_head(ro, out);
	dbuf_printf(out, "p=%s", ro->pub_b64);
	return dbuf_failed(out) ? -1 : 0;
}

/* Append s[0..n) as quoted strings of at most RECORD_STRING_MAX bytes. */
static void
zone_strings(dbuf *out, const char *s, size_t n, int *first)
{
	size_t take;

	while (n > 0) {
		take = n > RECORD_STRING_MAX ? RECORD_STRING_MAX : n;
		/*
		 * Joined strings need no space between them (RFC 6376
		 * §3.6.2.2); never cut next to one, so no reader mistakes the
		 * cut for a missing or extra space.
		 */
		while (take < n && take > 1 && (s[take - 1] == ' ' || s[take] == ' '))
			take--;
		/* Only safe bytes reach here: no escaping, 1 byte = 1 byte. */
		dbuf_adds(out, *first ? "\"" : "\n\t  \"");
		dbuf_add(out, s, take);
		dbuf_addc(out, '"');
		*first = 0;
		s += take;
		n -= take;
	}
}

/* Build the zone-file form, as opendkim-genkey lays it out. */
int
record_zone(const struct record_opts *ro, const char *selector, const char *domain,
    dbuf *out)
{
	dbuf head, p;
	int first = 1, rc;

	dbuf_init(&head);
	dbuf_init(&p);
	record_head(ro, &head);
	dbuf_printf(&p, "p=%s", ro->pub_b64);
	dbuf_printf(out, "%s._domainkey\tIN\tTXT\t( ", selector);
	zone_strings(out, head.data, head.len, &first);
	/* p= begins a string of its own, so the tags read at a glance. */
	zone_strings(out, p.data, p.len, &first);
	dbuf_printf(out, " )  ; ----- DKIM key %s for %s\n", selector, domain);
	rc = dbuf_failed(&head) || dbuf_failed(&p) || dbuf_failed(out) ? -1 : 0;
	dbuf_free(&head);
	dbuf_free(&p);
	return rc;
}

