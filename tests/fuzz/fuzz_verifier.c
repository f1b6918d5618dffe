/*
 * fuzz_verifier.c - libFuzzer target: the milter's side of verifying one
 * message, as callbacks.c drives it: header fields (any number, split as
 * the MTA splits them) into verify/verifier.c
 * (the core's streaming verifier and the A-R fields), the end of the header
 * with the keys answered from the input instead of DNS (this file stands in
 * for verify/resolver.c), the body, the end of the message, then
 * verify/verdict.c: the forged A-R fields to remove, our A-R value, the
 * action and the log line, under settings drawn from the input
 * (RemoveARAll, KeepAuthResults, AlwaysAddARHeader, RemoveARFrom,
 * AuthservIDWithJobID, MaximumSignaturesToVerify).
 *
 * Built with VERIFIER_AR_MAX 8, so that inputs reach the fields past those
 * kept. Invariants:
 * - a message let go at the end of the header has no A-R field and nothing
 *   that failed;
 * - the fields removed are exactly those due: with KeepAuthResults none;
 *   else with RemoveARAll all; else every field past the kept ones, and of
 *   the others each whose authserv-id (as authres_parse_id reads it) is ours
 *   (authres_id_is) or in RemoveARFrom; listed once each, highest first;
 * - the fields left because no authserv-id could be read are counted;
 * - a message that could not be verified gets our A-R with permerror or
 *   temperror and the internal action;
 * - our A-R value holds no control byte but its folds, and its authserv-id
 *   reads back as ours; the log line holds only printable ASCII.
 *
 * Input: two flag bytes, our authserv-id, "\0", the key record, "\0", the
 * message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dkim/header.h"
#include "../../verify/authres.h"
#include "../../verify/resolver.h"
#include "../../verify/verdict.h"
#include "../../verify/verifier.h"

#define MUST(x) do { if (!(x)) abort(); } while (0)
#define NAR_MAX 4096

/* The key record and what the "DNS" says, for every lookup of this input. */
static const char *key_txt;
static size_t key_len;
static unsigned key_mode;

/* Stand-ins for verify/resolver.c: no network. */
int
resolver_new(const struct resolver_opts *o, struct resolver **out, char *err, size_t errsize)
{
	(void)o;
	(void)out;
	(void)err;
	(void)errsize;
	return -1;
}

void
resolver_lookup(struct resolver *r, struct resolver_query *q, size_t n)
{
	size_t i;

	(void)r;
	for (i = 0; i < n; i++) {
		q[i].txt = NULL;
		q[i].len = 0;
		q[i].dnssec = (int)((key_mode >> 2) % 4);
		q[i].status = (enum resolver_status)(key_mode % 4);
		strcpy(q[i].reason, "fuzz");
		if (q[i].status == RES_FOUND) {
			MUST((q[i].txt = malloc(key_len + 1)) != NULL);
			memcpy(q[i].txt, key_txt, key_len);
			q[i].txt[key_len] = '\0';
			q[i].len = key_len;
		}
	}
}

void
resolver_query_clear(struct resolver_query *q)
{
	free(q->txt);
	q->txt = NULL;
}

/* What the message's A-R fields should come to, found without the verifier. */
struct expect {
	struct verifier *v;
	const struct verify_cfg *vc;
	const char *ours;
	size_t nar, bad;
	unsigned char due[NAR_MAX];	/* 1: must be removed */
};

