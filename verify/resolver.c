/*
 * resolver.c - libunbound behind a batch lookup with one deadline.
 *
 * The context resolves in its own thread (ub_ctx_async(ctx, 1)); answers
 * come back through ub_process(), which runs the callbacks in whichever
 * thread calls it. So waiting threads take turns: one at a time polls
 * ub_fd() and calls ub_process() (the "processing" flag), the others sleep
 * on a condition variable that every delivered answer signals. Each query
 * has a heap "ticket" the callback writes into under the mutex; a waiter
 * that gives up at its deadline cancels its unanswered tickets under the
 * same mutex: a cancel that succeeds means no callback will come (free the
 * ticket now), one that fails means the callback is on its way: the ticket
 * is marked abandoned and the callback frees it. Memory a waiter owns is
 * never touched after it returns, nor a ticket after its mutex is released.
 * Definite answers are also kept in our own cache (dnscache.h), so that a
 * key already seen costs no trip through libunbound's thread at all.
 * resolver_ask_all() (dkimrotate's SOA, NS and addresses) rides the same
 * tickets and wait (tickets_run), past that cache and the counters.
 * libunbound's own messages are written to a stream of ours and handed to
 * the daemon's log a line at a time (a daemon's stderr goes nowhere).
 *
 * The context is made when a first query must be sent, from what
 * resolver_conf.c read and checked at load: its thread, its sockets and
 * its caches cost memory that a daemon which only signs never needs. A
 * validating resolver is made at once, because only libunbound can tell
 * whether its trust anchors are usable, and that must show at start.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "../dkim/dbuf.h"
#include "../tables/stats.h"
#include "dnscache.h"
#include "resolver.h"
#include "resolver_conf.h"

#define TYPE_TXT 16
#define CLASS_IN 1
/* Slice a processing thread polls before letting others check their deadlines. */
#define POLL_SLICE_MS 50

struct resolver {
	struct ub_ctx *ctx;		/* NULL until needed; then set once, under mu */
	struct resolver_conf conf;	/* what it is made from */
	struct dnscache *cache;
	unsigned timeout_ms;
	int validating;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int processing;
	int refs;			/* atomic: configurations using it */
	/* libunbound's messages: the stream it writes, the line being written. */
	FILE *out;
	char line[512];
	size_t linelen;
	char first_error[256];		/* for an error at start-up */
	int starting;			/* the start-up check: keep, do not log */
	/* The last key record asked for that got no answer (mu), for resolver_probe. */
	char unanswered_sel[64], unanswered_dom[254];
};

/* What resolver_ask keeps of libunbound's answer. */
struct ask {
	int err;			/* libunbound's error; 0 when answered */
	int rcode, secure, bogus;
	unsigned char *wire;		/* the answer packet */
	size_t len;
	char why_bogus[256];		/* escaped: it may quote the network */
};

/* One query in flight; shared by the waiter and the callback. */
struct ticket {
	struct resolver *r;
	struct resolver_query *q;	/* a key record; NULL once abandoned */
	struct ask *ask;		/* or resolver_ask's; NULL once abandoned */
	size_t *pending;		/* the waiter's count of unanswered tickets */
	char name[600];			/* the question: name and type */
	int rrtype;
	int id;
	int done;
	unsigned ttl;			/* of the answer, seconds */
	unsigned long long sent_ns, done_ns;	/* for the latency histogram */
};

static void (*unbound_log)(const char *line);

void
resolver_log_to(void (*log)(const char *line))
{
	unbound_log = log;
}

/* One line from libunbound: "[time] libunbound[pid:n] error: ..." */
static void
unbound_line(struct resolver *r)
{
	char *msg, *p;
	dbuf esc;

	/* It may quote what the network sent: escaped before anything reads it. */
	dbuf_init(&esc);
	dbuf_add_escaped(&esc, r->line, r->linelen);
	r->linelen = 0;
	msg = esc.data;
	/* Our log has its own time and name: keep what follows "libunbound[...] ". */
	if ((p = strstr(msg, "libunbound[")) != NULL && (p = strstr(p, "] ")) != NULL)
		msg = p + 2;
	if (*msg != '\0' && r->first_error[0] == '\0' && strncmp(msg, "error: ", 7) == 0)
		snprintf(r->first_error, sizeof(r->first_error), "%s", msg + 7);
	if (*msg != '\0' && !r->starting) {
		if (unbound_log != NULL)
			unbound_log(msg);
		else
			fprintf(stderr, "libunbound: %s\n", msg);
	}
	dbuf_free(&esc);
}

