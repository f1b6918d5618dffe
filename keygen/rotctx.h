/*
 * rotctx.h - what one dkimrotate command works with: the configuration,
 * the clock (--now), the KeyTable file, the DNS helpers (made when first
 * needed), the publisher, and the batches a run collects so that all the
 * domains switching in one run cost one table rewrite and one reload.
 */
#ifndef DKIMROTATE_ROTCTX_H
#define DKIMROTATE_ROTCTX_H

#include <stddef.h>
#include <stdio.h>

#include "../config/config.h"
#include "../dkim/keyload.h"
#include "../tables/memtable.h"
#include "rotdns.h"
#include "rotflight.h"
#include "rotnames.h"
#include "rotprobe.h"
#include "rotpub.h"
#include "rotqueue.h"
#include "rotstate.h"
#include "rotkt.h"

struct resolver;

/* A growable list of strings. */
struct strlist {
	char **v;
	size_t n, cap;
};
int strlist_add(struct strlist *l, const char *s);
void strlist_free(struct strlist *l);

struct rotctx {
	struct config *cfg;
	const struct rotate_cfg *rc;
	long long now;		/* the clock: time(), or --now */
	struct rotkt kt;	/* the KeyTable */
	FILE *out;		/* one line per action */
	int failed;		/* an action failed: non-zero exit */

	struct rotdns *dns;	/* NULL until needed; shared by the probe threads */
	struct resolver *res;	/* postdkim's resolver, NULL until needed */
	struct rotpub pub;
	int pub_ready;
	struct rotqueue queue;		/* changes waiting to go out with others of their zone */
	struct rotflight *flight;	/* UPDATE messages in flight, NULL until the first */

	/* A run's batches. */
	struct memtable changes;	/* KeyTable entry name -> new value */
	struct strlist switching;	/* domains whose tables switch now */
	struct memtable adds;		/* KeyTable entries added (a second signature) */
	struct memtable twins;		/* KeyTable name -> the added second one */
	struct memtable drops;		/* KeyTable entries removed, with their SigningTable lines */
	struct strlist resend;		/* domains whose reload went unconfirmed */
	struct strlist fresh;		/* entries published by this run (rotrun.c) */
	struct strlist keydirs;		/* keys written since the last rot_durable */
	int quiet;			/* not the last look: no "waiting" line */
	struct memtable release;	/* old key path -> domain, once no server answers */
	struct rotprobe *probe;		/* the question slot of the domain being advanced */
	int collect;			/* a chunk's first pass: questions wait (rotprobe.h) */
	char loaded[64];		/* the daemon's load record at the start of the run */
	dkim_keyloader *keys;		/* decodes key files, made on first use */
};

