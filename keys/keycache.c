/*
 * keycache.c - the bounded, shared, reference-counted cache of private keys.
 *
 * One lock guards the index and the LRU list; it is never held while a
 * file is read or a key decoded, so a slow disk delays only the message
 * that needs that key. Two threads missing the same key at once may both
 * load it; the second one's copy is dropped.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../dkim/keyload.h"
#include "../tables/lruindex.h"
#include "../tables/stats.h"
#include "keycache.h"
#include "keysafe.h"

/* A file's identity, to tell whether it changed. */
struct kc_ident {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct kc_entry {
	struct lru_node node;		/* first: the index hands out nodes */
	char *id;			/* "f:PATH" or "t:SHA256-HEX" */
	dkim_key *key;			/* NULL: loading failed, err says why */
	char *err;
	enum stats_reason reason;	/* why it failed, for the counters */
	time_t failed_at;
	unsigned gen;			/* generation it was last checked in */
	struct kc_ident fid;		/* the file it was read from */
};

struct keycache {
	pthread_mutex_t lock;
	struct lru_index idx;
	size_t max;
	unsigned gen;
	keycache_warn_fn warn;
	void *warn_arg;
	pthread_mutex_t load_lock;	/* guards the loader */
	dkim_keyloader *loader;
	struct keycache_stats st;
};

/* A new cache. */
struct keycache *
keycache_new(size_t max, keycache_warn_fn warn, void *warn_arg)
{
	struct keycache *kc;

	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return NULL;
	if (lru_init(&kc->idx, 1024) != 0 || (kc->loader = dkim_keyloader_new()) == NULL) {
		lru_destroy(&kc->idx);
		free(kc);
		return NULL;
	}
	pthread_mutex_init(&kc->lock, NULL);
	pthread_mutex_init(&kc->load_lock, NULL);
	kc->max = max > 0 ? max : 1;
	kc->warn = warn;
	kc->warn_arg = warn_arg;
	return kc;
}

/* Free an entry (the key lives on in whoever still holds it). */
static void
kc_entry_free(struct kc_entry *e)
{
	dkim_key_free(e->key);
	free(e->err);
	free(e->id);
	free(e);
}

/* Remove e from the index and free it. */
static void
kc_remove(struct keycache *kc, struct kc_entry *e)
{
	if (e->key != NULL)
		stats_gauge_add(STATS_G_KEYS, -1);
	lru_remove(&kc->idx, &e->node);
	kc_entry_free(e);
}

/* Evict least recently used entries down to the limit. */
static void
kc_trim(struct keycache *kc)
{
	while (kc->idx.n > kc->max && kc->idx.tail != NULL) {
		kc_remove(kc, (struct kc_entry *)kc->idx.tail);
		kc->st.evictions++;
		stats_add(STATS_KEY_EVICTIONS, 1);
	}
}

/* The entry of id, or NULL. */
static struct kc_entry *
kc_find(struct keycache *kc, const char *id, uint32_t h)
{
	return (struct kc_entry *)lru_find(&kc->idx, id, h);
}

/* Change the limit. */
void
keycache_set_max(struct keycache *kc, size_t max)
{
	pthread_mutex_lock(&kc->lock);
	kc->max = max > 0 ? max : 1;
	kc_trim(kc);
	pthread_mutex_unlock(&kc->lock);
}

/* Free the cache. */
void
keycache_free(struct keycache *kc)
{
	if (kc == NULL)
		return;
	while (kc->idx.head != NULL)
		kc_remove(kc, (struct kc_entry *)kc->idx.head);
	lru_destroy(&kc->idx);
	dkim_keyloader_free(kc->loader);
	pthread_mutex_destroy(&kc->lock);
	pthread_mutex_destroy(&kc->load_lock);
	free(kc);
}

/* A reload: file keys are checked again at their next use. */
void
keycache_new_generation(struct keycache *kc)
{
	pthread_mutex_lock(&kc->lock);
	kc->gen++;
	pthread_mutex_unlock(&kc->lock);
}

/* Counters. */
void
keycache_stats(struct keycache *kc, struct keycache_stats *st)
{
	pthread_mutex_lock(&kc->lock);
	*st = kc->st;
	st->entries = kc->idx.n;
	pthread_mutex_unlock(&kc->lock);
}

/*
 * The ages of the key files held (from their modification times): the
 * oldest in *oldest (-1 when none), and in *overdue how many are older
 * than interval seconds (when interval > 0). A walk over at most
 * KeyCacheSize entries, for a scrape, never for a message.
 */
void
keycache_ages(struct keycache *kc, time_t now, long long interval, long long *oldest,
    long long *overdue)
{
	const struct lru_node *n;
	const struct kc_entry *e;
	long long age;

	*oldest = -1;
	*overdue = 0;
	pthread_mutex_lock(&kc->lock);
	for (n = kc->idx.head; n != NULL; n = n->next) {
		e = (const struct kc_entry *)n;
		if (e->key == NULL || e->id[0] != 'f')
			continue;
		age = (long long)(now - e->fid.mtime.tv_sec);
		if (age < 0)
			age = 0;
		if (age > *oldest)
			*oldest = age;
		if (interval > 0 && age > interval)
			(*overdue)++;
	}
	pthread_mutex_unlock(&kc->lock);
}

/* Decode key text with the shared loader. */
static int
kc_decode(struct keycache *kc, const char *text, size_t len, dkim_key **out, char *err,
    size_t errsize)
{
	dkim_err derr;
	int rc;

	memset(&derr, 0, sizeof(derr));
	pthread_mutex_lock(&kc->load_lock);
	rc = dkim_keyloader_load(kc->loader, text, len, out, &derr);
	pthread_mutex_unlock(&kc->load_lock);
	if (rc != DKIM_OK) {
		snprintf(err, errsize, "%s", derr.msg[0] ? derr.msg : "cannot decode the key");
		return -1;
	}
	return 0;
}

/* A file's identity from its status. */
static void
kc_ident_of(const struct stat *st, struct kc_ident *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

/* Read an opened key file (status st), bounded, and note its identity; 0, or -1 with err. */
static int
kc_read(int fd, const struct stat *st, struct kc_ident *id, char *buf, size_t bufsize,
    size_t *len, char *err, size_t errsize)
{
	ssize_t n;

	kc_ident_of(st, id);
	*len = 0;
	while (*len < bufsize && (n = read(fd, buf + *len, bufsize - *len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errsize, "%s", strerror(errno));
			return -1;
		}
		*len += (size_t)n;
	}
	if (*len >= bufsize) {
		snprintf(err, errsize, "larger than %d bytes: not a key", DKIM_KEY_FILE_MAX);
		return -1;
	}
	return 0;
}

/* A file's identity: its current stat (following links); 0, or -1. */
static int
kc_stat(const char *path, struct kc_ident *id)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	kc_ident_of(&st, id);
	return 0;
}

/* Nonzero when two identities are those of the same, unchanged file. */
static int
kc_same_file(const struct kc_ident *a, const struct kc_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/*
 * Record the outcome of a load under id (replacing what was there) and
 * hand out a reference. Called with the lock held.
 */
static int
kc_store(struct keycache *kc, const char *id, uint32_t h, dkim_key *key, const char *why,
    enum stats_reason reason, const struct kc_ident *fid, int loaded, dkim_key **out)
{
	struct kc_entry *e = kc_find(kc, id, h);

	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL || (e->id = strdup(id)) == NULL) {
			free(e);
			return -1;
		}
		lru_insert(&kc->idx, &e->node, e->id, h);
	} else
		lru_touch(&kc->idx, &e->node);
	stats_gauge_add(STATS_G_KEYS, (key != NULL) - (e->key != NULL));
	dkim_key_free(e->key);
	free(e->err);
	e->key = key;
	e->err = why ? strdup(why) : NULL;
	e->reason = reason;
	e->failed_at = key ? 0 : time(NULL);
	e->gen = kc->gen;
	if (fid != NULL)
		e->fid = *fid;
	if (loaded)
		kc->st.loads++;
	*out = key ? dkim_key_ref(key) : NULL;
	kc_trim(kc);
	return 0;
}

