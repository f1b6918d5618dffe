/*
 * rotprobe.c - a chunk's DNS questions answered by a few threads at once
 * (rotprobe.h). The threads share the run's DNS helpers (rot_dns: made
 * once, before the first chunk's threads, freed with the run), which hold
 * no libldns object and ask postdkim's thread-safe resolver. The zones
 * asked, and what that resolver says of the records, are asked for the
 * whole chunk in one lookup each, from the main thread (threads waiting
 * on one resolver wake each other at every answer). The threads only fill
 * in answers: states, files and output stay with the main thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rotctx.h"
#include "rotprobe.h"

struct pool {
	struct rotctx *c;
	struct rotdns *d;	/* the run's; NULL when it cannot be made */
	const char *err;	/* then why */
	struct rotprobe **v;
	size_t n, next;
	pthread_mutex_t lock;
};

void
rotprobe_clear(struct rotprobe *p)
{
	free(p->want);
	memset(p, 0, sizeof(*p));
}

/* The zones asked in v, in one lookup through d (NULL: err says why none can be). */
static void
zones(struct rotdns *d, const char *err, struct rotprobe **v, size_t n)
{
	struct rotdns_zoneq *q;
	size_t i, m = 0;

	if ((q = calloc(n, sizeof(*q))) == NULL)
		err = "out of memory";
	for (i = 0; i < n; i++) {
		if (v[i]->state != RP_WANTED || v[i]->kind != RP_ZONE)
			continue;
		if (d == NULL || q == NULL) {
			v[i]->ok = 0;
			snprintf(v[i]->why, sizeof(v[i]->why), "%s", err);
			v[i]->state = RP_ANSWERED;
			continue;
		}
		q[m].name = v[i]->name;
		q[m].zone = v[i]->zone;
		q[m].zonesize = sizeof(v[i]->zone);
		q[m].why = v[i]->why;
		q[m++].whysize = sizeof(v[i]->why);
	}
	if (m > 0)
		rotdns_zone_all(d, q, m);
	for (i = m = 0; q != NULL && i < n; i++)
		if (v[i]->state == RP_WANTED && v[i]->kind == RP_ZONE) {
			v[i]->ok = q[m++].ok == 0;
			v[i]->state = RP_ANSWERED;
		}
	free(q);
}

/* The next question nobody took yet, or NULL. */
static struct rotprobe *
take(struct pool *pl)
{
	struct rotprobe *p = NULL;

	pthread_mutex_lock(&pl->lock);
	while (pl->next < pl->n && p == NULL) {
		p = pl->v[pl->next++];
		if (p->state != RP_WANTED)
			p = NULL;
	}
	pthread_mutex_unlock(&pl->lock);
	return p;
}

/* Answer one question through d (NULL: no resolver could be made, err says why). */
static void
answer(const struct rotctx *c, struct rotdns *d, const char *err, struct rotprobe *p)
{
	p->why[0] = '\0';
	if (d == NULL) {
		p->ok = 0;
		snprintf(p->why, sizeof(p->why), "%s", err);
	} else	/* the resolver's part comes after, for all at once */
		p->ok = rot_check_with(c, d, p->domain, p->sel, p->want, 0, p->why,
		    sizeof(p->why));
	p->state = RP_ANSWERED;
}

static void *
worker(void *arg)
{
	struct pool *pl = arg;
	struct rotprobe *p;

	while ((p = take(pl)) != NULL)
		answer(pl->c, pl->d, pl->err, p);
	return NULL;
}

void
rotprobe_run(struct rotctx *c, struct rotprobe **v, size_t n)
{
	pthread_t tid[ROTPROBE_THREADS];
	struct pool pl = { c, NULL, "", v, n, 0, PTHREAD_MUTEX_INITIALIZER };
	size_t i, want = 0, threads, started;
	char err[512];

	for (i = 0; i < n; i++)
		want += v[i]->state == RP_WANTED;
	if (want == 0)
		return;
	/* Made here, by the main thread: rot_dns is not for threads to race on. */
	if ((pl.d = rot_dns(c, err, sizeof(err))) == NULL)
		pl.err = err;
	zones(pl.d, pl.err, v, n);
	for (i = want = 0; i < n; i++)
		want += v[i]->state == RP_WANTED;
	threads = want < ROTPROBE_THREADS ? want : ROTPROBE_THREADS;
	for (started = 0; started < threads; started++)
		if (pthread_create(&tid[started], NULL, worker, &pl) != 0)
			break;
	/* No thread at all: the questions are answered here, one by one. */
	if (started == 0)
		worker(&pl);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&pl.lock);
	rot_resolver_batch(c, v, n);
}
