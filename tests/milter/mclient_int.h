/*
 * mclient_int.h - what mclient.c and mclient_io.c share: the connection
 * structure and the packet layer.
 */
#ifndef MCLIENT_INT_H
#define MCLIENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mclient.h"

/* Macro list stages, as numbered in the OPTNEG reply (SMFIM_*). */
#define MC_NSTAGES 7

/*
 * Postfix refuses milter replies longer than twice the chunk size
 * (XXX_MAX_DATA in milter8.c); so do we.
 */
#define MC_MAX_REPLY (65535 * 2)

/* Packets of up to MC_HOLD_MAX data bytes wait in a buffer of MC_OBUF. */
#define MC_HOLD_MAX 4096
#define MC_OBUF (64 * 1024)

struct mclient {
	int fd;
	int timeout_ms;
	size_t chunk;
	FILE *trace;
	int no_output;
	int eom_delay_ms;
	uint32_t version, actions, proto;
	char *symlist[MC_NSTAGES];	/* the milter's macro lists, or NULL */
	/* The session, with defaults filled in (strings owned by caller). */
	mclient_env env;
	char client_port[8];
	char underscore[512];		/* macro _ */
	/* Connection-level verdict from CONNECT/HELO. */
	enum mclient_verdict conn_verdict;
	enum mclient_stage conn_stage;
	char conn_reply[512];
	int dead;			/* I/O failed: nothing more can be sent */
	/* Transaction facts for macros. */
	const char *sender;
	const char *rcpt;
	const char *qid;
	int in_txn;
	unsigned long seq;
	char qidbuf[32];
	/* Packets held back (see mc_send). */
	unsigned char obuf[MC_OBUF];
	size_t olen;
	/* Reply buffer. */
	unsigned char *rbuf;
	size_t rcap;
	char err[512];
};

/* Record an error; returns -1. */
int mc_fail(struct mclient *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Open the socket named by spec (non-blocking); -1 with c->err set. */
int mc_dial(struct mclient *c, const char *spec);
/* Send one packet: command byte and data (small ones are held back). */
int mc_send(struct mclient *c, char cmd, const void *data, size_t len);
/* Write out the packets held back. */
int mc_flush(struct mclient *c);
/* Read one packet; *data points into c->rbuf until the next read. */
int mc_recv(struct mclient *c, char *cmd, const unsigned char **data, size_t *len);
/* Send SMFIC_BODYEOB and apply the modifications up to the final reply. */
int mclient_eom(struct mclient *c, const mclient_mail *m, mclient_result *res);
/*
 * Send one event (its macros first) unless the milter skips the stage, and
 * read the reply unless it said it sends none. *v gets the verdict (MC_NONE
 * = continue), *skip is set on SMFIR_SKIP. mstage < 0: no macros.
 */
int mc_event(struct mclient *c, char cmd, uint32_t skipbit, uint32_t nrbit,
    int mstage, const void *data, size_t len, enum mclient_verdict *v, int *skip,
    char *reply, size_t rsize);
/* SMFIC_MACRO for a command, from the stage's macro list. */
int mc_send_macros(struct mclient *c, char cmd, int stage);

#endif
