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
 * each step can be done twice without harm.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "rotctx.h"
#include "rotfile.h"
#include "rotreload.h"

#define CONFIRM_WAIT_MS 10000	/* how long a run waits for the daemon's load record */
#define FRESH_WAIT_MS 10000	/* ... and for servers to answer what it published */
#define FRESH_STEP_MS 500

/* Sleep for ms milliseconds. */
static void
nap(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Milliseconds on the monotonic clock. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Save, reporting a failure (a state that cannot be saved stops the domain). */
static int
save(struct rotctx *c, struct rotstate *st)
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
static int
enter(struct rotctx *c, struct rotstate *st, enum rot_state s)
{
	st->state = s;
	st->since = c->now;
	st->wait[0] = '\0';
	return save(c, st);
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
		if (dkim_key_load_file(k->path, &key, &err) != DKIM_OK ||
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

/* Write the new key, unless an earlier run that died already did. */
static int
make_key(struct rotctx *c, struct rotstate *st, char *why, size_t whysize)
{
	char dir[ROT_PATH_MAX], *slash, *pem = NULL;
	struct keyfile_tmp t;
	struct stat old;
	dkim_key *key;
	dkim_err err;
	size_t len = 0;
	int rc;

	if (dkim_key_load_file(st->new.path, &key, &err) == DKIM_OK) {
		dkim_key_free(key);
		if (st->new.created == 0)
			st->new.created = c->now;
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", st->new.path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		snprintf(why, whysize, "%.300s: not an absolute path", st->new.path);
		return -1;
	}
	*slash = '\0';
	if (keyfile_generate(strcmp(st->new.alg, "ed25519") == 0 ? DKIM_ALG_ED25519_SHA256 :
	    DKIM_ALG_RSA_SHA256, st->new.bits, &pem, &len, &err) != DKIM_OK ||
	    keyfile_stage(dir, slash + 1, pem, len, 0600, &t, &err) != DKIM_OK) {
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
	rc = keyfile_commit(&t, 0, &err);
	keyfile_discard(&t);
	if (rc != DKIM_OK) {
		snprintf(why, whysize, "%s", err.msg);
		return -1;
	}
	rotfile_sync_dir(st->new.path);
	st->new.created = c->now;
	return 0;
}

/* Publish (or, record NULL, remove) at domain's selector sel. */
static int
put(struct rotctx *c, const char *domain, const char *sel, const char *record,
    const char *zone_form, char *why, size_t whysize)
{
	char name[600], zone[512] = "";

	rot_record_name(c, domain, sel, name, sizeof(name));
	if (rotpub_needs_zone(&c->pub) && (rot_dns(c, why, whysize) == NULL ||
	    rot_zone(c, name, zone, sizeof(zone), why, whysize) < 0))
		return -1;
	return rotpub_put(&c->pub, c->dns, zone, name, record, zone_form, why, whysize);
}

/* Every authoritative server answers want (NULL: nothing) at domain's selector sel. */
static int
everywhere(struct rotctx *c, const char *domain, const char *sel, const char *want, char *why,
    size_t whysize)
{
	char name[600], zone[512] = "";

	rot_record_name(c, domain, sel, name, sizeof(name));
	if ((c->rc->authoritative == NULL || c->rc->delegate != NULL) &&
	    rot_zone(c, name, zone, sizeof(zone), why, whysize) < 0)
		return 0;
	return rot_everywhere(c, zone, name, want, why, whysize);
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
static int
load_confirmed(struct rotctx *c, struct rotstate *st)
{
	st->switched = c->now;
	if (st->kind == RK_ADD) {
		if (enter(c, st, RS_IDLE) < 0)
			return -1;
		rot_say(c, st->domain, "Ed25519 signature %s in use (postdkim load %s)",
		    st->new.sel, c->loaded);
		return 0;
	}
	if (enter(c, st, RS_RETIRING) < 0)
		return -1;
	if (st->kind == RK_DROP)
		rot_say(c, st->domain, "Ed25519 signature %s no longer used (postdkim load %s)",
		    st->old.sel, c->loaded);
	else
		rot_say(c, st->domain, "switched to %s (postdkim load %s)", st->new.sel,
		    c->loaded);
	return 0;
}

/* Remember an entry published in this run, for fresh_checks. */
static int
fresh_add(struct rotctx *c, const struct rotentry *e)
{
	char v[ROT_PATH_MAX + 1024];

	snprintf(v, sizeof(v), "%s\t%s\t%s\t%s\t%s", e->name, e->domain, e->selector, e->key,
	    e->alg);
	return strlist_add(&c->fresh, v);
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

	why[0] = '\0';
	switch (st->state) {
	case RS_GENERATE:
		if (make_key(c, st, why, sizeof(why)) < 0) {
			rot_fail(c, st->domain, "cannot write the new key %s: %s", st->new.path, why);
			return 0;
		}
		if (enter(c, st, RS_PUBLISH) < 0)
			return 0;
		rot_say(c, st->domain, "generated %s (%s %d) in %s", st->new.sel, st->new.alg,
		    st->new.bits, st->new.path);
		return 1;
	case RS_PUBLISH:
		if (rot_record_of(c, &st->new, st->domain, 0, rec, sizeof(rec), zf, sizeof(zf), why,
		    sizeof(why)) < 0 || put(c, st->domain, st->new.sel, rec, zf, why,
		    sizeof(why)) < 0) {
			rot_fail(c, st->domain, "publishing %s failed: %s", st->new.sel, why);
			set_wait(st, why);
			save(c, st);
			return 0;
		}
		st->checks = 0;
		st->published = c->now;
		if (enter(c, st, RS_VISIBLE) < 0)
			return 0;
		rot_say(c, st->domain, "published %s", st->new.sel);
		/*
		 * Checked once the run's other updates are out, when the
		 * secondaries had time to transfer it (fresh_checks).
		 */
		if (fresh_add(c, e) < 0)
			rot_fail(c, st->domain, "out of memory");
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
		if (everywhere(c, st->domain, st->new.sel, rec, why, sizeof(why)) &&
		    rot_resolver_sees(c, st->domain, st->new.sel, rec, why, sizeof(why))) {
			st->checks++;
			st->wait[0] = '\0';
		} else {
			st->checks = 0;
			set_wait(st, why);
		}
		need = st->emergency ? 1 : c->rc->visible_checks;
		if (save(c, st) < 0)
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
			return load_confirmed(c, st) == 0;
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
		    sizeof(why)) < 0 || put(c, st->domain, st->old.sel, rec, zf, why,
		    sizeof(why)) < 0) {
			rot_fail(c, st->domain, "revoking %s failed: %s", st->old.sel, why);
			set_wait(st, why);
			save(c, st);
			return 0;
		}
		st->revoke_seen = 0;
		if (enter(c, st, RS_REVOKED) < 0)
			return 0;
		rot_say(c, st->domain, "revoked %s (empty p=)", st->old.sel);
		if (fresh_add(c, e) < 0)
			rot_fail(c, st->domain, "out of memory");
		return 0;
	case RS_REVOKED:
		if (st->revoke_seen == 0) {
			if (rot_record_of(c, &st->old, st->domain, 1, rec, sizeof(rec), zf, sizeof(zf),
			    why, sizeof(why)) < 0)
				return 0;
			if (!everywhere(c, st->domain, st->old.sel, rec, why, sizeof(why))) {
				set_wait(st, why);
				save(c, st);
				if (!c->quiet)
					rot_say(c, st->domain, "waiting: %s", st->wait);
				return 0;
			}
			st->revoke_seen = c->now;
			st->wait[0] = '\0';
			if (save(c, st) < 0)
				return 0;
		}
		if (c->now < st->revoke_seen + (long long)c->rc->revoke_hold)
			return 0;
		if (put(c, st->domain, st->old.sel, NULL, NULL, why, sizeof(why)) < 0) {
			rot_fail(c, st->domain, "removing the record of %s failed: %s", st->old.sel, why);
			return 0;
		}
		if (enter(c, st, RS_DELETED) < 0)
			return 0;
		rot_say(c, st->domain, "removed the record of %s", st->old.sel);
		if (fresh_add(c, e) < 0)
			rot_fail(c, st->domain, "out of memory");
		return 0;
	case RS_DELETED:
		if (!everywhere(c, st->domain, st->old.sel, NULL, why, sizeof(why))) {
			set_wait(st, why);
			save(c, st);
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
static void
advance(struct rotctx *c, struct rotstate *st, const struct rotentry *e)
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

/* One KeyTable entry during a run. */
static int
run_entry(void *arg, const struct rotentry *e)
{
	struct rotctx *c = arg;
	struct rotstate st;
	struct rotkey k;

	if (!rotstate_domain_ok(e->domain) || rot_entry_state(c, e, &st) <= 0)
		return 0;
	if (st.state == RS_IDLE) {
		if (!due(c, e, &st, &k) || rot_begin(c, e, &st, NULL, 0, 0, RK_ROTATE) < 0)
			return 0;
	}
	advance(c, &st, e);
	return 0;
}

/*
 * The domains whose records this run changed (published, revoked,
 * removed): looked at again once all the run's updates went out, and
 * again for up to FRESH_WAIT_MS while a server has not caught up, so that
 * with healthy servers the run that publishes counts as one of
 * RotateVisibleChecks, and a revocation or removal is seen in its own run.
 */
static void
fresh_checks(struct rotctx *c)
{
	struct rotstate st;
	struct rotentry e;
	char err[512], *f[5], *p;
	size_t i, pending, n, released;
	long long deadline = mono_ms() + FRESH_WAIT_MS;
	enum rot_state before;
	long long seen;
	int k;

	for (;;) {
		/* The last round (whatever the number of domains) says what they wait for. */
		c->quiet = mono_ms() + FRESH_STEP_MS < deadline;
		for (i = pending = 0; i < c->fresh.n; i++) {
			if (c->fresh.v[i][0] == '\0')
				continue;
			for (p = c->fresh.v[i], k = 0; k < 5; k++) {
				f[k] = p;
				n = strcspn(p, "\t");
				p += n + (p[n] != '\0');
				if (k < 4)
					f[k][n] = '\0';
			}
			e.name = f[0];
			e.domain = f[1];
			e.selector = f[2];
			e.key = f[3];
			e.alg = f[4];
			e.line = 0;
			if (rotstate_load(c->rc->state_dir, e.domain, &st, err, sizeof(err)) <= 0) {
				c->fresh.v[i][0] = '\0';
				continue;
			}
			before = st.state;
			seen = st.revoke_seen;
			released = c->release.n;
			advance(c, &st, &e);
			if (st.state != before || (st.state == RS_VISIBLE && st.checks > 0) ||
			    st.revoke_seen != seen ||
			    c->release.n != released || (st.state != RS_VISIBLE &&
			    st.state != RS_REVOKED && st.state != RS_DELETED))
				c->fresh.v[i][0] = '\0';
			else {
				/* Put the tabs back for the next round. */
				for (k = 0; k < 4; k++)
					f[k][strlen(f[k])] = '\t';
				pending++;
			}
		}
		if (pending == 0 || !c->quiet)
			break;
		nap(FRESH_STEP_MS);
	}
	c->quiet = 0;
}

/* Mark the domains of list with a sent reload (or confirm them). */
static void
mark(struct rotctx *c, const struct strlist *l, const char *before, int confirmed)
{
	struct rotstate st;
	struct rotentry e;
	char err[512];
	size_t i;

	memset(&e, 0, sizeof(e));
	e.selector = e.alg = e.name = e.domain = e.key = "";
	for (i = 0; i < l->n; i++) {
		if (rotstate_load(c->rc->state_dir, l->v[i], &st, err, sizeof(err)) <= 0) {
			rot_fail(c, l->v[i], "%s", err);
			continue;
		}
		if (confirmed) {
			if (st.state != RS_ACTIVE)
				continue;
			if (load_confirmed(c, &st) == 0)
				advance(c, &st, &e);	/* an emergency revokes at once */
			continue;
		}
		snprintf(st.loaded_before, sizeof(st.loaded_before), "%s", before);
		st.reload_sent = c->now;
		if (st.state != RS_ACTIVE)
			enter(c, &st, RS_ACTIVE);
		else
			save(c, &st);
	}
}

/* The new value of a switched entry. */
static const char *
change_of(void *arg, const char *name)
{
	const struct memtable *t = arg;
	struct dataset_row r;
	uint32_t i;

	if ((i = memtable_find(t, name, strlen(name))) == MEMTABLE_NONE)
		return NULL;
	memtable_row(t, i, &r);
	return r.field[0];
}

/*
 * Second signatures added or removed (file tables only, as start checked),
 * in the order that never leaves a SigningTable line naming a missing key:
 * KeyTable additions (and switches), SigningTable, then KeyTable removals.
 */
static int
edit_tables(struct rotctx *c)
{
	struct rotedit kt_add = { &c->adds, NULL, NULL }, st_ed = { NULL, &c->drops, &c->twins };
	struct rotedit kt_drop = { NULL, &c->drops, NULL };
	char path[4096], err[1024];
	size_t n1, n2, n3 = 0;

	if (c->rc->signtable == NULL || rottable_path(c->rc->signtable, path, sizeof(path), err,
	    sizeof(err)) < 0) {
		rot_fail(c, NULL, "a second signature needs a file SigningTable: %s",
		    c->rc->signtable ? err : "none");
		return -1;
	}
	if (rottable_edit(c->kt.path, 0, change_of, &c->changes, &kt_add, &n1, err,
	    sizeof(err)) < 0 || rottable_edit(path, 1, NULL, NULL, &st_ed, &n2, err,
	    sizeof(err)) < 0 || (c->drops.n > 0 && rottable_edit(c->kt.path, 0, NULL, NULL,
	    &kt_drop, &n3, err, sizeof(err)) < 0)) {
		rot_fail(c, NULL, "cannot rewrite the tables: %s", err);
		return -1;
	}
	rot_say(c, NULL, "KeyTable %s: %zu entries changed; SigningTable %s: %zu lines changed",
	    c->kt.name, n1 + n3, path, n2);
	return 0;
}

/* Rewrite the tables once, reload once, and wait a little for the daemon to confirm. */
static void
switch_and_reload(struct rotctx *c)
{
	char err[1024], before[64];
	size_t changed, waited;

	if (c->switching.n > 0) {
		if (memtable_index(&c->changes) < 0 || memtable_index(&c->adds) < 0 ||
		    memtable_index(&c->twins) < 0 || memtable_index(&c->drops) < 0) {
			rot_fail(c, NULL, "out of memory");
			return;
		}
		if (c->adds.n + c->drops.n > 0) {
			if (edit_tables(c) < 0)
				return;
		} else if (rotkt_rewrite(&c->kt, &c->changes, &changed, err, sizeof(err)) < 0) {
			rot_fail(c, NULL, "cannot rewrite the KeyTable: %s", err);
			return;
		} else
			rot_say(c, NULL, "KeyTable %s: %zu entries switched", c->kt.name, changed);
	}
	if (c->switching.n == 0 && c->resend.n == 0)
		return;
	rotreload_loaded(c->cfg->pidfile, before, sizeof(before));
	mark(c, &c->switching, before, 0);
	mark(c, &c->resend, before, 0);
	if (rotreload_send(c->rc->reload, c->cfg->pidfile, err, sizeof(err)) < 0) {
		rot_fail(c, NULL, "reload of postdkim failed: %s", err);
		return;
	}
	rot_say(c, NULL, "reload sent to postdkim (%zu domains switching)",
	    c->switching.n + c->resend.n);
	for (waited = 0; waited < CONFIRM_WAIT_MS && waited < c->rc->reload_timeout * 1000;
	    waited += 100) {
		rotreload_loaded(c->cfg->pidfile, c->loaded, sizeof(c->loaded));
		if (c->loaded[0] != '\0' && strcmp(c->loaded, before) != 0) {
			mark(c, &c->switching, before, 1);
			mark(c, &c->resend, before, 1);
			return;
		}
		nap(100);
	}
}

/* Which released keys another entry still uses. */
struct refs {
	struct rotctx *c;
	unsigned char *used;
};

/* Mark a released key that this entry still names. */
static int
ref_entry(void *arg, const struct rotentry *e)
{
	struct refs *r = arg;
	uint32_t i = memtable_find(&r->c->release, e->key, strlen(e->key));

	if (i != MEMTABLE_NONE)
		r->used[i] = 1;
	return 0;
}

/* Delete (or archive) an old key file. */
static int
drop_key(struct rotctx *c, const char *path, char *why, size_t whysize)
{
	char dest[ROT_PATH_MAX + 64];
	const char *base = strrchr(path, '/');

	if (c->rc->archive_dir == NULL) {
		if (unlink(path) != 0 && errno != ENOENT) {
			snprintf(why, whysize, "unlink %.300s: %s", path, strerror(errno));
			return -1;
		}
		rotfile_sync_dir(path);
		return 0;
	}
	snprintf(dest, sizeof(dest), "%s/%s.%lld", c->rc->archive_dir, base ? base + 1 : path,
	    c->now);
	if (chmod(path, 0600) != 0 && errno != ENOENT) {
		snprintf(why, whysize, "chmod %.300s: %s", path, strerror(errno));
		return -1;
	}
	if (rename(path, dest) != 0 && errno != ENOENT) {
		snprintf(why, whysize, "moving %.200s to %.200s: %s", path, dest, strerror(errno));
		return -1;
	}
	rotfile_sync_dir(dest);
	rotfile_sync_dir(path);
	return 0;
}

/* The old keys whose records are gone everywhere: deleted, then the rotation is done. */
static void
release_keys(struct rotctx *c)
{
	struct dataset_row row;
	struct rotstate st;
	struct refs r;
	char err[512], why[512];
	size_t i;

	if (c->release.n == 0)
		return;
	if (memtable_index(&c->release) < 0 || (r.used = calloc(c->release.n, 1)) == NULL) {
		rot_fail(c, NULL, "out of memory");
		return;
	}
	r.c = c;
	if (rotkt_walk(&c->kt, ref_entry, &r, err, sizeof(err)) < 0) {
		rot_fail(c, NULL, "%s", err);
		free(r.used);
		return;
	}
	for (i = 0; i < c->release.n; i++) {
		memtable_row(&c->release, (uint32_t)i, &row);
		if (rotstate_load(c->rc->state_dir, row.field[0], &st, err, sizeof(err)) <= 0 ||
		    st.state != RS_DELETED)
			continue;
		if (r.used[i])
			rot_say(c, st.domain, "old key %s kept: another KeyTable entry uses it",
			    st.old.path);
		else if (drop_key(c, st.old.path, why, sizeof(why)) < 0) {
			rot_fail(c, st.domain, "%s", why);
			continue;
		} else
			rot_say(c, st.domain, "old key %s %s", st.old.path, c->rc->archive_dir ?
			    "archived" : "deleted");
		memset(&st.old, 0, sizeof(st.old));
		st.checks = 0;
		st.emergency = 0;
		st.loaded_before[0] = '\0';
		if (enter(c, &st, RS_IDLE) == 0)
			rot_say(c, st.domain, st.kind == RK_DROP ? "Ed25519 signature removed" :
			    "rotation to %s complete", st.new.sel);
	}
	free(r.used);
}

/* dkimrotate run. */
int
rot_run(struct rotctx *c)
{
	char err[1024];

	rotreload_loaded(c->cfg->pidfile, c->loaded, sizeof(c->loaded));
	if (rotkt_walk(&c->kt, run_entry, c, err, sizeof(err)) < 0) {
		rot_fail(c, NULL, "%s", err);
		return 1;
	}
	fresh_checks(c);
	switch_and_reload(c);
	release_keys(c);
	return c->failed ? 1 : 0;
}
