/*
 * check_config.c - postdkim.conf: the five-line OpenDKIM configuration
 * loads unchanged, every keyword parses, errors name file, line and
 * keyword, KeyTable/SigningTable are validated at load and looked up in
 * OpenDKIM's order, dual RSA + Ed25519 signing, and unsafe key files or
 * directories are refused. Keys are made fresh with OpenSSL in a mkdtemp
 * directory.
 */
#include <pwd.h>
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "../../dkim/sign.h"
#include "../../dkim/vmsg.h"
#include "../../config/config.h"
#include "../../config/config_verify.h"
#include "../../milter/reload.h"
#include "testkeys.h"
#include "testmain.h"

static char *rsa_pem, *ed_pem;	/* made once, before the tests fork */
static char errbuf[1024];
static char warnings[8192];

/* Collect warnings so tests can look at them. */
static void
collect(void *arg, const char *msg)
{
	(void)arg;
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

/* Load a configuration text written to tk_dir/name. */
static struct config *
load_as(const char *name, const char *fmt, ...)
{
	char text[8192], path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s", tk_put(name, 0644, "%s", text));
	errbuf[0] = warnings[0] = '\0';
	return config_load(path, collect, NULL, errbuf, sizeof(errbuf));
}

#define load(...) load_as("postdkim.conf", __VA_ARGS__)

/* Assert a load failed with an error containing want. */
#define ck_fails(cfg, want) do { \
	ck_assert_msg((cfg) == NULL, "loaded, expected error '%s'", (want)); \
	ck_assert_msg(strstr(errbuf, (want)) != NULL, "error '%s' lacks '%s'", errbuf, (want)); \
} while (0)

#define ck_loads(cfg) ck_assert_msg((cfg) != NULL, "load failed: %s", errbuf)

/* Ready cfg to run as the daemon does (resolver built, keys warmed); NULL with errbuf. */
static struct runcfg *
prepare(struct config *cfg)
{
	struct runcfg *rc;

	errbuf[0] = '\0';
	if ((rc = reload_prepare(cfg, errbuf, sizeof(errbuf))) == NULL)
		config_free(cfg);
	return rc;
}

/* Keys for the lookups of this test program, as the daemon has one cache. */
static struct keycache *test_keys;
static struct rules_result test_found;

/*
 * The signers the rules find for local@domain (at most max written to out);
 * they stay valid until the next call. A key that cannot be used fails the test.
 */
static size_t
signers(const struct config *cfg, const char *local, const char *domain,
    const dkim_signer **out, size_t max)
{
	size_t i;

	if (test_keys == NULL)
		test_keys = keycache_new(64, NULL, NULL);
	rules_result_free(&test_found);
	rules_lookup(cfg->rules, test_keys, local, domain, &test_found);
	ck_assert_msg(!test_found.failed, "lookup failed: %s", test_found.why);
	for (i = 0; i < test_found.n && i < max; i++)
		out[i] = test_found.signer[i];
	return i;
}

/* Sign a small message with the signers found for local@domain; return signature i. */
static char *
sign_one(const struct config *cfg, const char *local, const char *domain, size_t want_n,
    size_t i)
{
	static const char msg[] = "From: a@example.com\r\nTo: b@example.org\r\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: hi\r\n\r\nbody\r\n";
	const dkim_signer *s[4];
	dkim_msg *m = NULL;
	dkim_err err;
	size_t n = signers(cfg, local, domain, s, 4);
	char *out;

	ck_assert_uint_eq(n, want_n);
	ck_assert_int_eq(dkim_sign_buffer(s, n, 1700000000, msg, sizeof(msg) - 1, &m, &err),
	    DKIM_OK);
	out = strdup(dkim_msg_signature(m, i));
	dkim_msg_free(m);
	return out;
}

/* Write the keys into the private directory. */
static void
put_keys(void)
{
	tk_put("rsa.key", 0600, "%s", rsa_pem);
	tk_put("ed.key", 0600, "%s", ed_pem);
}

START_TEST(five_lines)
{
	struct config *cfg = load(
	    "Domain domain.fr\n"
	    "KeyFile %s/rsa.key\n"
	    "Selector mail\n"
	    "Canonicalization relaxed/simple\n"
	    "Socket local:/var/spool/postfix/var/run/opendkim/opendkim.sock\n", tk_dir);
	const dkim_signer *s[2];
	char *sig;

	ck_loads(cfg);
	ck_assert_str_eq(warnings, "");
	ck_assert_ptr_nonnull(cfg->rules);
	ck_assert_str_eq(cfg->socket, "local:/var/spool/postfix/var/run/opendkim/opendkim.sock");
	ck_assert_uint_eq(signers(cfg, "root", "domain.fr", s, 2), 1);
	ck_assert_str_eq(dkim_signer_domain(s[0]), "domain.fr");
	ck_assert_str_eq(dkim_signer_selector(s[0]), "mail");
	ck_assert_uint_eq(signers(cfg, "root", "DOMAIN.FR", s, 2), 1);
	ck_assert_uint_eq(signers(cfg, "root", "other.fr", s, 2), 0);
	ck_assert_uint_eq(signers(cfg, "root", "sub.domain.fr", s, 2), 0);
	sig = sign_one(cfg, "root", "domain.fr", 1, 0);
	ck_assert_ptr_nonnull(strstr(sig, "c=relaxed/simple"));
	ck_assert_ptr_nonnull(strstr(sig, "a=rsa-sha256"));
	ck_assert_ptr_nonnull(strstr(sig, "d=domain.fr"));
	ck_assert_ptr_nonnull(strstr(sig, "s=mail"));
	free(sig);
	/* The defaults. */
	ck_assert_uint_eq(cfg->umask, 007);
	ck_assert_int_eq(cfg->background, 1);
	ck_assert_int_eq(cfg->syslog, 1);
	ck_assert_int_eq(cfg->syslog_facility, LOG_MAIL);
	ck_assert_int_eq(cfg->require_safe_keys, 1);
	ck_assert_int_eq(cfg->subdomains, 0);
	ck_assert_int_eq(cfg->multiple_signatures, 0);
	ck_assert_int_eq(cfg->on_default, ACTION_ACCEPT);
	ck_assert_int_eq(cfg->on_signature_error, ACTION_ACCEPT);
	ck_assert_int_eq(cfg->on_internal_error, ACTION_ACCEPT);
	ck_assert(cidr_match_str(&cfg->internal_hosts, "127.0.0.1", NULL));
	ck_assert(cidr_match_str(&cfg->internal_hosts, "::1", NULL));
	ck_assert(!cidr_match_str(&cfg->internal_hosts, "192.0.2.1", NULL));
	ck_assert_ptr_null(cfg->user);
	ck_assert_ptr_null(cfg->pidfile);
	config_free(cfg);

	/* Without Socket, the default is in the Postfix chroot. */
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n", tk_dir);
	ck_loads(cfg);
	ck_assert_str_eq(cfg->socket, "local:/var/spool/postfix/var/run/postdkim/postdkim.sock");
	sig = sign_one(cfg, "root", "domain.fr", 1, 0);
	ck_assert_ptr_nonnull(strstr(sig, "c=relaxed/simple"));
	free(sig);
	config_free(cfg);
}
END_TEST

