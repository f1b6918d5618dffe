/*
 * dnscache.c - direct-mapped cache of key-record answers (see dnscache.h).
 *
 * One mutex for the whole table: a probe is a hash, a compare and a copy of
 * at most a few hundred bytes, far shorter than anything that would contend.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dnscache.h"

struct slot {
	char *name;		/* lower case; NULL when empty */
	enum resolver_status status;
	char *txt;
	size_t len;
	int dnssec;
	char reason[sizeof(((struct resolver_query *)0)->reason)];
	long long expires;	/* monotonic ms */
};

struct dnscache {
	pthread_mutex_t mu;
	struct slot slot[DNSCACHE_SLOTS];
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a over the name, case folded (DNS names compare without case). */
static size_t
slot_of(const char *name)
{
	unsigned long long h = 14695981039346656037ULL;

	for (; *name; name++) {
		unsigned char ch = (unsigned char)*name;

		if (ch >= 'A' && ch <= 'Z')
			ch += 'a' - 'A';
		h = (h ^ ch) * 1099511628211ULL;
	}
	return (size_t)(h % DNSCACHE_SLOTS);
}

static void
slot_clear(struct slot *s)
{
	free(s->name);
	free(s->txt);
	memset(s, 0, sizeof(*s));
}

struct dnscache *
dnscache_new(void)
{
	struct dnscache *c = calloc(1, sizeof(*c));

	if (c != NULL)
		pthread_mutex_init(&c->mu, NULL);
	return c;
}

void
dnscache_free(struct dnscache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < DNSCACHE_SLOTS; i++)
		slot_clear(&c->slot[i]);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int
dnscache_get(struct dnscache *c, const char *name, struct resolver_query *q)
{
	struct slot *s;
	int hit = 0;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->mu);
	s = &c->slot[slot_of(name)];
	if (s->name != NULL && strcasecmp(s->name, name) == 0) {
		if (s->expires <= mono_ms()) {
			slot_clear(s);
		} else if (s->txt == NULL || (q->txt = malloc(s->len + 1)) != NULL) {
			if (s->txt != NULL)
				memcpy(q->txt, s->txt, s->len + 1);
			q->len = s->len;
			q->status = s->status;
			q->dnssec = s->dnssec;
			memcpy(q->reason, s->reason, sizeof(q->reason));
			hit = 1;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void
dnscache_put(struct dnscache *c, const char *name, const struct resolver_query *q,
    unsigned ttl)
{
	struct slot fresh, *s;

	/* Bogus answers are asked again: the next validation may succeed. */
	if (c == NULL || ttl == 0 || (q->status != RES_FOUND && q->status != RES_NONE) ||
	    q->dnssec == 3)
		return;
	if (ttl > DNSCACHE_TTL_MAX)
		ttl = DNSCACHE_TTL_MAX;
	/* Copies made before the lock; on failure nothing is kept. */
	memset(&fresh, 0, sizeof(fresh));
	if ((fresh.name = strdup(name)) == NULL)
		return;
	if (q->txt != NULL && (fresh.txt = malloc(q->len + 1)) == NULL) {
		free(fresh.name);
		return;
	}
	if (q->txt != NULL)
		memcpy(fresh.txt, q->txt, q->len + 1);
	fresh.len = q->len;
	fresh.status = q->status;
	fresh.dnssec = q->dnssec;
	memcpy(fresh.reason, q->reason, sizeof(fresh.reason));
	fresh.expires = mono_ms() + (long long)ttl * 1000;
	pthread_mutex_lock(&c->mu);
	s = &c->slot[slot_of(name)];
	slot_clear(s);
	*s = fresh;
	pthread_mutex_unlock(&c->mu);
}
