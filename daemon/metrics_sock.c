/*
 * metrics_sock.c - the listening socket of the metrics endpoint, made
 * from a MetricsSocket value (canonical form, config_metrics.c): a UNIX
 * socket (stale file removed first, access by the umask, like the
 * milter's) or a TCP one on the given address. Opened as root before
 * privileges are dropped; the HTTP library then accepts on it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/sockspec.h"
#include "listen.h"
#include "metrics_sock.h"

/* A UNIX socket at path. */
static int msock_unix(const char *path, mode_t mask, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsize, "MetricsSocket %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (listen_stale(path, err, errsize) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errsize, "MetricsSocket: socket: %s", strerror(errno));
		return -1;
	}
	old = umask(mask);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r != 0 || listen(fd, 16) != 0) {
		snprintf(err, errsize, "MetricsSocket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A TCP socket on "PORT@ADDR" (inet6: an IPv6 address). */
static int msock_inet(const char *v, int family, char *err, size_t errsize)
{
	struct addrinfo hints, *ai = NULL;
	char port[16];
	const char *at = strchr(v, '@');
	int fd, one = 1, rc;

	if (at == NULL || (size_t)(at - v) >= sizeof(port)) {
		snprintf(err, errsize, "MetricsSocket: '%s' has no port@address", v);
		return -1;
	}
	snprintf(port, sizeof(port), "%.*s", (int)(at - v), v);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(at + 1, port, &hints, &ai)) != 0) {
		snprintf(err, errsize, "MetricsSocket %s: %s", v, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		snprintf(err, errsize, "MetricsSocket: socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
		snprintf(err, errsize, "MetricsSocket %s: %s", v, strerror(errno));
		close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Open the listening socket of spec; the descriptor, or -1 with err. */
int metrics_sock_open(const char *spec, mode_t mask, char *err, size_t errsize)
{
	const char *path = sockspec_unix_path(spec);

	if (path != NULL)
		return msock_unix(path, mask, err, errsize);
	if (strncmp(spec, "inet6:", 6) == 0)
		return msock_inet(spec + 6, AF_INET6, err, errsize);
	if (strncmp(spec, "inet:", 5) == 0)
		return msock_inet(spec + 5, AF_INET, err, errsize);
	snprintf(err, errsize, "MetricsSocket: '%s' is not local:, inet: or inet6:", spec);
	return -1;
}