START_TEST(every_keyword)
{
	const char *hosts = tk_put("hosts", 0644, "# internal\n10.0.0.0/8\n!10.9.9.9 # not this\n"
	    "2001:db8::/32\n");
	struct config *cfg = load(
	    "# every keyword postdkim acts on\n"
	    "  domain   a.example, b.example c.example\n"
	    "KEYFILE %s/rsa.key\n"
	    "Selector sel1\n"
	    "Canonicalization simple/relaxed\n"
	    "SignatureAlgorithm rsa-sha256\n"
	    "SubDomains yes\n"
	    "SignHeaders From,To,Subject,Date\n"
	    "OversignHeaders From,Subject\n"
	    "OmitHeaders Date\n"
	    "SignatureTTL 86400\n"
	    "Mode s\n"
	    "InternalHosts file:%s\n"
	    "ExternalIgnoreList 192.0.2.0/24, mx.example.net\n"
	    "MTA ORIGINATING, submission\n"
	    "MacroList daemon_name=ORIGINATING|SMTPS,{auth_type}\n"
	    "Socket inet:8891@127.0.0.1\n"
	    "UMask 0022\n"
	    "UserID nobody:nogroup\n"
	    "PidFile /run/postdkim/postdkim.pid\n"
	    "Background no\n"
	    "Syslog false\n"
	    "SyslogFacility local3\n"
	    "SyslogSuccess yes\n"
	    "LogWhy yes\n"
	    "RequireSafeKeys yes\n"
	    "On-Default tempfail\n"
	    "On-SignatureError reject\n"
	    "On-InternalError accept\n"
	    "MultipleSignatures yes\n", tk_dir, hosts);
	const dkim_signer *s[4];
	char *sig, *h;

	ck_loads(cfg);
	ck_assert_ptr_nonnull(cfg->rules);
	ck_assert_int_eq(cfg->subdomains, 1);
	ck_assert_int_eq(cfg->multiple_signatures, 1);
	ck_assert_uint_eq(signers(cfg, "x", "b.example", s, 4), 1);
	ck_assert_str_eq(dkim_signer_domain(s[0]), "b.example");
	ck_assert_uint_eq(signers(cfg, "x", "deep.sub.c.example", s, 4), 1);
	ck_assert_str_eq(dkim_signer_domain(s[0]), "c.example");
	sig = sign_one(cfg, "x", "a.example", 1, 0);
	ck_assert_ptr_nonnull(strstr(sig, "c=simple/relaxed"));
	ck_assert_ptr_nonnull(strstr(sig, "s=sel1"));
	ck_assert_ptr_nonnull(strstr(sig, "x=1700086400"));
	/* SignHeaders minus OmitHeaders, plus the over-signed names. */
	h = strstr(sig, "h=");
	ck_assert_ptr_nonnull(h);
	h = strndup(h, strcspn(h, ";"));
	ck_assert_msg(strcasestr(h, "to") != NULL && strcasestr(h, "subject") != NULL, "%s", h);
	ck_assert_msg(strcasestr(h, "date") == NULL, "%s", h);
	ck_assert_msg(strcasestr(strcasestr(h, "subject") + 1, "subject") != NULL, "%s", h);
	free(h);
	free(sig);
	ck_assert(cidr_match_str(&cfg->internal_hosts, "10.1.2.3", NULL));
	ck_assert(!cidr_match_str(&cfg->internal_hosts, "10.9.9.9", NULL));
	ck_assert(!cidr_match_str(&cfg->internal_hosts, "127.0.0.1", NULL));
	ck_assert(cidr_match_str(&cfg->internal_hosts, "2001:db8::25", NULL));
	ck_assert(cidr_match_str(&cfg->external_ignore, "192.0.2.77", NULL));
	ck_assert(cidr_match_str(&cfg->external_ignore, "198.51.100.1", "MX.example.net"));
	ck_assert_uint_eq(cfg->nmta, 2);
	ck_assert_str_eq(cfg->mta[0], "ORIGINATING");
	ck_assert_str_eq(cfg->mta[1], "submission");
	ck_assert_uint_eq(cfg->nmacros, 2);
	ck_assert_str_eq(cfg->macros[0].name, "daemon_name");
	ck_assert_uint_eq(cfg->macros[0].nvalues, 2);
	ck_assert_str_eq(cfg->macros[0].values[1], "SMTPS");
	ck_assert_str_eq(cfg->macros[1].name, "{auth_type}");
	ck_assert_uint_eq(cfg->macros[1].nvalues, 0);
	ck_assert_str_eq(cfg->socket, "inet:8891@127.0.0.1");
	ck_assert_uint_eq(cfg->umask, 022);
	ck_assert_str_eq(cfg->user, "nobody");
	ck_assert_str_eq(cfg->group, "nogroup");
	ck_assert_str_eq(cfg->pidfile, "/run/postdkim/postdkim.pid");
	ck_assert_int_eq(cfg->background, 0);
	ck_assert_int_eq(cfg->syslog, 0);
	ck_assert_int_eq(cfg->syslog_facility, LOG_LOCAL3);
	ck_assert_int_eq(cfg->syslog_success, 1);
	ck_assert_int_eq(cfg->log_why, 1);
	ck_assert_int_eq(cfg->on_default, ACTION_TEMPFAIL);
	ck_assert_int_eq(cfg->on_signature_error, ACTION_REJECT);
	ck_assert_int_eq(cfg->on_internal_error, ACTION_ACCEPT);
	ck_assert_str_eq(config_action_name(cfg->on_signature_error), "reject");
	/* On-Default other than accept is worth a warning: it covers our unsignable mail. */
	ck_assert_ptr_nonnull(strstr(warnings, "On-Default tempfail"));
	config_free(cfg);
}
END_TEST

/* The h= list (up to ';') of a signature, lower-cased, with ':' around each name. */
static char *
h_list(const char *sig)
{
	const char *h = strstr(sig, "h=");
	size_t n, i, k = 0;
	char *out;

	ck_assert_ptr_nonnull(h);
	h += 2;
	n = strcspn(h, ";");
	out = malloc(n + 3);
	ck_assert_ptr_nonnull(out);
	out[k++] = ':';
	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)h[i]))
			out[k++] = (char)tolower((unsigned char)h[i]);
	out[k++] = ':';
	out[k] = '\0';
	return out;
}

/* How many times name is in the h= list h (as made by h_list). */
static int
h_count(const char *h, const char *name)
{
	char pat[64];
	int n = 0;

	snprintf(pat, sizeof(pat), ":%s:", name);
	for (h = strstr(h, pat); h != NULL; h = strstr(h + 1, pat))
		n++;
	return n;
}

/* OpenDKIM's "*,+name,-name": the default list changed, not replaced. */
START_TEST(header_list_deltas)
{
	/* Times each name of the test message (and x-extra) is in h=. */
	static const struct {
		const char *lines;
		int from, to, date, subject, extra;
	} c[] = {
		{ "SignHeaders *,-Subject\n", 2, 1, 1, 0, 0 },
		{ "SignHeaders *,+X-Extra\nOversignHeaders *,+X-Extra\n", 2, 1, 1, 1, 1 },
		{ "OversignHeaders *,+Subject\n", 2, 1, 1, 2, 0 },
		{ "OmitHeaders *,+To\n", 2, 0, 1, 1, 0 },
		{ "OmitHeaders *,-Bcc\n", 2, 1, 1, 1, 0 },
	};
	struct config *cfg;
	char *sig, *h;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cfg = load("Domain a.example\nKeyFile %s/rsa.key\nSelector s\n%s", tk_dir, c[i].lines);
		ck_loads(cfg);
		sig = sign_one(cfg, "x", "a.example", 1, 0);
		h = h_list(sig);
		ck_assert_msg(h_count(h, "from") == c[i].from && h_count(h, "to") == c[i].to &&
		    h_count(h, "date") == c[i].date && h_count(h, "subject") == c[i].subject &&
		    h_count(h, "x-extra") == c[i].extra, "%s: h=%s", c[i].lines, h);
		ck_assert_msg(strchr(h, '*') == NULL && strchr(h, '+') == NULL &&
		    strstr(h, ":-") == NULL, "%s: h=%s", c[i].lines, h);
		free(h);
		free(sig);
		config_free(cfg);
	}
}
END_TEST

START_TEST(on_default_blanket)
{
	struct config *cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\n"
	    "On-Default tempfail\nOn-InternalError reject\n", tk_dir);

	ck_loads(cfg);
	ck_assert_int_eq(cfg->on_signature_error, ACTION_TEMPFAIL);
	ck_assert_int_eq(cfg->on_internal_error, ACTION_REJECT);
	config_free(cfg);
}
END_TEST

START_TEST(unknown_keyword)
{
	struct config *cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\n\n# c\nSelectr mail\n",
	    tk_dir);
	char want[600];

	snprintf(want, sizeof(want), "%s/postdkim.conf:5: unknown keyword 'Selectr' "
	    "(did you mean 'Selector'?)", tk_dir);
	ck_fails(cfg, want);
	cfg = load("Domain domain.fr\nFrobnicate yes\n");
	ck_fails(cfg, "postdkim.conf:2: unknown keyword 'Frobnicate'");
	ck_assert_ptr_null(strstr(errbuf, "did you mean"));
}
END_TEST

START_TEST(ignored_keywords)
{
	struct config *cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
	    "AllowSHA1Only yes\nallowsha1only no\nAutoRestart yes\n", tk_dir);
	const char *p;

	ck_loads(cfg);
	p = strstr(warnings, "AllowSHA1Only ignored");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(strstr(p + 1, "AllowSHA1Only ignored"));	/* once */
	ck_assert_ptr_nonnull(strstr(warnings, "postdkim.conf:4: AllowSHA1Only ignored: "
	    "postdkim's verifier does not have this setting"));
	config_free(cfg);
	/* Keywords postdkim's design makes moot: one line for all, naming the first. */
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
	    "AutoRestart yes\nAutoRestartRate 10/1h\nAutoRestartCount 5\nEnableCoredumps yes\n"
	    "DisableCryptoInit no\nTemporaryDirectory /var/tmp\nKeepTemporaryFiles no\n"
	    "MilterDebug 6\nResolverTracing yes\nautorestart no\n", tk_dir);
	ck_loads(cfg);
	ck_assert_ptr_nonnull(p = strstr(warnings, "postdkim.conf:4: AutoRestart, AutoRestartRate, "
	    "AutoRestartCount, EnableCoredumps, DisableCryptoInit, TemporaryDirectory, "
	    "KeepTemporaryFiles, MilterDebug, ResolverTracing: not needed by postdkim, ignored"));
	ck_assert_ptr_null(strchr(p, '\n') ? strstr(strchr(p, '\n'), "AutoRestart") : NULL);
	ck_assert_ptr_null(strstr(warnings, "does not have this feature"));
	ck_assert_ptr_null(strstr(warnings, "does not have this setting"));
	config_free(cfg);
}
END_TEST

