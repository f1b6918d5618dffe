/*
 * dataset_dsn.c - dsn: data sets, tables in a database (OpenDKIM's
 * syntax, dsn.c), read through a back end (dataset_pgsql.c,
 * dataset_mysql.c) behind a lookup cache (dscache.c). ldap: data sets
 * (dataset_ldap.c) are a back end too, attached with dataset_dsn_attach().
 *
 * The milter's threads look up concurrently: each data set keeps a small
 * pool of connections, opened on demand. A connection that breaks (the
 * server restarted, or killed it) is dropped and the lookup is retried once
 * on a new one; when the server cannot be reached, attempts are spaced out
 * (doubling up to backoff_max_ms) and lookups in between fail at once
 * instead of each waiting for a connect timeout. Whenever the server cannot
 * answer, a cached answer is used even if expired: recently seen keys keep
 * working; the others fail (-1), which the caller turns into a tempfail.
 *
 * A host name in the DSN is resolved by the client library synchronously,
 * outside its connect timeout: an address keeps every wait bounded.
 *
 * What a back end says goes through redact() with the password first: the
 * client libraries' messages are theirs, and may quote what they were given.
 *
 * Every open data set is listed, for the health check of the metrics
 * endpoint: whether its last query reached the server, and a probe that
 * asks each one again (dataset_dsn_probe) so that an outage and its end
 * are seen without waiting for mail. Lookups, errors, reconnections and
 * cache hits are counted (stats.h) by back end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataset_impl.h"
#include "dscache.h"
#include "dsn_backend.h"
#include "dsn_module.h"
#include "redact.h"
#include "stats.h"

#define DSN_POOL_MAX 16
#define DSN_BACKOFF_MIN 250	/* ms */

struct dsnset {
	struct dsn dsn;
	const struct dsn_backend *be;
	struct dscache *cache;		/* NULL: no cache */
	struct dataset_db_settings set;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	void *idle[DSN_POOL_MAX];
	size_t nidle, nconn;		/* idle ones, and all open ones */
	unsigned long generation;	/* dataset_disconnect(): older connections go */
	unsigned long long retry_at;	/* no connection attempt before (ms) */
	unsigned long backoff;		/* ms, 0 after a success */
	char lasterr[512];		/* why the last connection attempt failed */
	int lost;			/* a connection broke or failed: the next is a reconnect */
	/* The health check (registry lock): */
	struct dsnset *reg_prev, *reg_next;
	int probing;			/* a probe uses it: closing waits */
	int down;			/* its last query did not reach the server */
	char downwhy[300];
};

/* Every open data set, for the health check. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cond = PTHREAD_COND_INITIALIZER;
static struct dsnset *reg_head;

/* A pooled connection and the generation it belongs to. */
struct dsn_handle {
	void *conn;
	unsigned long generation;
	int fresh;			/* just connected: a failure is not a stale connection */
};

static void dsn_flush(struct dsnset *s);

static struct dataset_db_settings dsn_settings = {
	DATASET_CACHE_TTL * 1000UL, DATASET_CACHE_SIZE, 4, 2000, 2000, 10000
};

/* The default settings. */
void
dataset_db_defaults(struct dataset_db_settings *s)
{
	s->cache_ttl_ms = DATASET_CACHE_TTL * 1000UL;
	s->cache_size = DATASET_CACHE_SIZE;
	s->pool_size = 4;
	s->connect_timeout_ms = 2000;
	s->query_timeout_ms = 2000;
	s->backoff_max_ms = 10000;
}

/* Settings for data sets opened from now on. */
void
dataset_set_db_settings(const struct dataset_db_settings *s)
{
	dsn_settings = *s;
	if (dsn_settings.pool_size < 1)
		dsn_settings.pool_size = 1;
	if (dsn_settings.pool_size > DSN_POOL_MAX)
		dsn_settings.pool_size = DSN_POOL_MAX;
	if (dsn_settings.cache_size < 1)
		dsn_settings.cache_size = 1;
}

