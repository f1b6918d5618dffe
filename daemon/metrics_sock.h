/*
 * metrics_sock.h - the listening socket of the metrics endpoint, from a
 * MetricsSocket value in canonical form ("local:/path", "inet:PORT@ADDR",
 * "inet6:PORT@ADDR").
 */
#ifndef POSTDKIM_METRICS_SOCK_H
#define POSTDKIM_METRICS_SOCK_H

#include <stddef.h>
#include <sys/types.h>

/* A listening socket (UNIX ones made with umask mask); the descriptor, or -1 with err. */
int metrics_sock_open(const char *spec, mode_t mask, char *err, size_t errsize);

#endif