/* OpenDKIM settings installers' files use, read with OpenDKIM's meaning. */
START_TEST(opendkim_settings)
{
	struct config *cfg;

	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n", tk_dir);
	ck_loads(cfg);
	ck_assert_ptr_null(cfg->syslog_name);
	ck_assert_int_eq(cfg->remove_old_signatures, 0);
	ck_assert_int_eq(cfg->software_header, 0);
	ck_assert_uint_eq(cfg->peer_list.n, 0);
	ck_assert_ptr_null(cfg->exempt_domains);
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nSyslogName dkim-out\n"
	    "RemoveOldSignatures yes\nSoftwareHeader true\nPeerList 192.0.2.0/24, relay.example\n"
	    "ExemptDomains exempt.example\n", tk_dir);
	ck_loads(cfg);
	ck_assert_str_eq(cfg->syslog_name, "dkim-out");
	ck_assert_int_eq(cfg->remove_old_signatures, 1);
	ck_assert_int_eq(cfg->software_header, 1);
	ck_assert(cidr_match_str(&cfg->peer_list, "192.0.2.9", NULL));
	ck_assert(cidr_match_str(&cfg->peer_list, "198.51.100.1", "Relay.example"));
	ck_assert(!cidr_match_str(&cfg->peer_list, "198.51.100.1", NULL));
	ck_assert_int_eq(dataset_has(cfg->exempt_domains, "exempt.example", errbuf,
	    sizeof(errbuf)), 1);
	ck_assert_int_eq(dataset_has(cfg->exempt_domains, "domain.fr", errbuf, sizeof(errbuf)), 0);
	ck_assert_ptr_null(strstr(warnings, "ignored"));
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nSyslogName a b\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: SyslogName: 'a b': printable characters only");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nPeerList 10.0.0.0/99\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: PeerList: ");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nRemoveOldSignatures 2\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: RemoveOldSignatures: '2' is not yes or no");
	/* DontSignMailTo, SenderHeaders, MaximumHeaders, LogResults. */
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
	    "DontSignMailTo list@example.net, *@lists.example\nSenderHeaders Sender, From\n"
	    "MaximumHeaders 65536\nLogResults yes\n", tk_dir);
	ck_loads(cfg);
	ck_assert_int_eq(dataset_has(cfg->dont_sign_to, "LIST@example.net", errbuf,
	    sizeof(errbuf)), 1);
	ck_assert_int_eq(dataset_has(cfg->dont_sign_to, "bob@example.net", errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_str_eq(cfg->sender_headers[0], "Sender");
	ck_assert_str_eq(cfg->sender_headers[1], "From");
	ck_assert_ptr_null(cfg->sender_headers[2]);
	ck_assert_uint_eq(cfg->max_headers, 65536);
	ck_assert_int_eq(cfg->verify->log_results, 1);
	ck_assert_uint_eq(cfg->verify->clock_drift, 300);	/* OpenDKIM's default */
	ck_assert_ptr_null(strstr(warnings, "ignored"));
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nSenderHeaders Sen:der\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: SenderHeaders: 'Sen:der' is not a header field name");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nClockDrift 60\n", tk_dir);
	ck_loads(cfg);
	ck_assert_uint_eq(cfg->verify->clock_drift, 60);
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nClockDrift -1\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: ClockDrift: '-1' is not a number of seconds");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nMaximumHeaders lots\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: MaximumHeaders: 'lots' is not a number of bytes");
	/* ResolverConfiguration: read at load, checked by libunbound when the resolver is built. */
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
	    "ResolverConfiguration /nonexistent/unbound.conf\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: ResolverConfiguration: /nonexistent/unbound.conf: No such file");
	tk_put("unbound-bad.conf", 0644, "server:\n\tno-such-option: 1\n");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
	    "ResolverConfiguration %s/unbound-bad.conf\n", tk_dir, tk_dir);
	ck_loads(cfg);
	ck_assert_ptr_null(strstr(warnings, "ResolverConfiguration ignored"));
	ck_fails(prepare(cfg), "postdkim.conf:4: ResolverConfiguration: ");
	ck_assert_ptr_nonnull(strstr(errbuf, "unbound-bad.conf: syntax error"));
	tk_put("unbound.conf", 0644, "server:\n\tedns-buffer-size: 1232\n");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
	    "ResolverConfiguration %s/unbound.conf\n", tk_dir, tk_dir);
	ck_loads(cfg);
	ck_assert_str_eq(cfg->verify->resolver_config, tk_at("unbound.conf"));
	{
		struct runcfg *rc = prepare(cfg);

		ck_assert_ptr_nonnull(rc);
		runcfg_free(rc);
	}
}
END_TEST

/* The verification keywords: OpenDKIM's defaults, values, errors at their line. */
START_TEST(verify_keywords)
{
	struct runcfg *rc;
	struct config *cfg;
	const struct verify_cfg *v;

	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n", tk_dir);
	ck_loads(cfg);
	v = cfg->verify;
	ck_assert(v->sign && v->verify);		/* Mode sv by default */
	ck_assert_uint_eq(v->max_sigs, 3);
	ck_assert_int_eq(v->min_key_bits, 1024);
	ck_assert_uint_eq(v->dns_timeout_ms, 5000);
	ck_assert_int_eq(v->on_badsig, ACTION_ACCEPT);
	ck_assert_int_eq(v->on_keynotfound, ACTION_ACCEPT);
	ck_assert_int_eq(v->on_nosig, ACTION_ACCEPT);
	ck_assert_int_eq(v->on_dnserr, ACTION_TEMPFAIL);
	ck_assert_int_eq(v->on_security, ACTION_TEMPFAIL);
	ck_assert_int_eq(v->bogus, KEYSEC_FAIL);
	ck_assert_int_eq(v->unprotected, KEYSEC_NONE);
	ck_assert_ptr_null(v->authserv_id);
	ck_assert_ptr_nonnull(rc = prepare(cfg));
	ck_assert_ptr_nonnull(rc->resolver);
	runcfg_free(rc);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
	    "TrustAnchorFile /usr/share/dns/root.key\nNameservers 127.0.0.1@5353, ::1\n"
	    "On-BadSignature reject\nOn-DNSError accept\nMaximumSignaturesToVerify 5\n"
	    "MinimumKeyBits 2048\nDNSTimeout 2\nAuthservID mx.example.org\n"
	    "AuthservIDWithJobID yes\nAlwaysAddARHeader yes\nRemoveARFrom a.example, .b.example\n"
	    "RemoveARAll no\nBogusKey neutral\nUnprotectedKey fail\nQueryCache yes\n", tk_dir);
	ck_loads(cfg);
	ck_assert_ptr_null(strstr(warnings, "ignored"));
	v = cfg->verify;
	ck_assert_int_eq(v->on_badsig, ACTION_REJECT);
	ck_assert_int_eq(v->on_dnserr, ACTION_ACCEPT);
	ck_assert_uint_eq(v->max_sigs, 5);
	ck_assert_int_eq(v->min_key_bits, 2048);
	ck_assert_uint_eq(v->dns_timeout_ms, 2000);
	ck_assert_str_eq(v->authserv_id, "mx.example.org");
	ck_assert(v->authserv_jobid && v->always_add_ar && !v->remove_ar_all);
	ck_assert_uint_eq(v->nremove_ar_from, 2);
	ck_assert_str_eq(v->remove_ar_from[1], ".b.example");
	ck_assert_uint_eq(v->nnameservers, 2);
	ck_assert_str_eq(v->nameservers[0], "127.0.0.1@5353");
	ck_assert_int_eq(v->bogus, KEYSEC_NEUTRAL);
	ck_assert_int_eq(v->unprotected, KEYSEC_FAIL);
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nTrustAnchorFile /x\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: TrustAnchorFile: /x: No such file");
	/* Nameservers are checked when the resolver is built. */
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nNameservers nowhere\n",
	    tk_dir);
	ck_loads(cfg);
	ck_fails(prepare(cfg), "postdkim.conf:4: Nameservers: Nameservers 'nowhere'");
	/* Verification keywords read their values as the others do (OpenDKIM's forms). */
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nOn-Security discard\n"
	    "On-BadSignature r\nOn-NoSignature Q\nOn-DNSError a\n", tk_dir);
	ck_loads(cfg);
	ck_assert_int_eq(cfg->verify->on_security, ACTION_DISCARD);
	ck_assert_int_eq(cfg->verify->on_badsig, ACTION_REJECT);
	ck_assert_int_eq(cfg->verify->on_nosig, ACTION_QUARANTINE);
	ck_assert_int_eq(cfg->verify->on_dnserr, ACTION_ACCEPT);
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nKeepAuthResults maybe\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: KeepAuthResults: 'maybe' is not yes or no");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nKeyCacheSize 0\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: KeyCacheSize: '0' is not a number of keys from 1 to 10000000");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nMinimumKeyBits 1k\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: MinimumKeyBits: '1k' is not a number");
	/* RFC 8301: a verifier must not accept RSA keys under 1024 bits. */
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nMinimumKeyBits 512\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: MinimumKeyBits: 512 is under 1024: RSA keys that small "
	    "must not pass (RFC 8301)");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nMinimumKeyBits 99999\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: MinimumKeyBits: '99999' is not a number from 1024 to 16384");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nMinimumKeyBits 1024\n",
	    tk_dir);
	ck_loads(cfg);
	config_free(cfg);
	/* Minimum, in OpenDKIM's three forms; unset, any l= passes. */
	{
		static const struct {
			const char *value;
			enum dkim_minbody kind;
			unsigned long long n;
		} mins[] = {
			{ "4096", DKIM_MINBODY_BYTES, 4096 }, { "80%", DKIM_MINBODY_PERCENT, 80 },
			{ "0+", DKIM_MINBODY_APPENDED, 0 }, { "100%", DKIM_MINBODY_PERCENT, 100 },
		};
		size_t i;

		for (i = 0; i < sizeof(mins) / sizeof(mins[0]); i++) {
			cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
			    "Minimum %s\n", tk_dir, mins[i].value);
			ck_loads(cfg);
			ck_assert_int_eq(cfg->verify->min_body_kind, mins[i].kind);
			ck_assert_uint_eq(cfg->verify->min_body, mins[i].n);
			ck_assert_ptr_null(strstr(warnings, "ignored"));
			config_free(cfg);
		}
	}
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n", tk_dir);
	ck_loads(cfg);
	ck_assert_int_eq(cfg->verify->min_body_kind, DKIM_MINBODY_NONE);
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nMinimum 101%%\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Minimum: '101%' is not N (bytes signed), N% (percent of "
	    "the body signed, at most 100) or N+ (bytes left unsigned)");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nMinimum 5x\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Minimum: '5x' is not N");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nMinimum +5\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Minimum: '+5' is not N");
	/* DNSTimeout: 0 is OpenDKIM's "no limit of its own", large values are capped. */
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nDNSTimeout 0\n", tk_dir);
	ck_loads(cfg);
	ck_assert_uint_eq(cfg->verify->dns_timeout_ms, 120000);
	ck_assert_ptr_null(strstr(warnings, "DNSTimeout"));
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nDNSTimeout 60\n", tk_dir);
	ck_loads(cfg);
	ck_assert_uint_eq(cfg->verify->dns_timeout_ms, 60000);
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nDNSTimeout 3600\n",
	    tk_dir);
	ck_loads(cfg);
	ck_assert_uint_eq(cfg->verify->dns_timeout_ms, 120000);
	ck_assert_ptr_nonnull(strstr(warnings, "postdkim.conf:4: DNSTimeout 3600 lowered to 120"));
	config_free(cfg);
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nDNSTimeout -1\n", tk_dir);
	ck_fails(cfg, "DNSTimeout: '-1' is not a number of seconds");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nBogusKey maybe\n", tk_dir);
	ck_fails(cfg, "BogusKey: 'maybe' is not none, neutral or fail");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nAuthservIDs x\n", tk_dir);
	ck_fails(cfg, "did you mean 'AuthservID'?");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\nAuthservID HOSTNAME\n",
	    tk_dir);
	ck_loads(cfg);
	ck_assert_ptr_nonnull(cfg->verify->authserv_id);
	ck_assert_str_ne(cfg->verify->authserv_id, "HOSTNAME");
	config_free(cfg);
}
END_TEST

