/*
 * rotstatus.c - dkimrotate status: one line per domain (domain, selector,
 * algorithm, bits, key age, state, what it waits for), or the same as
 * JSON. Read from the KeyTable and the state files only, streamed, so that
 * 100,000 domains take no memory and little time; the key files are read
 * only for domains dkimrotate has never rotated. No secret is ever shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rotctx.h"

struct status_walk {
	struct rotctx *c;
	struct rotnames names;	/* the domains asked for; none: all */
	int json;
	size_t printed;
};

/* A JSON string (the texts are ours, but a domain name is escaped all the same). */
static void
json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			fprintf(fp, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* An age (not negative) in words: 3d, 5h, 12m. */
static void
age_text(long long s, char *out, size_t size)
{
	if (s >= 86400)
		snprintf(out, size, "%lldd", s / 86400);
	else if (s >= 3600)
		snprintf(out, size, "%lldh", s / 3600);
	else
		snprintf(out, size, "%lldm", s / 60);
}

/* What a domain in state st waits for, worked out from the clock where it can be. */
static void
waiting_for(const struct rotctx *c, const struct rotstate *st, char *out, size_t size)
{
	unsigned need = st->emergency ? 1 : c->rc->visible_checks;

	switch (st->state) {
	case RS_GENERATE:
		snprintf(out, size, "the next run to make key %s", st->new.sel);
		break;
	case RS_PUBLISH:
		snprintf(out, size, "publishing %s%s%s", st->new.sel, st->wait[0] ? ": " : "",
		    st->wait);
		break;
	case RS_VISIBLE:
		if (st->kind == RK_DROP)
			snprintf(out, size, "the next run to take %s out of the tables", st->old.sel);
		else if (st->wait[0] != '\0')
			snprintf(out, size, "%s visible everywhere: %s", st->new.sel, st->wait);
		else
			snprintf(out, size, "%s seen everywhere on %u of %u runs", st->new.sel,
			    st->checks, need);
		break;
	case RS_ACTIVE:
		snprintf(out, size, "postdkim to confirm it loaded the tables naming %s",
		    st->new.sel);
		break;
	case RS_RETIRING:
		snprintf(out, size, "retire time: %s revoked at %lld", st->old.sel, st->emergency ?
		    c->now : st->switched + (long long)c->rc->retire_after);
		break;
	case RS_REVOKED:
		if (st->revoke_seen == 0)
			snprintf(out, size, "every server to answer the revocation of %s%s%s",
			    st->old.sel, st->wait[0] ? ": " : "", st->wait);
		else
			snprintf(out, size, "revocation hold: %s removed at %lld", st->old.sel,
			    st->revoke_seen + (long long)c->rc->revoke_hold);
		break;
	case RS_DELETED:
		snprintf(out, size, "every server to stop answering %s%s%s", st->old.sel,
		    st->wait[0] ? ": " : "", st->wait);
		break;
	default:
		out[0] = '\0';
	}
}

/* Delegated mode: is the customer's CNAME for sel right? */
static void
cname_check(struct rotctx *c, const char *domain, char *out, size_t size)
{
	static const char *const sels[] = { "selector1", "selector2" };
	char name[600], want[600], got[600], why[256];
	struct rotdns *d;
	size_t i, n;

	out[0] = '\0';
	if ((d = rot_dns(c, why, sizeof(why))) == NULL)
		return;
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s._domainkey.%s", sels[i], domain);
		snprintf(want, sizeof(want), "%s.%s.%s", sels[i], domain, c->rc->delegate);
		n = strlen(out);
		if (rotdns_cname(d, name, got, sizeof(got), why, sizeof(why)) < 0)
			snprintf(out + n, size - n, "%sCNAME %.250s missing", n ? "; " : "", name);
		else if (strcasecmp(got, want) != 0)
			snprintf(out + n, size - n, "%sCNAME %.250s points to %.250s, not %.250s", n ? "; " : "",
			    name, got, want);
	}
}