/* The stream's write function (under the stream's lock: one writer at a time). */
static ssize_t
unbound_write(void *cookie, const char *buf, size_t size)
{
	struct resolver *r = cookie;
	size_t i;

	for (i = 0; i < size; i++)
		if (buf[i] == '\n')
			unbound_line(r);
		else if (r->linelen < sizeof(r->line))
			r->line[r->linelen++] = buf[i];
	return (ssize_t)size;
}

/*
 * libunbound reads its trust anchors when it first resolves: resolve a
 * name it answers itself (no network) now, so that a bad anchor is a
 * start-up error with libunbound's reason rather than every lookup failing.
 */
static int
resolver_init_check(struct resolver *r, const char *path, char *err, size_t errsize)
{
	struct ub_result *res = NULL;
	int rc;

	r->first_error[0] = '\0';
	r->starting = 1;
	rc = ub_resolve(r->ctx, "localhost.", 1 /* A */, CLASS_IN, &res);
	ub_resolve_free(res);
	fflush(r->out);
	r->starting = 0;
	if (rc == 0)
		return 0;
	snprintf(err, errsize, "TrustAnchorFile %s: %s", path, r->first_error[0] ?
	    r->first_error : ub_strerror(rc));
	return -1;
}

/* Make r's libunbound context from r->conf; on failure, err says why. */
static int
resolver_start(struct resolver *r, char *err, size_t errsize)
{
	static const cookie_io_functions_t io = { .write = unbound_write };
	size_t i;
	int rc;

	if ((r->ctx = ub_ctx_create()) == NULL) {
		snprintf(err, errsize, "cannot create a libunbound context");
		return -1;
	}
	if (r->out == NULL && (r->out = fopencookie(r, "w", io)) == NULL) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	setvbuf(r->out, NULL, _IOLBF, 0);
	if ((rc = ub_ctx_debugout(r->ctx, r->out)) != 0)
		goto ubfail;
	/* A thread, not a forked process: the daemon is threaded. */
	if ((rc = ub_ctx_async(r->ctx, 1)) != 0)
		goto ubfail;
	/*
	 * A server that stopped answering for a while is marked down, and by
	 * default not asked again for up to 15 minutes (infra-host-ttl 900):
	 * every lookup a SERVFAIL long after it is back, so mail waits far
	 * longer than the outage. Keep probing it, and forget what was learnt
	 * about a server after a few seconds (we only talk to forwarders, so
	 * there is little to learn).
	 * The library opens at most 16 sockets (outgoing-range) by default,
	 * so 16 queries in flight, and a query given up by its waiter goes on
	 * (ub_cancel only drops its answer) for as long as libunbound retries,
	 * some 8 s against a silent server: the slow key records of one sender
	 * held every other lookup in a queue. 256 ports, each a descriptor only
	 * while in use, stay well inside the daemon's descriptor limit.
	 */
	if ((rc = ub_ctx_set_option(r->ctx, "infra-keep-probing:", "yes")) != 0 ||
	    (rc = ub_ctx_set_option(r->ctx, "infra-host-ttl:", "5")) != 0 ||
	    (rc = ub_ctx_set_option(r->ctx, "outgoing-range:", "256")) != 0)
		goto ubfail;
	/* ResolverConfiguration, as OpenDKIM passes it: its settings win over ours. */
	if (r->conf.config_file != NULL && (rc = ub_ctx_config(r->ctx, r->conf.config_file)) != 0) {
		snprintf(err, errsize, "ResolverConfiguration %s: %s", r->conf.config_file,
		    ub_strerror(rc));
		goto fail;
	}
	/* Checked when read (resolver_conf.c): a failure here is out of memory. */
	for (i = 0; i < r->conf.nfwd; i++)
		if ((rc = ub_ctx_set_fwd(r->ctx, r->conf.fwd[i])) != 0)
			goto ubfail;
	for (i = 0; i < r->conf.nta; i++)
		if ((rc = ub_ctx_add_ta(r->ctx, r->conf.ta[i])) != 0)
			goto ubfail;
	return 0;
ubfail:
	snprintf(err, errsize, "libunbound: %s", ub_strerror(rc));
fail:
	ub_ctx_delete(r->ctx);
	r->ctx = NULL;
	return -1;
}

