/*
 * taglist.h - strict parser for DKIM tag=value lists (RFC 6376 §3.2), used
 * for DKIM-Signature fields and key records. Tags point into the input.
 */
#ifndef DKIM_TAGLIST_H
#define DKIM_TAGLIST_H

#include <stddef.h>
#include "dkim_err.h"

#define DKIM_TAGS_MAX 64

typedef struct dkim_tag {
	const char *name;
	size_t nlen;
	const char *value;	/* surrounding FWS removed; inner FWS kept */
	size_t vlen;
} dkim_tag;

typedef struct dkim_taglist {
	dkim_tag tags[DKIM_TAGS_MAX];
	size_t n;
} dkim_taglist;

/*
 * Parse s (len bytes). Errors name the offending tag and what is wrong:
 * duplicate tag, bad tag name, missing '=', bad character in a value,
 * empty tag-spec, too many tags.
 */
int dkim_taglist_parse(const char *s, size_t len, dkim_taglist *tl, dkim_err *err);

/* The tag of that name (case-sensitive, as RFC 6376 says), or NULL. */
const dkim_tag *dkim_taglist_get(const dkim_taglist *tl, const char *name);

/* Nonzero when the tag's value equals want exactly. */
int dkim_tag_is(const dkim_tag *t, const char *want);

/*
 * Nonzero when a colon-separated list (h=, s=, t= values) holds word,
 * compared case-insensitively, FWS around the items ignored.
 */
int dkim_tag_list_has(const char *v, size_t n, const char *word);

#endif
