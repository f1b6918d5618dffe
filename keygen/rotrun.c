/*
 * rotrun.c - dkimrotate run: every domain's rotation advanced as far as
 * its conditions allow, in the order that keeps the invariants whatever
 * moment the process dies at:
 *   - a record is published only once its private key is on disk;
 *   - the tables switch only to a selector seen everywhere on
 *     RotateVisibleChecks consecutive runs;
 *   - the old record is revoked only after the daemon confirmed it loaded
 *     the new tables and RotateRetireAfter passed;
 *   - the old key goes only after its record was revoked, held, removed,
 *     and no authoritative server answers it any more.
 * Each transition is saved (rotstate.h) before the next one starts, and
 * on disk before anything depending on it leaves the machine (rot_durable);
 * each step can be done twice without harm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../dkim/dbuf.h"
#include "../dkim/key.h"
#include "keyfile.h"
#include "record.h"
#include "rotchunk.h"
#include "rotctx.h"
#include "rotfile.h"
#include "rotreload.h"

/* Save, reporting a failure (a state that cannot be saved stops the domain). */
int
rot_save(struct rotctx *c, struct rotstate *st)
{
	char err[512];

	if (rotstate_save(c->rc->state_dir, st, err, sizeof(err)) < 0) {
		rot_fail(c, st->domain, "cannot save the rotation state: %s", err);
		return -1;
	}
	return 0;
}

/* Set what the domain waits for (kept to one printable line). */
static void
set_wait(struct rotstate *st, const char *why)
{
	size_t i;

	snprintf(st->wait, sizeof(st->wait), "%s", why);
	for (i = 0; st->wait[i]; i++)
		if ((unsigned char)st->wait[i] < 0x20 || (unsigned char)st->wait[i] > 0x7e)
			st->wait[i] = '?';
}

/* Enter a state. */
int
rot_enter(struct rotctx *c, struct rotstate *st, enum rot_state s)
{
	st->state = s;
	st->since = c->now;
	st->wait[0] = '\0';
	return rot_save(c, st);
}

/* The record (or its revocation) of key k, and the zone-file line a person would add. */
int
rot_record_of(struct rotctx *c, const struct rotkey *k, const char *domain, int revoked,
    char *rec, size_t recsize, char *zone_form, size_t zfsize, char *why, size_t whysize)
{
	struct record_opts ro;
	dkim_key *key = NULL;
	dkim_err err;
	char name[600], *pub = NULL;
	size_t off, n, used;
	dbuf b;

	memset(&ro, 0, sizeof(ro));
	ro.alg = strcmp(k->alg, "ed25519") == 0 ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256;
	ro.pub_b64 = "";
	if (!revoked) {
		if (rot_key_load(c, k->path, &key, &err) != DKIM_OK ||
		    (pub = dkim_key_public_b64(key, &err)) == NULL) {
			snprintf(why, whysize, "%s: %s", k->path, err.msg);
			dkim_key_free(key);
			return -1;
		}
		ro.alg = dkim_key_alg(key);
		ro.pub_b64 = pub;
		dkim_key_free(key);
	}
	dbuf_init(&b);
	record_text(&ro, &b);
	free(pub);
	if (dbuf_failed(&b) || b.len >= recsize) {
		dbuf_free(&b);
		snprintf(why, whysize, "record too long");
		return -1;
	}
	memcpy(rec, b.data, b.len + 1);
	dbuf_free(&b);
	/* NAME. IN TXT ( "..." "..." ), in 255-byte strings. */
	rot_record_name(c, domain, k->sel, name, sizeof(name));
	used = (size_t)snprintf(zone_form, zfsize, "%s.\tIN\tTXT\t(", name);
	for (off = 0, n = strlen(rec); off < n && used < zfsize; off += RECORD_STRING_MAX)
		used += (size_t)snprintf(zone_form + used, zfsize - used, " \"%.*s\"",
		    RECORD_STRING_MAX, rec + off);
	if (used < zfsize)
		snprintf(zone_form + used, zfsize - used, " )\n");
	return 0;
}

/* Nonzero when paths a and b are files of the same directory. */
static int
same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');

	return sa != NULL && sb != NULL && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