/* Build the shared resolver: its settings now, its context when first needed. */
int
resolver_new(const struct resolver_opts *o, struct resolver **out, char *err, size_t errsize)
{
	pthread_condattr_t ca;
	struct resolver *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	r->timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
	r->refs = 1;
	pthread_mutex_init(&r->mu, NULL);
	/*
	 * The waits' deadlines are on the monotonic clock (now_ms): with the
	 * default clock they lay in the past, and every thread waiting while
	 * another read the answers spun instead of sleeping.
	 */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (resolver_conf_read(o, &r->conf, err, errsize) != 0) {
		resolver_free(r);
		return -1;
	}
	if ((r->cache = dnscache_new()) == NULL) {
		snprintf(err, errsize, "out of memory");
		resolver_free(r);
		return -1;
	}
	/*
	 * ResolverConfiguration only libunbound can read: a context made and
	 * dropped now checks it, so that a mistake shows at start and in -n.
	 */
	if (o->config_file != NULL && o->trust_anchor_file == NULL) {
		if (resolver_start(r, err, errsize) != 0) {
			resolver_free(r);
			return -1;
		}
		ub_ctx_delete(r->ctx);
		r->ctx = NULL;
	}
	if (o->trust_anchor_file != NULL) {
		if (resolver_start(r, err, errsize) != 0 ||
		    resolver_init_check(r, o->trust_anchor_file, err, errsize) != 0) {
			resolver_free(r);
			return -1;
		}
		r->validating = 1;
	}
	*out = r;
	return 0;
}

/* The context, made on first use; NULL with why when it cannot be made. */
static struct ub_ctx *
resolver_ctx(struct resolver *r, char *why, size_t whysize)
{
	struct ub_ctx *ctx;

	pthread_mutex_lock(&r->mu);
	if (r->ctx == NULL && resolver_start(r, why, whysize) != 0 && unbound_log != NULL)
		unbound_log(why);
	ctx = r->ctx;
	pthread_mutex_unlock(&r->mu);
	return ctx;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (r->ctx != NULL)
		ub_ctx_delete(r->ctx);
	if (r->out != NULL)
		fclose(r->out);	/* after the context: its thread may still write */
	dnscache_free(r->cache);
	resolver_conf_free(&r->conf);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

struct resolver *
resolver_keep(struct resolver *old, const struct resolver *fresh)
{
	if (old == NULL || fresh == NULL ||
	    strcmp(old->conf.built_from, fresh->conf.built_from) != 0)
		return NULL;
	__atomic_add_fetch(&old->refs, 1, __ATOMIC_ACQ_REL);
	return old;
}

/* Characters of a DNS label we ask for (d= and s= come from the message). */
static int
name_ok(const char *s)
{
	size_t n = 0;

	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.') ||
		    (*s == '.' && s[1] == '.'))
			return 0;
	return n <= 253;
}

/* Concatenate one TXT rdata's character-strings into q. */
static void
txt_take(struct resolver_query *q, const unsigned char *d, size_t len)
{
	size_t pos = 0, n, out = 0;
	char *t;

	if ((t = malloc(len + 1)) == NULL) {
		q->status = RES_TEMPFAIL;
		snprintf(q->reason, sizeof(q->reason), "out of memory");
		return;
	}
	while (pos < len) {
		n = d[pos++];
		if (n > len - pos) {
			free(t);
			q->status = RES_BAD;
			snprintf(q->reason, sizeof(q->reason), "malformed TXT record");
			return;
		}
		memcpy(t + out, d + pos, n);
		out += n;
		pos += n;
	}
	t[out] = '\0';
	if (out > RESOLVER_TXT_MAX || memchr(t, '\0', out) != NULL) {
		free(t);
		q->status = RES_BAD;
		snprintf(q->reason, sizeof(q->reason), out > RESOLVER_TXT_MAX ?
		    "key record longer than %d bytes" : "key record holds a NUL byte",
		    RESOLVER_TXT_MAX);
		return;
	}
	q->txt = t;
	q->len = out;
	q->status = RES_FOUND;
}

