/*
 * offline.c - the -t mode: read a message file, present it to the session
 * the way the MTA presents it to the milter (header fields named without
 * the white space before the colon, the value after the colon and folds as
 * LF, the body as CRLF lines in chunks of at most 65535 bytes), then print
 * what the milter would make of it: the signatures above the original
 * bytes, or, for a verified message, our Authentication-Results field
 * above the original bytes less the forged fields the milter removes.
 * The steps and their order are those of callbacks.c: a message that is
 * verified gets its body and end of message exactly as one that is signed;
 * RemoveOldSignatures and SoftwareHeader change the output as they change
 * what the MTA delivers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "../dkim/dbuf.h"
#include "../dkim/header.h"
#include "../config/config_verify.h"
#include "../verify/verdict.h"
#include "../verify/verifier.h"
#include "offline.h"
#include "session.h"

#define OFFLINE_CHUNK 65535	/* the MTA's largest body chunk */

/*
 * Where the fields of one name (Authentication-Results, DKIM-Signature) are
 * in the input, in order; also used for the fields to leave out.
 */
struct offline_ars {
	size_t *off;		/* start of each field, and its end after it */
	size_t n, cap;
	int failed;
};

/* Read a whole file or stdin into b. */
static int offline_read(const char *file, dbuf *b)
{
	char buf[65536];
	FILE *fp;
	size_t n;
	int ret = 0;

	if (strcmp(file, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(file, "rb")) == NULL) {
		fprintf(stderr, "postdkim: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		dbuf_add(b, buf, n);
	if (ferror(fp)) {
		fprintf(stderr, "postdkim: %s: read error\n", file);
		ret = -1;
	}
	if (fp != stdin)
		fclose(fp);
	if (ret == 0 && dbuf_failed(b)) {
		fprintf(stderr, "postdkim: %s: out of memory\n", file);
		ret = -1;
	}
	return ret;
}

/* Length of the line at p (up to and including its LF), within end. */
static size_t offline_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
}

/* Nonzero when the line at p is empty (LF or CRLF alone). */
static int offline_blank(const char *p, size_t len)
{
	return (len == 1 && p[0] == '\n') || (len == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Note an Authentication-Results field at [start, end) of the input. */
static void offline_note_ar(struct offline_ars *a, size_t start, size_t end)
{
	size_t *n;

	if (a->n + 2 > a->cap) {
		if ((n = realloc(a->off, (a->cap ? a->cap * 2 : 16) * sizeof(*n))) == NULL) {
			a->failed = 1;
			return;
		}
		a->off = n;
		a->cap = a->cap ? a->cap * 2 : 16;
	}
	a->off[a->n++] = start;
	a->off[a->n++] = end;
}

/*
 * Feed the header fields to the session; returns the offset of the body.
 * A line that is neither a field nor a continuation ends the header, as
 * it does for the MTA. The Authentication-Results fields are noted in ars,
 * the DKIM-Signature fields in sigs.
 */
static size_t offline_headers(struct session *s, const char *msg, size_t len, dbuf *val,
    struct offline_ars *ars, struct offline_ars *sigs)
{
	const char *p = msg, *end = msg + len, *colon, *q;
	size_t l, fl, nlen;

	while (p < end) {
		l = offline_line(p, end);
		if (offline_blank(p, l))
			return (size_t)(p + l - msg);
		colon = memchr(p, ':', l);
		if (colon == NULL || colon == p || p[0] == ' ' || p[0] == '\t')
			return (size_t)(p - msg);
		/* The field runs on over continuation lines. */
		fl = l;
		while (p + fl < end && (p[fl] == ' ' || p[fl] == '\t'))
			fl += offline_line(p + fl, end);
		/* The value as a milter sees it: folds as bare LF, no final line end. */
		dbuf_reset(val);
		for (q = colon + 1; q < p + fl; q++) {
			if (*q == '\r' && q + 1 < p + fl && q[1] == '\n')
				continue;
			dbuf_addc(val, *q);
		}
		if (val->len > 0 && val->data[val->len - 1] == '\n')
			val->len--;
		/*
		 * "Subject :" (obsolete syntax): Postfix gives the milter the name
		 * without the white space before the colon, so -t does too.
		 */
		nlen = (size_t)(colon - p);
		while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
			nlen--;
		if (!dbuf_failed(val))
			session_header(s, p, nlen, val->data ? val->data : "", val->len);
		if (dkim_header_name_is(p, nlen, "Authentication-Results"))
			offline_note_ar(ars, (size_t)(p - msg), (size_t)(p + fl - msg));
		else if (dkim_header_name_is(p, nlen, "DKIM-Signature"))
			offline_note_ar(sigs, (size_t)(p - msg), (size_t)(p + fl - msg));
		p += fl;
	}
	return len;
}

/* Feed the body as CRLF lines in MTA-sized chunks. */
static void offline_body(struct session *s, const char *body, size_t len)
{
	char chunk[OFFLINE_CHUNK + 1];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			chunk[n++] = '\r';
		chunk[n++] = body[i];
		if (n >= OFFLINE_CHUNK - 1) {
			session_body(s, chunk, n);
			n = 0;
		}
	}
	/* The MTA ends an unterminated last line. */
	if (len > 0 && body[len - 1] != '\n') {
		chunk[n++] = '\r';
		chunk[n++] = '\n';
	}
	if (n > 0)
		session_body(s, chunk, n);
}

/* Write the message less the fields in skip (in the order of the message). */
static void offline_write(const dbuf *msg, const struct offline_ars *skip, FILE *out)
{
	size_t i, pos = 0;

	for (i = 0; i + 1 < skip->n; i += 2) {
		fwrite(msg->data + pos, 1, skip->off[i] - pos, out);
		pos = skip->off[i + 1];
	}
	if (msg->len > pos)
		fwrite(msg->data + pos, 1, msg->len - pos, out);
}

/*
 * The forged A-R fields, in the order of the message. verdict_forged gives
 * their 1-based numbers highest first, so walking it backwards meets them
 * in order: one pass, whatever the number of fields.
 */
static void offline_forged(const struct offline_ars *ars, const struct verdict *vd,
    struct offline_ars *skip)
{
	size_t i, k = vd->nforged;

	for (i = 0; i < ars->n / 2 && k > 0; i++) {
		if (verdict_forged(vd, k - 1) != i + 1)
			continue;
		k--;
		offline_note_ar(skip, ars->off[2 * i], ars->off[2 * i + 1]);
	}
}

/* SoftwareHeader: the DKIM-Filter field the milter puts at the top. */
static void offline_software(const struct session *s, const char *eol, FILE *out)
{
	char host[256], v[600];

	if (!s->rc->cfg->software_header)
		return;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	session_filter_value(v, sizeof(v), host, "NOQUEUE", 1);
	fprintf(out, "DKIM-Filter:%s%s", v, eol);
}

/*
 * A verified message: the A-R field the milter would add, then the message
 * less the forged A-R fields it would remove; the results and the action
 * on stderr.
 */
static int offline_verified(const struct session *s, const char *eol, const dbuf *msg,
    const struct offline_ars *ars, FILE *out)
{
	const struct verify_cfg *vc = s->rc->cfg->verify;
	struct offline_ars skip = { NULL, 0, 0, 0 };
	char host[256], fold[8];
	const char *ours;
	struct verdict vd;
	dbuf id, line;
	int rc;

	if (vc->authserv_id == NULL && gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	ours = vc->authserv_id ? vc->authserv_id : host;
	snprintf(fold, sizeof(fold), "%s\t", eol);
	dbuf_init(&id);
	dbuf_init(&line);
	/* The milter's id when the MTA gives no queue id (there is none here). */
	if (vc->authserv_jobid)
		dbuf_printf(&id, "%s/NOQUEUE", ours);
	else
		dbuf_adds(&id, ours);
	verdict_make(&vd, s->ver, ours, dbuf_failed(&id) ? NULL : id.data, fold, 0,
	    s->rc->cfg->on_internal_error);
	verifier_describe(s->ver, &line);
	fprintf(stderr, "postdkim: not signed: %s\n", s->why);
	fprintf(stderr, "postdkim: verified: %s (%s: action %s)\n",
	    dbuf_failed(&line) ? "(out of memory)" : line.data, vd.what,
	    config_action_name(vd.action));
	if (vd.nforged > 0 || vd.unparsable > 0)
		fprintf(stderr, "postdkim: removed %zu forged Authentication-Results "
		    "field(s); %zu unparsable left\n", vd.nforged, vd.unparsable);
	offline_forged(ars, &vd, &skip);
	rc = vd.ar_rc < 0 || ars->failed || skip.failed ? -1 : 0;
	if (rc == 0) {
		offline_software(s, eol, out);
		if (vd.ar_rc > 0)
			fprintf(out, "Authentication-Results: %s%s", vd.ar.data, eol);
		offline_write(msg, &skip, out);
	}
	free(skip.off);
	verdict_free(&vd);
	dbuf_free(&id);
	dbuf_free(&line);
	if (rc < 0) {
		fprintf(stderr, "postdkim: out of memory\n");
		return 3;
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : 3;
}

/* Sign a file as the milter would and print it. */
int offline_sign(const struct runcfg *rc, const char *file,
    const struct offline_opts *o, FILE *out)
{
	struct offline_ars ars = { NULL, 0, 0, 0 }, sigs = { NULL, 0, 0, 0 }, keep = sigs;
	struct policy_facts f;
	struct session s;
	const char *nl, *eol;
	dbuf msg, val;
	size_t body, i, n;
	int ret = 3;
	char *sig;

	dbuf_init(&msg);
	dbuf_init(&val);
	session_init(&s, rc);
	if (offline_read(file, &msg) != 0)
		goto out;
	/* Keep the input's line ending for what we add. */
	nl = msg.len > 0 ? memchr(msg.data, '\n', msg.len) : NULL;
	eol = nl != NULL && nl > msg.data && nl[-1] == '\r' ? "\r\n" : "\n";

	body = offline_headers(&s, msg.data ? msg.data : "", msg.len, &val, &ars, &sigs);
	memset(&f, 0, sizeof(f));
	f.client_addr = o->client_addr ? o->client_addr : "127.0.0.1";
	f.client_name = o->client_name ? o->client_name : "localhost";
	f.daemon_name = o->daemon_name;
	f.auth_authen = o->auth_user;
	f.auth_type = o->auth_user ? "PLAIN" : NULL;
	/* As cb_eoh: the body goes on to be signed or to be verified. */
	switch (session_eoh(&s, &f, o->when ? o->when : time(NULL))) {
	case SESSION_CONTINUE:
	case SESSION_VERIFY:
		offline_body(&s, msg.data + body, msg.len - body);
		session_eom(&s);
		break;
	default:
		break;
	}
	if (s.verdict == SESSION_VERIFY) {
		ret = offline_verified(&s, eol, &msg, &ars, out);
		goto out;
	}
	if (s.verdict == SESSION_SKIP && s.action == ACTION_ACCEPT) {
		fprintf(stderr, "postdkim: not signed: %s\n", s.why);
		ret = 0;
	} else if (s.verdict != SESSION_SIGNED) {
		fprintf(stderr, "postdkim: not signed: %s (action %s)\n", s.why,
		    config_action_name(s.action));
		goto out;
	}
	if (sigs.failed) {
		fprintf(stderr, "postdkim: out of memory\n");
		goto out;
	}
	if (s.verdict == SESSION_SIGNED)
		offline_software(&s, eol, out);
	n = session_nsignatures(&s);
	for (i = 0; i < n; i++) {
		/* The same value the milter inserts when SMFIP_HDR_LEADSPC is on. */
		if ((sig = session_signature(&s, i, eol, 1)) == NULL) {
			fprintf(stderr, "postdkim: out of memory\n");
			goto out;
		}
		fprintf(out, "DKIM-Signature:%s%s", sig, eol);
		free(sig);
	}
	/* RemoveOldSignatures: the message's own signatures go when it is signed. */
	offline_write(&msg, s.verdict == SESSION_SIGNED && rc->cfg->remove_old_signatures ?
	    &sigs : &keep, out);
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "postdkim: write error: %s\n", strerror(errno));
		ret = 3;
		goto out;
	}
	ret = 0;
out:
	free(ars.off);
	free(sigs.off);
	session_reset(&s);
	dbuf_free(&msg);
	dbuf_free(&val);
	return ret;
}
