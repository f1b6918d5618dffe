/*
 * progress.c - a mark per thread that serves messages: when its current
 * libmilter callback started (0 when it is in none). Marks live in a list
 * that only grows, one per thread that ever ran a callback; a thread that
 * exits gives its mark back for the next new thread. Entering and leaving
 * a callback costs two atomic stores and no lock.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "progress.h"

struct mark {
	atomic_llong since;		/* monotonic ms at entry; 0: not in a callback */
	atomic_int taken;		/* a thread owns this mark */
	struct mark *next;		/* list of every mark, never shrinks */
};

static _Atomic(struct mark *) marks;
static pthread_key_t mark_key;
static pthread_once_t mark_once = PTHREAD_ONCE_INIT;
static _Thread_local struct mark *my_mark;
static struct smfiDesc real;		/* the wrapped callbacks */

/* Monotonic milliseconds (never 0 once the system is up a millisecond). */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1;
}

/* A thread is gone: its mark serves the next one. */
static void mark_release(void *p)
{
	struct mark *m = p;

	atomic_store(&m->since, 0);
	atomic_store(&m->taken, 0);
}

static void mark_init(void)
{
	(void)pthread_key_create(&mark_key, mark_release);
}

/* The calling thread's mark: a free one from the list, or a new one. */
static struct mark *mark_get(void)
{
	struct mark *m;
	int zero;

	if (my_mark != NULL)
		return my_mark;
	(void)pthread_once(&mark_once, mark_init);
	for (m = atomic_load(&marks); m != NULL; m = m->next) {
		zero = 0;
		if (atomic_compare_exchange_strong(&m->taken, &zero, 1))
			break;
	}
	if (m == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return NULL;	/* this thread goes unwatched */
		atomic_store(&m->taken, 1);
		m->next = atomic_load(&marks);
		while (!atomic_compare_exchange_weak(&marks, &m->next, m))
			;
	}
	(void)pthread_setspecific(mark_key, m);
	return my_mark = m;
}

/* Entering a callback: returns the mark to clear, NULL when nested or unwatched. */
static struct mark *enter(void)
{
	struct mark *m = mark_get();

	if (m == NULL || atomic_load(&m->since) != 0)
		return NULL;
	atomic_store(&m->since, now_ms());
	return m;
}

static void leave(struct mark *m)
{
	if (m != NULL)
		atomic_store(&m->since, 0);
}

/* How long the oldest callback in progress has been running. */
long progress_oldest_ms(void)
{
	long long now = now_ms(), s, oldest = 0;
	struct mark *m;

	for (m = atomic_load(&marks); m != NULL; m = m->next)
		if ((s = atomic_load(&m->since)) != 0 && now - s > oldest)
			oldest = now - s;
	return (long)oldest;
}

/* The wrappers: mark, call the real callback, unmark. */
#define WRAP(name, params, args) \
static sfsistat w_##name params \
{ \
	struct mark *m = enter(); \
	sfsistat r = real.xxfi_##name args; \
	leave(m); \
	return r; \
}
WRAP(connect, (SMFICTX *ctx, char *host, struct sockaddr *sa), (ctx, host, sa))
WRAP(helo, (SMFICTX *ctx, char *helo), (ctx, helo))
WRAP(envfrom, (SMFICTX *ctx, char **argv), (ctx, argv))
WRAP(envrcpt, (SMFICTX *ctx, char **argv), (ctx, argv))
WRAP(header, (SMFICTX *ctx, char *name, char *value), (ctx, name, value))
WRAP(eoh, (SMFICTX *ctx), (ctx))
WRAP(body, (SMFICTX *ctx, unsigned char *data, size_t len), (ctx, data, len))
WRAP(eom, (SMFICTX *ctx), (ctx))
WRAP(abort, (SMFICTX *ctx), (ctx))
WRAP(close, (SMFICTX *ctx), (ctx))
WRAP(unknown, (SMFICTX *ctx, const char *cmd), (ctx, cmd))
WRAP(data, (SMFICTX *ctx), (ctx))
WRAP(negotiate, (SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *p0, unsigned long *p1, unsigned long *p2,
    unsigned long *p3), (ctx, f0, f1, f2, f3, p0, p1, p2, p3))
#undef WRAP

/* Swap every callback desc has for its wrapper. */
void progress_wrap(struct smfiDesc *desc)
{
	real = *desc;
#define SWAP(name) if (desc->xxfi_##name != NULL) desc->xxfi_##name = w_##name
	SWAP(connect);
	SWAP(helo);
	SWAP(envfrom);
	SWAP(envrcpt);
	SWAP(header);
	SWAP(eoh);
	SWAP(body);
	SWAP(eom);
	SWAP(abort);
	SWAP(close);
	SWAP(unknown);
	SWAP(data);
	SWAP(negotiate);
#undef SWAP
}
