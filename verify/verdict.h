/*
 * verdict.h - what the end of a verified message comes to, decided in one
 * place for the milter (which applies it through libmilter) and for the
 * offline mode (which prints it): the forged Authentication-Results fields
 * to remove, the field to add and the action. No libmilter here.
 */
#ifndef POSTDKIM_VERDICT_H
#define POSTDKIM_VERDICT_H

#include <stddef.h>

#include "../dkim/dbuf.h"
#include "../config/config.h"
#include "verifier.h"

struct verdict {
	size_t nforged;		/* A-R fields to remove: see verdict_forged */
	size_t nar;		/* A-R fields in the message */
	size_t past;		/* of them, the last ones, past what the verifier kept */
	size_t *forged;		/* the others, 1-based indexes among the A-R fields */
	size_t unparsable;	/* A-R fields left: their authserv-id could not be read */
	dbuf ar;		/* the A-R value to add, when ar_rc > 0 */
	int ar_rc;		/* 1: add ar, 0: none due, -1: out of memory */
	enum config_action action;
	const char *what;	/* the case that chose the action */
};

/*
 * Decide for message v. ours: the authserv-id whose fields are forged;
 * id: the one our field carries (ours, or ours/queue-id; NULL when it could
 * not be made); fold: the line break inside our field ("\n\t" for the MTA);
 * lead: start the value with a space (SMFIP_HDR_LEADSPC); internal: the
 * action when something failed inside postdkim.
 */
void verdict_make(struct verdict *vd, const struct verifier *v, const char *ours,
    const char *id, const char *fold, int lead, enum config_action internal);
void verdict_free(struct verdict *vd);

/*
 * The k-th A-R field to remove (k < nforged), as a 1-based index among the
 * message's A-R fields: highest first, the order in which deleting them
 * leaves the indexes of the rest in place.
 */
size_t verdict_forged(const struct verdict *vd, size_t k);

#endif
