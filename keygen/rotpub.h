/*
 * rotpub.h - putting a DKIM record in DNS and taking it out again, the way
 * RotatePublish says:
 *   nsupdate:SERVER[@PORT]  RFC 2136 UPDATE signed with RotateTSIGKey;
 *   exec:PROGRAM            PROGRAM add|delete ZONE NAME RECORD, exit 0 on success;
 *   manual                  the record (or what to remove) printed for a person.
 * Records are paced at RotateRate per second, with jitter; with nsupdate,
 * many records of one zone go in one UPDATE (rotqueue.h), paced as that
 * many records.
 */
#ifndef DKIMROTATE_ROTPUB_H
#define DKIMROTATE_ROTPUB_H

/* How long a RotatePublish exec: program may run before it is stopped (a failed change). */
#define ROTPUB_EXEC_TIMEOUT 300

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "rotdns.h"
#include "tsigkey.h"

enum rotpub_mode { PUB_MANUAL, PUB_EXEC, PUB_NSUPDATE };

struct rotpub {
	enum rotpub_mode mode;
	const char *program;		/* exec: */
	struct rotserver server;	/* nsupdate: */
	struct tsigkey key;		/* nsupdate: */
	unsigned rate;			/* records per second */
	pthread_mutex_t lock;		/* of next, updates and records: senders share them */
	double next;			/* monotonic time of the next allowed update */
	FILE *out;			/* where manual instructions go */
	size_t updates, records;	/* UPDATE messages sent, and the records in them */
};

/* Set up from RotatePublish (and read the TSIG key); 0, or -1 with err. */
int rotpub_init(struct rotpub *p, const char *spec, const char *tsig_path, unsigned rate,
    FILE *out, char *err, size_t errsize);
void rotpub_fini(struct rotpub *p);

/* Nonzero when publishing needs the zone of a name (everything but manual). */
int rotpub_needs_zone(const struct rotpub *p);

/*
 * Make record the only TXT record at name (record NULL: remove them all).
 * zone_form is the zone-file line a person would add (manual mode). 0, or
 * -1 with why.
 */
int rotpub_put(struct rotpub *p, struct rotdns *dns, const char *zone, const char *name,
    const char *record, const char *zone_form, char *why, size_t whysize);

/* Nonzero when changes can go out many in one message (nsupdate). */
int rotpub_batches(const struct rotpub *p);

/*
 * nsupdate: the n changes of ops, all in zone, in one UPDATE (rotdns_update:
 * rcode says what the server refused), once the pace allows n records.
 */
int rotpub_update(struct rotpub *p, struct rotdns *dns, const char *zone,
    const struct rotdns_op *ops, size_t n, int *rcode, char *why, size_t whysize);

#endif