START_TEST(errors_name_place)
{
	struct config *cfg;

	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nUMask 999\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: UMask: '999' is not an octal mask");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nBackground maybe\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Background: 'maybe' is not yes or no");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSignatureTTL -5\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: SignatureTTL:");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSyslogFacility mial\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: SyslogFacility: unknown facility 'mial'");
	cfg = load("Domain d.example\nKeyFile %s/nonexistent.key\nSelector s\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:2: KeyFile:");
	ck_assert_ptr_nonnull(strstr(errbuf, "nonexistent.key"));
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSelector\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Selector: missing value");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nUserID nosuchuser9\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: UserID: no such user 'nosuchuser9'");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nInternalHosts 10.0.0.300\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: InternalHosts: '10.0.0.300'");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nOmitHeaders Date,From\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: OmitHeaders: From must always be signed");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSignHeaders From,Bad Name:\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: SignHeaders: 'Name:' is not a header field name");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nInternalHosts redis://x/\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: InternalHosts: data set type 'redis:' is not supported");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nLDAPTimeout 0\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: LDAPTimeout: '0' is not a number of seconds from 1 to 300");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nLDAPUseTLS maybe\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: LDAPUseTLS: 'maybe' is not yes or no");
	cfg = load("Domain bad..example\nKeyFile %s/rsa.key\nSelector s\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:1: Domain: 'bad..example' is not a valid domain");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s;x\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:3: Selector: 's;x' is not a valid selector");
	tk_put("domains", 0644, "# signed domains\nd.example\n\ne..example\n");
	cfg = load("Domain file:domains\nKeyFile rsa.key\nSelector s\n");
	ck_fails(cfg, "domains:4: Domain: 'e..example' is not a valid domain");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSocket inet:0@127.0.0.1\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Socket:");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSocket smtp.example\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Socket:");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSocket local:relative\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Socket:");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nDatabaseCacheTTL 1m\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: DatabaseCacheTTL: '1m' is not a number of seconds");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nDatabaseCacheSize 0\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: DatabaseCacheSize: '0' is not a number of answers");
	/* A database back end or DSN that cannot be: said at start, without the password. */
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nKeyTable dsn:oracle://u:"
	    "secret@h/db/table=t?keycol=k?datacol=v\nSigningTable file:%s/rsa.key\n", tk_dir, tk_dir);
	ck_fails(cfg, "postdkim.conf:4: KeyTable: dsn:oracle://u@h/db/table=t?keycol=k?datacol=v: "
	    "unknown back end 'oracle'");
	ck_assert_ptr_null(strstr(errbuf, "secret"));
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nKeyTable dsn:pgsql://u:"
	    "secret@h/db/table=t?keycol=k\nSigningTable file:%s/rsa.key\n", tk_dir, tk_dir);
	ck_fails(cfg, "postdkim.conf:4: KeyTable: dsn: missing datacol=");
	ck_assert_ptr_null(strstr(errbuf, "secret"));
}
END_TEST

/* A database password: redacted in every message, ours or a client library's. */
#define PW "Pa:ss@w0rd"
#define DSN_T "127.0.0.1/db/table=t?keycol=k?datacol=v"
#define SINGLE "Domain d.example\nKeyFile rsa.key\nSelector s\n"

/* Assert that neither the last error nor the warnings show any part of PW. */
#define ck_no_password() do { \
	ck_assert_msg(strstr(errbuf, "w0rd") == NULL && strstr(errbuf, "Pa:ss") == NULL, \
	    "password in error: %s", errbuf); \
	ck_assert_msg(strstr(warnings, "w0rd") == NULL && strstr(warnings, "Pa:ss") == NULL, \
	    "password in warnings: %s", warnings); \
} while (0)

