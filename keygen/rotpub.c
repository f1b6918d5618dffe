/*
 * rotpub.c - the three ways to publish (rotpub.h), and the pacing that
 * keeps 100,000 domains from hitting the DNS provider at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rotexec.h"
#include "rotpub.h"

#define ROTPUB_TTL 300	/* short: a retired record leaves caches soon */
#define ROTPUB_CREDIT 1.0	/* seconds of unused pace a sender may catch up on */

/* Set up the publisher. */
int
rotpub_init(struct rotpub *p, const char *spec, const char *tsig_path, unsigned rate,
    FILE *out, char *err, size_t errsize)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->rate = rate ? rate : 10;
	p->out = out;
	if (strncmp(spec, "exec:", 5) == 0) {
		p->mode = PUB_EXEC;
		p->program = spec + 5;
		return 0;
	}
	if (strncmp(spec, "nsupdate:", 9) == 0) {
		p->mode = PUB_NSUPDATE;
		if (rotdns_parse_server(spec + 9, &p->server) < 0) {
			snprintf(err, errsize, "RotatePublish: '%s' is not SERVER[@PORT] (an address)",
			    spec + 9);
			return -1;
		}
		if (tsig_path == NULL) {
			snprintf(err, errsize, "RotatePublish nsupdate: needs RotateTSIGKey");
			return -1;
		}
		return tsigkey_read(tsig_path, &p->key, err, errsize);
	}
	p->mode = PUB_MANUAL;
	return 0;
}

/* Forget the TSIG secret. */
void
rotpub_fini(struct rotpub *p)
{
	tsigkey_wipe(&p->key);
	pthread_mutex_destroy(&p->lock);
}

/* Manual publishing names no zone. */
int
rotpub_needs_zone(const struct rotpub *p)
{
	return p->mode != PUB_MANUAL;
}

/* Now, in seconds on the monotonic clock. */
static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Wait for the next slot for n records: n/rate apart on average, +-50%
 * jitter. Senders in several threads take slots in turn (rotflight.h), so
 * the rate holds for all of them together. Time nobody sent in is kept
 * as credit, up to a second's worth: a run whose senders waited for the
 * next chunk's keys catches up, and the rate holds over any second.
 */
static void
pace(struct rotpub *p, size_t n)
{
	double now, at, gap;
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	now = mono();
	at = p->next > now - ROTPUB_CREDIT ? p->next : now - ROTPUB_CREDIT;
	p->next = at + (0.5 + (double)random() / RAND_MAX) * (double)n / p->rate;
	pthread_mutex_unlock(&p->lock);
	if (at > now) {
		gap = at - now;
		ts.tv_sec = (time_t)gap;
		ts.tv_nsec = (long)((gap - (double)ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

/* Run PROGRAM ACTION ZONE NAME RECORD. */
static int
run_program(const char *prog, const char *action, const char *zone, const char *name,
    const char *record, char *why, size_t whysize)
{
	char *const argv[] = { (char *)prog, (char *)action, (char *)zone, (char *)name,
	    (char *)record, NULL };
	char what[1200];

	snprintf(what, sizeof(what), "%s %s %s", prog, action, name);
	return rot_exec(argv, what, ROTPUB_EXEC_TIMEOUT, why, whysize);
}

/* Publish or remove. */
int
rotpub_put(struct rotpub *p, struct rotdns *dns, const char *zone, const char *name,
    const char *record, const char *zone_form, char *why, size_t whysize)
{
	switch (p->mode) {
	case PUB_MANUAL:
		if (record != NULL)
			fprintf(p->out, "publish in DNS: %s", zone_form);
		else
			fprintf(p->out, "remove from DNS: the TXT record at %s.\n", name);
		return 0;
	case PUB_EXEC:
		pace(p, 1);
		return run_program(p->program, record ? "add" : "delete", zone, name,
		    record ? record : "", why, whysize);
	case PUB_NSUPDATE:
	default: {
		struct rotdns_op op = { name, record };
		int rcode;

		return rotpub_update(p, dns, zone, &op, 1, &rcode, why, whysize);
	}
	}
}

/* Nonzero when changes can go out many in one message (nsupdate). */
int
rotpub_batches(const struct rotpub *p)
{
	return p->mode == PUB_NSUPDATE;
}

/* Send n changes of one zone in one UPDATE, paced as n records. */
int
rotpub_update(struct rotpub *p, struct rotdns *dns, const char *zone,
    const struct rotdns_op *ops, size_t n, int *rcode, char *why, size_t whysize)
{
	pace(p, n);
	pthread_mutex_lock(&p->lock);
	p->updates++;
	p->records += n;
	pthread_mutex_unlock(&p->lock);
	return rotdns_update(dns, &p->server, &p->key, zone, ops, n, ROTPUB_TTL, rcode, why,
	    whysize);
}
