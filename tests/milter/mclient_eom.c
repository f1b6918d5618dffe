/*
 * mclient_eom.c - end of message: send SMFIC_BODYEOB, read every
 * modification request up to the final reply, and apply them the way
 * Postfix's cleanup(8) does, giving the message Postfix would queue.
 *
 * Header positions are those of the message as the milter saw it (Postfix
 * hides its own Received: header, and adds one to insert indexes for it).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>

#include "mclient_int.h"
#include "mclient_pkt.h"

/* Take a NUL-terminated string at *off of a reply; NULL when unterminated. */
static const char *
take_str(const unsigned char *d, size_t len, size_t *off)
{
	const char *s = (const char *)d + *off;
	size_t n;

	if (*off >= len || (n = strnlen(s, len - *off)) == len - *off)
		return NULL;
	*off += n + 1;
	return s;
}

/* Take a 32-bit index at the start of a reply. */
static int
take_index(const unsigned char *d, size_t len, size_t *off, uint32_t *idx)
{
	uint32_t x;

	if (len < 4)
		return -1;
	memcpy(&x, d, 4);
	*idx = ntohl(x);
	*off = 4;
	return 0;
}

/*
 * Add a field as cleanup(8) does: "name:" then, unless the milter asked for
 * SMFIP_HDR_LEADSPC (and so supplies its own), one space, then the value.
 */
static int
add_field(struct mclient *c, mclient_mail *out, size_t at, const char *name,
    const char *value)
{
	struct pkt p;
	int r;

	pkt_init(&p);
	if (pkt_add(&p, name, strlen(name)) != 0
	    || pkt_add(&p, (c->proto & SMFIP_HDR_LEADSPC) ? ":" : ": ",
	    (c->proto & SMFIP_HDR_LEADSPC) ? 1 : 2) != 0
	    || pkt_add(&p, value, strlen(value)) != 0) {
		pkt_free(&p);
		return -1;
	}
	r = mclient_mail_add(out, at, name, strlen(name), (const char *)p.p, p.len);
	pkt_free(&p);
	return r;
}

/* SMFIR_CHGHEADER: change, delete, or (when absent) add the idx-th field. */
static int
change_field(struct mclient *c, mclient_mail *out, uint32_t idx, const char *name,
    const char *value, mclient_result *res)
{
	size_t i, seen = 0;

	/* Sendmail compatibility: index 0 means the first one. */
	if (idx == 0)
		idx = 1;
	for (i = 0; i < out->nf; i++) {
		if (strcasecmp(out->f[i].name, name) != 0 || ++seen != idx)
			continue;
		mclient_mail_del(out, i);
		if (*value == '\0') {
			res->ndelete++;
			return 0;
		}
		res->nchange++;
		return add_field(c, out, i, name, value);
	}
	if (*value == '\0')
		return 0;
	res->nchange++;
	return add_field(c, out, out->nf, name, value);
}

/* Turn a replacement body into CRLF lines, as cleanup stores and sends it. */
static char *
normalise_body(const unsigned char *b, size_t len, size_t *outlen)
{
	char *o = malloc(len * 2 + 3), *p;
	size_t i = 0;

	if (o == NULL)
		return NULL;
	p = o;
	while (i < len) {
		const unsigned char *nl = memchr(b + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - b) : len, l = end - i;

		if (nl && l > 0 && b[end - 1] == '\r')
			l--;
		memcpy(p, b + i, l);
		p += l;
		*p++ = '\r';
		*p++ = '\n';
		i = nl ? end + 1 : len;
	}
	*outlen = (size_t)(p - o);
	return o;
}