/* Turn libunbound's answer into the query's status. */
static void
answer_take(struct resolver_query *q, int err, struct ub_result *res, int validating)
{
	size_t n = 0;

	if (err != 0 || res == NULL) {
		q->status = RES_TEMPFAIL;
		snprintf(q->reason, sizeof(q->reason), "DNS: %s", ub_strerror(err));
		return;
	}
	if (validating)
		q->dnssec = res->secure ? 1 : res->bogus ? 3 : 2;
	if (res->havedata)
		while (res->data[n] != NULL)
			n++;
	if (n == 0) {
		if (res->rcode == 0 || res->nxdomain) {	/* NOERROR/NODATA or NXDOMAIN */
			q->status = RES_NONE;
			snprintf(q->reason, sizeof(q->reason), "%s", res->nxdomain ?
			    "no such name" : "no TXT record");
		} else {
			q->status = RES_TEMPFAIL;
			snprintf(q->reason, sizeof(q->reason), "DNS rcode %d%s", res->rcode,
			    res->rcode == 2 ? " (SERVFAIL)" : "");
		}
		return;
	}
	if (n > 1) {
		q->status = RES_BAD;
		snprintf(q->reason, sizeof(q->reason), "%zu TXT records, one expected", n);
		return;
	}
	txt_take(q, (const unsigned char *)res->data[0], (size_t)res->len[0]);
}

/* Keep what resolver_ask needs of libunbound's answer. */
static void
ask_take(struct ask *a, int err, struct ub_result *res)
{
	dbuf esc;

	a->err = err != 0 ? err : res == NULL ? UB_NOMEM : 0;
	if (a->err != 0)
		return;
	a->rcode = res->rcode;
	a->secure = res->secure;
	a->bogus = res->bogus;
	if (res->bogus && res->why_bogus != NULL) {
		dbuf_init(&esc);
		dbuf_add_escaped(&esc, res->why_bogus, strlen(res->why_bogus));
		snprintf(a->why_bogus, sizeof(a->why_bogus), "%s", esc.data ? esc.data : "");
		dbuf_free(&esc);
	}
	if (res->answer_len <= 0 || res->answer_packet == NULL)
		return;
	if ((a->wire = malloc((size_t)res->answer_len)) == NULL) {
		a->err = UB_NOMEM;
		return;
	}
	memcpy(a->wire, res->answer_packet, (size_t)res->answer_len);
	a->len = (size_t)res->answer_len;
}

/*
 * Leave an unanswered ticket, r->mu held: freed now when the cancel
 * succeeds (no callback will come), else marked abandoned for the callback
 * already on its way, which frees it (see resolver_lookup_n).
 */
static void
ticket_abandon(struct resolver *r, struct ticket *t)
{
	if (ub_cancel(r->ctx, t->id) == 0)
		free(t);
	else {
		t->q = NULL;
		t->ask = NULL;
	}
}

