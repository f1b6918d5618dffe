/*
 * fuzz_session.c - libFuzzer target: the whole message path of the milter.
 * The input is decoded into a sequence of milter events (connection facts
 * and macros, connect, header fields, end of header, body chunks, end of
 * message, abort) that drive milter/session.c the way callbacks.c does,
 * in the order libmilter allows, under two real configurations loaded at
 * start-up from a private directory: KeyTable + SigningTable (file: and
 * refile:) with an RSA key file and an inline Ed25519 key, a missing key,
 * an internationalized domain, MultipleSignatures, SubDomains, MacroList.
 * So From parsing, policy, the rules, the key cache and the signer all
 * see hostile input. New events (verification) are new opcodes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "../../milter/reload.h"
#include "../../milter/session.h"
#include "../../keys/keycache.h"

#define MUST(x) do { if (!(x)) abort(); } while (0)
#define FUZZ_TIME 1700000000
#define NCONF 2

/* A fixed Ed25519 seed (the RFC 8463 Appendix A example key). */
static const char seed_b64[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static struct runcfg run[NCONF];
static int trace;	/* FUZZ_SESSION_TRACE set: print each message's outcome */
static char dir[] = "/tmp/fuzz_session.XXXXXX";

/* Write a file in the private directory, mode 0600. */
static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	MUST((fp = fopen(path, "w")) != NULL);
	fputs(text, fp);
	MUST(fclose(fp) == 0);
	MUST(chmod(path, 0600) == 0);
}

/* An RSA key file (1024 bits: the smallest allowed, the cheapest to sign with). */
static void
put_rsa_key(void)
{
	char path[256];
	EVP_PKEY *pk;
	FILE *fp;

	MUST((pk = EVP_RSA_gen(1024)) != NULL);
	snprintf(path, sizeof(path), "%s/rsa.key", dir);
	MUST((fp = fopen(path, "w")) != NULL);
	MUST(PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL) == 1);
	MUST(fclose(fp) == 0);
	MUST(chmod(path, 0600) == 0);
	EVP_PKEY_free(pk);
}

