/*
 * mclient_io.c - the milter packet layer: connecting to a unix or inet
 * socket, and sending/receiving length-prefixed packets with a timeout on
 * every wait, so that no test can hang on a silent milter. Small packets
 * are held back until one needs a reply (or the connection closes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mclient_int.h"

/* Record an error message in the connection. */
int
mc_fail(struct mclient *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	if (c->trace)
		fprintf(c->trace, "mclient: error: %s\n", c->err);
	return -1;
}

/* Wait until fd is ready for events; -1 on timeout or error. */
static int
wait_fd(struct mclient *c, short events, const char *what)
{
	struct pollfd p;
	int r;

	p.fd = c->fd;
	p.events = events;
	p.revents = 0;
	for (;;) {
		r = poll(&p, 1, c->timeout_ms);
		if (r > 0)
			return 0;
		if (r == 0) {
			c->dead = 1;
			return mc_fail(c, "timeout after %d ms %s", c->timeout_ms, what);
		}
		if (errno != EINTR) {
			c->dead = 1;
			return mc_fail(c, "poll: %s", strerror(errno));
		}
	}
}

/* Finish a non-blocking connect within the timeout. */
static int
finish_connect(struct mclient *c, int r, const char *spec)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (r == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return mc_fail(c, "connect %s: %s", spec, strerror(errno));
	if (wait_fd(c, POLLOUT, "connecting") != 0)
		return -1;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		return mc_fail(c, "getsockopt: %s", strerror(errno));
	if (soerr != 0)
		return mc_fail(c, "connect %s: %s", spec, strerror(soerr));
	return 0;
}

/* Connect to a unix-domain socket path. */
static int
dial_unix(struct mclient *c, const char *path, const char *spec)
{
	struct sockaddr_un sun;

	if (strlen(path) >= sizeof(sun.sun_path))
		return mc_fail(c, "socket path too long: %s", path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return mc_fail(c, "socket: %s", strerror(errno));
	return finish_connect(c, connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)), spec);
}

/* Connect to PORT@HOST over IPv4 or IPv6. */
static int
dial_inet(struct mclient *c, const char *rest, int family, const char *spec)
{
	char port[16], host[256];
	const char *at = strchr(rest, '@');
	struct addrinfo hints, *ai = NULL;
	int r, one = 1;

	if (at == NULL || (size_t)(at - rest) >= sizeof(port) || at == rest
	    || strlen(at + 1) >= sizeof(host) || at[1] == '\0')
		return mc_fail(c, "bad socket %s: want inet:PORT@HOST", spec);
	memcpy(port, rest, (size_t)(at - rest));
	port[at - rest] = '\0';
	strcpy(host, at + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0)
		return mc_fail(c, "%s: %s", spec, gai_strerror(r));
	c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		freeaddrinfo(ai);
		return mc_fail(c, "socket: %s", strerror(errno));
	}
	/* Requests are written whole (see mc_send): no need to wait for more. */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r = connect(c->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return finish_connect(c, r, spec);
}

/* Open the milter socket: unix:/path, /path, inet:P@H, inet6:P@H, P@H. */
int
mc_dial(struct mclient *c, const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return dial_unix(c, spec + 5, spec);
	if (strncmp(spec, "local:", 6) == 0)
		return dial_unix(c, spec + 6, spec);
	if (spec[0] == '/')
		return dial_unix(c, spec, spec);
	if (strncmp(spec, "inet:", 5) == 0)
		return dial_inet(c, spec + 5, AF_INET, spec);
	if (strncmp(spec, "inet6:", 6) == 0)
		return dial_inet(c, spec + 6, AF_INET6, spec);
	if (strchr(spec, '@') != NULL)
		return dial_inet(c, spec, AF_UNSPEC, spec);
	return mc_fail(c, "bad socket %s", spec);
}

/*
 * Write a vector completely, waiting (bounded) whenever the socket is full.
 * iov is consumed. sendmsg() for MSG_NOSIGNAL: a milter that went away must
 * give an error, not SIGPIPE.
 */