/* libunbound's callback: fill the ticket, or free it when its waiter left. */
static void
resolver_cb(void *arg, int err, struct ub_result *res)
{
	struct ticket *t = arg;
	struct resolver *r = t->r;

	pthread_mutex_lock(&r->mu);
	if (t->q == NULL && t->ask == NULL) {
		free(t);	/* abandoned, and its cancel failed: ours to free */
	} else {
		if (t->q != NULL)
			answer_take(t->q, err, res, r->validating);
		else
			ask_take(t->ask, err, res);
		t->done_ns = stats_now_ns();
		t->ttl = err == 0 && res != NULL && res->ttl > 0 ? (unsigned)res->ttl : 0;
		t->done = 1;
		(*t->pending)--;
		pthread_cond_broadcast(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
	ub_resolve_free(res);
}

/* Milliseconds on the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait on the condition variable until at most the absolute monotonic time ms. */
static void
wait_until(struct resolver *r, long long ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

/*
 * Wait (mutex held) until no ticket is pending or the deadline passes;
 * takes its turn at processing answers for everybody.
 */
static void
resolver_wait(struct resolver *r, size_t *pending, long long deadline)
{
	struct pollfd pfd;
	long long now, slice;

	while (*pending > 0 && (now = now_ms()) < deadline) {
		slice = deadline - now < POLL_SLICE_MS ? deadline - now : POLL_SLICE_MS;
		if (r->processing) {
			wait_until(r, now + slice);
			continue;
		}
		r->processing = 1;
		pthread_mutex_unlock(&r->mu);
		pfd.fd = ub_fd(r->ctx);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)slice) > 0)
			ub_process(r->ctx);	/* runs callbacks, which take the mutex */
		pthread_mutex_lock(&r->mu);
		r->processing = 0;
		pthread_cond_broadcast(&r->cv);	/* another waiter may take over */
	}
}

/* Count a lookup answered by the network, by outcome, with its latency. */
static void
resolver_count(const struct resolver_query *q, unsigned long long ns)
{
	switch (q->status) {
	case RES_FOUND: stats_dns(STATS_DNS_FOUND, ns); break;
	case RES_NONE: stats_dns(STATS_DNS_NONE, ns); break;
	case RES_BAD: stats_dns(STATS_DNS_BAD, ns); break;
	default: stats_dns(STATS_DNS_SERVFAIL, ns); break;
	}
}

/* Remember a lookup that got no answer (mu held), for resolver_probe. */
static void
resolver_unanswered(struct resolver *r, const struct resolver_query *q)
{
	snprintf(r->unanswered_sel, sizeof(r->unanswered_sel), "%s", q->selector);
	snprintf(r->unanswered_dom, sizeof(r->unanswered_dom), "%s", q->domain);
}

/*
 * Send the tickets t[0..n-1] (NULL: nothing to ask), each with its name
 * and type, wait for them together at most the timeout, and give up on the
 * rest. On return t[i] is an answered ticket, ours to free, or NULL: never
 * made, or lost, when lost(arg, i, why, timedout, waited_ns) was called
 * (with r->mu held) to say why.
 *
 * The unanswered are given up deciding each ticket's fate with the mutex
 * held: a callback cannot run meanwhile, so a ticket is ours until we
 * leave it. A cancel that succeeds means no callback will come
 * (libunbound takes the callback out under its own lock, and calls it
 * holding none, so asking it here cannot deadlock): free the ticket now.
 * One that fails means the answer is being delivered: its callback,
 * waiting for our mutex, finds the ticket abandoned and frees it. Once the
 * mutex is released no ticket is touched again, whoever frees it.
 */
static void
tickets_run(struct resolver *r, struct ticket **t, size_t n, void (*lost)(void *arg,
    size_t i, const char *why, int timedout, unsigned long long waited_ns), void *arg)
{
	struct ub_ctx *ctx;
	char why[256], msg[300];
	size_t i, pending = 0;
	int rc;

	/* Counted first, so pending is right before any callback can run. */
	for (i = 0; i < n; i++)
		if (t[i] != NULL) {
			t[i]->r = r;
			t[i]->pending = &pending;
			pending++;
		}
	if (pending == 0)
		return;
	if ((ctx = resolver_ctx(r, why, sizeof(why))) == NULL) {
		snprintf(msg, sizeof(msg), "DNS: %s", why);
		pending = 0;	/* none will be sent */
	}
	/*
	 * Sent without our mutex: libunbound takes its own locks here, and a
	 * callback (in another thread's ub_process) may already be waiting for ours.
	 */
	for (i = 0; i < n; i++) {
		if (t[i] == NULL)
			continue;
		t[i]->sent_ns = stats_now_ns();
		if (ctx != NULL && (rc = ub_resolve_async(ctx, t[i]->name, t[i]->rrtype,
		    CLASS_IN, t[i], resolver_cb, &t[i]->id)) == 0)
			continue;
		pthread_mutex_lock(&r->mu);
		if (ctx != NULL) {	/* else msg says why there is no context */
			pending--;
			snprintf(msg, sizeof(msg), "DNS: %s", ub_strerror(rc));
		}
		lost(arg, i, msg, 0, 0);
		pthread_mutex_unlock(&r->mu);
		free(t[i]);	/* no callback for a query never sent */
		t[i] = NULL;
	}
	pthread_mutex_lock(&r->mu);
	resolver_wait(r, &pending, now_ms() + r->timeout_ms);
	snprintf(msg, sizeof(msg), "DNS timeout after %u ms", r->timeout_ms);
	for (i = 0; i < n; i++)
		if (t[i] != NULL && !t[i]->done) {
			lost(arg, i, msg, 1, stats_now_ns() - t[i]->sent_ns);
			ticket_abandon(r, t[i]);
			t[i] = NULL;
		}
	pthread_mutex_unlock(&r->mu);
}

