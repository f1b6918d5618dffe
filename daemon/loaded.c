/*
 * loaded.c - the load record (loaded.h), written to a mkstemp file in the
 * PidFile's directory and renamed over "loaded", so that a reader never
 * sees half of it. The directory is the daemon's (tmpfiles.d makes
 * /run/postdkim its user's), so this works after privileges are dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../milter/log.h"
#include "loaded.h"

static char *path;		/* dir/loaded, or NULL */
static unsigned long generation;
static int warned;

/* Remember where the record goes. */
void
loaded_init(const char *pidfile)
{
	const char *slash;
	size_t dl;

	free(path);
	path = NULL;
	if (pidfile == NULL || (slash = strrchr(pidfile, '/')) == NULL)
		return;
	dl = (size_t)(slash - pidfile);
	if ((path = malloc(dl + sizeof("/loaded"))) != NULL)
		snprintf(path, dl + sizeof("/loaded"), "%.*s/loaded", (int)dl, pidfile);
}

/* Write "GENERATION EPOCH\n" atomically. */
void
loaded_record(void)
{
	char tmp[4200], line[64];
	size_t n;
	int fd;

	generation++;
	if (path == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	n = (size_t)snprintf(line, sizeof(line), "%lu %lld\n", generation,
	    (long long)time(NULL));
	if ((fd = mkstemp(tmp)) < 0)
		goto fail;
	if (fchmod(fd, 0644) != 0 || write(fd, line, n) != (ssize_t)n) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		goto fail;
	}
	warned = 0;
	return;
fail:
	if (!warned++)
		log_msg(LOG_WARNING, "cannot write the load record %s: %s (dkimrotate cannot "
		    "confirm reloads)", path, strerror(errno));
}
