/*
 * rotprobe.h - the DNS questions of many domains asked at once. A run
 * advances its domains in chunks (rotchunk.c): a first pass stops each
 * domain at the first question it needs the network for (the zone of a
 * name, or whether a record is visible everywhere) and records it here;
 * the chunk's questions are then asked by a few threads together, each
 * with its own stub resolver; a second pass finds the answers waiting.
 * Waiting for 100,000 answers one after the other would otherwise set the
 * pace of the run.
 */
#ifndef DKIMROTATE_ROTPROBE_H
#define DKIMROTATE_ROTPROBE_H

#include <stddef.h>

#define ROT_DEFER (-2)		/* asked of the chunk: the answer comes in its second pass */
#define ROTPROBE_THREADS 8	/* questions in flight at once */

enum rotprobe_kind { RP_ZONE, RP_CHECK };
enum rotprobe_state { RP_NONE, RP_WANTED, RP_ANSWERED };

struct rotprobe {
	enum rotprobe_state state;
	enum rotprobe_kind kind;
	char name[600];		/* the record's name */
	char domain[256], sel[64];	/* RP_CHECK with resolver: what postdkim would ask */
	char *want;		/* RP_CHECK: the record wanted (NULL: none at all) */
	int resolver;		/* RP_CHECK: postdkim's resolver must answer it too */
	int ok;			/* answered: 1 yes / found, 0 with why */
	char zone[512];		/* RP_ZONE: the answer */
	char why[512];
};

struct rotctx;

/* Forget p's question and answer. */
void rotprobe_clear(struct rotprobe *p);
/* Answer the n questions of v (entries not RP_WANTED are skipped), several at a time. */
void rotprobe_run(struct rotctx *c, struct rotprobe **v, size_t n);

#endif
