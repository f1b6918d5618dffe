/*
 * resolver_conf.h - what the resolver is built from, read and checked
 * without libunbound: the servers to forward to (Nameservers, or the
 * nameserver lines of resolv.conf, as libunbound reads them), the trust
 * anchor records, and one string naming all of it (options and the
 * files' identities) that tells a reload whether the resolver can stay.
 *
 * Read when a configuration is loaded (as root at start, before any
 * privilege is dropped), so that every error shows at start and in -n,
 * while libunbound's context, its thread and its caches are made only
 * when a first key record is looked up (resolver.c): a daemon that only
 * signs never pays for them.
 */
#ifndef POSTDKIM_RESOLVER_CONF_H
#define POSTDKIM_RESOLVER_CONF_H

#include <stddef.h>

#include "resolver.h"

struct resolver_conf {
	char **fwd;		/* "addr" or "addr@port", each checked */
	size_t nfwd;
	char **ta;		/* trust anchor records, one DS or DNSKEY each */
	size_t nta;
	char *config_file;	/* ResolverConfiguration, or NULL */
	char *built_from;	/* what resolver_keep compares */
};

/* Read and check o's servers and files into c; on failure err says why. */
int resolver_conf_read(const struct resolver_opts *o, struct resolver_conf *c, char *err,
    size_t errsize);
void resolver_conf_free(struct resolver_conf *c);

/* Nonzero when s is an address libunbound can forward to: addr or addr@port. */
int resolver_conf_addr_ok(const char *s);

#endif