START_TEST(password_never_shown)
{
	static const struct { const char *conf, *want; } typo[] = {
		/* dns:, dsm: for dsn:, in tables, lists and other values. */
		{ "KeyTable dns:pgsql://u:" PW "@" DSN_T "\nSigningTable file:st\n",
		    "postdkim.conf:1: KeyTable: 'dns:pgsql://u:***@127.0.0.1/db/table=t" },
		{ "KeyTable file:kt\nSigningTable dsm:mysql://u:" PW "@3306+" DSN_T "\n",
		    "postdkim.conf:2: SigningTable: 'dsm:mysql://u:***@3306+127.0.0.1/db" },
		{ "Domain dns:pgsql://u:" PW "@" DSN_T "\nKeyFile rsa.key\nSelector s\n",
		    "postdkim.conf:1: Domain: 'dns:pgsql://u:***@127.0.0.1/db/" },
		{ SINGLE "InternalHosts dns:pgsql://u:" PW "@" DSN_T "\n",
		    "postdkim.conf:4: InternalHosts:" },
		{ SINGLE "SignHeaders dns:pgsql://u:" PW "@" DSN_T "\n",
		    "postdkim.conf:4: SignHeaders:" },
		{ SINGLE "dsn:pgsql://u:" PW "@" DSN_T "\n",
		    "postdkim.conf:4: unknown keyword 'dsn:pgsql://u:***@127.0.0.1/db" },
		{ SINGLE "Syslog dsn:pgsql://u:" PW "@" DSN_T "\n",
		    "postdkim.conf:4: Syslog: 'dsn:pgsql://u:***@127.0.0.1" },
		/* A '/' in the password: refused, no part of it shown. */
		{ SINGLE "KeyTable dsn:pgsql://u:Pa:ss/w0rd@127.0.0.1/table=t?keycol=k?datacol=v\n"
		    "SigningTable file:st\n", "postdkim.conf:4: KeyTable: dsn: " },
		{ SINGLE "KeyTable dsn:pgsql://u:Pa@ss/w0rd@127.0.0.1/table=t?keycol=k?datacol=v\n"
		    "SigningTable file:st\n", "postdkim.conf:4: KeyTable: dsn: " },
	};
	char path[512];
	struct config *cfg;
	size_t i;

	tk_put("kt", 0600, "k d.example:s:%s/rsa.key\n", tk_dir);
	tk_put("st", 0644, "d.example k\n");
	for (i = 0; i < sizeof(typo) / sizeof(typo[0]); i++) {
		cfg = load("%s", typo[i].conf);
		ck_fails(cfg, typo[i].want);
		ck_no_password();
	}
	/* The server's refusal (nothing listens on port 1), through -n's checks. */
	cfg = load("KeyTable dsn:pgsql://u:" PW "@1+" DSN_T "\nSigningTable file:st\n");
	ck_fails(cfg, "KeyTable dsn:pgsql://u@1+127.0.0.1/db/table=t?keycol=k?datacol=v: "
	    "PostgreSQL at 127.0.0.1 port 1: cannot connect:");
	ck_no_password();
	cfg = load("KeyTable dsn:mysql://u:" PW "@1+" DSN_T "\nSigningTable file:st\n");
	ck_fails(cfg, "MariaDB at 127.0.0.1 port 1: cannot connect:");
	ck_no_password();

	/* A file holding a password that others can read: a warning naming it. */
	cfg = load_as("db.conf", "KeyTable dsn:pgsql://u:" PW "@" DSN_T "\nSigningTable file:st\n"
	    "UserID %s\n", getpwuid(geteuid())->pw_name);
	snprintf(path, sizeof(path), "%s", tk_at("db.conf"));
	errbuf[0] = warnings[0] = '\0';
	ck_assert_ptr_nonnull(cfg = config_open(path, collect, NULL, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(warnings, "db.conf:1: KeyTable holds a database password, and ") &&
	    strstr(warnings, "db.conf is readable by others (mode 0644): chmod 0640 ") &&
	    strstr(warnings, "and chgrp "), "no warning: %s", warnings);
	ck_no_password();
	config_free(cfg);
	ck_assert_int_eq(chmod(path, 0640), 0);
	warnings[0] = '\0';
	ck_assert_ptr_nonnull(cfg = config_open(path, collect, NULL, errbuf, sizeof(errbuf)));
	ck_assert_str_eq(warnings, "");
	config_free(cfg);
	/* In an included file, that file is named. */
	tk_put("inc.conf", 0604, "SigningTable dsn:pgsql://u:" PW "@" DSN_T "\n");
	tk_put("top.conf", 0600, "KeyTable file:kt\nInclude inc.conf\n");
	warnings[0] = '\0';
	ck_assert_ptr_nonnull(cfg = config_open(tk_at("top.conf"), collect, NULL, errbuf,
	    sizeof(errbuf)));
	ck_assert_msg(strstr(warnings, "inc.conf:1: SigningTable holds a database password") &&
	    strstr(warnings, "inc.conf is readable by others (mode 0604)"), "%s", warnings);
	ck_assert_ptr_null(strstr(warnings, "top.conf"));
	config_free(cfg);
	/* No password, no warning. */
	cfg = load("KeyTable dsn:pgsql://u@" DSN_T "\nSigningTable file:st\n");
	ck_assert_ptr_null(strstr(warnings, "readable by others"));
	config_free(cfg);
}
END_TEST

START_TEST(nothing_to_sign)
{
	struct runcfg *rc;
	struct config *cfg;

	/* No key and Mode sv (the default): a verifier, saying so once. */
	cfg = load("# empty\nCanonicalization relaxed/simple\nOversignHeaders From\n");
	ck_loads(cfg);
	ck_assert_ptr_null(cfg->rules);
	ck_assert_int_eq(cfg->verify->sign, 0);
	ck_assert_int_eq(cfg->verify->verify, 1);
	ck_assert_ptr_nonnull(strstr(warnings, "postdkim.conf: nothing is signed: no Domain, "
	    "KeyFile and Selector, nor KeyTable and SigningTable; verifying only\n"));
	ck_assert_ptr_null(strstr(strstr(warnings, "nothing is signed") + 1, "nothing is signed"));
	ck_assert_uint_eq(signers(cfg, "u", "d.example", NULL, 0), 0);
	ck_assert_ptr_nonnull(rc = prepare(cfg));
	ck_assert_ptr_nonnull(rc->resolver);
	runcfg_free(rc);
	/* Mode v asked for no signing: no warning. */
	cfg = load("Mode v\n");
	ck_loads(cfg);
	ck_assert_ptr_null(cfg->rules);
	ck_assert_str_eq(warnings, "");
	config_free(cfg);
	cfg = load("Mode s\n");
	ck_fails(cfg, "nothing to sign: Domain is not set");
	cfg = load("Domain d.example\n");
	ck_fails(cfg, "nothing to sign: KeyFile is not set");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\n", tk_dir);
	ck_fails(cfg, "nothing to sign: Selector is not set");
	cfg = load("KeyTable %s/kt\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:1: KeyTable: needs a SigningTable");
	cfg = load("SigningTable %s/st\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:1: SigningTable: needs a KeyTable");
	cfg = load_as("missing.conf", "");
	ck_assert_ptr_null(config_load("/nonexistent/postdkim.conf", NULL, NULL, errbuf,
	    sizeof(errbuf)));
	ck_assert_ptr_nonnull(strstr(errbuf, "/nonexistent/postdkim.conf: No such file"));
	config_free(cfg);
}
END_TEST

START_TEST(mode_and_actions)
{
	struct runcfg *rc;
	/* OpenDKIM's values, abbreviations included. */
	static const struct { const char *v; enum config_action a; } forms[] = {
		{ "a", ACTION_ACCEPT }, { "t", ACTION_TEMPFAIL }, { "r", ACTION_REJECT },
		{ "d", ACTION_DISCARD }, { "q", ACTION_QUARANTINE }, { "Discard", ACTION_DISCARD },
		{ "quarantine", ACTION_QUARANTINE }, { "T", ACTION_TEMPFAIL },
	};
	struct config *cfg;
	size_t i;

	static const struct { const char *mode; int sign, verify; } modes[] = {
		{ "s", 1, 0 }, { "v", 0, 1 }, { "sv", 1, 1 }, { "vs", 1, 1 }, { "SV", 1, 1 },
	};

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nMode %s\n", tk_dir,
		    modes[i].mode);
		ck_loads(cfg);
		ck_assert_int_eq(cfg->verify->sign, modes[i].sign);
		ck_assert_int_eq(cfg->verify->verify, modes[i].verify);
		/* Mode s keeps today's signer: no resolver. */
		ck_assert_ptr_nonnull(rc = prepare(cfg));
		ck_assert(modes[i].verify == (rc->resolver != NULL));
		runcfg_free(rc);
	}
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nMode x\n", tk_dir);
	ck_fails(cfg, "Mode: 'x'");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nMode svx\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Mode: 'svx': the modes are s (sign), v (verify)");
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nOn-SignatureError %s\n"
		    "On-KeyError %s\n", tk_dir, forms[i].v, forms[i].v);
		ck_loads(cfg);
		ck_assert_int_eq(cfg->on_signature_error, forms[i].a);
		ck_assert_int_eq(cfg->on_key_error, forms[i].a);
		config_free(cfg);
	}
	ck_assert_str_eq(config_action_name(ACTION_DISCARD), "discard");
	ck_assert_str_eq(config_action_name(ACTION_QUARANTINE), "quarantine");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nOn-InternalError bounce\n",
	    tk_dir);
	ck_fails(cfg, "'bounce' is not accept, tempfail, reject, discard or quarantine");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nOn-InternalError x\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: On-InternalError: 'x' is not accept");
}
END_TEST

START_TEST(canonicalization)
{
	static const struct { const char *in, *out; } c[] = {
		{ "relaxed", "c=relaxed/simple" }, { "simple", "c=simple/simple" },
		{ "Relaxed/Relaxed", "c=relaxed/relaxed" }, { "simple/relaxed", "c=simple/relaxed" },
	};
	struct config *cfg;
	char *sig;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nCanonicalization %s\n",
		    tk_dir, c[i].in);
		ck_loads(cfg);
		sig = sign_one(cfg, "u", "d.example", 1, 0);
		ck_assert_msg(strstr(sig, c[i].out) != NULL, "%s: %s", c[i].in, sig);
		free(sig);
		config_free(cfg);
	}
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nCanonicalization nofws\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: Canonicalization: 'nofws'");
}
END_TEST

START_TEST(signature_algorithm)
{
	struct config *cfg;
	char *sig;

	cfg = load("Domain d.example\nKeyFile %s/ed.key\nSelector s\n"
	    "SignatureAlgorithm ed25519-sha256\n", tk_dir);
	ck_loads(cfg);
	sig = sign_one(cfg, "u", "d.example", 1, 0);
	ck_assert_ptr_nonnull(strstr(sig, "a=ed25519-sha256"));
	free(sig);
	config_free(cfg);
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\n"
	    "SignatureAlgorithm ed25519-sha256\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: SignatureAlgorithm: ed25519-sha256 does not match the "
	    "rsa key");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSignatureAlgorithm rsa-sha1\n",
	    tk_dir);
	ck_fails(cfg, "rsa-sha1 must not be used");
}
END_TEST

START_TEST(include_and_repeat)
{
	const char *inc = tk_put("keys.conf", 0644, "KeyFile %s/rsa.key\nSelector inc\n", tk_dir);
	struct config *cfg = load("Domain d.example\nSelector first\nInclude %s\n", inc);
	char *sig;

	ck_loads(cfg);
	ck_assert_ptr_nonnull(strstr(warnings, "keys.conf:2: Selector repeats"));
	sig = sign_one(cfg, "u", "d.example", 1, 0);
	ck_assert_ptr_nonnull(strstr(sig, "s=inc"));
	free(sig);
	config_free(cfg);
	/* A relative Include is found beside the including file. */
	cfg = load("Domain d.example\nInclude keys.conf\n");
	ck_loads(cfg);
	config_free(cfg);
	/* A loop of Includes stops. */
	inc = tk_put("loop.conf", 0644, "Include %s/loop.conf\n", tk_dir);
	cfg = load("Include %s\n", inc);
	ck_fails(cfg, "Include nested more than");
	/* Errors inside an included file name that file. */
	inc = tk_put("bad.conf", 0644, "\nUMask x\n");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nInclude %s\n", tk_dir, inc);
	ck_fails(cfg, "bad.conf:2: UMask:");
}
END_TEST

START_TEST(tables)
{
	const char *kt = tk_put("key.table", 0644,
	    "# name domain:selector:key\n"
	    "rsa  example.com:rsa2026:%s/rsa.key\n"
	    "ed   example.com:ed2026:%s/ed.key\n"
	    "org  example.org:sel:./rsa.key\n", tk_dir, tk_dir);
	const char *st = tk_put("signing.table", 0644,
	    "alice@example.com  ed\n"
	    "example.com        rsa\n"
	    ".example.org       org\n"
	    "bob@.example.org   org:bob@sub.example.org\n");
	struct config *cfg = load("KeyTable %s\nSigningTable file:%s\nDomain ignored.example\n",
	    kt, st);
	const dkim_signer *s[4];
	char *sig;

	ck_loads(cfg);
	ck_assert_ptr_nonnull(strstr(warnings, "Domain ignored: KeyTable and SigningTable"));
	ck_assert_ptr_nonnull(cfg->rules);
	ck_assert(rules_from_tables(cfg->rules));
	/* Full address first, then the domain. */
	ck_assert_uint_eq(signers(cfg, "alice", "example.com", s, 4), 1);
	ck_assert_str_eq(dkim_signer_selector(s[0]), "ed2026");
	ck_assert_uint_eq(signers(cfg, "carol", "Example.COM", s, 4), 1);
	ck_assert_str_eq(dkim_signer_selector(s[0]), "rsa2026");
	/* .example.org covers subdomains, not example.org itself. */
	ck_assert_uint_eq(signers(cfg, "carol", "example.org", s, 4), 0);
	ck_assert_uint_eq(signers(cfg, "carol", "a.b.example.org", s, 4), 1);
	ck_assert_str_eq(dkim_signer_domain(s[0]), "example.org");
	/* user@.parent comes before .parent: the identity shows which matched. */
	sig = sign_one(cfg, "bob", "sub.example.org", 1, 0);
	ck_assert_ptr_nonnull(strstr(sig, "i=bob@sub.example.org"));
	free(sig);
	ck_assert_uint_eq(signers(cfg, "x", "example.net", s, 4), 0);
	config_free(cfg);
}
END_TEST