/* Load configuration i from postdkim.conf text. */
static void
load(int i, const char *name, const char *text)
{
	char path[256], err[1024];
	struct config *cfg;

	put(name, text);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((cfg = config_open(path, NULL, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_session: %s\n", err);
		abort();
	}
	run[i].cfg = cfg;
	MUST((run[i].keys = keycache_new(16, NULL, NULL)) != NULL);
	run[i].refs = 1;
}

/* Remove the private directory when the fuzzer exits. */
static void
cleanup(void)
{
	static const char *const files[] = { "rsa.key", "kt", "st", "re", "a.conf", "b.conf" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* The tables and both configurations, once. */
static void
setup(void)
{
	char text[4096];

	trace = getenv("FUZZ_SESSION_TRACE") != NULL;
	MUST(mkdtemp(dir) != NULL);
	atexit(cleanup);
	put_rsa_key();
	snprintf(text, sizeof(text),
	    "rsa\texample.com:rsa:%s/rsa.key\n"
	    "ed\texample.com:ed:%s\n"
	    "sub\t%%:ed:%s\n"
	    "missing\texample.org:gone:%s/missing.key\n"
	    "idn\tb\xc3\xbc" "cher.example:rsa:%s/rsa.key\n",
	    dir, seed_b64, seed_b64, dir, dir);
	put("kt", text);
	put("st", "example.com\trsa\nexample.com\ted\n.example.net\tsub:@%\n"
	    "example.org\tmissing\nb\xc3\xbc" "cher.example\tidn\nalice@example.net\trsa\n");
	put("re", "*@example.com\trsa\n*@*.example.net\tsub\n*@example.org\tmissing\n"
	    "*@xn--bcher-kva.example\tidn\n");
	snprintf(text, sizeof(text),
	    "KeyTable\tfile:%s/kt\nSigningTable\tfile:%s/st\nSocket\tlocal:%s/s\n"
	    "MultipleSignatures\tyes\nSubDomains\tyes\nMTA\tORIGINATING\n"
	    "MacroList\t{fuzz}=yes\nInternalHosts\t127.0.0.1, ::1, 192.0.2.0/24\n"
	    "Canonicalization\trelaxed/relaxed\nOn-KeyError\taccept\nRequireSafeKeys\tno\n"
	    /*
	     * Signing only: verifying would ask DNS, which a fuzzer must not
	     * wait for; fuzz_vmsg covers the verifier.
	     */
	    "Mode\ts\n", dir, dir, dir);
	load(0, "a.conf", text);
	snprintf(text, sizeof(text),
	    "KeyTable\tfile:%s/kt\nSigningTable\trefile:%s/re\nSocket\tlocal:%s/s\n"
	    "Canonicalization\tsimple/simple\nSignHeaders\tFrom,To,Subject,Date\nRequireSafeKeys\tno\n"
	    "OversignHeaders\tFrom,Subject\nMode\ts\n", dir, dir, dir);
	load(1, "b.conf", text);
}

/* The fuzz input, read front to back. */
struct cursor {
	const uint8_t *p, *end;
};

static unsigned
next_byte(struct cursor *c)
{
	return c->p < c->end ? *c->p++ : 0;
}

/* Up to want bytes of the input. */
static size_t
next_bytes(struct cursor *c, size_t want, const uint8_t **out)
{
	size_t have = (size_t)(c->end - c->p);

	if (want > have)
		want = have;
	*out = c->p;
	c->p += want;
	return want;
}

/* A macro value the policy asks for (MacroList). */
static const char *
macro(void *arg, const char *name)
{
	const unsigned *bits = arg;

	return strcmp(name, "{fuzz}") == 0 && (*bits & 1) ? "yes" : NULL;
}

/* One connection's state, as callbacks.c keeps it. */
struct conn {
	struct session sess;
	struct policy_facts facts;
	unsigned macro_bits;
	int leadspc;
	int in_msg, after_eoh;
};

/* The message is over (EOM, abort, not signed at EOH). */
static void
end_message(struct conn *c)
{
	if (c->in_msg)
		session_reset(&c->sess);
	c->in_msg = c->after_eoh = 0;
}

/* Names most headers use; other names come from the input. */
static const char *const names[] = {
	"From", "Sender", "To", "Subject", "Date", "Message-ID", "DKIM-Signature",
	"Reply-To", "from", "FROM", "Content-Type", "List-Id", "X-Fuzz",
};

/* HEADER: a field, NUL-terminated as libmilter delivers it. */
static void
ev_header(struct conn *c, struct cursor *in)
{
	char name[64], value[65536 + 2];
	const uint8_t *b;
	unsigned k = next_byte(in);
	size_t n, vlen, o = 0;

	if (c->after_eoh)
		return;
	if (k < 0xc0) {
		snprintf(name, sizeof(name), "%s", names[k % (sizeof(names) / sizeof(names[0]))]);
	} else {
		n = next_bytes(in, k & 31, &b);
		memcpy(name, b, n);
		name[n] = '\0';
	}
	vlen = next_byte(in);
	vlen = vlen << 8 | next_byte(in);
	vlen = next_bytes(in, vlen, &b);
	/* Without SMFIP_HDR_LEADSPC callbacks.c puts back the space the MTA took. */
	if (!c->leadspc)
		value[o++] = ' ';
	memcpy(value + o, b, vlen);
	value[o + vlen] = '\0';
	c->in_msg = 1;
	session_header(&c->sess, name, strlen(name), value, strlen(value));
}

/* EOH: the decision; a message not signed ends here. */
static void
ev_eoh(struct conn *c)
{
	if (c->after_eoh)
		return;
	c->in_msg = 1;
	c->after_eoh = 1;
	if (session_eoh(&c->sess, &c->facts, FUZZ_TIME) != SESSION_CONTINUE) {
		if (trace)
			fprintf(stderr, "not signed: %s\n", c->sess.why);
		end_message(c);
	}
}

/* EOM: the signatures, as they would be inserted and logged. */
static void
ev_eom(struct conn *c)
{
	char desc[512], *v;
	size_t i, n;

	if (!c->in_msg)
		return;
	if (!c->after_eoh)
		ev_eoh(c);
	if (c->in_msg && session_eom(&c->sess) == SESSION_SIGNED) {
		n = session_nsignatures(&c->sess);
		MUST(n > 0);
		for (i = 0; i < n; i++) {
			MUST((v = session_signature(&c->sess, i, "\n", c->leadspc)) != NULL);
			MUST(strchr(v, '\r') == NULL);
			free(v);
			session_describe(&c->sess, i, desc, sizeof(desc));
			if (trace)
				fprintf(stderr, "signed %s\n", desc);
		}
	} else if (trace && c->in_msg) {
		fprintf(stderr, "not signed: %s\n", c->sess.why);
	}
	end_message(c);
}

/* CONNECT or new macros: the facts the policy decides on. */
static void
ev_facts(struct conn *c, unsigned k)
{
	static const char *const addrs[] = { "127.0.0.1", "192.0.2.7", "198.51.100.1", "::1",
	    "2001:db8::1", "not an address", NULL, "::ffff:127.0.0.1" };

	c->facts.client_addr = addrs[k & 7];
	c->facts.client_name = (k & 8) ? "localhost" : "mx.example.net";
	c->facts.daemon_name = (k & 16) ? "ORIGINATING" : (k & 32) ? "smtpd" : NULL;
	c->facts.auth_authen = (k & 64) ? "alice" : NULL;
	c->facts.auth_type = (k & 64) ? "PLAIN" : NULL;
	c->macro_bits = k >> 7;
	c->facts.macro = macro;
	c->facts.macro_arg = &c->macro_bits;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct cursor in = { data, data + size };
	struct conn c;
	const uint8_t *b;
	uint8_t big[8192];
	unsigned k;
	size_t n;

	if (!ready) {
		setup();
		ready = 1;
	}
	memset(&c, 0, sizeof(c));
	k = next_byte(&in);
	c.leadspc = k & 1;
	session_init(&c.sess, &run[(k >> 1) % NCONF]);
	ev_facts(&c, next_byte(&in));
	while (in.p < in.end) {
		switch (next_byte(&in) % 8) {
		case 0:	/* CONNECT again on the same connection: new facts */
			end_message(&c);
			ev_facts(&c, next_byte(&in));
			break;
		case 1:	/* macros of MAIL FROM */
			k = next_byte(&in);
			c.facts.auth_authen = (k & 1) ? "bob" : NULL;
			c.macro_bits = k >> 1;
			break;
		case 2:
		case 3:
			ev_header(&c, &in);
			break;
		case 4:
			ev_eoh(&c);
			break;
		case 5:	/* a body chunk, at most what the MTA sends */
			n = next_byte(&in);
			n = n << 8 | next_byte(&in);
			n = next_bytes(&in, n, &b);
			if (c.in_msg)
				session_body(&c.sess, b, n);
			break;
		case 6:	/* a chunk of one repeated byte: big bodies from small inputs */
			k = next_byte(&in);
			n = next_byte(&in) * 32;
			memset(big, (int)k, n);
			if (c.in_msg)
				session_body(&c.sess, big, n);
			break;
		default:
			if (next_byte(&in) & 1)
				ev_eom(&c);
			else
				end_message(&c);	/* ABORT */
			break;
		}
	}
	/* The connection closes. */
	end_message(&c);
	session_reset(&c.sess);
	return 0;
}
