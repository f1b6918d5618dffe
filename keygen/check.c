/*
 * check.c - dkimgen --check. Every finding is one line starting "ok:",
 * "note:", "warning:" or "error:"; errors make the record unusable (exit 1),
 * warnings do not. The last line says which.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../dkim/taglist.h"
#include "../dkim/verify.h"
#include "check.h"
#include "dnstxt.h"

struct check {
	const struct check_opts *co;
	char name[512];
	const char *prefix;	/* "record 2 of 3: " when there are several */
	int errors;
	int warnings;
};

/* How escaped() shows a backslash. */
enum backslash { BACKSLASH_KEPT, BACKSLASH_ESCAPED };

/*
 * Copy n bytes of s into buf (size > 4): printable ASCII as it is, every
 * other byte as \xNN, so that text from the network can neither start a
 * line of its own ("result: usable") nor reach the terminal as a control
 * sequence. A backslash is kept, or shown as \x5c where a quoted tag must
 * read unambiguously. Stops at the first byte whose \xNN would not fit.
 */
static const char *
escaped(const char *s, size_t n, enum backslash bs, char *buf, size_t size)
{
	size_t i, o = 0;
	unsigned char ch;

	for (i = 0; i < n && o + 5 < size; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f && (ch != '\\' || bs == BACKSLASH_KEPT))
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Print one finding on one line, escaped: its text may carry bytes of the
 * DNS answer (the reasons of dkim/verify.c quote tag values, and a value may
 * hold folding whitespace, CR LF TAB) or of a file name.
 */
__attribute__((format(printf, 3, 4)))
static void
say(struct check *c, const char *kind, const char *fmt, ...)
{
	char line[4096], shown[4 * sizeof(line) + 8];	/* room for every byte as \xNN */
	va_list ap;

	if (strcmp(kind, "error") == 0)
		c->errors++;
	else if (strcmp(kind, "warning") == 0)
		c->warnings++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s: %s%s\n", kind, c->prefix,
	    escaped(line, strlen(line), BACKSLASH_KEPT, shown, sizeof(shown)));
}

static int
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The string (1-based) that byte off of the joined text came from. */
static size_t
string_of(const struct dnstxt_record *r, size_t off)
{
	size_t i;

	for (i = 0; i < r->nstrings; i++)
		if (off < r->ends[i])
			return i + 1;
	return r->nstrings;
}

/*
 * Look at each place two strings meet. DNS glues them with nothing in
 * between (RFC 6376 §3.6.2.2), so a space someone typed at the end of one
 * string or the start of the next lands inside the tag that straddles the
 * join. Between tags, or next to '=' or ';', it is harmless.
 */
static void
check_joins(struct check *c, const struct dnstxt_record *r)
{
	const char *t = r->text.data;
	size_t len = r->text.len, k, off, a, b, ts, te, ns, ne;
	char name[128], show[400];

	for (k = 0; k + 1 < r->nstrings; k++) {
		off = r->ends[k];
		if (!(off > 0 && is_wsp(t[off - 1])) && !(off < len && is_wsp(t[off])))
			continue;
		/* The whitespace run around the join: [a, b). */
		for (a = off; a > 0 && is_wsp(t[a - 1]); a--)
			;
		for (b = off; b < len && is_wsp(t[b]); b++)
			;
		if (a == 0 || b == len || t[a - 1] == ';' || t[a - 1] == '=' ||
		    t[b] == ';' || t[b] == '=')
			continue;
		/* The tag around it: from after the last ';' to the next one. */
		for (ts = a; ts > 0 && t[ts - 1] != ';'; ts--)
			;
		for (te = b; te < len && t[te] != ';'; te++)
			;
		for (ns = ts; ns < a && is_wsp(t[ns]); ns++)
			;
		for (ne = ns; ne < a && t[ne] != '=' && !is_wsp(t[ne]); ne++)
			;
		if (memchr(t + ts, '=', a - ts) == NULL) {
			say(c, "error", "strings %zu and %zu are joined with a space inside the "
			    "tag name '%s': remove the space at the end of string %zu or "
			    "the start of string %zu", k + 1, k + 2,
			    escaped(t + ns, te - ns > 80 ? 80 : te - ns, BACKSLASH_ESCAPED, show,
			    sizeof(show)), k + 1, k + 2);
		} else if (ne - ns == 1 && t[ns] == 'p') {
			say(c, "warning", "strings %zu and %zu are joined with a space inside "
			    "p=: RFC 6376 lets verifiers skip it, but it is usually a typo "
			    "from splitting the key by hand; remove it to be safe",
			    k + 1, k + 2);
		} else if (!(ne - ns == 1 && t[ns] == 'n')) {
			say(c, "error", "strings %zu and %zu are joined with a space inside "
			    "tag '%s=': after joining it reads '%s'. DNS adds nothing "
			    "between strings, so remove the space at the end of string %zu "
			    "or the start of string %zu", k + 1, k + 2,
			    escaped(t + ns, ne - ns, BACKSLASH_ESCAPED, name, sizeof(name)),
			    escaped(t + ns, te - ns > 80 ? 80 : te - ns, BACKSLASH_ESCAPED, show,
			    sizeof(show)), k + 1, k + 2);
		}
	}
}