START_TEST(tables_subdomains_and_wildcards)
{
	const char *kt = tk_put("kt2", 0644,
	    "k example.com:s:%s/rsa.key\nany example.net:s:%s/rsa.key\n", tk_dir, tk_dir);
	const char *st = tk_put("st2", 0644, "example.com k\n*  any\n");
	struct config *cfg = load("KeyTable file:%s\nSigningTable %s\n", kt, st);
	const dkim_signer *s[4];

	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "u", "sub.example.com", s, 4), 1);
	ck_assert_str_eq(dkim_signer_domain(s[0]), "example.net");	/* only "*" */
	config_free(cfg);
	/*
	 * SubDomains is for Domain only: OpenDKIM (Debian's 2.11) does not
	 * look the bare parent up in a SigningTable, the "*" entry still decides.
	 */
	cfg = load("KeyTable file:%s\nSigningTable %s\nSubDomains yes\n", kt, st);
	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "u", "sub.example.com", s, 4), 1);
	ck_assert_str_eq(dkim_signer_domain(s[0]), "example.net");
	config_free(cfg);
}
END_TEST

START_TEST(tables_errors)
{
	const char *kt = tk_put("kt3", 0644, "k1 example.com:s:%s/rsa.key\n", tk_dir);
	const char *st = tk_put("st3", 0644, "example.com k1\n\nexample.org k2\n");
	struct config *cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	char want[600];
	const dkim_signer *s[4];

	snprintf(want, sizeof(want), "%s:3: SigningTable entry 'example.org' names key 'k2', "
	    "which is not in KeyTable %s", st, kt);
	ck_fails(cfg, want);
	/* A bad KeyTable value. */
	kt = tk_put("kt4", 0644, "k1 example.com:s:%s/rsa.key\nk2 example.com-no-selector\n", tk_dir);
	st = tk_put("st4", 0644, "example.com k1\n");
	cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	ck_fails(cfg, "kt4:2: KeyTable entry 'k2': value must be domain:selector:keyfile");
	/* Repeated names. */
	kt = tk_put("kt5", 0644, "k1 example.com:s:%s/rsa.key\nk1 example.com:t:%s/rsa.key\n", tk_dir,
	    tk_dir);
	cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	ck_fails(cfg, "kt5:2: KeyTable entry 'k1' repeated (first at line 1)");
	/* '%' as the domain: the sender's, filled in per message. */
	kt = tk_put("kt6", 0644, "k1 %%:s:%s/rsa.key\n", tk_dir);
	st = tk_put("st6", 0644, "*@* k1\n");
	cfg = load("KeyTable %s\nSigningTable refile:%s\n", kt, st);
	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "u", "sub.example.org", s, 4), 1);
	ck_assert_str_eq(dkim_signer_domain(s[0]), "sub.example.org");
	config_free(cfg);
	st = tk_put("st4", 0644, "example.com k1\n");
	/* A missing key file, named with the table line. */
	kt = tk_put("kt7", 0644, "k1 example.com:s:%s/gone.key\n", tk_dir);
	cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	ck_fails(cfg, "kt7:1: KeyTable entry 'k1': ");
	ck_assert_ptr_nonnull(strstr(errbuf, "gone.key"));
	/* An identity outside the signing domain. */
	kt = tk_put("kt8", 0644, "k1 example.com:s:%s/rsa.key\n", tk_dir);
	st = tk_put("st8", 0644, "example.com k1:someone@example.org\n");
	cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	ck_fails(cfg, "st8:1: SigningTable entry 'example.com' (key 'k1'");
	/* Tables must be files. */
	cfg = load("KeyTable k1\nSigningTable %s\n", st);
	ck_fails(cfg, "postdkim.conf:1: KeyTable: 'k1' must be a file");
	cfg = load("KeyTable %s/none\nSigningTable %s\n", tk_dir, st);
	ck_fails(cfg, "postdkim.conf:1: KeyTable: ");
	ck_assert_ptr_nonnull(strstr(errbuf, "No such file"));
}
END_TEST

START_TEST(inline_key)
{
	/* A key written in the KeyTable itself, which must then be private. */
	char *seed = tk_private(TK_ED25519_SEED, 0);
	const char *kt, *st = tk_put("st14", 0644, "example.com k\n");
	struct config *cfg;
	char *sig;

	/* A value starting with '/' is a key file's path (as in OpenDKIM): 1 seed in 64. */
	while (seed[0] == '/') {
		free(seed);
		seed = tk_private(TK_ED25519_SEED, 0);
	}
	seed[strcspn(seed, "\n")] = '\0';
	kt = tk_put("kt14", 0600, "k example.com:ed:%s\n", seed);
	cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	ck_loads(cfg);
	sig = sign_one(cfg, "u", "example.com", 1, 0);
	ck_assert_ptr_nonnull(strstr(sig, "a=ed25519-sha256"));
	free(sig);
	config_free(cfg);
	kt = tk_put("kt14", 0644, "k example.com:ed:%s\n", seed);
	cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	ck_fails(cfg, "kt14:1: KeyTable entry 'k' holds a key: ");
	ck_assert_ptr_nonnull(strstr(errbuf, "readable by others"));
	free(seed);
}
END_TEST

START_TEST(identity_percent)
{
	const char *kt = tk_put("kt9", 0644, "k1 example.com:s:%s/rsa.key\n", tk_dir);
	const char *st = tk_put("st9", 0644, "example.com k1:@%%\n");
	struct config *cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	char *sig;

	ck_loads(cfg);
	sig = sign_one(cfg, "u", "example.com", 1, 0);
	ck_assert_ptr_nonnull(strstr(sig, "i=@example.com"));
	free(sig);
	config_free(cfg);
}
END_TEST

START_TEST(refile_globs)
{
	const char *kt = tk_put("kt10", 0644,
	    "news example.com:news:%s/ed.key\n"
	    "main example.com:main:%s/rsa.key\n"
	    "org  example.org:org:%s/rsa.key\n", tk_dir, tk_dir, tk_dir);
	const char *st = tk_put("st10", 0644,
	    "newsletter*@example.com news\n"
	    "*@example.com           main\n"
	    "*@*.example.org         org\n");
	struct config *cfg = load("KeyTable %s\nSigningTable refile:%s\n", kt, st);
	const dkim_signer *s[4];

	ck_loads(cfg);
	ck_assert(rules_from_tables(cfg->rules));
	ck_assert_uint_eq(signers(cfg, "newsletter-2026", "example.com", s, 4), 1);
	ck_assert_str_eq(dkim_signer_selector(s[0]), "news");
	ck_assert_uint_eq(signers(cfg, "alice", "EXAMPLE.com", s, 4), 1);
	ck_assert_str_eq(dkim_signer_selector(s[0]), "main");
	ck_assert_uint_eq(signers(cfg, "alice", "mx.example.org", s, 4), 1);
	ck_assert_uint_eq(signers(cfg, "alice", "example.org", s, 4), 0);
	ck_assert_uint_eq(signers(cfg, "alice", "example.com.evil", s, 4), 0);
	config_free(cfg);
	/* With MultipleSignatures every match applies, in file order. */
	cfg = load("KeyTable %s\nSigningTable refile:%s\nMultipleSignatures yes\n", kt, st);
	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "newsletter", "example.com", s, 4), 2);
	ck_assert_str_eq(dkim_signer_selector(s[0]), "news");
	ck_assert_str_eq(dkim_signer_selector(s[1]), "main");
	config_free(cfg);
	/* KeyTable refile: (Mail-in-a-Box, docker-mailserver) reads as file:. */
	cfg = load("KeyTable refile:%s\nSigningTable refile:%s\n", kt, st);
	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "newsletter-2026", "example.com", s, 4), 1);
	ck_assert_str_eq(dkim_signer_selector(s[0]), "news");
	ck_assert_uint_eq(signers(cfg, "alice", "mx.example.org", s, 4), 1);
	ck_assert_str_eq(dkim_signer_selector(s[0]), "org");
	config_free(cfg);
}
END_TEST