/* Write the new key, unless an earlier run that died already did. */
static int
make_key(struct rotctx *c, struct rotstate *st, char *why, size_t whysize)
{
	char dir[ROT_PATH_MAX], *slash, *pem = NULL;
	struct keyfile_tmp t;
	struct stat old, sb;
	dkim_key *key;
	dkim_err err;
	size_t len = 0;
	int rc, replace = 0;

	if (rot_key_load(c, st->new.path, &key, &err) == DKIM_OK) {
		dkim_key_free(key);
		if (st->new.created == 0)
			st->new.created = c->now;
		return 0;
	}
	/*
	 * A file there that is no key: the machine stopped before the last
	 * run flushed the key it wrote. Its record never went out (the key is
	 * flushed first), so it is replaced; anything but a file is left.
	 */
	if (lstat(st->new.path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			snprintf(why, whysize, "%.300s exists and is not a file", st->new.path);
			return -1;
		}
		replace = 1;
	}
	snprintf(dir, sizeof(dir), "%s", st->new.path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		snprintf(why, whysize, "%.300s: not an absolute path", st->new.path);
		return -1;
	}
	*slash = '\0';
	if (keyfile_generate(strcmp(st->new.alg, "ed25519") == 0 ? DKIM_ALG_ED25519_SHA256 :
	    DKIM_ALG_RSA_SHA256, st->new.bits, &pem, &len, &err) != DKIM_OK ||
	    keyfile_stage_flush(dir, slash + 1, pem, len, 0600, 0, &t, &err) != DKIM_OK) {
		keyfile_pem_free(pem, len);
		snprintf(why, whysize, "%s", err.msg);
		return -1;
	}
	keyfile_pem_free(pem, len);
	/* The daemon reads it as the old key's owner (or, for --add, the other key's). */
	if (geteuid() == 0 && stat(st->old.path, &old) == 0 &&
	    chown(t.tmp, old.st_uid, old.st_gid) != 0) {
		snprintf(why, whysize, "chown %.300s: %s", t.tmp, strerror(errno));
		keyfile_discard(&t);
		return -1;
	}
	rc = keyfile_commit(&t, replace, &err);
	keyfile_discard(&t);
	if (rc != DKIM_OK) {
		snprintf(why, whysize, "%s", err.msg);
		return -1;
	}
	/* It is flushed with the others before any record goes out (rot_durable). */
	if ((c->keydirs.n == 0 || !same_dir(c->keydirs.v[c->keydirs.n - 1], st->new.path)) &&
	    strlist_add(&c->keydirs, st->new.path) < 0) {
		snprintf(why, whysize, "out of memory");
		return -1;
	}
	st->new.created = c->now;
	return 0;
}

/*
 * The keys written since the last call: one syncfs for each filesystem
 * they went to, however many keys and directories, where a fsync per key
 * and directory was most of a publishing run. Then the states waiting to
 * be written (rotstate.h).
 */
int
rot_durable(struct rotctx *c, char *why, size_t whysize)
{
	dev_t done[8];
	struct stat sb;
	size_t i, j, ndone = 0;
	int rc = 0;

	for (i = 0; i < c->keydirs.n && rc == 0; i++) {
		if (stat(c->keydirs.v[i], &sb) != 0) {
			snprintf(why, whysize, "%.300s: %s", c->keydirs.v[i], strerror(errno));
			rc = -1;
			break;
		}
		for (j = 0; j < ndone && done[j] != sb.st_dev; j++)
			;
		if (j < ndone)
			continue;
		if (rotfile_sync_fs(c->keydirs.v[i]) != 0) {
			snprintf(why, whysize, "%.300s: syncfs: %s", c->keydirs.v[i],
			    strerror(errno));
			rc = -1;
		} else if (ndone < sizeof(done) / sizeof(done[0]))
			done[ndone++] = sb.st_dev;
	}
	strlist_free(&c->keydirs);
	if (rc == 0)
		rc = rotstate_sync(why, whysize);
	return rc;
}

static void fresh_line(const struct rotentry *e, char *out, size_t size);

/*
 * Publish (or, record NULL, remove) at the selector sel of st's domain: 0
 * when done, 1 when queued to go out with other records of its zone
 * (rot_send then moves the domain on), 2 when its zone is asked of the
 * chunk (rotprobe.h: nothing done yet), -1 with why.
 */