struct lookup {
	struct resolver *r;
	struct resolver_query *q;
	int counted;
};

/* A key record lost (mu held): its reason; a timeout counted and kept for resolver_probe. */
static void
lookup_lost(void *arg, size_t i, const char *why, int timedout, unsigned long long waited_ns)
{
	struct lookup *lk = arg;

	snprintf(lk->q[i].reason, sizeof(lk->q[i].reason), "%s", why);
	if (!timedout)
		return;
	if (lk->counted)
		stats_dns(STATS_DNS_TIMEOUT, waited_ns);
	resolver_unanswered(lk->r, &lk->q[i]);
}

/* Look up n key records at once, bounded by the timeout; counted when counted. */
static void
resolver_lookup_n(struct resolver *r, struct resolver_query *q, size_t n, int counted)
{
	struct lookup lk = { r, q, counted };
	struct ticket **t;
	char name[600];
	size_t i;

	for (i = 0; i < n; i++) {
		q[i].status = RES_TEMPFAIL;
		q[i].txt = NULL;
		q[i].len = 0;
		q[i].dnssec = 0;
		q[i].reason[0] = '\0';
	}
	if (n == 0)
		return;
	if ((t = calloc(n, sizeof(*t))) == NULL) {
		for (i = 0; i < n; i++)
			snprintf(q[i].reason, sizeof(q[i].reason), "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		if (!name_ok(q[i].domain) || !name_ok(q[i].selector)) {
			q[i].status = RES_BAD;
			snprintf(q[i].reason, sizeof(q[i].reason), "not a valid DNS name");
			continue;
		}
		snprintf(name, sizeof(name), "%s._domainkey.%s", q[i].selector, q[i].domain);
		if (dnscache_get(r->cache, name, &q[i])) {
			if (counted)
				stats_add(STATS_DNS_CACHE_HITS, 1);
			continue;	/* answered: no ticket, no query */
		}
		if ((t[i] = calloc(1, sizeof(**t))) == NULL) {
			snprintf(q[i].reason, sizeof(q[i].reason), "out of memory");
			continue;
		}
		t[i]->q = &q[i];
		memcpy(t[i]->name, name, sizeof(name));
		t[i]->rrtype = TYPE_TXT;
	}
	tickets_run(r, t, n, lookup_lost, &lk);
	for (i = 0; i < n; i++) {
		if (t[i] == NULL)
			continue;
		dnscache_put(r->cache, t[i]->name, &q[i], t[i]->ttl);
		if (counted)
			resolver_count(&q[i], t[i]->done_ns - t[i]->sent_ns);
		if (q[i].status == RES_TEMPFAIL) {
			pthread_mutex_lock(&r->mu);
			resolver_unanswered(r, &q[i]);
			pthread_mutex_unlock(&r->mu);
		}
		free(t[i]);
	}
	free(t);
}

void
resolver_lookup(struct resolver *r, struct resolver_query *q, size_t n)
{
	resolver_lookup_n(r, q, n, 1);
}