/* One modification request; -1 on a protocol error. */
static int
apply(struct mclient *c, char rc, const unsigned char *d, size_t len,
    mclient_mail *out, struct pkt *rbody, int *replaced, mclient_result *res)
{
	const char *name, *value;
	uint32_t idx = 0;
	size_t off = 0;
	static const struct { char cmd; uint32_t need; } perm[] = {
		{ SMFIR_ADDHEADER, SMFIF_ADDHDRS }, { SMFIR_INSHEADER, SMFIF_ADDHDRS },
		{ SMFIR_CHGHEADER, SMFIF_CHGHDRS }, { SMFIR_REPLBODY, SMFIF_CHGBODY },
		{ SMFIR_ADDRCPT, SMFIF_ADDRCPT }, { SMFIR_ADDRCPT_PAR, SMFIF_ADDRCPT_PAR },
		{ SMFIR_DELRCPT, SMFIF_DELRCPT }, { SMFIR_QUARANTINE, SMFIF_QUARANTINE },
		{ SMFIR_CHGFROM, SMFIF_CHGFROM },
	};
	size_t i;

	for (i = 0; i < sizeof(perm) / sizeof(perm[0]); i++)
		if (perm[i].cmd == rc && !(c->actions & perm[i].need))
			return mc_fail(c, "milter sent '%c' without negotiating action 0x%x",
			    rc, perm[i].need);
	switch (rc) {
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
		if (take_index(d, len, &off, &idx) != 0)
			return mc_fail(c, "truncated '%c' reply", rc);
		/* FALLTHROUGH */
	case SMFIR_ADDHEADER:
		if ((name = take_str(d, len, &off)) == NULL
		    || (value = take_str(d, len, &off)) == NULL || off != len)
			return mc_fail(c, "malformed '%c' reply", rc);
		if (*name == '\0')
			return mc_fail(c, "'%c' reply with an empty header name", rc);
		if (c->trace)
			fprintf(c->trace, "mod: %c %u %s: [%s]\n", rc, idx, name, value);
		if (rc == SMFIR_ADDHEADER) {
			res->nadd++;
			return add_field(c, out, out->nf, name, value);
		}
		if (rc == SMFIR_INSHEADER) {
			res->ninsert++;
			return add_field(c, out, idx, name, value);
		}
		return change_field(c, out, idx, name, value, res);
	case SMFIR_REPLBODY:
		res->nreplbody++;
		*replaced = 1;
		return pkt_add(rbody, d, len);
	case SMFIR_ADDRCPT:
	case SMFIR_ADDRCPT_PAR:
	case SMFIR_DELRCPT:
	case SMFIR_CHGFROM:
		if (take_str(d, len, &off) == NULL)
			return mc_fail(c, "malformed '%c' reply", rc);
		res->nrcptmods++;
		return 0;
	case SMFIR_QUARANTINE:
		if ((name = take_str(d, len, &off)) == NULL)
			return mc_fail(c, "malformed '%c' reply", rc);
		snprintf(res->quarantine, sizeof(res->quarantine), "%s", name);
		return 0;
	}
	return mc_fail(c, "unexpected reply '%c' after end of message", rc);
}

/* End of message: SMFIC_BODYEOB, modifications, final reply, result message. */
int
mclient_eom(struct mclient *c, const mclient_mail *m, mclient_result *res)
{
	mclient_mail out;
	struct pkt rbody;
	int replaced = 0, r = -1;
	size_t i;
	char rc;
	const unsigned char *d;
	size_t len;

	memset(&out, 0, sizeof(out));
	pkt_init(&rbody);
	for (i = 0; i < m->nf; i++)
		if (mclient_mail_add(&out, out.nf, m->f[i].name, m->f[i].nlen,
		    m->f[i].raw, m->f[i].rlen) != 0) {
			mc_fail(c, "out of memory");
			goto done;
		}
	if (mc_send_macros(c, SMFIC_BODYEOB, 5) != 0
	    || mc_send(c, SMFIC_BODYEOB, NULL, 0) != 0)
		goto done;
	res->stage = MC_ST_EOM;
	for (;;) {
		if (mc_recv(c, &rc, &d, &len) != 0)
			goto done;
		if (rc == SMFIR_PROGRESS)
			continue;
		if (strchr("acrtdf4y", rc) != NULL && rc != '\0')
			break;
		c->err[0] = '\0';
		if (apply(c, rc, d, len, &out, &rbody, &replaced, res) != 0) {
			if (c->err[0] == '\0')
				mc_fail(c, "out of memory");
			goto done;
		}
	}
	if (rc == SMFIR_CONTINUE || rc == SMFIR_ACCEPT) {
		if (len != 0) {
			mc_fail(c, "reply '%c' followed by %zu data bytes", rc, len);
			goto done;
		}
		res->verdict = MC_ACCEPT;
	} else if (rc == SMFIR_REPLYCODE) {
		if (len < 5 || d[len - 1] != '\0' || (d[0] != '4' && d[0] != '5')
		    || d[4] != d[0]) {
			mc_fail(c, "malformed SMFIR_REPLYCODE");
			goto done;
		}
		snprintf(res->reply, sizeof(res->reply), "%s", (const char *)d);
		res->verdict = d[0] == '4' ? MC_TEMPFAIL : MC_REJECT;
	} else {
		res->verdict = rc == SMFIR_REJECT ? MC_REJECT : rc == SMFIR_TEMPFAIL
		    ? MC_TEMPFAIL : rc == SMFIR_DISCARD ? MC_DISCARD
		    : rc == SMFIR_SHUTDOWN ? MC_SHUTDOWN : MC_CONNFAIL;
	}
	r = 0;
	if (res->verdict != MC_ACCEPT || c->no_output)
		goto done;
	if (replaced) {
		size_t bl;
		char *nb = normalise_body(rbody.p, rbody.len, &bl);

		if (nb == NULL) {
			r = mc_fail(c, "out of memory");
			goto done;
		}
		res->msg = mclient_mail_render_body(&out, nb, bl, &res->msglen);
		free(nb);
	} else {
		res->msg = mclient_mail_render_body(&out, m->body, m->blen, &res->msglen);
	}
	if (res->msg == NULL)
		r = mc_fail(c, "out of memory");
done:
	pkt_free(&rbody);
	mclient_mail_free(&out);
	return r;
}
