/*
 * metrics_http.c - the HTTP side of the metrics endpoint. libmicrohttpd
 * (opened only when MetricsSocket is set: mhd_dl.h) parses the requests
 * (bounded by its connection, memory and time limits set below) and runs
 * one thread; every request is answered from the
 * counters (tables/stats.c), which take no lock on a message's path, and
 * from a few numbers read at scrape time: the key cache's key ages and
 * the health kept by the probe thread.
 *
 * /healthz is 503 with one line when a database or LDAP server did not
 * answer its last query (dataset_dsn_health, asked again by the probe
 * every METRICS_PROBE_S seconds) or, when postdkim verifies, when DNS
 * left the last METRICS_DNS_UNANSWERED key lookups unanswered (the probe
 * then asks again for the last of them). A broken key is no ill health:
 * it is a counter.
 */
#include <sys/types.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../config/config_verify.h"
#include "../milter/log.h"
#include "../milter/reload.h"
#include "../tables/dataset.h"
#include "../tables/stats.h"
#include "../config/sockspec.h"
#include "../verify/resolver.h"
#include "metrics_http.h"
#include "metrics_sock.h"
#include "mhd_dl.h"

#define METRICS_PROBE_S 3		/* the health probe's period */
#define METRICS_DNS_UNANSWERED 3	/* key lookups in a row without an answer */
#define METRICS_CONN_MAX 16		/* scrapers at once */
#define METRICS_TIMEOUT_S 10		/* an idle connection is closed */

static int m_fd = -1;
static char m_path[4096];		/* a UNIX socket's file, to remove at exit */
static struct MHD_Daemon *m_httpd;
static struct mhd_fns mhd;		/* libmicrohttpd, opened by metrics_start */
static pthread_t m_probe_tid;
static int m_probe_running;
static pthread_mutex_t m_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t m_cond = PTHREAD_COND_INITIALIZER;
static int m_stopping;

/* Open the socket as root. */
int metrics_open(const char *spec, mode_t mask, int chown_it, uid_t uid, gid_t gid, char *err,
    size_t errsize)
{
	const char *path = sockspec_unix_path(spec);

	if ((m_fd = metrics_sock_open(spec, mask, err, errsize)) < 0)
		return -1;
	if (path != NULL) {
		snprintf(m_path, sizeof(m_path), "%s", path);
		/* The run-time user removes it at exit. */
		if (chown_it && lchown(path, uid, gid) != 0) {
			snprintf(err, errsize, "MetricsSocket %s: chown: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The key ages, from the key cache of the configuration in force. */
static void metrics_key_ages(void)
{
	struct runcfg *rc = reload_acquire();
	long long oldest = -1, overdue = 0, interval = 0;

	if (rc != NULL) {
		interval = (long long)rc->cfg->rotate_interval;
		keycache_ages(rc->keys, time(NULL), interval, &oldest, &overdue);
		reload_release(rc);
	}
	stats_gauge_set(STATS_G_KEY_OLDEST_AGE, oldest);
	stats_gauge_set(STATS_G_KEYS_OVERDUE, interval > 0 ? overdue : -1);
}

/* 0 when healthy, else -1 and one line saying why. */
static int metrics_health(char *why, size_t whysize)
{
	struct runcfg *rc;
	unsigned long n;
	int verifying = 0;

	if (dataset_dsn_health(why, whysize) < 0)
		return -1;
	if ((rc = reload_acquire()) != NULL) {
		verifying = rc->cfg->verify->verify;
		reload_release(rc);
	}
	if (verifying && (n = stats_dns_unanswered()) >= METRICS_DNS_UNANSWERED) {
		snprintf(why, whysize, "DNS: the last %lu key lookups got no answer", n);
		return -1;
	}
	return 0;
}

/* Queue a response of len bytes (copied) with a status and a type. */
static enum MHD_Result metrics_reply(struct MHD_Connection *conn, unsigned status,
    const char *type, const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if ((r = mhd.create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY)) ==
	    NULL)
		return MHD_NO;
	(void)mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)mhd.add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	rc = mhd.queue_response(conn, status, r);
	mhd.destroy_response(r);
	return rc;
}

/* One request: GET (or HEAD) /metrics or /healthz. */
static enum MHD_Result metrics_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **state)
{
	static const char text[] = "text/plain; charset=utf-8";
	char why[400], line[420];
	enum MHD_Result rc;
	dbuf b;

	(void)cls;
	(void)version;
	(void)upload;
	(void)state;
	if (*upload_size != 0) {
		*upload_size = 0;	/* a body is never read */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return metrics_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text,
		    "GET only\n", 9);
	if (strcmp(url, "/healthz") == 0) {
		if (metrics_health(why, sizeof(why)) == 0)
			return metrics_reply(conn, MHD_HTTP_OK, text, "ok\n", 3);
		snprintf(line, sizeof(line), "%s\n", why);
		return metrics_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text, line, strlen(line));
	}
	if (strcmp(url, "/metrics") != 0)
		return metrics_reply(conn, MHD_HTTP_NOT_FOUND, text, "not found: try /metrics "
		    "or /healthz\n", 36);
	metrics_key_ages();
	dbuf_init(&b);
	stats_expose(&b);
	if (dbuf_failed(&b))
		rc = metrics_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "out of memory\n",
		    14);
	else
		rc = metrics_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		    b.data, b.len);
	dbuf_free(&b);
	return rc;
}