/* DatabaseCacheTTL. */
void
dataset_set_cache_ttl(unsigned seconds)
{
	dsn_settings.cache_ttl_ms = seconds * 1000UL;
}

/* DatabaseCacheSize. */
void
dataset_set_cache_size(size_t answers)
{
	dsn_settings.cache_size = answers ? answers : 1;
}

/* "PostgreSQL at HOST[:PORT]" for messages. */
static void
dsn_server(const struct dsnset *s, char *buf, size_t size)
{
	if (s->dsn.port)
		snprintf(buf, size, "%s at %s port %u", s->be->product, s->dsn.host, s->dsn.port);
	else
		snprintf(buf, size, "%s at %s", s->be->product, s->dsn.host);
}

/* A connection from the pool, a new one, or NULL with err. */
static int
dsn_acquire(struct dsnset *s, struct dsn_handle *h, char *err, size_t errsize)
{
	unsigned long long now, deadline = dsn_now() + s->set.query_timeout_ms;
	struct timespec ts;
	char why[512];
	void *c;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		now = dsn_now();
		if (s->nidle > 0) {
			h->conn = s->idle[--s->nidle];
			h->generation = s->generation;
			h->fresh = 0;
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		if (s->nconn < s->set.pool_size) {
			if (now < s->retry_at) {
				snprintf(err, errsize, "cannot connect (next attempt in %llu ms): %s",
				    s->retry_at - now, s->lasterr);
				pthread_mutex_unlock(&s->lock);
				return -1;
			}
			s->nconn++;
			h->generation = s->generation;
			pthread_mutex_unlock(&s->lock);
			c = s->be->connect(&s->dsn, s->set.connect_timeout_ms,
			    s->set.query_timeout_ms, why, sizeof(why));
			pthread_mutex_lock(&s->lock);
			if (c == NULL) {
				redact(why, sizeof(why), s->dsn.password);
				s->nconn--;
				s->backoff = s->backoff ? s->backoff * 2 : DSN_BACKOFF_MIN;
				if (s->backoff > s->set.backoff_max_ms)
					s->backoff = s->set.backoff_max_ms;
				s->retry_at = dsn_now() + s->backoff;
				snprintf(s->lasterr, sizeof(s->lasterr), "%s", why);
				s->lost = 1;
				pthread_cond_broadcast(&s->freed);
				pthread_mutex_unlock(&s->lock);
				snprintf(err, errsize, "cannot connect: %s", why);
				return -1;
			}
			s->backoff = 0;
			s->retry_at = 0;
			if (s->lost)
				stats_db(s->be->name, STATS_DB_RECONNECTS);
			s->lost = 0;
			pthread_mutex_unlock(&s->lock);
			h->conn = c;
			h->fresh = 1;
			return 0;
		}
		if (now >= deadline) {
			pthread_mutex_unlock(&s->lock);
			snprintf(err, errsize, "all %u connections busy for %u ms", s->set.pool_size,
			    s->set.query_timeout_ms);
			return -1;
		}
		ts.tv_sec = 0;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)((deadline - now) / 1000);
		ts.tv_nsec += (long)((deadline - now) % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->freed, &s->lock, &ts);
	}
}

/* Give a connection back; a broken or outdated one is closed. */
static void
dsn_release(struct dsnset *s, struct dsn_handle *h, int broken)
{
	pthread_mutex_lock(&s->lock);
	if (broken)
		s->lost = 1;
	if (broken || h->generation != s->generation || s->nidle >= DSN_POOL_MAX) {
		s->nconn--;
		pthread_cond_broadcast(&s->freed);
		pthread_mutex_unlock(&s->lock);
		s->be->disconnect(h->conn);
	} else {
		s->idle[s->nidle++] = h->conn;
		pthread_cond_signal(&s->freed);
		pthread_mutex_unlock(&s->lock);
	}
	h->conn = NULL;
}