/* One field into the verifier; an A-R field judged aside. */
static void
feed_field(struct expect *e, const char *name, size_t nlen, const char *value, size_t vlen)
{
	const struct verify_cfg *vc = e->vc;
	int due;
	dbuf id;

	verifier_header(e->v, name, nlen, value, vlen);
	if (!dkim_header_name_is(name, nlen, "Authentication-Results"))
		return;
	MUST(e->nar < NAR_MAX);
	dbuf_init(&id);
	if (authres_parse_id(value, vlen, &id) != 0) {
		due = vc->remove_ar_all;
		e->bad += e->nar < VERIFIER_AR_MAX;
	} else {
		MUST(!dbuf_failed(&id));
		due = vc->remove_ar_all || authres_id_is(id.data, e->ours) ||
		    authres_id_listed(id.data, (const char *const *)vc->remove_ar_from,
		    vc->nremove_ar_from);
	}
	dbuf_free(&id);
	/* Past the fields the verifier keeps, every one goes. */
	e->due[e->nar] = (due || e->nar >= VERIFIER_AR_MAX) && !vc->keep_ar;
	e->nar++;
}

/*
 * The header as the MTA hands it to a milter, any number of fields: the
 * name without the white space before the colon, the value after it with
 * folds as bare LF. A line that is neither a field nor a continuation ends
 * the header, as for the MTA. Returns the offset of the body.
 */
static size_t
feed_header(struct expect *e, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len, *nl, *colon, *q;
	size_t l, fl, nlen;
	dbuf val;

	dbuf_init(&val);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if ((l == 1 && p[0] == '\n') || (l == 2 && p[0] == '\r' && p[1] == '\n')) {
			p += l;
			break;
		}
		colon = memchr(p, ':', l);
		if (colon == NULL || colon == p || p[0] == ' ' || p[0] == '\t')
			break;
		for (fl = l; p + fl < end && (p[fl] == ' ' || p[fl] == '\t'); fl += l) {
			nl = memchr(p + fl, '\n', (size_t)(end - p - fl));
			l = nl ? (size_t)(nl - p - fl) + 1 : (size_t)(end - p - fl);
		}
		dbuf_reset(&val);
		for (q = colon + 1; q < p + fl; q++)
			if (!(*q == '\r' && q + 1 < p + fl && q[1] == '\n'))
				dbuf_addc(&val, *q);
		if (val.len > 0 && val.data[val.len - 1] == '\n')
			val.len--;
		MUST(!dbuf_failed(&val));
		for (nlen = (size_t)(colon - p); nlen > 0 && (p[nlen - 1] == ' ' ||
		    p[nlen - 1] == '\t'); nlen--)
			;
		feed_field(e, p, nlen, val.data, val.len);
		p += fl;
	}
	dbuf_free(&val);
	return (size_t)(p - msg);
}