/* Domain and the host lists as refile: data sets, as OpenDKIM takes them. */
START_TEST(refile_domain_hosts)
{
	const char *dom = tk_put("dom-re", 0644, "example.com\n*.example.org\n");
	const char *hosts = tk_put("hosts-re", 0644, "10.0.0.0/8\n*.example.net\n");
	const dkim_signer *s[4];
	struct config *cfg;

	cfg = load("Domain refile:%s\nKeyFile %s/rsa.key\nSelector s\n"
	    "InternalHosts refile:%s\nExternalIgnoreList refile:%s\n", dom, tk_dir, hosts, hosts);
	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "u", "example.com", s, 4), 1);
	ck_assert_uint_eq(signers(cfg, "u", "mx.example.org", s, 4), 1);
	ck_assert_str_eq(dkim_signer_domain(s[0]), "mx.example.org");
	ck_assert_uint_eq(signers(cfg, "u", "example.org", s, 4), 0);
	ck_assert_uint_eq(signers(cfg, "u", "sub.example.com", s, 4), 0);
	ck_assert(cidr_match_str(&cfg->internal_hosts, "10.1.2.3", NULL));
	ck_assert(cidr_match_str(&cfg->internal_hosts, "192.0.2.1", "mx.example.net"));
	ck_assert(!cidr_match_str(&cfg->internal_hosts, "192.0.2.1", "example.net"));
	ck_assert(cidr_match_str(&cfg->external_ignore, "10.0.0.1", NULL));
	config_free(cfg);
	/* '%' and addresses still need KeyTable and SigningTable. */
	dom = tk_put("dom-re2", 0644, "example.com\n*@example.org\n");
	cfg = load("Domain refile:%s\nKeyFile %s/rsa.key\nSelector s\n", dom, tk_dir);
	ck_fails(cfg, "dom-re2:2: Domain: '*@example.org': wildcards, '%' and addresses");
	/* In a plain file, '*' is no pattern. */
	dom = tk_put("dom-re3", 0644, "*.example.org\n");
	cfg = load("Domain %s\nKeyFile %s/rsa.key\nSelector s\n", dom, tk_dir);
	ck_fails(cfg, "dom-re3:1: Domain: '*.example.org': wildcards");
}
END_TEST

START_TEST(dual_signing)
{
	const char *kt = tk_put("kt11", 0644,
	    "rsa example.com:rsa:%s/rsa.key\n"
	    "ed  example.com:ed:%s/ed.key\n"
	    "rsa2 example.net:rsa:%s/rsa.key\n", tk_dir, tk_dir, tk_dir);
	const char *st = tk_put("st11", 0644, "example.com rsa\nexample.com ed\nexample.net rsa2\n");
	struct config *cfg = load("KeyTable %s\nSigningTable %s\nMultipleSignatures yes\n", kt, st);
	const dkim_signer *s[4];
	char *sig;

	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "u", "example.com", s, 4), 2);
	ck_assert_int_eq(dkim_signer_alg(s[0]), DKIM_ALG_RSA_SHA256);
	ck_assert_int_eq(dkim_signer_alg(s[1]), DKIM_ALG_ED25519_SHA256);
	sig = sign_one(cfg, "u", "example.com", 2, 1);
	ck_assert_ptr_nonnull(strstr(sig, "a=ed25519-sha256"));
	free(sig);
	sig = sign_one(cfg, "u", "example.com", 2, 0);
	ck_assert_ptr_nonnull(strstr(sig, "a=rsa-sha256"));
	free(sig);
	/* max is respected. */
	ck_assert_uint_eq(signers(cfg, "u", "example.com", s, 1), 1);
	config_free(cfg);
	/* Without MultipleSignatures the first line wins. */
	cfg = load("KeyTable %s\nSigningTable %s\n", kt, st);
	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "u", "example.com", s, 4), 1);
	ck_assert_int_eq(dkim_signer_alg(s[0]), DKIM_ALG_RSA_SHA256);
	config_free(cfg);
	/* SignatureAlgorithm with a KeyTable: each key decides, with a warning. */
	cfg = load("KeyTable %s\nSigningTable %s\nSignatureAlgorithm rsa-sha256\n", kt, st);
	ck_loads(cfg);
	ck_assert_ptr_nonnull(strstr(warnings, "SignatureAlgorithm ignored with KeyTable"));
	config_free(cfg);
}
END_TEST

START_TEST(unsafe_key_modes)
{
	static const struct { mode_t mode; const char *what; } bad[] = {
		{ 0644, "readable by others (mode 0644); chmod 600 it" },
		{ 0604, "readable by others (mode 0604); chmod 600 it" },
		{ 0602, "writable by others (mode 0602); chmod 600 it" },
		{ 0620, "writable by group (mode 0620); chmod 600 it" },
		{ 0660, "writable by group (mode 0660); chmod 600 it" },
	};
	struct config *cfg;
	const char *key;
	char want[600];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		key = tk_put("loose.key", bad[i].mode, "%s", rsa_pem);
		snprintf(want, sizeof(want), "postdkim.conf:2: KeyFile: %s: %s", key, bad[i].what);
		cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", key);
		ck_fails(cfg, want);
	}
	/* Readable by the run-time group (here ours, without UserID): as installers leave keys. */
	key = tk_put("loose.key", 0640, "%s", rsa_pem);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", key);
	ck_loads(cfg);
	ck_assert_ptr_null(strstr(warnings, "loose.key"));
	config_free(cfg);
	/* ... but not by the group of another run-time user (UserID nobody: nogroup). */
	if (getpwnam("nobody") != NULL && getpwnam("nobody")->pw_gid != getegid()) {
		cfg = load("Domain d.example\nKeyFile %s\nSelector s\nUserID nobody\n", key);
		ck_fails(cfg, "loose.key: readable by group ");
		ck_assert_ptr_nonnull(strstr(errbuf, "(mode 0640), not the run-time group "));
	}
	/* RequireSafeKeys no: a warning, and the key is used. */
	key = tk_put("loose.key", 0644, "%s", rsa_pem);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\nRequireSafeKeys no\n", key);
	ck_loads(cfg);
	ck_assert_ptr_nonnull(strstr(warnings, "readable by others (mode 0644)"));
	ck_assert_ptr_nonnull(cfg->rules);
	config_free(cfg);
	/* A KeyTable key is checked the same way, named with the table line. */
	key = tk_put("loose.key", 0644, "%s", rsa_pem);
	tk_put("kt12", 0644, "k example.com:s:%s\n", key);
	tk_put("st12", 0644, "example.com k\n");
	cfg = load("KeyTable %s/kt12\nSigningTable %s/st12\n", tk_dir, tk_dir);
	ck_fails(cfg, "kt12:1: KeyTable entry 'k': ");
	ck_assert_ptr_nonnull(strstr(errbuf, "readable by others"));
}
END_TEST

START_TEST(unsafe_key_dirs)
{
	struct config *cfg;
	const char *d;
	char want[600], key[512];

	/* The key's own directory writable by others. */
	d = tk_mkdir("open", 0777);
	snprintf(want, sizeof(want), "%s: the key's own directory writable by others (mode 0777)",
	    d);
	snprintf(key, sizeof(key), "%s/k.key", d);
	tk_put("open/k.key", 0600, "%s", rsa_pem);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", key);
	ck_fails(cfg, want);
	/* ... even when sticky. */
	tk_mkdir("open", 01777);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", key);
	ck_fails(cfg, "the key's own directory writable by others (mode 1777)");
	/* Group-writable own directory. */
	tk_mkdir("open", 0770);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", key);
	ck_fails(cfg, "directory writable by group (mode 0770)");

	/* A sticky world-writable directory above a private one is fine (like /tmp). */
	tk_mkdir("sticky", 01777);
	tk_mkdir("sticky/private", 0700);
	tk_put("sticky/private/k.key", 0600, "%s", rsa_pem);
	snprintf(key, sizeof(key), "%s/sticky/private/k.key", tk_dir);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", key);
	ck_loads(cfg);
	config_free(cfg);

	/* A non-sticky world-writable directory above is not. */
	d = tk_mkdir("wide", 0777);
	snprintf(want, sizeof(want), "%s: directory writable by others (mode 0777); chmod go-w it",
	    d);
	tk_mkdir("wide/private", 0700);
	tk_put("wide/private/k.key", 0600, "%s", rsa_pem);
	snprintf(key, sizeof(key), "%s/wide/private/k.key", tk_dir);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", key);
	ck_fails(cfg, want);

	/* A symbolic link in a safe place to a key in an unsafe one. */
	snprintf(want, sizeof(want), "%s/link.key", tk_dir);
	unlink(want);
	ck_assert_int_eq(symlink(key, want), 0);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", want);
	ck_fails(cfg, "/wide: directory writable by others");
}
END_TEST

START_TEST(unsafe_key_owner)
{
	struct passwd *pw = getpwnam("nobody");
	struct config *cfg;
	const char *key;
	char want[600];

	if (geteuid() != 0 || pw == NULL) {
		printf("unsafe_key_owner: skipped, needs root and user nobody to chown\n");
		return;
	}
	key = tk_put("nobody.key", 0600, "%s", rsa_pem);
	ck_assert_int_eq(chown(key, pw->pw_uid, pw->pw_gid), 0);
	snprintf(want, sizeof(want), "%s: owned by uid %lu (nobody), not root or the run-time "
	    "user", key, (unsigned long)pw->pw_uid);
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\n", key);
	ck_fails(cfg, want);
	/* Owned by the run-time user (UserID) is fine. */
	cfg = load("Domain d.example\nKeyFile %s\nSelector s\nUserID nobody\n", key);
	ck_loads(cfg);
	config_free(cfg);
	/* A key directory owned by someone else could have the key replaced. */
	key = tk_mkdir("theirs", 0700);
	ck_assert_int_eq(chown(key, pw->pw_uid, pw->pw_gid), 0);
	tk_put("theirs/k.key", 0600, "%s", rsa_pem);
	cfg = load("Domain d.example\nKeyFile %s/theirs/k.key\nSelector s\n", tk_dir);
	ck_fails(cfg, "/theirs: directory owned by uid");
}
END_TEST

