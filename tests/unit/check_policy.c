/*
 * check_policy.c - whose mail is signed (authentication, InternalHosts with
 * IPv4/IPv6/mapped clients and Postfix's local submission path, MTA daemon
 * names, MacroList) and the From address: display names, comments, quoted
 * strings, obsolete forms, UTF-8, several mailboxes, and the malformed cases
 * that must be refused with a reason.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../milter/policy.h"
#include "../../milter/from.h"
#include "testmain.h"

/* Parse a From value; returns the status and fills local/domain/why. */
static int
from(const char *value, char *local, char *domain, const char **why)
{
	*why = NULL;
	local[0] = domain[0] = '\0';
	return from_address(value, strlen(value), local, 256, domain, 256, why);
}

START_TEST(from_good)
{
	static const struct { const char *in, *local, *domain; } c[] = {
		{ "user@example.com", "user", "example.com" },
		{ " user@Example.COM", "user", "example.com" },
		{ "John Doe <john@example.com>", "john", "example.com" },
		{ "\"Doe, John\" <john@example.com>", "john", "example.com" },
		{ "\"Doe, John <x@y>\" <john@example.com>", "john", "example.com" },
		{ "john@example.com (John Doe)", "john", "example.com" },
		{ "(comment (nested) here) john@example.com", "john", "example.com" },
		{ "John (the \\) man) <john@example.com> (trailing)", "john", "example.com" },
		{ "<john@example.com>", "john", "example.com" },
		{ "\"john doe\"@example.com", "\"john doe\"", "example.com" },
		{ "Jo <\"odd@local\"@example.com>", "\"odd@local\"", "example.com" },
		{ "first.last@sub.example.com", "first.last", "sub.example.com" },
		{ "Joe\n\t<joe@example.com>", "joe", "example.com" },	/* folded, as milters see it */
		{ "Joe\r\n <joe@example.com>", "joe", "example.com" },
		/* obs-local-part and obs-domain: CFWS around dots. */
		{ "first . last @ example . com", "first.last", "example.com" },
		/* obs-route. */
		{ "<@relay.example,@relay2.example:joe@example.com>", "joe", "example.com" },
		/* obs-mbox-list: empty elements. */
		{ ", joe@example.com ,", "joe", "example.com" },
		/* UTF-8 (RFC 6532). */
		{ "Jos\xc3\xa9 <jos\xc3\xa9@exampl\xc3\xa9.fr>", "jos\xc3\xa9", "exampl\xc3\xa9.fr" },
		{ "=?UTF-8?B?Sm9zw6k=?= <j@example.fr>", "j", "example.fr" },
		{ "a+tag@example.com", "a+tag", "example.com" },
		{ "joe@[192.0.2.1]", "joe", "[192.0.2.1]" },
	};
	char local[256], domain[256];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_msg(from(c[i].in, local, domain, &why) == 0, "'%s': %s", c[i].in,
		    why ? why : "?");
		ck_assert_msg(strcmp(local, c[i].local) == 0, "'%s': local '%s'", c[i].in, local);
		ck_assert_msg(strcmp(domain, c[i].domain) == 0, "'%s': domain '%s'", c[i].in,
		    domain);
	}
}
END_TEST

START_TEST(from_bad)
{
	static const struct { const char *in, *why; } c[] = {
		{ "a@example.com, b@example.com", "From has 2 mailboxes" },
		{ "A <a@example.com>, B <b@example.org>", "From has 2 mailboxes" },
		{ "a@x.example, b@x.example, c@x.example", "From has more than 2 mailboxes" },
		{ "", "From has no address" },
		{ "   ", "From has no address" },
		{ "(just a comment)", "From has no address" },
		{ "<>", "From has no address" },
		{ "John Doe", "From has no address" },
		{ "root", "From address has no domain" },
		{ "undisclosed-recipients:;", "group syntax" },
		{ "Team: a@example.com, b@example.com;", "group syntax" },
		{ "John <john@example.com", "'<' without '>'" },
		{ "\"unterminated <a@example.com>", "unterminated quoted string" },
		{ "(unterminated a@example.com", "unterminated comment" },
		{ "a@", "empty domain" },
		{ "@example.com", "empty local part" },
		{ "a@example.com <b@example.com>", "outside '<...>'" },
		{ "<a@example.com> b@example.com", "outside '<...>'" },
		{ "\"a@example.com\" <b@example.com> x", "text after '>'" },
		{ "a@example.com junk", "text after" },
		{ "a@example..com", "empty domain" },
		{ "a@[192.0.2.1", "unterminated domain literal" },
		{ "a@[x\n y]", "control character in a domain literal" },
		{ "B <b@[\r\n\tforged: line]>", "control character in a domain literal" },
	};
	char local[256], domain[256];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_msg(from(c[i].in, local, domain, &why) < 0, "'%s' accepted: %s@%s",
		    c[i].in, local, domain);
		ck_assert_msg(why != NULL && strstr(why, c[i].why) != NULL, "'%s': '%s', want '%s'",
		    c[i].in, why ? why : "(null)", c[i].why);
	}
}
END_TEST

