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
	size_t n = 0;

	vd->forged = NULL;
	vd->nar = v->nar;
	vd->past = vd->unparsable = 0;
	dbuf_init(&vd->ar);
	if (v->nkept > 0 && (vd->forged = calloc(v->nkept, sizeof(*vd->forged))) == NULL) {
		/* Out of memory: every field goes, rather than one of ours stay. */
		vd->past = v->vc->keep_ar ? 0 : v->nar;
	} else {
		n = verifier_forged(v, ours, vd->forged, v->nkept, &vd->past, &vd->unparsable);
	}
	vd->nforged = vd->past + n;
	if (lead)
		dbuf_addc(&vd->ar, ' ');
	vd->ar_rc = id == NULL ? -1 : verifier_authres(v, id, fold, &vd->ar);
	vd->action = verifier_action(v, internal, &vd->what);
}

/* The k-th field to remove: those past the kept ones first, from the last. */
size_t
verdict_forged(const struct verdict *vd, size_t k)
{
	return k < vd->past ? vd->nar - k : vd->forged[k - vd->past];
}

void
verdict_free(struct verdict *vd)
{
	free(vd->forged);
	vd->forged = NULL;
	dbuf_free(&vd->ar);
}