/* Record whether the server answered, for the health check (one line, no secrets). */
static void
dsn_health(struct dsnset *s, int ok, const char *why)
{
	size_t i;

	pthread_mutex_lock(&reg_lock);
	s->down = !ok;
	if (!ok) {
		snprintf(s->downwhy, sizeof(s->downwhy), "%s: %s", s->dsn.name, why);
		for (i = 0; s->downwhy[i] != '\0'; i++)
			if ((unsigned char)s->downwhy[i] < ' ' || s->downwhy[i] == 0x7f)
				s->downwhy[i] = ' ';
	}
	pthread_mutex_unlock(&reg_lock);
}

/*
 * Run the lookup (key) or walk (NULL) query into rows; a pooled connection
 * found broken is replaced once, since after a server restart every
 * pooled connection is dead but the server is fine. err says the server
 * and why, not the data set: a lookup's caller names it ("SigningTable
 * dsn:...: "), and would otherwise log the DSN twice per message.
 */
static int
dsn_query(struct dsnset *s, const char *key, struct dsrows *rows, char *err, size_t errsize)
{
	struct dsn_handle h;
	char why[768], srv[300];
	int broken, rc, tries;

	for (tries = 0; tries < 2; tries++) {
		if (dsn_acquire(s, &h, why, sizeof(why)) < 0)
			break;
		broken = 0;
		dsrows_free(rows);
		rc = s->be->query(h.conn, &s->dsn, key, s->set.query_timeout_ms, rows, &broken,
		    why, sizeof(why));
		if (rc < 0)
			redact(why, sizeof(why), s->dsn.password);
		dsn_release(s, &h, broken);
		if (rc == 0 && rows->nomem) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		if (rc == 0) {
			dsn_health(s, 1, NULL);
			return 0;
		}
		if (!broken || h.fresh)
			break;
		/* The server went away: the other pooled connections are dead too. */
		dsn_flush(s);
	}
	dsn_server(s, srv, sizeof(srv));
	snprintf(err, errsize, "%s: %s", srv, why);
	dsn_health(s, 0, err);
	return -1;
}

/* Nonzero when s is valid UTF-8 (what the connections declare they send). */
static int
dsn_utf8(const unsigned char *s)
{
	size_t n, i;

	for (; *s; s += n) {
		if (*s < 0x80)
			n = 1;
		else if (*s >= 0xc2 && *s <= 0xdf)
			n = 2;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 3;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 4;
		else
			return 0;
		for (i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		if ((n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))) ||
		    (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))))
			return 0;
	}
	return 1;
}

/* Pass a cached answer's rows to fn. */
static int
dsn_cached(char *buf, size_t len, dataset_row_fn fn, void *arg)
{
	int n = buf ? dsrows_each(buf, len, fn, arg) : 0;

	free(buf);
	return n;
}

/* The rows of key: from the cache when fresh, else from the server. */
static int
dsn_lookup(struct dataset *ds, const char *key, dataset_row_fn fn, void *arg, char *err,
    size_t errsize)
{
	struct dsnset *s = ds->impl;
	struct dsrows rows;
	char *buf;
	size_t len;
	int rc;

	/*
	 * A key that is not UTF-8 cannot be in a UTF-8 table, and sending it
	 * would make the server refuse the query: that must not tempfail mail.
	 */
	if (!dsn_utf8((const unsigned char *)key))
		return 0;
	stats_db(s->be->name, STATS_DB_LOOKUPS);
	if (s->cache != NULL) {
		rc = dscache_get(s->cache, key, 0, &buf, &len);
		if (rc == DSCACHE_FRESH) {
			stats_db(s->be->name, STATS_DB_CACHE_HITS);
			return dsn_cached(buf, len, fn, arg);
		}
	}
	dsrows_init(&rows);
	if (dsn_query(s, key, &rows, err, errsize) < 0) {
		dsrows_free(&rows);
		stats_db(s->be->name, STATS_DB_ERRORS);
		if (s->cache != NULL && dscache_get(s->cache, key, 1, &buf, &len) > 0) {
			stats_db(s->be->name, STATS_DB_CACHE_HITS);
			return dsn_cached(buf, len, fn, arg);
		}
		return -1;
	}
	/* Not cached for want of memory: the answer is still right. */
	if (s->cache != NULL)
		(void)dscache_put(s->cache, key, rows.nrows ? rows.buf : NULL, rows.len);
	rc = dsrows_each(rows.buf, rows.len, fn, arg);
	dsrows_free(&rows);
	return rc;
}