/*
 * Record the outcome of a load, under the lock, and answer the caller: 0
 * with *out (a reference, or the key itself when there was no room to
 * remember it), or -1 with why in err.
 */
static int
kc_remember(struct keycache *kc, const char *id, uint32_t h, dkim_key *key, const char *why,
    enum stats_reason reason, const struct kc_ident *fid, int loaded, dkim_key **out,
    char *err, size_t errsize)
{
	int rc;

	pthread_mutex_lock(&kc->lock);
	rc = kc_store(kc, id, h, key, key ? NULL : why, reason, fid, loaded, out);
	pthread_mutex_unlock(&kc->lock);
	if (key == NULL) {
		stats_add(STATS_KEY_LOAD_FAILURES, 1);
		snprintf(err, errsize, "%s", why);
		return -1;
	}
	if (rc < 0)
		*out = key;
	return 0;
}

/*
 * Look id up: 1 with *out or err when the entry answers (*rc says which),
 * 0 when the key must be (re)loaded (*stale says whether a cached copy may
 * be reused if the file is unchanged).
 */
static int
kc_lookup(struct keycache *kc, const char *id, uint32_t h, int force, dkim_key **out, int *rc,
    dkim_key **stale, struct kc_ident *sid, char *err, size_t errsize,
    enum stats_reason *reason)
{
	struct kc_entry *e;
	int answered = 0;

