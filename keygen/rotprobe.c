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
	} else	/* the servers' and the resolver's answers come after, for all at once */
		p->ok = rot_servers_with(c, d, p->domain, p->sel, p->name, sizeof(p->name), p->srv,
		    &p->nsrv, p->why, sizeof(p->why)) == 0;
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

/* One server asked over one transport about the chunk's records it serves. */
struct job {
	const struct rotserver *s;
	int tcp;
	struct rotdns_txtq *q;
	size_t *who;		/* the index in v of each question's check */
	size_t n;
};

struct jobs {
	struct job *v;
	size_t n, next;
	unsigned timeout_ms;
	pthread_mutex_t lock;
};

static void *
job_worker(void *arg)
{
	struct jobs *js = arg;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&js->lock);
		j = js->next < js->n ? &js->v[js->next++] : NULL;
		pthread_mutex_unlock(&js->lock);
		if (j == NULL)
			return NULL;
		rotdns_txt_all(j->s, j->tcp, js->timeout_ms, j->q, j->n);
	}
}

/* Whether the checks of v still to be asked of servers include p. */
static int
asks_servers(const struct rotprobe *p)
{
	return p->state == RP_ANSWERED && p->kind == RP_CHECK && p->ok;
}

/* Run the jobs of js on up to ROTPROBE_THREADS threads (or this one). */
static void
run_jobs(struct jobs *js)
{
	pthread_t tid[ROTPROBE_THREADS];
	size_t i, started;

	for (started = 0; started < ROTPROBE_THREADS && started < js->n; started++)
		if (pthread_create(&tid[started], NULL, job_worker, js) != 0)
			break;
	if (started == 0)
		job_worker(js);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}

/*
 * The servers' part of the checks of v, for the whole chunk: each distinct
 * server asked all its names over UDP and over TCP (rotdns_txt_all), the
 * servers at once; then each check judged, server by server, UDP first,
 * as rot_check_with does one by one. The distinct servers are found
 * through a hash table of "address port": a chunk may hold thousands of
 * (check, server) pairs, each domain with servers of its own.
 */
static void
ask_servers(struct rotdns *d, struct rotprobe **v, size_t n)
{
	const struct rotserver **srv = NULL;
	struct memtable ix;	/* row t: the t-th pair's server, as "address port" */
	struct jobs js;
	size_t i, j, k, t, m = 0, total = 0, *cnt = NULL, *at = NULL;
	struct job *jb;
	char key[80];
	uint32_t first;

	memset(&js, 0, sizeof(js));
	memtable_init(&ix, 0);
	for (i = 0; i < n; i++)
		if (asks_servers(v[i]))
			total += v[i]->nsrv;
	if (total == 0)
		return;
	srv = calloc(total, sizeof(*srv));
	cnt = calloc(total, sizeof(*cnt));
	at = calloc(total, sizeof(*at));
	js.v = calloc(2 * total, sizeof(*js.v));
	if (srv == NULL || cnt == NULL || at == NULL || js.v == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		for (k = 0; asks_servers(v[i]) && k < v[i]->nsrv; k++) {
			snprintf(key, sizeof(key), "%s %u", v[i]->srv[k].addr, v[i]->srv[k].port);
			if (memtable_add(&ix, key, strlen(key), NULL, 0, 0) < 0)
				goto fail;
		}
	if (memtable_index(&ix) < 0)
		goto fail;
	/* The distinct servers; at[t]: which one the t-th pair asks (its key's first pair's). */
	for (i = t = 0; i < n; i++)
		for (k = 0; asks_servers(v[i]) && k < v[i]->nsrv; k++, t++) {
			first = memtable_find(&ix, ix.arena + ix.rows[t].key,
			    strlen(ix.arena + ix.rows[t].key));
			if (first == t)
				srv[at[t] = m++] = &v[i]->srv[k];
			else
				at[t] = at[first];
			cnt[at[t]]++;
		}
	for (j = 0; j < 2 * m; j++) {
		jb = &js.v[j];
		jb->s = srv[j / 2];
		jb->tcp = j % 2;
		jb->q = calloc(cnt[j / 2], sizeof(*jb->q));
		jb->who = calloc(cnt[j / 2], sizeof(*jb->who));
		js.n++;
		if (jb->q == NULL || jb->who == NULL)
			goto fail;
	}
	/* Each pair's question in its server's UDP job (2j) and TCP job (2j + 1). */
	for (i = t = 0; i < n; i++)
		for (k = 0; asks_servers(v[i]) && k < v[i]->nsrv; k++) {
			j = 2 * at[t++];
			js.v[j].who[js.v[j].n] = js.v[j + 1].who[js.v[j + 1].n] = i;
			js.v[j].q[js.v[j].n++].name = v[i]->name;
			js.v[j + 1].q[js.v[j + 1].n++].name = v[i]->name;
		}
	js.timeout_ms = rotdns_timeout(d);
	pthread_mutex_init(&js.lock, NULL);
	run_jobs(&js);
	pthread_mutex_destroy(&js.lock);
	/* Judged in job order: a check's first failing server and transport says why. */
	for (j = 0; j < js.n; j++) {
		jb = &js.v[j];
		for (k = 0; k < jb->n; k++) {
			struct rotprobe *p = v[jb->who[k]];

			if (p->ok && !rot_judge_txt(jb->s, jb->tcp, p->name, p->want, jb->q[k].st,
			    &jb->q[k].txt, p->why, sizeof(p->why))) {
				p->ok = 0;
				if (jb->q[k].st == TXT_FAIL)
					snprintf(p->why, sizeof(p->why), "%s", jb->q[k].why);
			}
			rotdns_txt_free(&jb->q[k].txt);
		}
	}
	goto out;
fail:
	for (i = 0; i < n; i++)
		if (asks_servers(v[i])) {
			v[i]->ok = 0;
			snprintf(v[i]->why, sizeof(v[i]->why), "out of memory");
		}
out:
	for (j = 0; js.v != NULL && j < js.n; j++) {
		free(js.v[j].q);
		free(js.v[j].who);
	}
	free(js.v);
	free(srv);
	free(cnt);
	free(at);
	memtable_free(&ix);
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
	if (pl.d != NULL)
		ask_servers(pl.d, v, n);
	rot_resolver_batch(c, v, n);
}