/* Every row of the table, from the server. */
static long
dsn_walk(struct dataset *ds, dataset_row_fn fn, void *arg, char *err, size_t errsize)
{
	struct dsnset *s = ds->impl;
	struct dsrows rows;
	char why[1024];
	long n;

	dsrows_init(&rows);
	if (dsn_query(s, NULL, &rows, why, sizeof(why)) < 0) {
		dsrows_free(&rows);
		/* A walk's error names its data set, as a file's names its path. */
		snprintf(err, errsize, "%s: %s", s->dsn.name, why);
		return -1;
	}
	n = dsrows_each(rows.buf, rows.len, fn, arg);
	dsrows_free(&rows);
	return n;
}

/* Connect and run the lookup query once, past the cache: do table and columns exist? */
static int
dsn_check(struct dataset *ds, char *info, size_t infosize, char *err, size_t errsize)
{
	struct dsnset *s = ds->impl;
	struct dsn_handle h;
	struct dsrows rows;
	char why[768], srv[300], version[128];
	int broken = 0, rc;

	dsn_server(s, srv, sizeof(srv));
	pthread_mutex_lock(&s->lock);
	s->retry_at = 0;	/* the administrator asked: try now */
	pthread_mutex_unlock(&s->lock);
	if (dsn_acquire(s, &h, why, sizeof(why)) < 0) {
		snprintf(err, errsize, "%s: %s: %s", s->dsn.name, srv, why);
		return -1;
	}
	dsrows_init(&rows);
	rc = s->be->query(h.conn, &s->dsn, "postdkim-check.invalid", s->set.query_timeout_ms,
	    &rows, &broken, why, sizeof(why));
	if (rc < 0)
		redact(why, sizeof(why), s->dsn.password);
	dsrows_free(&rows);
	s->be->version(h.conn, version, sizeof(version));
	dsn_release(s, &h, broken);
	if (rc < 0) {
		snprintf(err, errsize, "%s: %s: %s", s->dsn.name, srv, why);
		return -1;
	}
	if (s->be->info != NULL)
		s->be->info(&s->dsn, version, info, infosize);
	else
		snprintf(info, infosize, "%s %s at %s%s%.0u, database %s, table %s",
		    s->be->product, version, s->dsn.host, s->dsn.port ? " port " : "",
		    s->dsn.port, s->dsn.dbase, s->dsn.table);
	return 0;
}

/* Close every connection; those in use close when given back. */
static void
dsn_flush(struct dsnset *s)
{
	void *idle[DSN_POOL_MAX];
	size_t n, i;

	pthread_mutex_lock(&s->lock);
	s->generation++;
	n = s->nidle;
	memcpy(idle, s->idle, n * sizeof(idle[0]));
	s->nidle = 0;
	s->nconn -= n;
	s->retry_at = 0;
	s->backoff = 0;
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < n; i++)
		s->be->disconnect(idle[i]);
}

/* dataset_disconnect(). */
static void
dsn_disconnect(struct dataset *ds)
{
	dsn_flush(ds->impl);
}

/* Close the connections and free everything. */
static void
dsn_close(struct dataset *ds)
{
	struct dsnset *s = ds->impl;

	if (s == NULL)
		return;
	/* Off the list; a probe in progress finishes first (at most a query timeout). */
	pthread_mutex_lock(&reg_lock);
	while (s->probing)
		pthread_cond_wait(&reg_cond, &reg_lock);
	if (s->reg_prev != NULL)
		s->reg_prev->reg_next = s->reg_next;
	else if (reg_head == s)
		reg_head = s->reg_next;
	if (s->reg_next != NULL)
		s->reg_next->reg_prev = s->reg_prev;
	pthread_mutex_unlock(&reg_lock);
	dsn_disconnect(ds);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->freed);
	dscache_free(s->cache);
	dsn_free(&s->dsn);
	free(s);
	ds->impl = NULL;
}

