/*
 * metrics_http.h - the metrics endpoint (MetricsSocket): GET /metrics in
 * the Prometheus text format 0.0.4 and GET /healthz, served by
 * libmicrohttpd on a thread of its own, and a probe thread that asks the
 * database and LDAP servers every few seconds so that /healthz follows an
 * outage and its end without waiting for mail.
 */
#ifndef POSTDKIM_METRICS_HTTP_H
#define POSTDKIM_METRICS_HTTP_H

#include <stddef.h>
#include <sys/types.h>

/* As root: open the socket of spec (UNIX ones with umask mask, given to uid:gid). */
int metrics_open(const char *spec, mode_t mask, int chown_it, uid_t uid, gid_t gid, char *err,
    size_t errsize);
/* After privileges are dropped: start serving. 0, or -1 with err. */
int metrics_start(char *err, size_t errsize);
/* Stop serving and remove a UNIX socket (at exit). */
void metrics_stop(void);

#endif