static int
write_vec(struct mclient *c, struct iovec *iov, int n)
{
	struct msghdr mh;
	ssize_t w;

	while (n > 0) {
		if (iov->iov_len == 0) {
			iov++;
			n--;
			continue;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c, POLLOUT, "writing to the milter") != 0)
				return -1;
			continue;
		}
		if (w <= 0) {
			c->dead = 1;
			return mc_fail(c, "write to milter: %s",
			    w < 0 ? strerror(errno) : "connection closed");
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Write out the packets held back so far. */
int
mc_flush(struct mclient *c)
{
	struct iovec iov;
	int r;

	if (c->olen == 0)
		return 0;
	if (c->dead)
		return mc_fail(c, "connection is gone");
	iov.iov_base = c->obuf;
	iov.iov_len = c->olen;
	r = write_vec(c, &iov, 1);
	c->olen = 0;
	return r;
}

/* Read exactly n bytes, each wait bounded by the timeout. */
static int
read_all(struct mclient *c, unsigned char *p, size_t n, const char *what)
{
	ssize_t r;

	while (n > 0) {
		r = recv(c->fd, p, n, 0);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0) {
			c->dead = 1;
			return mc_fail(c, "milter closed the connection %s", what);
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(c, POLLIN, what) != 0)
				return -1;
			continue;
		}
		c->dead = 1;
		return mc_fail(c, "read from milter: %s", strerror(errno));
	}
	return 0;
}

/*
 * Send one packet: 4-byte length (command byte included), command, data.
 * Small packets are held back and go out with the next one that needs a
 * reply, in one write, as Postfix's buffered stream sends macros, command
 * and no-reply headers: one small write after another would meet Nagle's
 * algorithm and the peer's delayed ACK on TCP.
 */
int
mc_send(struct mclient *c, char cmd, const void *data, size_t len)
{
	unsigned char hdr[5];
	struct iovec iov[3];
	uint32_t nl;
	int r;

	if (c->dead)
		return mc_fail(c, "connection is gone");
	if (len > 0x7fffffffUL)
		return mc_fail(c, "packet too large");
	nl = htonl((uint32_t)(len + 1));
	memcpy(hdr, &nl, 4);
	hdr[4] = (unsigned char)cmd;
	if (c->trace)
		fprintf(c->trace, "> %c len=%zu\n", cmd, len);
	if (len <= MC_HOLD_MAX && c->olen + sizeof(hdr) + len <= MC_OBUF) {
		memcpy(c->obuf + c->olen, hdr, sizeof(hdr));
		if (len > 0)
			memcpy(c->obuf + c->olen + sizeof(hdr), data, len);
		c->olen += sizeof(hdr) + len;
		return 0;
	}
	/* A big packet (a body chunk): what is held, then it, in one call. */
	iov[0].iov_base = c->obuf;
	iov[0].iov_len = c->olen;
	iov[1].iov_base = hdr;
	iov[1].iov_len = sizeof(hdr);
	iov[2].iov_base = (void *)(uintptr_t)data;
	iov[2].iov_len = len;
	r = write_vec(c, iov, 3);
	c->olen = 0;
	return r;
}

/* Receive one packet into the connection's reply buffer. */
int
mc_recv(struct mclient *c, char *cmd, const unsigned char **data, size_t *len)
{
	unsigned char hdr[4];
	uint32_t nl;
	size_t n;

	/* Everything held back must reach the milter before it can answer. */
	if (mc_flush(c) != 0)
		return -1;
	if (read_all(c, hdr, 4, "waiting for a reply") != 0)
		return -1;
	memcpy(&nl, hdr, 4);
	n = ntohl(nl);
	if (n < 1) {
		c->dead = 1;
		return mc_fail(c, "bad reply packet length %zu", n);
	}
	if (n > MC_MAX_REPLY) {
		c->dead = 1;
		return mc_fail(c, "unreasonable reply packet length %zu", n);
	}
	if (n > c->rcap) {
		unsigned char *nb = realloc(c->rbuf, n);

		if (nb == NULL)
			return mc_fail(c, "out of memory");
		c->rbuf = nb;
		c->rcap = n;
	}
	if (read_all(c, c->rbuf, n, "reading a reply") != 0)
		return -1;
	*cmd = (char)c->rbuf[0];
	*data = c->rbuf + 1;
	*len = n - 1;
	if (c->trace)
		fprintf(c->trace, "< %c len=%zu\n", *cmd, *len);
	return 0;
}
