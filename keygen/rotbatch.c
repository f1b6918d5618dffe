/*
 * rotbatch.c - what a run does once it has walked every domain: a second
 * look at the records it changed (servers had time to catch up), the
 * tables rewritten once for every domain that switches, one reload of
 * postdkim and the wait for its load record, and the old keys whose
 * records are gone everywhere deleted or archived.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rotchunk.h"
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

/*
 * The domains whose records this run changed (published, revoked,
 * removed): looked at again once all the run's updates went out, and
 * again for up to FRESH_WAIT_MS while a server has not caught up, so that
 * with healthy servers the run that publishes counts as one of
 * RotateVisibleChecks, and a revocation or removal is seen in its own run.
 */
/* A round's bookkeeping. */
struct round {
	size_t pending;
};

/* Done with an entry, unless it still waits for a server to catch up. */
static void
fresh_after(struct rotctx *c, struct rotchunk_item *it, void *arg)
{
	struct round *r = arg;
	const struct rotstate *st = &it->st;

	if (st->state != it->before || (st->state == RS_VISIBLE && st->checks > 0) ||
	    st->revoke_seen != it->revoke_seen || it->released > 0 ||
	    (st->state != RS_VISIBLE && st->state != RS_REVOKED && st->state != RS_DELETED))
		c->fresh.v[it->tag][0] = '\0';
	else
		r->pending++;
}

