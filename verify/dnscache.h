/*
 * dnscache.h - the resolver's answer cache, in front of libunbound.
 *
 * libunbound caches too, but reaching its cache costs a round trip to its
 * resolving thread (a query, a pipe, a wake-up of the waiter) for every
 * message: on a busy box that is several times the CPU of the RSA
 * verification itself. Here a repeated key record is a hash probe under a
 * mutex. Only definite answers are kept (a record, or no record), for the
 * TTL the DNS gave and at most DNSCACHE_TTL_MAX; direct-mapped, so memory
 * is fixed and a collision simply replaces the older entry.
 */
#ifndef POSTDKIM_DNSCACHE_H
#define POSTDKIM_DNSCACHE_H

#include "resolver.h"

#define DNSCACHE_SLOTS 4096
#define DNSCACHE_TTL_MAX 3600	/* seconds */

struct dnscache;

struct dnscache *dnscache_new(void);
void dnscache_free(struct dnscache *c);

/* Fill q (status, txt, dnssec, reason) from the cache: 1 on a hit, 0 otherwise. */
int dnscache_get(struct dnscache *c, const char *name, struct resolver_query *q);

/* Keep q's answer for name for ttl seconds (nothing for temporary failures). */
void dnscache_put(struct dnscache *c, const char *name, const struct resolver_query *q,
    unsigned ttl);

#endif