START_TEST(shared_key_loaded_once)
{
	/* The same file through two spellings is one key: signers compare equal keys. */
	const char *kt = tk_put("kt13", 0644,
	    "a example.com:a:%s/rsa.key\nb example.com:b:%s/./rsa.key\n", tk_dir, tk_dir);
	const char *st = tk_put("st13", 0644, "example.com a\nexample.com b\n");
	struct config *cfg = load("KeyTable %s\nSigningTable %s\nMultipleSignatures yes\n", kt, st);
	const dkim_signer *s[4];
	char *s0, *s1;

	ck_loads(cfg);
	ck_assert_uint_eq(signers(cfg, "u", "example.com", s, 4), 2);
	/* RSA PKCS#1 v1.5 is deterministic: same key, same data, same b= apart from s=. */
	s0 = sign_one(cfg, "u", "example.com", 2, 0);
	s1 = sign_one(cfg, "u", "example.com", 2, 1);
	ck_assert_ptr_nonnull(strstr(s0, "s=a"));
	ck_assert_ptr_nonnull(strstr(s1, "s=b"));
	free(s0);
	free(s1);
	config_free(cfg);
}
END_TEST

START_TEST(example_config)
{
	/* contrib/postdkim.conf.example loads with its key path pointed at a real key. */
	FILE *fp = fopen(TEST_SRC_DIR "/../../contrib/postdkim.conf.example", "r");
	char line[1024], text[16384] = "";
	struct config *cfg;
	const dkim_signer *s[2];

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "KeyFile", 7) == 0)
			snprintf(line, sizeof(line), "KeyFile %s/rsa.key\n", tk_dir);
		else if (strncmp(line, "UserID", 6) == 0 && getpwnam("postdkim") == NULL)
			snprintf(line, sizeof(line), "# no user postdkim here\n");
		strncat(text, line, sizeof(text) - strlen(text) - 1);
	}
	fclose(fp);
	cfg = load("%s", text);
	ck_loads(cfg);
	ck_assert_str_eq(warnings, "");
	ck_assert_uint_eq(signers(cfg, "u", "example.com", s, 2), 1);
	ck_assert_str_eq(dkim_signer_selector(s[0]), "mail");
	config_free(cfg);
}
END_TEST

/* MetricsSocket (loopback by default), MetricsDomains, RotateInterval, and their errors. */
START_TEST(monitoring)
{
	struct config *cfg;
	char doms[2048] = "MetricsDomains d0.example";
	int i;

	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nMetricsSocket inet:9469\n"
	    "MetricsDomains Example.COM, example.org\nRotateInterval 90d\n", tk_dir);
	ck_loads(cfg);
	ck_assert_str_eq(cfg->metrics_socket, "inet:9469@127.0.0.1");
	ck_assert_uint_eq(cfg->nmetrics_domains, 2);
	ck_assert_str_eq(cfg->metrics_domains[0], "example.com");
	ck_assert_uint_eq(cfg->rotate_interval, 90UL * 86400);
	config_free(cfg);
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nMetricsSocket inet6:9469\n"
	    "RotateInterval 3600\n", tk_dir);
	ck_loads(cfg);
	ck_assert_str_eq(cfg->metrics_socket, "inet6:9469@::1");
	ck_assert_uint_eq(cfg->rotate_interval, 3600);
	ck_assert_ptr_null(cfg->metrics_domains);
	config_free(cfg);
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nMetricsSocket local:/run/m.sock\n",
	    tk_dir);
	ck_loads(cfg);
	ck_assert_str_eq(cfg->metrics_socket, "local:/run/m.sock");
	config_free(cfg);
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nMetricsSocket bogus:1\n",
	    tk_dir);
	ck_fails(cfg, "postdkim.conf:4: MetricsSocket: ");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nSocket inet:8891@127.0.0.1\n"
	    "MetricsSocket inet:8891\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:5: MetricsSocket: 'inet:8891' is the milter's Socket");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nRotateInterval 3w\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: RotateInterval: '3w' is not a duration");
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\nMetricsDomains a b/c\n", tk_dir);
	ck_fails(cfg, "postdkim.conf:4: MetricsDomains: 'b/c' is not a domain name");
	for (i = 1; i <= 32; i++)
		snprintf(doms + strlen(doms), sizeof(doms) - strlen(doms), ",d%d.example", i);
	cfg = load("Domain d.example\nKeyFile %s/rsa.key\nSelector s\n%s\n", tk_dir, doms);
	ck_fails(cfg, "postdkim.conf:4: MetricsDomains: 33 domains: at most 32");
}
END_TEST

/* Rotate* keywords: the daemon takes them silently; dkimrotate reads them typed. */
START_TEST(rotate_keywords)
{
	struct config *cfg;
	char path[512];

	tk_put("kt", 0644, "k1 example.com:mail:%s/rsa.key\n", tk_dir);
	tk_put("st", 0644, "example.com k1\n");
	cfg = load("Domain domain.fr\nKeyFile %s/rsa.key\nSelector mail\n"
	    "RotatePublish nsupdate:127.0.0.1@5300\nRotateTSIGKey /etc/x.key\n"
	    "RotateRetireAfter bogus\nRotateInterval 180d\nrotaterate 5\n", tk_dir);
	ck_loads(cfg);
	ck_assert_str_eq(warnings, "");
	ck_assert_ptr_null(cfg->rotate);
	config_free(cfg);

	snprintf(path, sizeof(path), "%s", tk_put("r.conf", 0644, "RotateInterval 180d\nRotateRate 5\nRotateRevokeHold 90m\n"
	    "RotateReloadTimeout 30\nRotateVisibleChecks 3\nRotateDelegate dkim.example.net\n"
	    "RotateRetireAfter 2h\n" "KeyTable file:%s/kt\nSigningTable file:%s/st\n",
	    tk_dir, tk_dir));
	errbuf[0] = '\0';
	cfg = config_open_rotate(path, collect, NULL, errbuf, sizeof(errbuf));
	ck_loads(cfg);
	ck_assert_ptr_nonnull(cfg->rotate);
	ck_assert_uint_eq(cfg->rotate->interval, 180 * 86400);
	ck_assert_uint_eq(cfg->rotate->rate, 5);
	ck_assert_uint_eq(cfg->rotate->revoke_hold, 90 * 60);
	ck_assert_uint_eq(cfg->rotate->reload_timeout, 30);
	ck_assert_uint_eq(cfg->rotate->retire_after, 7200);
	ck_assert_uint_eq(cfg->rotate->visible_checks, 3);
	ck_assert_str_eq(cfg->rotate->publish, "manual");
	ck_assert_str_eq(cfg->rotate->reload, "signal");
	ck_assert_str_eq(cfg->rotate->selector_format, "%Y%m%d");
	ck_assert_str_eq(cfg->rotate->state_dir, "/var/lib/postdkim/rotate");
	ck_assert_str_eq(cfg->rotate->delegate, "dkim.example.net");
	config_free(cfg);

	tk_put("r.conf", 0644, "KeyTable file:%s/kt\nSigningTable file:%s/st\n"
	    "RotateRetireAfter 7x\n", tk_dir, tk_dir);
	cfg = config_open_rotate(path, collect, NULL, errbuf, sizeof(errbuf));
	ck_fails(cfg, "r.conf:3: RotateRetireAfter: '7x' is not a duration");
	tk_put("r.conf", 0644, "KeyTable file:%s/kt\nSigningTable file:%s/st\n"
	    "RotatePublish nsupdate:ns1\n", tk_dir, tk_dir);
	cfg = config_open_rotate(path, collect, NULL, errbuf, sizeof(errbuf));
	ck_fails(cfg, "r.conf:3: RotatePublish: nsupdate: needs RotateTSIGKey");
	tk_put("r.conf", 0644, "KeyTable file:%s/kt\nSigningTable file:%s/st\n"
	    "RotatePublish ftp:x\n", tk_dir, tk_dir);
	cfg = config_open_rotate(path, collect, NULL, errbuf, sizeof(errbuf));
	ck_fails(cfg, "r.conf:3: RotatePublish: 'ftp:x' is not manual");
	tk_put("r.conf", 0644, "KeyTable file:%s/kt\nSigningTable file:%s/st\n"
	    "RotateRetireAfter 10s\n", tk_dir, tk_dir);
	cfg = config_open_rotate(path, collect, NULL, errbuf, sizeof(errbuf));
	ck_fails(cfg, "r.conf:3: RotateRetireAfter: '10s' is shorter than DatabaseCacheTTL");
	tk_put("r.conf", 0644, "RotateInterval 1d\n");
	cfg = config_open_rotate(path, collect, NULL, errbuf, sizeof(errbuf));
	ck_fails(cfg, "KeyTable: dkimrotate needs a KeyTable");
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tm_case(s, "config", 30);

	rsa_pem = tk_shared(TK_RSA_PKCS8, 1024);
	ed_pem = tk_shared(TK_ED25519_PKCS8, 0);
	tk_dir_fixture(tc, "postdkim-cfg", 0);
	tcase_add_unchecked_fixture(tc, put_keys, NULL);
	tm_add(tc, opendkim_settings, NULL);
	tm_add(tc, header_list_deltas, NULL);
	tm_add(tc, five_lines, every_keyword, on_default_blanket, unknown_keyword,
	    ignored_keywords, verify_keywords, errors_name_place, password_never_shown,
	    nothing_to_sign,
	    mode_and_actions, canonicalization, signature_algorithm, include_and_repeat, tables,
	    tables_subdomains_and_wildcards, tables_errors, inline_key, identity_percent,
	    refile_globs, refile_domain_hosts, dual_signing, unsafe_key_modes, unsafe_key_dirs, unsafe_key_owner,
	    shared_key_loaded_once, example_config, monitoring, rotate_keywords, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