START_TEST(from_bounds)
{
	char big[2048], local[16], domain[16];
	const char *why;
	size_t i;
	int depth;

	/* Output buffers too small: refused, never overrun. */
	ck_assert_int_lt(from_address("averyverylonglocalpart@example.com", 34, local,
	    sizeof(local), domain, sizeof(domain), &why), 0);
	ck_assert_str_eq(why, "From address too long");
	ck_assert_int_lt(from_address("a@averyverylongdomain.example", 29, local,
	    sizeof(local), domain, sizeof(domain), &why), 0);
	/* Only len bytes are read: the value need not be NUL-terminated. */
	memcpy(big, "a@example.comXXXX", 17);
	ck_assert_int_eq(from_address(big, 13, local, sizeof(local), domain,
	    sizeof(domain), &why), 0);
	ck_assert_str_eq(domain, "example.com");
	/* Deeply nested comments are refused, not recursed into. */
	for (i = 0, depth = 0; depth < 1000 && i + 2 < sizeof(big); depth++)
		big[i++] = '(';
	big[i] = '\0';
	ck_assert_int_lt(from_address(big, strlen(big), local, sizeof(local), domain,
	    sizeof(domain), &why), 0);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(from_many)
{
	static const char many[] = "Alice <alice@Domain.FR>, \"Carol, C.\" <carol@domain.fr> (co-author),"
	    " ,dave@sub.domain.fr";
	struct from_box box[FROM_MAILBOXES_MAX];
	char big[64 * (FROM_MAILBOXES_MAX + 1)];
	const char *why = NULL;
	size_t n = 99, i, len;

	ck_assert_int_eq(from_addresses(many, strlen(many), box, FROM_MAILBOXES_MAX, &n, &why), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(box[0].local, "alice");
	ck_assert_str_eq(box[0].domain, "domain.fr");
	ck_assert_str_eq(box[1].local, "carol");
	ck_assert_str_eq(box[2].domain, "sub.domain.fr");
	/* One mailbox: the same as from_address. */
	ck_assert_int_eq(from_addresses("<a@x.example>", 13, box, 1, &n, &why), 0);
	ck_assert_uint_eq(n, 1);
	/* One bad mailbox spoils the list. */
	ck_assert_int_lt(from_addresses("a@x.example, b@", 15, box, FROM_MAILBOXES_MAX, &n, &why), 0);
	ck_assert_str_eq(why, "From address has an empty domain");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_lt(from_addresses("a@x.example, T: b@x.example;", 28, box, 4, &n, &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "group syntax"));
	/* Bounded: max mailboxes are taken, one more is refused. */
	for (i = 0, len = 0; i < FROM_MAILBOXES_MAX; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%su%zu@x.example",
		    i ? ", " : "", i);
	ck_assert_int_eq(from_addresses(big, len, box, FROM_MAILBOXES_MAX, &n, &why), 0);
	ck_assert_uint_eq(n, FROM_MAILBOXES_MAX);
	ck_assert_str_eq(box[FROM_MAILBOXES_MAX - 1].local, "u31");
	len += (size_t)snprintf(big + len, sizeof(big) - len, ", one@more.example");
	ck_assert_int_lt(from_addresses(big, len, box, FROM_MAILBOXES_MAX, &n, &why), 0);
	ck_assert_str_eq(why, "From has too many mailboxes");
	ck_assert_int_lt(from_addresses("a@x.example, b@x.example", 24, box, 1, &n, &why), 0);
}
END_TEST

/* A configuration with just the policy lists. */
static struct config *
policy_config(void)
{
	static char *mta[] = { "ORIGINATING", NULL };
	static char *vals[] = { "yes" };
	static struct config_macro macros[2];
	struct config *cfg = calloc(1, sizeof(*cfg));
	char err[256];

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cidr_add(&cfg->internal_hosts, "127.0.0.1", err, sizeof(err)), 0);
	ck_assert_int_eq(cidr_add(&cfg->internal_hosts, "::1", err, sizeof(err)), 0);
	ck_assert_int_eq(cidr_add(&cfg->internal_hosts, "10.0.0.0/8", err, sizeof(err)), 0);
	ck_assert_int_eq(cidr_add(&cfg->internal_hosts, "2001:db8::/32", err, sizeof(err)), 0);
	ck_assert_int_eq(cidr_add(&cfg->external_ignore, "198.51.100.0/24", err, sizeof(err)), 0);
	cfg->mta = mta;
	cfg->nmta = 1;
	macros[0].name = "{trusted}";
	macros[0].values = vals;
	macros[0].nvalues = 1;
	macros[1].name = "client_flag";	/* any value, written without braces */
	cfg->macros = macros;
	cfg->nmacros = 2;
	return cfg;
}

static void
policy_config_free(struct config *cfg)
{
	cidr_free(&cfg->internal_hosts);
	cidr_free(&cfg->external_ignore);
	free(cfg);
}

/* Macro values for the tests: "{trusted}" and "{client_flag}". */
static const char *trusted_value, *flag_value;

static const char *
test_macro(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "{trusted}") == 0)
		return trusted_value;
	if (strcmp(name, "{client_flag}") == 0)
		return flag_value;
	return NULL;
}