static const struct dataset_ops dsn_ops = {
	.lookup = dsn_lookup, .walk = dsn_walk, .check = dsn_check, .close = dsn_close,
	.disconnect = dsn_disconnect
};

/* Take over d as data set ds, read through be. */
int
dataset_dsn_attach(struct dataset *ds, struct dsn *d, const struct dsn_backend *be,
    const struct dataset_db_settings *set, char *err, size_t errsize)
{
	struct dsnset *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		dsn_free(d);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	s->dsn = *d;
	memset(d, 0, sizeof(*d));
	s->be = be;
	s->set = *set;
	if (pthread_mutex_init(&s->lock, NULL) != 0 || pthread_cond_init(&s->freed, NULL) != 0 ||
	    (s->set.cache_ttl_ms > 0 &&
	    (s->cache = dscache_new(s->set.cache_ttl_ms, s->set.cache_size)) == NULL)) {
		snprintf(err, errsize, "out of memory");
		dsn_free(&s->dsn);
		free(s);
		return -1;
	}
	ds->ops = &dsn_ops;
	ds->impl = s;
	pthread_mutex_lock(&reg_lock);
	s->reg_next = reg_head;
	if (reg_head != NULL)
		reg_head->reg_prev = s;
	reg_head = s;
	pthread_mutex_unlock(&reg_lock);
	if ((ds->name = strdup(s->dsn.name)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

/* The settings data sets opened now get. */
void
dataset_db_current(struct dataset_db_settings *s)
{
	*s = dsn_settings;
}

/* dsn:BACKEND://... */
int
dataset_dsn_open(struct dataset *ds, const char *spec, char *err, size_t errsize)
{
	const struct dsn_backend *be = NULL;
	struct dsn d;
	char why[512];

	if (dsn_parse(&d, spec, why, sizeof(why)) < 0) {
		dsn_free(&d);
		snprintf(err, errsize, "dsn: %s", why);
		return -1;
	}
	/* The ldap module reads ldap: URLs (dataset_ldapcfg.c), not DSNs. */
	if (strcasecmp(d.backend, "ldap") == 0)
		snprintf(why, sizeof(why), "unknown back end 'ldap' (pgsql and mysql are known; "
		    "LDAP tables are ldap:// URLs)");
	else
		be = dsn_module(d.backend, why, sizeof(why));
	if (be == NULL) {
		snprintf(err, errsize, "%s: %s", d.name, why);
		dsn_free(&d);
		return -1;
	}
	return dataset_dsn_attach(ds, &d, be, &dsn_settings, err, errsize);
}

/*
 * Ask every open data set's server again, past the cache and the back-off
 * (the probe of the health check, a few seconds apart): the query of a key
 * no table holds. One data set at a time, each marked so that closing it
 * waits for its probe.
 */
void
dataset_dsn_probe(void)
{
	struct dsnset *s, *next;
	struct dsrows rows;
	char why[768];

	pthread_mutex_lock(&reg_lock);
	for (s = reg_head; s != NULL; s = next) {
		s->probing = 1;
		pthread_mutex_unlock(&reg_lock);
		pthread_mutex_lock(&s->lock);
		s->retry_at = 0;
		pthread_mutex_unlock(&s->lock);
		dsrows_init(&rows);
		(void)dsn_query(s, "postdkim-check.invalid", &rows, why, sizeof(why));
		dsrows_free(&rows);
		pthread_mutex_lock(&reg_lock);
		s->probing = 0;
		next = s->reg_next;
		pthread_cond_broadcast(&reg_cond);
	}
	pthread_mutex_unlock(&reg_lock);
}

/* 0 when every open data set's server answered its last query, else -1 and why. */
int
dataset_dsn_health(char *why, size_t whysize)
{
	struct dsnset *s;
	int rc = 0;

	pthread_mutex_lock(&reg_lock);
	for (s = reg_head; s != NULL && rc == 0; s = s->reg_next)
		if (s->down) {
			snprintf(why, whysize, "%s", s->downwhy);
			rc = -1;
		}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}
