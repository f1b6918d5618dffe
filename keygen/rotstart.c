/*
 * rotstart.c - beginning a rotation (dkimrotate start, emergency, and run
 * for keys older than RotateInterval): the new key's algorithm, size,
 * selector and file are decided and saved; the key itself is made by the
 * next run, paced with the DNS updates, so that "start --all" over 100,000
 * domains returns at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rotctx.h"
#include "rotsel.h"

/* What the selector chooser needs to know what is taken. */
struct taken {
	const char *dir, *domain, *current;
};

/* A selector is taken when it is the current one or its key file exists. */
static int
is_taken(void *arg, const char *sel)
{
	const struct taken *t = arg;
	char path[ROT_PATH_MAX + 600];
	struct stat sb;

	if (strcmp(sel, t->current) == 0)
		return 1;
	snprintf(path, sizeof(path), "%s/%s.%s.private", t->dir, t->domain, sel);
	return lstat(path, &sb) == 0;
}

/* "NAME-ed25519": the KeyTable entry of a domain's second signature. */
void
rot_second_name(const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s-ed25519", name);
}

/* An Ed25519 entry: so says its algorithm column, or its key. */
int
rot_entry_ed25519(const struct rotentry *e)
{
	struct rotkey k;

	if (e->alg[0] != '\0')
		return strcmp(e->alg, "ed25519-sha256") == 0;
	memset(&k, 0, sizeof(k));
	rot_keyinfo(e->key, &k);
	return strcmp(k.alg, "ed25519") == 0;
}

/* Begin removing entry e (an Ed25519 second signature): its lines go at the next run. */
static int
begin_drop(struct rotctx *c, const struct rotentry *e, struct rotstate *st)
{
	char err[512];

	memset(&st->new, 0, sizeof(st->new));
	strcpy(st->entry, e->name);
	strcpy(st->old.sel, e->selector);
	strcpy(st->old.path, e->key);
	rot_keyinfo(e->key, &st->old);
	st->kind = RK_DROP;
	st->emergency = 0;
	st->checks = 0;
	st->published = st->reload_sent = st->switched = st->revoke_seen = 0;
	st->loaded_before[0] = '\0';
	st->state = RS_VISIBLE;
	st->since = c->now;
	st->wait[0] = '\0';
	if (rotstate_save(c->rc->state_dir, st, err, sizeof(err)) < 0) {
		rot_fail(c, e->domain, "cannot save the rotation state: %s", err);
		return -1;
	}
	rot_say(c, e->domain, "removing the Ed25519 signature %s", e->selector);
	return 0;
}

/*
 * Begin a rotation of entry e into st (idle): alg "rsa"/"ed25519" or NULL
 * (keep the key's), bits or 0 (keep; RSA below 2048 becomes 2048). With
 * kind RK_ADD, an Ed25519 key to sign beside e's; with RK_DROP, e goes.
 */
int
rot_begin(struct rotctx *c, const struct rotentry *e, struct rotstate *st, const char *alg,
    int bits, int emergency, enum rot_kind kind)
{
	char dir[ROT_PATH_MAX], err[512], *slash;
	struct taken t;
	int n;

	st->entry[0] = '\0';
	if (strlen(e->name) >= sizeof(st->entry) || strlen(e->key) >= sizeof(st->old.path) ||
	    strlen(e->selector) >= sizeof(st->old.sel)) {
		rot_fail(c, e->domain, "KeyTable entry too long");
		return -1;
	}
	memset(&st->old, 0, sizeof(st->old));
	if (kind == RK_DROP)
		return begin_drop(c, e, st);
	memset(&st->new, 0, sizeof(st->new));
	strcpy(st->entry, e->name);
	strcpy(st->old.sel, e->selector);
	strcpy(st->old.path, e->key);
	rot_keyinfo(e->key, &st->old);
	if (kind == RK_ADD)
		alg = "ed25519";
	snprintf(st->new.alg, sizeof(st->new.alg), "%s", alg ? alg : st->old.alg[0] &&
	    strcmp(st->old.alg, "?") != 0 ? st->old.alg : "rsa");
	if (strcmp(st->new.alg, "ed25519") == 0)
		st->new.bits = 256;
	else
		st->new.bits = bits ? bits : st->old.bits < 2048 ? 2048 : st->old.bits;
	if (c->rc->key_dir != NULL)
		snprintf(dir, sizeof(dir), "%s", c->rc->key_dir);
	else {
		snprintf(dir, sizeof(dir), "%s", e->key);
		if ((slash = strrchr(dir, '/')) == NULL) {
			rot_fail(c, e->domain, "key %s: not an absolute path", e->key);
			return -1;
		}
		*slash = '\0';
	}
	t.dir = dir;
	t.domain = e->domain;
	t.current = e->selector;
	if (c->rc->delegate != NULL) {
		/* Two selectors, alternating: the customers' CNAMEs never change. */
		snprintf(st->new.sel, sizeof(st->new.sel), "%s",
		    strcmp(e->selector, "selector1") == 0 ? "selector2" : "selector1");
	} else if (rotsel_make(c->rc->selector_format, (time_t)c->now, is_taken, &t,
	    st->new.sel, sizeof(st->new.sel), err, sizeof(err)) < 0) {
		rot_fail(c, e->domain, "%s", err);
		return -1;
	}
	n = snprintf(st->new.path, sizeof(st->new.path), "%s/%s.%s.private", dir, e->domain,
	    st->new.sel);
	if (n < 0 || (size_t)n >= sizeof(st->new.path)) {
		rot_fail(c, e->domain, "new key path too long");
		return -1;
	}
	st->new.created = 0;
	if (kind == RK_ADD) {
		/*
		 * Nothing is replaced: the key signing now stays (its path only
		 * tells whose the new key file is).
		 */
		memset(&st->old, 0, sizeof(st->old));
		strcpy(st->old.path, e->key);
	}
	st->kind = kind;
	st->emergency = emergency;
	st->checks = 0;
	st->published = st->reload_sent = st->switched = st->revoke_seen = 0;
	st->loaded_before[0] = '\0';
	st->state = RS_GENERATE;
	st->since = c->now;
	st->wait[0] = '\0';
	if (rotstate_save(c->rc->state_dir, st, err, sizeof(err)) < 0) {
		rot_fail(c, e->domain, "cannot save the rotation state: %s", err);
		return -1;
	}
	if (kind == RK_ADD)
		rot_say(c, e->domain, "adding an Ed25519 signature: %s", st->new.sel);
	else
		rot_say(c, e->domain, "rotation started: %s -> %s (%s %d)%s", e->selector,
		    st->new.sel, st->new.alg, st->new.bits, emergency ? ", emergency" : "");
	return 0;
}