static int
put(struct rotctx *c, const struct rotstate *st, const struct rotentry *e, const char *sel,
    const char *record, const char *zone_form, char *why, size_t whysize)
{
	char name[600], zone[512] = "", fresh[ROT_PATH_MAX + 1024];
	int rc;

	rot_record_name(c, st->domain, sel, name, sizeof(name));
	if (rotpub_needs_zone(&c->pub)) {
		if (rot_dns(c, why, whysize) == NULL)
			return -1;
		if ((rc = rot_zone(c, name, zone, sizeof(zone), why, whysize)) < 0)
			return rc == ROT_DEFER ? 2 : -1;
	}
	if (!rotpub_batches(&c->pub))
		return rot_durable(c, why, whysize) < 0 ? -1 :
		    rotpub_put(&c->pub, c->dns, zone, name, record, zone_form, why, whysize);
	if (c->queue.max_items == 0)
		rotqueue_init(&c->queue, ROTQUEUE_ITEMS, ROTQUEUE_BYTES);
	fresh_line(e, fresh, sizeof(fresh));
	if ((rc = rotqueue_add(&c->queue, zone, name, record, st->domain, sel, (int)st->state,
	    fresh)) < 0) {
		snprintf(why, whysize, "out of memory");
		return -1;
	}
	/* A chunk's batches go out together at its end (rot_send_ready). */
	if (c->probe != NULL)
		return 1;
	if (rc > 0)
		rot_send(c, zone);
	else if (rotqueue_long(&c->queue))
		rot_send(c, NULL);
	return 1;
}

/* The KeyTable value naming the new key (the algorithm column kept when there was one). */
static void
new_value(const struct rotstate *st, const struct rotentry *e, char *out, size_t size)
{
	snprintf(out, size, "%s:%s:%s%s%s", st->domain, st->new.sel, st->new.path,
	    e->alg[0] ? ":" : "", e->alg[0] ? (strcmp(st->new.alg, "ed25519") == 0 ?
	    "ed25519-sha256" : "rsa-sha256") : "");
}

/*
 * Queue the domain's table change: its KeyTable entry switched to the new
 * key; or (a second signature) an entry added beside it with a twin of
 * each of its SigningTable lines; or the entry and its lines removed.
 */
static void
queue_switch(struct rotctx *c, const struct rotstate *st, const struct rotentry *e)
{
	char v[2048], second[300];
	int rc;

	if (st->kind == RK_DROP)
		rc = memtable_add(&c->drops, e->name, strlen(e->name), "", 0, e->line);
	else if (st->kind == RK_ADD) {
		rot_second_name(e->name, second, sizeof(second));
		snprintf(v, sizeof(v), "%s:%s:%s", st->domain, st->new.sel,
		    st->new.path);
		rc = memtable_add(&c->adds, second, strlen(second), v, strlen(v), e->line);
		if (rc == 0)
			rc = memtable_add(&c->twins, e->name, strlen(e->name), second,
			    strlen(second), e->line);
	} else {
		new_value(st, e, v, sizeof(v));
		rc = memtable_add(&c->changes, e->name, strlen(e->name), v, strlen(v), e->line);
	}
	if (rc < 0 || strlist_add(&c->switching, st->domain) < 0)
		rot_fail(c, st->domain, "out of memory");
}

/* After the confirmed load: a key replaced or removed retires; one added is simply in use. */
int
rot_load_confirmed(struct rotctx *c, struct rotstate *st)
{
	st->switched = c->now;
	if (st->kind == RK_ADD) {
		if (rot_enter(c, st, RS_IDLE) < 0)
			return -1;
		rot_say(c, st->domain, "Ed25519 signature %s in use (postdkim load %s)",
		    st->new.sel, c->loaded);
		return 0;
	}
	if (rot_enter(c, st, RS_RETIRING) < 0)
		return -1;
	if (st->kind == RK_DROP)
		rot_say(c, st->domain, "Ed25519 signature %s no longer used (postdkim load %s)",
		    st->old.sel, c->loaded);
	else
		rot_say(c, st->domain, "switched to %s (postdkim load %s)", st->new.sel,
		    c->loaded);
	return 0;
}

/* What rot_fresh_checks needs of an entry. */
static void
fresh_line(const struct rotentry *e, char *out, size_t size)
{
	snprintf(out, size, "%s\t%s\t%s\t%s\t%s", e->name, e->domain, e->selector, e->key,
	    e->alg);
}

/*
 * The change st's state asked for was accepted: the next state, saved, and
 * the entry (as fresh_line wrote it) kept for rot_fresh_checks.
 */
void
rot_put_done(struct rotctx *c, struct rotstate *st, const char *fresh)
{
	switch (st->state) {
	case RS_PUBLISH:
		st->checks = 0;
		st->published = c->now;
		if (rot_enter(c, st, RS_VISIBLE) < 0)
			return;
		rot_say(c, st->domain, "published %s", st->new.sel);
		break;
	case RS_RETIRING:
		st->revoke_seen = 0;
		if (rot_enter(c, st, RS_REVOKED) < 0)
			return;
		rot_say(c, st->domain, "revoked %s (empty p=)", st->old.sel);
		break;
	case RS_REVOKED:
		if (rot_enter(c, st, RS_DELETED) < 0)
			return;
		rot_say(c, st->domain, "removed the record of %s", st->old.sel);
		break;
	default:
		return;
	}
	/*
	 * Checked once the run's other updates are out, when the
	 * secondaries had time to transfer it (rot_fresh_checks).
	 */
	if (strlist_add(&c->fresh, fresh) < 0)
		rot_fail(c, st->domain, "out of memory");
}