/* libmicrohttpd's own complaints, into our log. */
static void metrics_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\r\n")] = '\0';
	log_msg(LOG_WARNING, "metrics: %s", msg);
}

/*
 * While DNS is marked unhealthy, ask it again for the last key record that
 * got no answer: an outage's end shows without waiting for mail to verify.
 */
static void metrics_dns_probe(void)
{
	struct runcfg *rc;

	if (stats_dns_unanswered() < METRICS_DNS_UNANSWERED || (rc = reload_acquire()) == NULL)
		return;
	if (rc->resolver != NULL && resolver_probe(rc->resolver) == 1)
		stats_dns_answered();
	reload_release(rc);
}

/* Ask the database, LDAP and DNS servers every METRICS_PROBE_S seconds, until stopped. */
static void *metrics_probe(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&m_lock);
	while (!m_stopping) {
		pthread_mutex_unlock(&m_lock);
		dataset_dsn_probe();
		metrics_dns_probe();
		pthread_mutex_lock(&m_lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += METRICS_PROBE_S;
		while (!m_stopping && pthread_cond_timedwait(&m_cond, &m_lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m_lock);
	return NULL;
}

/* Start serving on the socket opened by metrics_open. */
int metrics_start(char *err, size_t errsize)
{
	if (m_fd < 0)
		return 0;
	if (mhd_dl_open(&mhd, err, errsize) != 0)
		return -1;
	m_httpd = mhd.start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	    MHD_USE_POLL, 0, NULL, NULL, metrics_request, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)m_fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    MHD_OPTION_END);
	if (m_httpd == NULL) {
		snprintf(err, errsize, "MetricsSocket: the HTTP server did not start");
		return -1;
	}
	if ((errno = pthread_create(&m_probe_tid, NULL, metrics_probe, NULL)) != 0) {
		snprintf(err, errsize, "MetricsSocket: pthread_create: %s", strerror(errno));
		return -1;
	}
	m_probe_running = 1;
	return 0;
}

/* Stop serving; remove a UNIX socket. */
void metrics_stop(void)
{
	if (m_probe_running) {
		pthread_mutex_lock(&m_lock);
		m_stopping = 1;
		pthread_cond_broadcast(&m_cond);
		pthread_mutex_unlock(&m_lock);
		pthread_join(m_probe_tid, NULL);
		m_probe_running = 0;
	}
	if (m_httpd != NULL) {
		mhd.stop_daemon(m_httpd);
		m_httpd = NULL;
		m_fd = -1;	/* closed by libmicrohttpd */
	}
	if (m_fd >= 0) {
		close(m_fd);
		m_fd = -1;
	}
	if (m_path[0] != '\0') {
		(void)unlink(m_path);
		m_path[0] = '\0';
	}
}
