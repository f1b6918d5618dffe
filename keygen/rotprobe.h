/*
 * rotprobe.h - the DNS questions of many domains asked at once. A run
 * advances its domains in chunks (rotchunk.c): a first pass stops each
 * domain at the first question it needs the network for (the zone of a
 * name, or whether a record is visible everywhere) and records it here;
 * the chunk's questions are then asked by a few threads together, through
 * the run's DNS helpers (rot_dns), which they share, and each server is
 * asked the chunk's names over one socket per transport; a second pass
 * finds the answers waiting.
 * Waiting for 100,000 answers one after the other would otherwise set the
 * pace of the run.
 */
#ifndef DKIMROTATE_ROTPROBE_H
#define DKIMROTATE_ROTPROBE_H

#include <stddef.h>

#include "rotdns.h"

#define ROT_DEFER (-2)		/* asked of the chunk: the answer comes in its second pass */
#define ROTPROBE_THREADS 8	/* questions in flight at once */

enum rotprobe_kind { RP_ZONE, RP_CHECK };
enum rotprobe_state { RP_NONE, RP_WANTED, RP_ANSWERED };

struct rotprobe {
	enum rotprobe_state state;	/* both kinds */
	enum rotprobe_kind kind;	/* both kinds */
	char name[600];		/* RP_ZONE: the name whose zone is asked; RP_CHECK: the record's */
	char domain[256], sel[64];	/* every RP_CHECK: whose record is checked */
	char *want;		/* RP_CHECK only: the record wanted (NULL: none at all) */
	int resolver;		/* RP_CHECK only: postdkim's resolver must answer it too */
	int ok;			/* both kinds, answered: 1 found / visible, 0 with why */
	char zone[512];		/* RP_ZONE only: the answer */
	struct rotserver srv[ROTDNS_SERVERS_MAX];	/* RP_CHECK only: the servers asked */
	size_t nsrv;
	char why[512];		/* both kinds, answered and not ok: why */
};

struct rotctx;

/* Forget p's question and answer. */
void rotprobe_clear(struct rotprobe *p);
/* Answer the n questions of v (entries not RP_WANTED are skipped), several at a time. */
void rotprobe_run(struct rotctx *c, struct rotprobe **v, size_t n);

#endif