START_TEST(ours)
{
	struct config *cfg = policy_config();
	struct policy_facts f;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const char *why;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;

	/* An external client with nothing else: not ours, with the address in the reason. */
	memset(&f, 0, sizeof(f));
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	f.client_sa = (struct sockaddr *)&sin;
	f.client_name = "mail.example.net";
	why = NULL;
	ck_assert(!policy_is_ours(cfg, &f, &why));
	ck_assert_str_eq(why, "external client 192.0.2.1, not authenticated");

	/* Authenticated: either macro. */
	f.auth_type = "PLAIN";
	ck_assert(policy_is_ours(cfg, &f, &why));
	f.auth_type = "";
	ck_assert(!policy_is_ours(cfg, &f, &why));
	f.auth_authen = "alice";
	ck_assert(policy_is_ours(cfg, &f, &why));
	f.auth_authen = NULL;

	/* Internal hosts: IPv4, IPv6, IPv4-mapped. */
	inet_pton(AF_INET, "10.20.30.40", &sin.sin_addr);
	ck_assert(policy_is_ours(cfg, &f, &why));
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	f.client_sa = (struct sockaddr *)&sin6;
	ck_assert(policy_is_ours(cfg, &f, &why));
	inet_pton(AF_INET6, "::ffff:10.1.1.1", &sin6.sin6_addr);
	ck_assert(policy_is_ours(cfg, &f, &why));
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6.sin6_addr);
	ck_assert(!policy_is_ours(cfg, &f, &why));
	ck_assert_str_eq(why, "external client ::ffff:192.0.2.1, not authenticated");

	/* Postfix's sendmail(1)/pickup path: 127.0.0.1 "localhost", sometimes no sockaddr. */
	memset(&f, 0, sizeof(f));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	f.client_sa = (struct sockaddr *)&sin;
	f.client_name = "localhost";
	f.daemon_name = "mail.example.com";
	ck_assert(policy_is_ours(cfg, &f, &why));
	f.client_sa = NULL;
	f.client_addr = "127.0.0.1";
	ck_assert(policy_is_ours(cfg, &f, &why));
	f.client_addr = NULL;
	ck_assert(policy_is_ours(cfg, &f, &why));
	/* A name alone is not trusted unless it is the local one. */
	f.client_name = "mail.example.net";
	ck_assert(!policy_is_ours(cfg, &f, &why));
	ck_assert_str_eq(why, "external client mail.example.net, not authenticated");
	f.client_addr = "IPv6:2001:db8::1";
	ck_assert(policy_is_ours(cfg, &f, &why));
	f.client_addr = "192.0.2.9";
	ck_assert(!policy_is_ours(cfg, &f, &why));
	ck_assert_str_eq(why, "external client 192.0.2.9, not authenticated");

	/* MTA: the daemon name from milter_macro_daemon_name. */
	f.daemon_name = "ORIGINATING";
	ck_assert(policy_is_ours(cfg, &f, &why));
	f.daemon_name = "originating";
	ck_assert(policy_is_ours(cfg, &f, &why));
	f.daemon_name = "smtpd";
	ck_assert(!policy_is_ours(cfg, &f, &why));

	/* MacroList: "{trusted}=yes" must have that value; "client_flag" any value. */
	f.macro = test_macro;
	trusted_value = "no";
	ck_assert(!policy_is_ours(cfg, &f, &why));
	trusted_value = "yes";
	ck_assert(policy_is_ours(cfg, &f, &why));
	trusted_value = "YES";	/* values compare with case, as OpenDKIM */
	ck_assert(!policy_is_ours(cfg, &f, &why));
	trusted_value = NULL;
	flag_value = "anything";
	ck_assert(policy_is_ours(cfg, &f, &why));
	flag_value = NULL;
	ck_assert(!policy_is_ours(cfg, &f, &why));

	/* ExternalIgnoreList is noted in the reason, never signs. */
	f.client_addr = "198.51.100.3";
	ck_assert(!policy_is_ours(cfg, &f, &why));
	ck_assert_str_eq(why, "external client 198.51.100.3 (ExternalIgnoreList), not "
	    "authenticated");

	/* Nothing known at all. */
	memset(&f, 0, sizeof(f));
	ck_assert(!policy_is_ours(cfg, &f, &why));
	ck_assert_str_eq(why, "external client unknown, not authenticated");
	policy_config_free(cfg);
}
END_TEST

START_TEST(empty_internal_hosts)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct policy_facts f;
	const char *why;

	ck_assert_ptr_nonnull(cfg);
	memset(&f, 0, sizeof(f));
	f.client_addr = "127.0.0.1";
	f.client_name = "localhost";
	ck_assert(!policy_is_ours(cfg, &f, &why));
	f.auth_type = "LOGIN";
	ck_assert(policy_is_ours(cfg, &f, &why));
	free(cfg);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tm_case(s, "policy", 0);

	tm_add(tc, from_good, from_bad, from_bounds, from_many, ours, empty_internal_hosts,
	    NULL);
	return tm_run(s, CK_FORK_GETENV);
}