/* v=DKIM1, when present, must be the very first tag. */
static int
check_version(struct check *c, const struct dnstxt_record *r)
{
	const char *t = r->text.data, *v;
	size_t len = r->text.len, i = 0;

	while (i < len && is_wsp(t[i]))
		i++;
	if (len - i >= 7 && memcmp(t + i, "v=DKIM1", 7) == 0 &&
	    (i + 7 == len || t[i + 7] == ';' || is_wsp(t[i + 7])))
		return 0;
	v = memmem(t, len, "v=DKIM1", 7);
	if (v != NULL) {
		say(c, "error", "\"v=DKIM1\" is not at the start of the record (it is at "
		    "byte %zu, in string %zu of %zu): it must be the first tag. %s",
		    (size_t)(v - t), string_of(r, (size_t)(v - t)), r->nstrings,
		    r->nstrings > 1 ? "The strings are probably in the wrong order." :
		    "Remove what comes before it.");
		return -1;
	}
	if (len - i >= 2 && t[i] == 'v' && (t[i + 1] == '=' || is_wsp(t[i + 1]))) {
		say(c, "error", "the record starts with a v= tag that is not \"v=DKIM1\": "
		    "write exactly v=DKIM1");
		return -1;
	}
	say(c, "note", "the record has no \"v=DKIM1\" tag; that is allowed, but "
	    "starting with \"v=DKIM1; \" is customary and helps checkers");
	return 0;
}

/* Compare the published key with -k and -a. */
static void
check_key(struct check *c, const dkim_key *pub, const dkim_key *priv)
{
	const struct check_opts *co = c->co;

	if (co->alg != DKIM_ALG_ANY && co->alg != dkim_key_alg(pub))
		say(c, "error", "key type mismatch: the record publishes k=%s but -a asks "
		    "for %s", dkim_alg_keytype(dkim_key_alg(pub)), dkim_alg_keytype(co->alg));
	if (priv == NULL)
		return;
	if (dkim_key_alg(pub) != dkim_key_alg(priv)) {
		say(c, "error", "key type mismatch: the record publishes a k=%s key but %s "
		    "is an %s key; publish the record printed by "
		    "'dkimgen --from-key %s -s %s -d %s'",
		    dkim_alg_keytype(dkim_key_alg(pub)), co->keyfile,
		    dkim_alg_keytype(dkim_key_alg(priv)), co->keyfile, co->selector,
		    co->domain);
		return;
	}
	if (dkim_key_same_public(pub, priv))
		say(c, "ok", "the published public key matches %s", co->keyfile);
	else
		say(c, "error", "the published public key does not match %s: signatures "
		    "made with it will fail. Publish the record printed by "
		    "'dkimgen --from-key %s -s %s -d %s', or give the signer the key "
		    "that belongs to this record", co->keyfile, co->keyfile, co->selector,
		    co->domain);
}

/* Judge one TXT record. */
static void
check_record(struct check *c, const struct dnstxt_record *r, const dkim_key *priv)
{
	const char *t = r->text.data;
	size_t len = r->text.len, i, chunk;
	char reason[256], shown[4 * 1024 + 8];	/* 1024 bytes as \xNN */
	dkim_key *pub = NULL;
	dkim_taglist tl;
	dkim_err err;
	int st, testing = 0;

	printf("note: %spublished text, %zu string%s (", c->prefix, r->nstrings,
	    r->nstrings == 1 ? "" : "s");
	for (i = 0; i < r->nstrings; i++)
		printf("%s%zu", i ? "+" : "", r->ends[i] - (i ? r->ends[i - 1] : 0));
	printf(" bytes): ");
	/* DNS data is untrusted: no raw control bytes to the terminal. */
	for (i = 0; i < len; i += chunk) {
		chunk = len - i < 1024 ? len - i : 1024;
		fputs(escaped(t + i, chunk, BACKSLASH_KEPT, shown, sizeof(shown)), stdout);
	}
	putchar('\n');
	if (memchr(t, '"', len) != NULL) {
		say(c, "error", "the record contains double quotes: the quoting of a zone "
		    "file was pasted into a field that wants the bare text. Publish the "
		    "text between the quotes, without them and without the parentheses");
		return;
	}
	check_joins(c, r);
	if (check_version(c, r) != 0)
		return;
	if (dkim_taglist_parse(t, len, &tl, &err) != DKIM_OK) {
		say(c, "error", "tag-list syntax error: %s", err.msg);
		return;
	}
	st = dkim_keyrecord_parse(t, len, DKIM_ALG_ANY, &pub, &testing, reason,
	    sizeof(reason));
	switch (st) {
	case DKIM_V_PASS:
		break;
	case DKIM_V_REVOKED:
		say(c, "error", "the key is revoked (empty p=): every signature with "
		    "selector '%s' fails. If that is not meant, publish the current "
		    "public key (dkimgen --from-key KEYFILE -s %s -d %s prints it)",
		    c->co->selector, c->co->selector, c->co->domain);
		return;
	case DKIM_V_KEYALG:
		say(c, "error", "%s: use k=rsa or k=ed25519", reason);
		return;
	case DKIM_V_KEYHASH:
		say(c, "error", "%s: add sha256 to h= or remove h=", reason);
		return;
	case DKIM_V_KEYSERVICE:
		say(c, "error", "%s: use s=email, or remove s=", reason);
		return;
	default:
		say(c, "error", "the key record is not usable: %s", reason);
		return;
	}
	if (dkim_key_alg(pub) == DKIM_ALG_RSA_SHA256)
		say(c, "ok", "valid key record: k=rsa, %d-bit key", dkim_key_bits(pub));
	else
		say(c, "ok", "valid key record: k=ed25519 (RFC 8463)");
	if (dkim_key_alg(pub) == DKIM_ALG_RSA_SHA256 && dkim_key_bits(pub) < 2048)
		say(c, "warning", "the RSA key has only %d bits: make a new 2048-bit key "
		    "(dkimgen -b 2048) and publish it under a new selector",
		    dkim_key_bits(pub));
	if (testing)
		say(c, "warning", "t=y: the domain says it is testing DKIM, so verifiers "
		    "may treat signed mail like unsigned mail; remove t=y once "
		    "signatures verify");
	check_key(c, pub, priv);
	dkim_key_free(pub);
}

