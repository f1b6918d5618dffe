/*
 * listen.c - open the milter socket through libmilter, with the checks and
 * permissions libmilter leaves to its caller.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "../config/sockspec.h"
#include "listen.h"

static char *listen_conn;		/* the spec as given to libmilter */
static char *listen_path;		/* UNIX socket file, or NULL */
static dev_t listen_dev;		/* identity of the socket file we made */
static ino_t listen_ino;

/* The file of a UNIX socket spec, or NULL for TCP. */
const char *listen_unix_path(const char *spec)
{
	return sockspec_unix_path(spec);
}

/*
 * Remove a socket file left by a postdkim that died: only a socket, and
 * only when nobody accepts connections on it any more.
 */
int listen_stale(const char *path, char *err, size_t errsize)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsize, "%s: exists and is not a socket; not removing it", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsize, "%s: socket path too long (at most %zu bytes)", path,
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		snprintf(err, errsize, "%s: in use by a running process (another postdkim?)", path);
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errsize, "%s: cannot remove stale socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Turn Nagle's algorithm off on the listening TCP socket; Linux passes the
 * option on to every accepted connection. libmilter does not set it and
 * keeps the descriptor to itself, so find it: right after
 * smfi_opensocket() it is the only listening socket of the process.
 * Without it, the two small writes at the end of a message (the added
 * header, then the reply) wait for the MTA's delayed ACK.
 */
static void listen_nodelay(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on, acc;

	for (fd = 0; fd < 1024; fd++) {
		len = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 || !acc)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
			continue;
		if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
			continue;
		on = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
}

/* Open the listening socket. */
int listen_open(const char *spec, mode_t mask, char *err, size_t errsize)
{
	const char *path = listen_unix_path(spec);
	char why[512];
	struct stat st;
	mode_t old;
	int r;

	free(listen_conn);
	free(listen_path);
	listen_conn = listen_path = NULL;
	/* The same reading as the configuration check; libmilter gets the canonical form. */
	if ((listen_conn = sockspec_canon(spec, why, sizeof(why))) == NULL) {
		snprintf(err, errsize, "Socket %s", why);
		return -1;
	}
	if (path != NULL) {
		if (listen_stale(path, err, errsize) != 0)
			return -1;
		if ((listen_path = strdup(path)) == NULL) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
	}
	if (smfi_setconn(listen_conn) != MI_SUCCESS) {
		snprintf(err, errsize, "socket %s: libmilter refused the address", spec);
		return -1;
	}
	/* The umask decides who may connect to a UNIX socket (007: owner and group). */
	old = umask(mask);
	r = smfi_opensocket(1);
	umask(old);
	if (r != MI_SUCCESS) {
		snprintf(err, errsize, "socket %s: cannot listen (address in use, bad address, "
		    "or missing directory?)", spec);
		return -1;
	}
	if (listen_path != NULL && lstat(listen_path, &st) == 0) {
		listen_dev = st.st_dev;
		listen_ino = st.st_ino;
	}
	if (path == NULL)
		listen_nodelay();
	return 0;
}

/* Give a UNIX socket to the run-time user and group. */
int listen_chown(const char *spec, uid_t uid, gid_t gid, char *err, size_t errsize)
{
	const char *path = listen_unix_path(spec);

	if (path == NULL)
		return 0;
	if (lchown(path, uid, gid) != 0) {
		snprintf(err, errsize, "%s: chown %ld:%ld: %s", path, (long)uid, (long)gid,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove the UNIX socket at exit if it is still ours. */
void listen_remove(void)
{
	struct stat st;

	if (listen_path == NULL)
		return;
	if (lstat(listen_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == listen_dev && st.st_ino == listen_ino)
		(void)unlink(listen_path);
}
