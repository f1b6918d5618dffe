/*
 * check_resolver_conf.c - what the resolver is built from, read and checked
 * at load without libunbound (verify/resolver_conf.c): server addresses as
 * libunbound takes them, resolv.conf's nameserver lines (none means this
 * host), trust anchor records, and errors that name the file and the value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../verify/resolver_conf.h"
#include "testmain.h"

static char dir[] = "/tmp/check_resolver_conf.XXXXXX";

/* A file of dir holding text; its path in a static buffer. */
static const char *
file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

START_TEST(addresses)
{
	static const char *const good[] = { "127.0.0.1", "192.0.2.1@53", "::1", "::1@5353",
	    "2001:db8::53@65535", "fe80::1%eth0", "fe80::1%2@53" };
	static const char *const bad[] = { "", "nowhere", "example.com", "127.0.0.1@",
	    "127.0.0.1@0", "127.0.0.1@65536", "127.0.0.1@53x", "127.0.0.1@-1", "[::1]:53",
	    "::1%", "1.2.3", "1.2.3.4.5", "@53" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(resolver_conf_addr_ok(good[i]), "%s refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!resolver_conf_addr_ok(bad[i]), "%s accepted", bad[i]);
}
END_TEST

START_TEST(nameservers)
{
	const char *ns[] = { "127.0.0.1@5353", "::1" };
	struct resolver_opts o = { .nameservers = ns, .nnameservers = 2 };
	struct resolver_conf c;
	char err[256];

	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nfwd, 2);
	ck_assert_str_eq(c.fwd[0], "127.0.0.1@5353");
	ck_assert_str_eq(c.fwd[1], "::1");
	ck_assert_uint_eq(c.nta, 0);
	ck_assert_ptr_nonnull(strstr(c.built_from, "ns 127.0.0.1@5353\n"));
	resolver_conf_free(&c);
	ns[1] = "nowhere";
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "Nameservers 'nowhere': not an address or address@port");
}
END_TEST

START_TEST(resolv_conf)
{
	struct resolver_opts o = { 0 };
	struct resolver_conf c;
	char err[256], want[300];

	/* As libunbound reads it: blanks first, the address characters only. */
	o.resolv_conf = file("r1", "# comment\ndomain example.org\n  nameserver 192.0.2.53\n"
	    "nameserver\t2001:db8::1%eth0\nsearch x\nnameserver 10.0.0.1 # note\n");
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nfwd, 3);
	ck_assert_str_eq(c.fwd[0], "192.0.2.53");
	ck_assert_str_eq(c.fwd[1], "2001:db8::1");
	ck_assert_str_eq(c.fwd[2], "10.0.0.1");
	ck_assert_ptr_nonnull(strstr(c.built_from, o.resolv_conf));
	resolver_conf_free(&c);
	/* resolv.conf(5): no nameserver line means this host. */
	o.resolv_conf = file("r2", "search example.org\n");
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nfwd, 1);
	ck_assert_str_eq(c.fwd[0], "127.0.0.1");
	resolver_conf_free(&c);
	o.resolv_conf = file("r3", "nameserver 192.0.2.1\nnameserver ns.example.org\n");
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: nameserver '': not an IP address", o.resolv_conf);
	ck_assert_str_eq(err, want);
	o.resolv_conf = file("r4", "nameserver 1.2.3.4.5\n");
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: nameserver '1.2.3.4.5': not an IP address",
	    o.resolv_conf);
	ck_assert_str_eq(err, want);
	o.resolv_conf = "/nonexistent/resolv.conf";
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/resolv.conf: No such file or directory");
}
END_TEST

START_TEST(trust_anchors)
{
	const char *ns[] = { "127.0.0.1" };
	struct resolver_opts o = { .nameservers = ns, .nnameservers = 1 };
	struct resolver_conf c;
	char err[256], want[300];

	o.trust_anchor_file = file("ta1", "; root\n. IN DS 20326 8 2 E06D44B8 ; key\n\n"
	    "example. 300 IN DNSKEY 257 3 15 AAAA\n");
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nta, 2);
	ck_assert_str_eq(c.ta[0], ". IN DS 20326 8 2 E06D44B8");
	ck_assert_str_eq(c.ta[1], "example. 300 IN DNSKEY 257 3 15 AAAA");
	resolver_conf_free(&c);
	o.trust_anchor_file = file("ta2", ". IN DS 1 8 2 AA\n. IN A 192.0.2.1\n");
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "TrustAnchorFile %s:2: not a DS or DNSKEY record",
	    o.trust_anchor_file);
	ck_assert_str_eq(err, want);
	o.trust_anchor_file = file("ta3", "; nothing\n");
	ck_assert_int_eq(resolver_conf_read(&o, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "TrustAnchorFile %s: no DS or DNSKEY record",
	    o.trust_anchor_file);
	ck_assert_str_eq(err, want);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("resolver_conf");
	TCase *tc = tm_case(s, "resolver_conf", 30);
	char cmd[64];
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	tm_add(tc, addresses, nameservers, resolv_conf, trust_anchors, NULL);
	rc = tm_run(s, CK_FORK_GETENV);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = EXIT_FAILURE;
	return rc;
}
