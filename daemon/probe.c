/*
 * probe.c - one option negotiation on postdkim's own milter socket
 * (SMFIC_OPTNEG, then SMFIC_QUIT). Only the negotiation and close callbacks
 * run: no connection, message or log line is seen by the rest of postdkim.
 * A wildcard listening address is reached on the loopback.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "../config/sockspec.h"
#include "probe.h"

/* Monotonic milliseconds. */
static long long probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect to a UNIX socket path. */
static int probe_unix(const char *path, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsize, "%s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errsize, "connect %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Connect to inet:PORT[@HOST] or inet6:PORT[@HOST]; a wildcard means loopback. */
static int probe_inet(const char *canon, char *err, size_t errsize)
{
	struct addrinfo hints, *ai = NULL, *a;
	char port[8], host[256];
	const char *p = strchr(canon, ':') + 1, *at = strchr(p, '@');
	int six = strncmp(canon, "inet6:", 6) == 0, fd = -1, r;

	snprintf(port, sizeof(port), "%.*s", at ? (int)(at - p) : 5, p);
	snprintf(host, sizeof(host), "%s", at ? at + 1 : "");
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 ||
	    strcasecmp(host, "INADDR_ANY") == 0)
		snprintf(host, sizeof(host), "%s", six ? "::1" : "127.0.0.1");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = six ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errsize, "%s: %s", canon, gai_strerror(r));
		return -1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		snprintf(err, errsize, "connect %s: %s", canon, strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

/* Read exactly n bytes before the deadline. */
static int probe_read(int fd, unsigned char *buf, size_t n, long long deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;
	ssize_t r;
	long long left;

	while (got < n) {
		if ((left = deadline - probe_now()) <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if ((r = read(fd, buf + got, n - got)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* Negotiate with the milter on spec and quit. */
int probe_milter(const char *spec, int ms, char *err, size_t errsize)
{
	/*
	 * SMFIC_OPTNEG, version 6, every action and protocol step offered, as
	 * Postfix does: postdkim refuses an MTA that cannot add header fields.
	 */
	static const uint32_t words[] = { SMFI_PROT_VERSION, SMFI_CURR_ACTS, SMFI_CURR_PROT };
	static const unsigned char quit[] = { 0, 0, 0, 1, SMFIC_QUIT };
	unsigned char optneg[17] = { 0, 0, 0, 13, SMFIC_OPTNEG };
	const char *path = sockspec_unix_path(spec);
	long long deadline = probe_now() + ms;
	unsigned char hdr[5], body[256];
	uint32_t len, w;
	char *canon;
	int fd, ok = -1;
	size_t i;

	for (i = 0; i < 3; i++) {
		w = htonl(words[i]);
		memcpy(optneg + 5 + 4 * i, &w, 4);
	}

	if (path != NULL) {
		fd = probe_unix(path, err, errsize);
	} else {
		if ((canon = sockspec_canon(spec, err, errsize)) == NULL)
			return -1;
		fd = probe_inet(canon, err, errsize);
		free(canon);
	}
	if (fd < 0)
		return -1;
	if (send(fd, optneg, sizeof(optneg), MSG_NOSIGNAL) != (ssize_t)sizeof(optneg)) {
		snprintf(err, errsize, "write: %s", strerror(errno));
		goto out;
	}
	if (probe_read(fd, hdr, sizeof(hdr), deadline) != 0) {
		snprintf(err, errsize, "no answer to an option negotiation within %d ms", ms);
		goto out;
	}
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (hdr[4] != SMFIC_OPTNEG || len < 1 || len - 1 > sizeof(body) ||
	    probe_read(fd, body, len - 1, deadline) != 0) {
		snprintf(err, errsize, "unexpected answer to an option negotiation ('%c')",
		    hdr[4] >= ' ' && hdr[4] < 0x7f ? hdr[4] : '?');
		goto out;
	}
	(void)send(fd, quit, sizeof(quit), MSG_NOSIGNAL);
	ok = 0;
out:
	close(fd);
	return ok;
}