	*stale = NULL;
	pthread_mutex_lock(&kc->lock);
	e = kc_find(kc, id, h);
	if (e != NULL && (force || e->gen != kc->gen)) {
		if (e->key != NULL) {
			*stale = dkim_key_ref(e->key);
			*sid = e->fid;
		}
	} else if (e != NULL &&
	    (e->key != NULL || time(NULL) - e->failed_at < KEYCACHE_RETRY_SECONDS)) {
		lru_touch(&kc->idx, &e->node);
		kc->st.hits++;
		answered = 1;
		*reason = e->reason;
		if (e->key != NULL) {
			*out = dkim_key_ref(e->key);
			*rc = 0;
		} else {
			snprintf(err, errsize, "%s", e->err ? e->err : "key unusable");
			*rc = -1;
		}
	}
	pthread_mutex_unlock(&kc->lock);
	if (!force)
		stats_add(answered ? STATS_KEY_HITS : STATS_KEY_MISSES, 1);
	return answered;
}

/* Why a key file could not be used: missing, or there but unsafe (unsafe) or unreadable. */
static enum stats_reason
kc_file_reason(const char *path, int unsafe)
{
	struct stat st;

	if (stat(path, &st) != 0 && errno == ENOENT)
		return STATS_NS_KEY_MISSING;
	return unsafe ? STATS_NS_KEY_UNSAFE : STATS_NS_KEY_UNREADABLE;
}

/* The key in file path. */
int
keycache_file(struct keycache *kc, const char *path, const struct keycache_policy *pol,
    dkim_key **out, char *err, size_t errsize)
{
	enum stats_reason r;

	return keycache_file_r(kc, path, pol, out, err, errsize, &r);
}

/*
 * The key in file path, and why it failed. probe: check the file whatever
 * the cache holds, and change nothing in the cache (keycache_file_probe).
 */
