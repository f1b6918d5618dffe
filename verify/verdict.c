/*
 * verdict.c - the end of a verified message as one decision: forged A-R
 * fields (found before our own field is made, so that removing them never
 * depends on anything else succeeding), our A-R value, and the action.
 */
#include <stdlib.h>

#include "verdict.h"

/* Decide what the end of a verified message does. */
void
verdict_make(struct verdict *vd, const struct verifier *v, const char *ours, const char *id,
    const char *fold, int lead, enum config_action internal)
{
	vd->forged = NULL;
	vd->nforged = vd->unparsable = 0;
	dbuf_init(&vd->ar);
	if (v->nar > 0 && (vd->forged = calloc(v->nar, sizeof(*vd->forged))) != NULL)
		vd->nforged = verifier_forged(v, ours, vd->forged, v->nar, &vd->unparsable);
	if (lead)
		dbuf_addc(&vd->ar, ' ');
	vd->ar_rc = id == NULL ? -1 : verifier_authres(v, id, fold, &vd->ar);
	vd->action = verifier_action(v, internal, &vd->what);
}

void
verdict_free(struct verdict *vd)
{
	free(vd->forged);
	vd->forged = NULL;
	dbuf_free(&vd->ar);
}