void
rot_fresh_checks(struct rotctx *c)
{
	struct rotchunk k;
	struct rotstate st;
	struct rotentry e;
	struct round r;
	char err[512], line[ROT_PATH_MAX + 1024], *f[5], *p;
	size_t i, n;
	long long deadline = mono_ms() + FRESH_WAIT_MS;
	int j;

	memset(&k, 0, sizeof(k));
	k.after = fresh_after;
	k.arg = &r;
	for (;;) {
		/* The last round (whatever the number of domains) says what they wait for. */
		c->quiet = mono_ms() + FRESH_STEP_MS < deadline;
		r.pending = 0;
		for (i = 0; i < c->fresh.n; i++) {
			if (c->fresh.v[i][0] == '\0')
				continue;
			snprintf(line, sizeof(line), "%s", c->fresh.v[i]);
			for (p = line, j = 0; j < 5; j++) {
				f[j] = p;
				n = strcspn(p, "\t");
				p += n + (p[n] != '\0');
				f[j][n] = '\0';
			}
			e.name = f[0];
			e.domain = f[1];
			e.selector = f[2];
			e.key = f[3];
			e.alg = f[4];
			e.line = 0;
			if (rotstate_load(c->rc->state_dir, e.domain, &st, err, sizeof(err)) <= 0 ||
			    rotchunk_add(c, &k, &e, &st, i) < 0)
				c->fresh.v[i][0] = '\0';
		}
		rotchunk_flush(c, &k);
		/* A removal this round queued goes out, and is looked at next round. */
		n = c->fresh.n;
		rot_send_all(c);
		r.pending += c->fresh.n - n;
		if (r.pending == 0 || !c->quiet)
			break;
		nap(FRESH_STEP_MS);
	}
	rotchunk_free(&k);
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
			if (st.state != RS_ACTIVE && st.state != RS_VISIBLE)
				continue;
			if (rot_load_confirmed(c, &st) == 0)
				rot_advance(c, &st, &e);	/* an emergency revokes at once */
			continue;
		}
		snprintf(st.loaded_before, sizeof(st.loaded_before), "%s", before);
		st.reload_sent = c->now;
		if (st.state != RS_ACTIVE)
			rot_enter(c, &st, RS_ACTIVE);
		else
			rot_save(c, &st);
	}
	/* Durable before the retire clock counts, or the next run reads them. */
	if (rotstate_sync(err, sizeof(err)) < 0)
		rot_fail(c, NULL, "%s", err);
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
	if (rottable_edit(c->kt.path, 0, rottable_change_in, &c->changes, &kt_add, &n1, err,
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

/*
 * Switch the KeyTable entries of c->changes. A table without a
 * transaction over entries (LDAP) may make some and fail the others: the
 * domains switched stay in c->switching (reloaded, confirmed, retired as
 * usual), the others leave it and stay VISIBLE, to switch next run. 0 when
 * any switched, -1 when none did.
 */
static int
rewrite(struct rotctx *c)
{
	struct memtable done;
	struct dataset_row r;
	struct strlist kept;
	unsigned char *applied;
	char err[1024];
	size_t changed, i, n;
	int rc = 0;

	if ((applied = calloc(c->changes.n + 1, 1)) == NULL) {
		rot_fail(c, NULL, "out of memory");
		return -1;
	}
	if (rotkt_rewrite(&c->kt, &c->changes, &changed, applied, err, sizeof(err)) == 0) {
		rot_say(c, NULL, "KeyTable %s: %zu entries switched", c->kt.name, changed);
		free(applied);
		return 0;
	}
	rot_fail(c, NULL, "cannot rewrite the KeyTable: %s", err);
	/* The domains of the changes made: a new value begins "domain:". */
	memtable_init(&done, 0);
	memset(&kept, 0, sizeof(kept));
	for (i = 0; i < c->changes.n && rc == 0; i++) {
		if (!applied[i])
			continue;
		memtable_row(&c->changes, (uint32_t)i, &r);
		n = strcspn(r.field[0], ":");
		rc = memtable_add(&done, r.field[0], n, "", 0, 0);
	}
	if (rc == 0 && done.n > 0)
		rc = memtable_index(&done);
	for (i = 0; i < c->switching.n && rc == 0 && done.n > 0; i++)
		if (memtable_find(&done, c->switching.v[i], strlen(c->switching.v[i])) !=
		    MEMTABLE_NONE)
			rc = strlist_add(&kept, c->switching.v[i]);
	if (rc < 0)
		rot_fail(c, NULL, "out of memory");
	else if (kept.n > 0)
		rot_say(c, NULL, "KeyTable %s: %zu entries switched (%zu domains); the others "
		    "stay visible and switch at the next run", c->kt.name, changed, kept.n);
	strlist_free(&c->switching);
	c->switching = kept;
	memtable_free(&done);
	free(applied);
	return rc < 0 || kept.n == 0 ? -1 : 0;
}

/* Rewrite the tables once, reload once, and wait a little for the daemon to confirm. */
void
rot_switch_and_reload(struct rotctx *c)
{
	char err[1024], before[64];
	size_t waited;

	if (c->switching.n > 0 || c->resend.n > 0) {
		/* The states that allowed the switch written first. */
		if (rot_durable(c, err, sizeof(err)) < 0) {
			rot_fail(c, NULL, "%s", err);
			return;
		}
	}
	if (c->switching.n > 0) {
		if (memtable_index(&c->changes) < 0 || memtable_index(&c->adds) < 0 ||
		    memtable_index(&c->twins) < 0 || memtable_index(&c->drops) < 0) {
			rot_fail(c, NULL, "out of memory");
			return;
		}
		if (c->adds.n + c->drops.n > 0) {
			if (edit_tables(c) < 0)
				return;
		} else if (rewrite(c) < 0)
			return;
	}
	if (c->switching.n == 0 && c->resend.n == 0)
		return;
	/*
	 * The domains switching are saved once: retiring when the daemon
	 * confirms within the wait, else active with the reload's time (sent
	 * again after RotateReloadTimeout). One that dies before that stays
	 * visible with its table switched, and the next run reloads it again.
	 */
	rotreload_loaded(c->cfg->pidfile, before, sizeof(before));
	if (rotreload_send(c->rc->reload, c->cfg->pidfile, c->rc->reload_timeout, err,
	    sizeof(err)) < 0) {
		rot_fail(c, NULL, "reload of postdkim failed: %s", err);
		mark(c, &c->switching, before, 0);
		mark(c, &c->resend, before, 0);
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
	mark(c, &c->switching, before, 0);
	mark(c, &c->resend, before, 0);
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
void
rot_release_keys(struct rotctx *c)
{
	struct dataset_row row;
	struct rotstate st;
	struct refs r;
	char err[512], why[512];
	size_t i;

	if (c->release.n == 0)
		return;
	/* The states that allowed it written before any key goes. */
	if (rot_durable(c, err, sizeof(err)) < 0) {
		rot_fail(c, NULL, "%s", err);
		return;
	}
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
		if (rot_enter(c, &st, RS_IDLE) == 0)
			rot_say(c, st.domain, st.kind == RK_DROP ? "Ed25519 signature removed" :
			    "rotation to %s complete", st.new.sel);
	}
	free(r.used);
}