/* The change st's state asked for failed: the domain stays where it is, and the run fails. */
void
rot_put_failed(struct rotctx *c, struct rotstate *st, const char *why)
{
	switch (st->state) {
	case RS_PUBLISH:
		rot_fail(c, st->domain, "publishing %s failed: %s", st->new.sel, why);
		break;
	case RS_RETIRING:
		rot_fail(c, st->domain, "revoking %s failed: %s", st->old.sel, why);
		break;
	case RS_REVOKED:
		rot_fail(c, st->domain, "removing the record of %s failed: %s", st->old.sel, why);
		return;
	default:
		return;
	}
	set_wait(st, why);
	rot_save(c, st);
}

/* Publish, revoke or remove as st's state asks: done now, queued, or failed. */
static void
change(struct rotctx *c, struct rotstate *st, const struct rotentry *e, const char *sel,
    const char *record, const char *zone_form)
{
	char why[512] = "", fresh[ROT_PATH_MAX + 1024];
	int rc = put(c, st, e, sel, record, zone_form, why, sizeof(why));

	if (rc < 0)
		rot_put_failed(c, st, why);
	else if (rc == 0) {
		fresh_line(e, fresh, sizeof(fresh));
		rot_put_done(c, st, fresh);
	}
}

/*
 * One step of the lifecycle: 1 when the state changed and the next step
 * may follow now, 0 when the domain waits (or failed: c->failed says).
 */
static int
step(struct rotctx *c, struct rotstate *st, const struct rotentry *e)
{
	char why[512], rec[8192], zf[10240];
	unsigned need;
	int seen;

	why[0] = '\0';
	switch (st->state) {
	case RS_GENERATE:
		if (make_key(c, st, why, sizeof(why)) < 0) {
			rot_fail(c, st->domain, "cannot write the new key %s: %s", st->new.path, why);
			return 0;
		}
		if (rot_enter(c, st, RS_PUBLISH) < 0)
			return 0;
		rot_say(c, st->domain, "generated %s (%s %d) in %s", st->new.sel, st->new.alg,
		    st->new.bits, st->new.path);
		return 1;
	case RS_PUBLISH:
		if (rot_record_of(c, &st->new, st->domain, 0, rec, sizeof(rec), zf, sizeof(zf), why,
		    sizeof(why)) < 0)
			rot_put_failed(c, st, why);
		else
			change(c, st, e, st->new.sel, rec, zf);
		return 0;
	case RS_VISIBLE:
		/* Nothing to see before a removal. */
		if (st->kind == RK_DROP) {
			queue_switch(c, st, e);
			return 0;
		}
		/* A run died after switching the table: carry on with the reload. */
		if (st->kind == RK_ROTATE && strcmp(e->selector, st->new.sel) == 0) {
			queue_switch(c, st, e);
			return 0;
		}
		if (rot_record_of(c, &st->new, st->domain, 0, rec, sizeof(rec), zf, sizeof(zf), why,
		    sizeof(why)) < 0) {
			rot_fail(c, st->domain, "%s", why);
			return 0;
		}
		if ((seen = rot_check(c, st->domain, st->new.sel, rec, 1, why, sizeof(why))) ==
		    ROT_DEFER)
			return 0;
		if (seen) {
			st->checks++;
			st->wait[0] = '\0';
		} else {
			st->checks = 0;
			set_wait(st, why);
		}
		need = st->emergency ? 1 : c->rc->visible_checks;
		if (rot_save(c, st) < 0)
			return 0;
		if (st->checks == 0 && c->quiet)
			return 0;
		if (st->checks == 0)
			rot_say(c, st->domain, "waiting: %s", st->wait);
		else
			rot_say(c, st->domain, "%s visible everywhere (%u/%u)", st->new.sel,
			    st->checks > need ? need : st->checks, need);
		if (st->checks >= need)
			queue_switch(c, st, e);
		return 0;
	case RS_ACTIVE:
		if (c->loaded[0] != '\0' && strcmp(c->loaded, st->loaded_before) != 0)
			return rot_load_confirmed(c, st) == 0;
		if (c->now - st->reload_sent >= (long long)c->rc->reload_timeout) {
			if (strlist_add(&c->resend, st->domain) < 0)
				rot_fail(c, st->domain, "out of memory");
		} else
			rot_say(c, st->domain, "waiting: postdkim to confirm it loaded the new tables");
		return 0;
	case RS_RETIRING:
		if (!st->emergency && c->now < st->switched + (long long)c->rc->retire_after)
			return 0;
		if (rot_record_of(c, &st->old, st->domain, 1, rec, sizeof(rec), zf, sizeof(zf), why,
		    sizeof(why)) < 0)
			rot_put_failed(c, st, why);
		else
			change(c, st, e, st->old.sel, rec, zf);
		return 0;
	case RS_REVOKED:
		if (st->revoke_seen == 0) {
			if (rot_record_of(c, &st->old, st->domain, 1, rec, sizeof(rec), zf, sizeof(zf),
			    why, sizeof(why)) < 0)
				return 0;
			if ((seen = rot_check(c, st->domain, st->old.sel, rec, 0, why, sizeof(why))) ==
			    ROT_DEFER)
				return 0;
			if (!seen) {
				set_wait(st, why);
				rot_save(c, st);
				if (!c->quiet)
					rot_say(c, st->domain, "waiting: %s", st->wait);
				return 0;
			}
			st->revoke_seen = c->now;
			st->wait[0] = '\0';
			if (rot_save(c, st) < 0)
				return 0;
		}
		if (c->now < st->revoke_seen + (long long)c->rc->revoke_hold)
			return 0;
		change(c, st, e, st->old.sel, NULL, NULL);
		return 0;
	case RS_DELETED:
		if ((seen = rot_check(c, st->domain, st->old.sel, NULL, 0, why, sizeof(why))) ==
		    ROT_DEFER)
			return 0;
		if (!seen) {
			set_wait(st, why);
			rot_save(c, st);
			if (!c->quiet)
				rot_say(c, st->domain, "waiting: %s", st->wait);
			return 0;
		}
		if (memtable_add(&c->release, st->old.path, strlen(st->old.path), st->domain,
		    strlen(st->domain), 0) < 0)
			rot_fail(c, st->domain, "out of memory");
		return 0;
	case RS_IDLE:
	default:
		return 0;
	}
}

