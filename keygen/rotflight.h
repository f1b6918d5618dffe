/*
 * rotflight.h - a run's UPDATE messages in flight while the run goes on.
 * A server commits each UPDATE before it answers (Knot: 10 ms to a
 * second for 100 records, more while it also serves transfers); waited
 * for one after the other, those commits, not RotateRate, set the pace of
 * a run publishing 100,000 records. So a few threads send the batches
 * (each paced as before: RotateRate records per second), while the run
 * generates keys and asks the next domains' zones; the answers are
 * settled (states saved, lines printed) by the run's own thread, the only
 * one that touches states.
 */
#ifndef DKIMROTATE_ROTFLIGHT_H
#define DKIMROTATE_ROTFLIGHT_H

#include <stddef.h>

#include "rotdns.h"
#include "rotpub.h"
#include "rotqueue.h"

/*
 * UPDATE messages sent or waiting to be, at once. Knot commits the UPDATEs
 * waiting for a zone together, and a commit's cost grows with the zone
 * (0.25 to 0.5 s at 200,000 records): the more wait, the fewer commits.
 */
#define ROTFLIGHT_MAX 8

struct rotflight;

/* The answer for one change: why is NULL when the server took it. */
typedef void (*rotflight_settle_fn)(void *arg, const struct rotq_item *it, const char *why);

/*
 * Senders through pub and dns (both must outlive them), whose answers
 * settle(arg, ...) takes, always in the caller's thread. NULL when out of
 * memory.
 */
struct rotflight *rotflight_new(struct rotpub *pub, struct rotdns *dns,
    rotflight_settle_fn settle, void *arg);

/*
 * Send the n changes of batch (one zone, as rotqueue_take gives them; the
 * items are taken over) in one UPDATE. Waits while ROTFLIGHT_MAX batches
 * are in flight, or while one of them changes a name this one changes (the
 * later change must land last), settling answers meanwhile. Without
 * threads (none could be started) the batch is sent and settled here.
 */
void rotflight_send(struct rotflight *f, struct rotq_item *batch, size_t n);

/* Settle what has been answered; with all, wait until nothing is in flight. */
void rotflight_settle(struct rotflight *f, int all);

/* Wait for what is in flight, settle it, stop the threads. */
void rotflight_free(struct rotflight *f);

#endif