/* Warn about a key file others can read, and load it. */
static dkim_key *
load_private(struct check *c)
{
	const char *path = c->co->keyfile;
	dkim_key *k = NULL;
	struct stat st;
	dkim_err err;

	if (stat(path, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) != 0)
		say(c, "warning", "%s is %s by other users (mode %04o): chmod 600 %s",
		    path, st.st_mode & S_IROTH ? "readable" : "writable",
		    (unsigned)(st.st_mode & 07777), path);
	else if (stat(path, &st) == 0 && (st.st_mode & S_IWGRP) != 0)
		say(c, "warning", "%s is writable by its group (mode %04o): chmod g-w %s",
		    path, (unsigned)(st.st_mode & 07777), path);
	if (dkim_key_load_file(path, &k, &err) != DKIM_OK) {
		say(c, "error", "cannot use the private key: %s", err.msg);
		return NULL;
	}
	return k;
}

/* See check.h. */
int
check_run(const struct check_opts *co)
{
	struct dnstxt_answer *ans;
	struct check c;
	dkim_key *priv = NULL;
	char why[256], prefix[64];
	size_t i;

	memset(&c, 0, sizeof(c));
	c.co = co;
	c.prefix = "";
	snprintf(c.name, sizeof(c.name), "%s._domainkey.%s", co->selector, co->domain);
	if ((ans = malloc(sizeof(*ans))) == NULL) {
		fprintf(stderr, "dkimgen: out of memory\n");
		return 1;
	}
	printf("note: looking up TXT %s (%s)\n", c.name,
	    co->server_name != NULL ? co->server_name : "system resolver");
	/* A key that does not load is an error, but the record is judged anyway. */
	if (co->keyfile != NULL)
		priv = load_private(&c);
	switch (dnstxt_lookup(c.name, co->server, ans, why, sizeof(why))) {
	case DNSTXT_NXDOMAIN:
		say(&c, "error", "no record: %s does not exist (NXDOMAIN). Publish the "
		    "record in SELECTOR.txt in the zone of %s as '%s._domainkey', "
		    "and check the selector and domain spelling", c.name, co->domain,
		    co->selector);
		break;
	case DNSTXT_NODATA:
		say(&c, "error", "no TXT record: %s exists but has no TXT record%s. "
		    "Publish the record in SELECTOR.txt there", c.name,
		    ans->other ? " (it is an alias, a CNAME, to a name without one)" : "");
		break;
	case DNSTXT_FAIL:
		say(&c, "error", "DNS lookup of %s failed: %s", c.name, why);
		break;
	case DNSTXT_FOUND:
		if (ans->total > 1)
			say(&c, "error", "several records: %s has %zu TXT records, and a "
			    "verifier may pick any of them. Keep exactly one DKIM key record "
			    "at this name (remove old keys and anything else)", c.name,
			    ans->total);
		for (i = 0; i < ans->nrec; i++) {
			if (ans->total > 1) {
				snprintf(prefix, sizeof(prefix), "record %zu of %zu: ", i + 1,
				    ans->total);
				c.prefix = prefix;
			}
			check_record(&c, &ans->rec[i], priv);
		}
		c.prefix = "";
		break;
	}
	dnstxt_free(ans);
	free(ans);
	dkim_key_free(priv);
	if (c.errors > 0)
		printf("result: NOT usable: %d error%s, %d warning%s\n", c.errors,
		    c.errors == 1 ? "" : "s", c.warnings, c.warnings == 1 ? "" : "s");
	else
		printf("result: usable%s\n", c.warnings ? ", with warnings" : "");
	fflush(stdout);
	return c.errors > 0 ? 1 : 0;
}