/* Advance a domain until it waits. */
void
rot_advance(struct rotctx *c, struct rotstate *st, const struct rotentry *e)
{
	int guard;

	for (guard = 0; guard < RS_COUNT + 1 && step(c, st, e); guard++)
		;
}

/* A domain's rotation is due by RotateInterval, spread over a tenth of it. */
static int
due(const struct rotctx *c, const struct rotentry *e, const struct rotstate *st,
    struct rotkey *k)
{
	unsigned long h = 5381;
	const char *p;

	if (c->rc->interval == 0)
		return 0;
	rot_entry_key(e, st, k);
	if (k->created == 0)
		return 0;
	for (p = e->domain; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return c->now - k->created >= (long long)(c->rc->interval + h % (c->rc->interval / 10 + 1));
}

/* What the walk of a run works with. */
struct walk {
	struct rotctx *c;
	struct rotchunk chunk;
};

/* One KeyTable entry during a run: into the chunk, advanced with others. */
static int
run_entry(void *arg, const struct rotentry *e)
{
	struct walk *w = arg;
	struct rotctx *c = w->c;
	struct rotstate st;
	struct rotkey k;

	if (!rotstate_domain_ok(e->domain) || rot_entry_state(c, e, &st) <= 0)
		return 0;
	if (st.state == RS_IDLE) {
		if (!due(c, e, &st, &k) || rot_begin(c, e, &st, NULL, 0, 0, RK_ROTATE) < 0)
			return 0;
	}
	rotchunk_add(c, &w->chunk, e, &st, 0);
	return 0;
}

/* dkimrotate run. */
int
rot_run(struct rotctx *c)
{
	char err[1024];
	struct walk w;
	int rc;

	rotreload_loaded(c->cfg->pidfile, c->loaded, sizeof(c->loaded));
	memset(&w, 0, sizeof(w));
	w.c = c;
	rc = rotkt_walk(&c->kt, run_entry, &w, err, sizeof(err));
	rotchunk_flush(c, &w.chunk);
	rotchunk_free(&w.chunk);
	if (rc < 0) {
		rot_fail(c, NULL, "%s", err);
		return 1;
	}
	/* The walk's records out before they are looked at again. */
	rot_send_all(c);
	rot_fresh_checks(c);
	rot_switch_and_reload(c);
	rot_send_all(c);	/* an emergency's revocation */
	rot_release_keys(c);
	if (c->pub.updates > 0)
		rot_say(c, NULL, "DNS: %zu records sent in %zu UPDATE messages", c->pub.records,
		    c->pub.updates);
	return c->failed ? 1 : 0;
}