/* One line for entry e. */
static int
status_entry(void *arg, const struct rotentry *e)
{
	struct status_walk *w = arg;
	struct rotctx *c = w->c;
	struct rotstate st;
	struct rotkey k, *kp = &k;	/* the key the table names */
	char wait[1024], age[32], cn[1400];
	long long agesec;
	size_t i;
	int found, sender;

	if (w->names.n > 0 && rotnames_mark(&w->names, e->domain) < 0)
		return 0;
	/* "%": the sender's domain; listed, so that nothing in the KeyTable goes unmentioned. */
	if ((sender = strcmp(e->domain, "%") == 0)) {
		memset(&st, 0, sizeof(st));
		found = 0;
	} else if (!rotstate_domain_ok(e->domain) || (found = rot_entry_state(c, e, &st)) < 0)
		return 0;
	if (found == 0)
		st.state = RS_IDLE;
	rot_entry_key(e, found ? &st : NULL, &k);
	waiting_for(c, &st, wait, sizeof(wait));
	if (sender)
		snprintf(wait, sizeof(wait), "not rotated: entry %.200s signs for each sender's "
		    "own domain (%%), one key for many domains", e->name);
	if (st.state != RS_IDLE && st.kind != RK_ROTATE) {
		char w2[1024];

		snprintf(w2, sizeof(w2), "%s Ed25519 signature: %s", st.kind == RK_ADD ?
		    "adding an" : "removing the", wait);
		memcpy(wait, w2, sizeof(wait));
	}
	if (c->rc->delegate != NULL && !sender) {
		cname_check(c, e->domain, cn, sizeof(cn));
		if (cn[0] != '\0') {
			i = strlen(wait);
			snprintf(wait + i, sizeof(wait) - i, "%s%s", i ? "; " : "", cn);
		}
	}
	/*
	 * A key file newer than the clock (--now in the past, a clock set
	 * back) is no age yet, not a negative one.
	 */
	agesec = kp->created && c->now > kp->created ? c->now - kp->created : 0;
	age_text(agesec, age, sizeof(age));
	if (w->json) {
		fprintf(c->out, "%s{\"domain\":", w->printed ? ",\n" : "[\n");
		json_str(c->out, e->domain);
		fprintf(c->out, ",\"selector\":");
		json_str(c->out, e->selector);
		fprintf(c->out, ",\"algorithm\":");
		json_str(c->out, kp->alg[0] ? kp->alg : "?");
		fprintf(c->out, ",\"bits\":%d,\"age_seconds\":%lld,\"age\":\"%s\",\"state\":\"%s\"",
		    kp->bits, agesec, age, rotstate_name(st.state));
		fprintf(c->out, ",\"new_selector\":");
		/* A dropped second signature has no new key: null, as idle. */
		if (st.state != RS_IDLE && st.state < RS_RETIRING && st.new.sel[0] != '\0')
			json_str(c->out, st.new.sel);
		else
			fputs("null", c->out);
		fprintf(c->out, ",\"kind\":\"%s\",\"emergency\":%s,\"waiting_for\":",
		    st.state == RS_IDLE ? "none" : rotstate_kind_name(st.kind),
		    st.emergency ? "true" : "false");
		if (wait[0] != '\0')
			json_str(c->out, wait);
		else
			fputs("null", c->out);
		fputc('}', c->out);
	} else
		fprintf(c->out, "%s %s %s %d %s %s%s%s\n", e->domain, e->selector,
		    kp->alg[0] ? kp->alg : "?", kp->bits, age, rotstate_name(st.state),
		    wait[0] ? (sender ? " " : " waiting for: ") : "", wait);
	w->printed++;
	return 0;
}

/* dkimrotate status. */
int
rot_status(struct rotctx *c, char **domains, size_t n, int json)
{
	struct status_walk w;
	char err[1024];
	size_t i;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.json = json;
	if (rotnames_init(&w.names, domains, n) < 0) {
		rotnames_free(&w.names);
		fprintf(stderr, "dkimrotate: out of memory\n");
		return 1;
	}
	if (rotkt_walk(&c->kt, status_entry, &w, err, sizeof(err)) < 0) {
		fprintf(stderr, "dkimrotate: %s\n", err);
		rc = 1;
	}
	if (json)
		fputs(w.printed ? "\n]\n" : "[]\n", c->out);
	for (i = 0; i < n; i++)
		if (!w.names.seen[i]) {
			fprintf(stderr, "dkimrotate: %s: not in the KeyTable\n", domains[i]);
			rc = 1;
		}
	rotnames_free(&w.names);
	return rc || c->failed ? 1 : 0;
}
