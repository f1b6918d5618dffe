/*
 * loadrec.c - write and read the load record (loadrec.h): "KEY VALUE" lines,
 * replaced as a whole by rename(2) so that a reader never sees half a file.
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadrec.h"

/* The record's path beside the PidFile. */
int loadrec_path(const char *pidfile, char *out, size_t outsize)
{
	size_t n = strlen(pidfile);
	int r;

	if (n > 4 && strcmp(pidfile + n - 4, ".pid") == 0)
		n -= 4;
	r = snprintf(out, outsize, "%.*s.loaded", (int)n, pidfile);
	return r < 0 || (size_t)r >= outsize ? -1 : 0;
}

/* Write the record through a temporary file in the same directory. */
int loadrec_write(const char *path, const struct loadrec *lr, char *err, size_t errsize)
{
	char tmp[4096], msg[sizeof(lr->error)];
	FILE *fp;
	size_t i;
	int fd, bad;

	/* One line: the message came from the configuration, tables or a server. */
	snprintf(msg, sizeof(msg), "%s", lr->error);
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < ' ' || msg[i] == 0x7f)
			msg[i] = '?';
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(err, errsize, "%s: path too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	/* Readable by dkimrotate and monitoring running as other users. */
	(void)fchmod(fd, 0644);
	if ((fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	fprintf(fp, "pid %ld\ngeneration %lu\nloaded %lld\nattempts %lu\nfailed %lu\n",
	    lr->pid, lr->generation, (long long)lr->loaded, lr->attempts, lr->failed);
	if (msg[0] != '\0')
		fprintf(fp, "error %s\n", msg);
	bad = fflush(fp) != 0 || ferror(fp);
	if (fclose(fp) != 0)
		bad = 1;
	if (bad || rename(tmp, path) != 0) {
		snprintf(err, errsize, "%s: %s", bad ? tmp : path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Read a record written by loadrec_write. */
int loadrec_read(const char *path, struct loadrec *lr, char *err, size_t errsize)
{
	char line[1024], *v, *end;
	long long ll;
	FILE *fp;
	int seen = 0;

	memset(lr, 0, sizeof(*lr));
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "error") == 0) {
			snprintf(lr->error, sizeof(lr->error), "%s", v);
			continue;
		}
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || ll < 0)
			continue;
		if (strcmp(line, "pid") == 0) {
			lr->pid = (long)ll;
		} else if (strcmp(line, "generation") == 0) {
			lr->generation = (unsigned long)ll;
			seen = 1;
		} else if (strcmp(line, "loaded") == 0) {
			lr->loaded = (time_t)ll;
		} else if (strcmp(line, "attempts") == 0) {
			lr->attempts = (unsigned long)ll;
		} else if (strcmp(line, "failed") == 0) {
			lr->failed = (unsigned long)ll;
		}
	}
	fclose(fp);
	if (!seen || lr->pid <= 0) {
		snprintf(err, errsize, "%s: not a load record (no pid or generation)", path);
		return -1;
	}
	return 0;
}