static int
kc_file(struct keycache *kc, const char *path, const struct keycache_policy *pol,
    dkim_key **out, char *err, size_t errsize, enum stats_reason *reason, int probe)
{
	char id[4096 + 3], why[1024], buf[DKIM_KEY_FILE_MAX + 1], msg[1200];
	struct kc_ident fid, sid;
	dkim_key *key = NULL, *stale = NULL;
	size_t len = 0;
	uint32_t h;
	struct stat st;
	int rc = -1, safe = 0, fd = -1, loaded = 0;

	*out = NULL;
	why[0] = '\0';
	*reason = STATS_NS_KEY_UNREADABLE;
	if ((size_t)snprintf(id, sizeof(id), "f:%s", path) >= sizeof(id)) {
		snprintf(err, errsize, "%.200s...: path too long", path);
		return -1;
	}
	h = lru_hash(id);
	*reason = STATS_NS_NONE;
	if (kc_lookup(kc, id, h, probe, out, &rc, &stale, &sid, err, errsize, reason))
		return rc;

	if (stale != NULL && kc_stat(path, &fid) == 0 && kc_same_file(&sid, &fid) &&
	    (!pol->require_safe ||
	    keysafe_check(path, pol->uid, pol->gid, why, sizeof(why)) == 0)) {
		/*
		 * Unchanged since it was decoded, and its path still safe: kept
		 * without reading it, which the run-time user may not be allowed
		 * to do (a KeyFile of root's).
		 */
		key = stale;
		stale = NULL;
	} else if (stale != NULL && why[0] != '\0') {
		snprintf(msg, sizeof(msg), "%s", why);
		*reason = kc_file_reason(path, 1);
	} else if ((safe = keysafe_open(path, pol->uid, pol->gid, &fd, &st, why, sizeof(why))) < 0 ||
	    (safe == 1 && pol->require_safe)) {
		/* The file checked is the file read: one open, checked on the descriptor. */
		snprintf(msg, sizeof(msg), "%s", why);
		*reason = kc_file_reason(path, safe == 1);
	} else if (kc_read(fd, &st, &fid, buf, sizeof(buf), &len, why, sizeof(why)) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", path, why);
		*reason = STATS_NS_KEY_UNREADABLE;
	} else if (stale != NULL && kc_same_file(&sid, &fid)) {
		key = stale;
		stale = NULL;
	} else if (kc_decode(kc, buf, len, &key, why, sizeof(why)) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", path, why);
		*reason = STATS_NS_KEY_UNREADABLE;
	} else {
		loaded = 1;
		if (safe == 1 && kc->warn != NULL) {
			char w[1100];

			snprintf(w, sizeof(w), "%s (RequireSafeKeys no: used anyway)", why);
			kc->warn(kc->warn_arg, w);
		}
	}
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(buf, len);
	dkim_key_free(stale);
	if (probe) {
		if ((*out = key) == NULL)
			snprintf(err, errsize, "%s", msg);
		return key != NULL ? 0 : -1;
	}
	return kc_remember(kc, id, h, key, msg, *reason, key ? &fid : NULL, loaded, out, err,
	    errsize);
}

int
keycache_file_r(struct keycache *kc, const char *path, const struct keycache_policy *pol,
    dkim_key **out, char *err, size_t errsize, enum stats_reason *reason)
{
	return kc_file(kc, path, pol, out, err, errsize, reason, 0);
}

int
keycache_file_probe(struct keycache *kc, const char *path, const struct keycache_policy *pol,
    dkim_key **out, char *err, size_t errsize)
{
	enum stats_reason r;

	return kc_file(kc, path, pol, out, err, errsize, &r, 1);
}

/* The key written in text. */
int
keycache_text(struct keycache *kc, const char *text, size_t len, dkim_key **out, char *err,
    size_t errsize)
{
	enum stats_reason r;

	return keycache_text_r(kc, text, len, out, err, errsize, &r);
}

/* The key written in text, and why it failed. */
int
keycache_text_r(struct keycache *kc, const char *text, size_t len, dkim_key **out, char *err,
    size_t errsize, enum stats_reason *reason)
{
	unsigned char md[32];
	char id[2 + 64 + 1], why[600];
	static const char hex[] = "0123456789abcdef";
	dkim_key *key = NULL, *stale;
	struct kc_ident sid;
	unsigned mdlen = 0;
	uint32_t h;
	size_t i;
	int rc;

	*out = NULL;
	/* Named by a digest: the text itself is a secret and stays out of the index. */
	if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		snprintf(err, errsize, "cannot hash the key text");
		return -1;
	}
	id[0] = 't';
	id[1] = ':';
	for (i = 0; i < 32; i++) {
		id[2 + 2 * i] = hex[md[i] >> 4];
		id[3 + 2 * i] = hex[md[i] & 15];
	}
	id[66] = '\0';
	h = lru_hash(id);
	*reason = STATS_NS_KEY_UNREADABLE;
	if (kc_lookup(kc, id, h, 0, out, &rc, &stale, &sid, err, errsize, reason))
		return rc;
	/* The same text is the same key, whatever the generation. */
	if (stale != NULL)
		key = stale;
	else if (kc_decode(kc, text, len, &key, why, sizeof(why)) < 0)
		key = NULL;
	return kc_remember(kc, id, h, key, why, *reason, NULL, stale == NULL && key != NULL, out,
	    err, errsize);
}