/* Report an action ("DOMAIN: what") on the output and the log. */
void rot_say(struct rotctx *c, const char *domain, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Report a failed action: the run will exit non-zero. */
void rot_fail(struct rotctx *c, const char *domain, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The DNS helpers (over postdkim's resolver) and the resolver, made on
 * first use by the main thread, kept for the whole command; NULL with err.
 */
struct rotdns *rot_dns(struct rotctx *c, char *err, size_t errsize);
struct resolver *rot_resolver(struct rotctx *c, char *err, size_t errsize);

/* The state of entry e's domain: 1 when it concerns e, 0 another entry's, -1 unreadable. */
int rot_entry_state(struct rotctx *c, const struct rotentry *e, struct rotstate *st);

/* The key entry e names, from the state st (or NULL) when it knows it, else from its file. */
void rot_entry_key(const struct rotentry *e, const struct rotstate *st, struct rotkey *k);

/*
 * Load a private key file: a run reads each new key twice or more, and
 * OpenSSL's own way of finding a decoder cost more than the rest of it.
 */
int rot_key_load(struct rotctx *c, const char *path, dkim_key **out, dkim_err *err);

/* Fill k's algorithm, size and age from its file (age from the file's time). */
void rot_keyinfo(const char *path, struct rotkey *k);

/* rotcheck.c: names and checks. */
/* The record's name for selector sel of domain (delegated mode: in the delegated zone). */
void rot_record_name(const struct rotctx *c, const char *domain, const char *sel, char *out,
    size_t size);
/*
 * The zone to update for name: 0, -1 with why, or (a chunk's first pass)
 * ROT_DEFER: asked of the chunk, answered in its second pass (rotprobe.h).
 */
int rot_zone(struct rotctx *c, const char *name, char *zone, size_t size, char *why,
    size_t whysize);
/* The same through the DNS helpers d (any thread). */
int rot_zone_with(const struct rotctx *c, struct rotdns *d, const char *name, char *zone,
    size_t size, char *why, size_t whysize);
/*
 * 1 when every authoritative server of the zone answers exactly want at
 * sel's record of domain, over UDP and TCP (want NULL: when none answers
 * any record there), and, with resolver, postdkim's resolver answers want
 * too; 0 with why otherwise; or ROT_DEFER as rot_zone.
 */
int rot_check(struct rotctx *c, const char *domain, const char *sel, const char *want,
    int resolver, char *why, size_t whysize);
/* The same through d; c->res made beforehand when resolver. */
int rot_check_with(const struct rotctx *c, struct rotdns *d, const char *domain,
    const char *sel, const char *want, int resolver, char *why, size_t whysize);
/*
 * The servers to ask about sel's record of domain, through d (any thread),
 * its name into name: 0, or -1 with why.
 */
int rot_servers_with(const struct rotctx *c, struct rotdns *d, const char *domain,
    const char *sel, char *name, size_t namesize, struct rotserver *s, size_t *n, char *why,
    size_t whysize);
/* Whether server s's answer st, t (over TCP when tcp) at name is want; 0 with why. */
int rot_judge_txt(const struct rotserver *s, int tcp, const char *name, const char *want,
    enum rotdns_txt_status st, const struct rotdns_txt *t, char *why, size_t whysize);
/* The resolver's part of the answered checks of v the servers passed, in one lookup. */
void rot_resolver_batch(struct rotctx *c, struct rotprobe **v, size_t n);

/* rotstart.c: begin a rotation of entry e (alg NULL / bits 0: keep the key's). */
int rot_begin(struct rotctx *c, const struct rotentry *e, struct rotstate *st,
    const char *alg, int bits, int emergency, enum rot_kind kind);
/* The name of the KeyTable entry a second signature of entry name gets. */
void rot_second_name(const char *name, char *out, size_t size);
/* Nonzero when entry e is an Ed25519 key. */
int rot_entry_ed25519(const struct rotentry *e);

/* rotstatus.c: dkimrotate status, for the listed domains or all; the exit status. */
int rot_status(struct rotctx *c, char **domains, size_t n, int json);

/* rotrun.c: the lifecycle. */
/* Save a state (a failure reported); 0 or -1. */
int rot_save(struct rotctx *c, struct rotstate *st);
/* Enter state s now, and save. */
int rot_enter(struct rotctx *c, struct rotstate *st, enum rot_state s);
/*
 * Make what the run wrote so far durable, the keys then the states, before
 * anything leaves the machine (a record, a table switch, a key deleted); 0,
 * or -1 with why.
 */
int rot_durable(struct rotctx *c, char *why, size_t whysize);
/* Advance a domain (entry e) until it waits. */
void rot_advance(struct rotctx *c, struct rotstate *st, const struct rotentry *e);
/* The daemon loaded the tables: retire (or, an added key, done). 0, or -1. */
int rot_load_confirmed(struct rotctx *c, struct rotstate *st);
/* The change st's state asked for (publish, revoke, remove) was accepted: the next state. */
void rot_put_done(struct rotctx *c, struct rotstate *st, const char *fresh);
/* ... or failed: the domain keeps its state, with why. */
void rot_put_failed(struct rotctx *c, struct rotstate *st, const char *why);
/* rotsend.c: one batch of the queued changes of zone (NULL: the oldest's zone), or all. */
void rot_send(struct rotctx *c, const char *zone);
void rot_send_all(struct rotctx *c);
/* The full batches a chunk queued (and the oldest, when too many wait), after one rot_durable. */
void rot_send_ready(struct rotctx *c);
/* rotbatch.c: after the walk. */
void rot_fresh_checks(struct rotctx *c);
void rot_switch_and_reload(struct rotctx *c);
void rot_release_keys(struct rotctx *c);
/* Advance every rotation as far as it can go; the exit status. */
int rot_run(struct rotctx *c);
/* Make the new key, its record text (and zone-file form) for a state. */
int rot_record_of(struct rotctx *c, const struct rotkey *k, const char *domain, int revoked,
    char *rec, size_t recsize, char *zone_form, size_t zfsize, char *why, size_t whysize);

#endif
