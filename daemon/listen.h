/*
 * listen.h - the socket postdkim listens on: "local:/path" (also "unix:" or
 * a bare path), "inet:port@addr", "inet6:port@addr". A UNIX socket is made
 * with the configured umask, a stale one left by a dead postdkim is
 * removed first, and it can be handed to the run-time user and group so
 * that the MTA (a member of that group) can connect.
 */
#ifndef POSTDKIM_LISTEN_H
#define POSTDKIM_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

/* Open the listening socket (smfi_setconn + smfi_opensocket). */
int listen_open(const char *spec, mode_t mask, char *err, size_t errsize);
/* Give a UNIX socket to uid:gid (no-op for TCP sockets). */
int listen_chown(const char *spec, uid_t uid, gid_t gid, char *err, size_t errsize);
/* Remove a UNIX socket at exit, when it is still the one we made. */
void listen_remove(void);
/*
 * Remove a socket file left by a process that died (only a socket nobody
 * accepts on); 0 when there is none now, or -1 with err.
 */
int listen_stale(const char *path, char *err, size_t errsize);
/* The file of a UNIX socket spec, or NULL for TCP. */
const char *listen_unix_path(const char *spec);

#endif