/* What resolver_ask_all says of one answered question a, into v. */
static void
ask_result(const struct resolver *r, struct ask *a, struct resolver_question *v)
{
	v->ok = -1;
	if (a->err != 0) {
		snprintf(v->why, sizeof(v->why), "DNS: %s", ub_strerror(a->err));
		return;
	}
	/* Bogus before the rcode: libunbound turns a bogus answer into SERVFAIL. */
	if (r->validating && a->bogus) {
		snprintf(v->why, sizeof(v->why), "DNSSEC validation failed: %s", a->why_bogus[0] ?
		    a->why_bogus : "bogus answer");
		free(a->wire);
		return;
	}
	if (a->rcode != 0 && a->rcode != 3) {	/* NOERROR, NXDOMAIN */
		snprintf(v->why, sizeof(v->why), "DNS rcode %d%s", a->rcode, a->rcode == 2 ?
		    " (SERVFAIL)" : "");
		free(a->wire);
		return;
	}
	if (a->wire == NULL) {
		snprintf(v->why, sizeof(v->why), "DNS: no answer packet");
		return;
	}
	v->wire = a->wire;
	v->len = a->len;
	if (r->validating)
		v->dnssec = a->secure ? 1 : 2;
	v->ok = 0;
}

/* A question lost (mu held): why. */
static void
ask_lost(void *arg, size_t i, const char *why, int timedout, unsigned long long waited_ns)
{
	struct resolver_question *v = arg;

	(void)timedout;
	(void)waited_ns;
	snprintf(v[i].why, sizeof(v[i].why), "%s", why);
}

/*
 * Questions of any type, through the same tickets, callback and wait as
 * the key records (not through our cache, which holds key records, nor
 * counted), sent together and waited for once.
 */
void
resolver_ask_all(struct resolver *r, struct resolver_question *v, size_t n)
{
	struct ticket **t;
	struct ask *a;
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].wire = NULL;
		v[i].len = 0;
		v[i].dnssec = 0;
		v[i].ok = -1;
		snprintf(v[i].why, sizeof(v[i].why), "out of memory");
	}
	if (n == 0)
		return;
	t = calloc(n, sizeof(*t));
	a = calloc(n, sizeof(*a));
	if (t == NULL || a == NULL) {
		free(t);
		free(a);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!name_ok(v[i].name)) {
			snprintf(v[i].why, sizeof(v[i].why), "not a valid DNS name");
			continue;
		}
		if ((t[i] = calloc(1, sizeof(**t))) == NULL)
			continue;
		t[i]->ask = &a[i];
		snprintf(t[i]->name, sizeof(t[i]->name), "%s", v[i].name);
		t[i]->rrtype = v[i].rrtype;
	}
	tickets_run(r, t, n, ask_lost, v);
	for (i = 0; i < n; i++)
		if (t[i] != NULL) {
			free(t[i]);
			ask_result(r, &a[i], &v[i]);
		}
	free(t);
	free(a);
}

/* One question: resolver_ask_all of one. */
int
resolver_ask(struct resolver *r, const char *name, int rrtype, unsigned char **wire,
    size_t *len, int *dnssec, char *why, size_t whysize)
{
	struct resolver_question v;

	memset(&v, 0, sizeof(v));
	v.name = name;
	v.rrtype = rrtype;
	resolver_ask_all(r, &v, 1);
	*wire = v.wire;
	*len = v.len;
	*dnssec = v.dnssec;
	if (v.ok < 0)
		snprintf(why, whysize, "%s", v.why);
	return v.ok;
}

/*
 * Ask again for the last key record that got no answer, past the
 * counters: 1 when DNS answers now (the record, or that there is none),
 * 0 when it still does not, -1 when every lookup so far was answered.
 */
int
resolver_probe(struct resolver *r)
{
	struct resolver_query q;
	char sel[64], dom[254];

	pthread_mutex_lock(&r->mu);
	snprintf(sel, sizeof(sel), "%s", r->unanswered_sel);
	snprintf(dom, sizeof(dom), "%s", r->unanswered_dom);
	pthread_mutex_unlock(&r->mu);
	if (sel[0] == '\0' || dom[0] == '\0')
		return -1;
	memset(&q, 0, sizeof(q));
	q.selector = sel;
	q.domain = dom;
	resolver_lookup_n(r, &q, 1, 0);
	resolver_query_clear(&q);
	return q.status != RES_TEMPFAIL;
}

void
resolver_query_clear(struct resolver_query *q)
{
	free(q->txt);
	q->txt = NULL;
	q->len = 0;
}