/* One part of the input, up to the next NUL (or the end). */
static const char *
part(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nul = memchr(s, '\0', (size_t)(end - s));

	*len = nul ? (size_t)(nul - s) : (size_t)(end - s);
	*p = nul ? nul + 1 : end;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *removefrom[] = { "relay.example.net", ".example.org", NULL };
	static struct expect e;
	const char *in = (const char *)data, *end = in + size, *p, *o, *msg;
	char ours[300];
	size_t olen, mlen, body, pos, n, chunk, i, k, prev, removed = 0, bad;
	struct verify_cfg vc;
	struct verdict vd;
	struct verifier *v;
	unsigned f0, f1;
	dbuf id, line;

	if (size < 2)
		return 0;
	f0 = data[0];
	f1 = data[1];
	p = in + 2;
	o = part(&p, end, &olen);
	key_txt = part(&p, end, &key_len);
	msg = p;
	mlen = (size_t)(end - msg);
	key_mode = f1 >> 4;
	/* Our id: from the input (no NUL in it), or the usual one. */
	if (olen == 0 || olen >= sizeof(ours))
		strcpy(ours, "mx.example.org");
	else {
		memcpy(ours, o, olen);
		ours[olen] = '\0';
	}

	memset(&vc, 0, sizeof(vc));
	vc.verify = 1;
	vc.remove_ar_all = f0 & 1;
	vc.keep_ar = (f0 >> 1) & 1;
	vc.always_add_ar = (f0 >> 2) & 1;
	vc.authserv_jobid = (f0 >> 3) & 1;
	if ((f0 >> 4) & 1) {
		vc.remove_ar_from = removefrom;
		vc.nremove_ar_from = 2;
	}
	vc.max_sigs = 1 + ((f0 >> 5) & 3);
	vc.min_key_bits = 1024;
	vc.on_badsig = vc.on_keynotfound = vc.on_nosig = ACTION_ACCEPT;
	vc.on_dnserr = vc.on_security = ACTION_TEMPFAIL;
	vc.bogus = KEYSEC_FAIL;

	MUST(verifier_new(&vc, NULL, &v) == 0);
	memset(&e, 0, sizeof(e));
	e.v = v;
	e.vc = &vc;
	e.ours = ours;
	body = feed_header(&e, msg, mlen);
	verifier_eoh(v);
	if (verifier_idle(v)) {
		/* Let go at the end of the header: nothing was there to remove. */
		MUST(e.nar == 0 && !v->failed);
		verifier_free(v);
		return 0;
	}
	chunk = 1 + (f1 & 15) * 61;
	for (pos = body; pos < mlen; pos += n) {
		n = mlen - pos < chunk ? mlen - pos : chunk;
		verifier_body(v, msg + pos, n);
	}
	verifier_eom(v);

	dbuf_init(&id);
	dbuf_printf(&id, vc.authserv_jobid ? "%s/QFUZZ1" : "%s", ours);
	MUST(!dbuf_failed(&id));
	verdict_make(&vd, v, ours, id.data, "\n\t", (f0 >> 7) & 1, ACTION_REJECT);

	/* The fields removed: exactly those due, highest first, once each. */
	MUST(vd.nar == e.nar);
	prev = e.nar + 1;
	for (k = 0; k < vd.nforged; k++) {
		i = verdict_forged(&vd, k);
		MUST(i >= 1 && i < prev);
		MUST(e.due[i - 1]);
		prev = i;
	}
	for (i = 0; i < e.nar; i++)
		removed += e.due[i];
	MUST(removed == vd.nforged);
	bad = vc.remove_ar_all || vc.keep_ar ? 0 : e.bad;
	MUST(vd.unparsable == bad);

	/* Nothing verified: a result of its own, and the internal action. */
	if (v->failed) {
		MUST(vd.ar_rc == 1 && vd.action == ACTION_REJECT);
		MUST(strstr(vd.ar.data, "dkim=permerror (") != NULL ||
		    strstr(vd.ar.data, "dkim=temperror (") != NULL);
	}
	MUST(vd.ar_rc >= 0);
	if (vd.ar_rc > 0) {
		dbuf line2;

		for (i = 0; i < vd.ar.len; i++)
			MUST((unsigned char)vd.ar.data[i] >= 0x20 || vd.ar.data[i] == '\n' ||
			    vd.ar.data[i] == '\t');
		/*
		 * Our field reads back as ours, so that a copy of it is removed
		 * at the next hop of ours (control bytes are written as '?').
		 */
		dbuf_init(&line2);
		MUST(authres_parse_id(vd.ar.data, vd.ar.len, &line2) == 0);
		for (i = 0; ours[i] != '\0'; i++)
			if ((unsigned char)ours[i] < 0x20 || ours[i] == 0x7f)
				break;
		if (ours[i] == '\0') {
			MUST(strcmp(line2.data, id.data) == 0);
			MUST(authres_id_is(line2.data, ours) == (ours[0] != '/'));
		}
		dbuf_free(&line2);
	}
	dbuf_init(&line);
	verifier_logline(v, vd.nforged, vd.nforged, vd.unparsable, vd.ar_rc, vd.action, vd.what,
	    &line);
	MUST(!dbuf_failed(&line));
	for (i = 0; i < line.len; i++)
		MUST((unsigned char)line.data[i] >= 0x20 && (unsigned char)line.data[i] < 0x7f);
	dbuf_free(&line);
	verdict_free(&vd);
	dbuf_free(&id);
	verifier_free(v);
	return 0;
}
