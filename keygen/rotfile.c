/*
 * rotfile.c - atomic, durable replacement of a file (rotfile.h). The state
 * store and the table rewriting both go through here, so that kill -9 at
 * any point leaves a file that is wholly old or wholly new.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rotfile.h"

/* fsync the directory holding path. */
int
rotfile_sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Start replacing path: a mkstemp file beside it, mode set now. */
int
rotfile_begin(struct rotfile *f, const char *path, mode_t mode, char *err, size_t errsize)
{
	const char *slash = strrchr(path, '/');
	int fd;

	memset(f, 0, sizeof(*f));
	if (strlen(path) >= sizeof(f->path)) {
		snprintf(err, errsize, "%.200s...: path too long", path);
		return -1;
	}
	strcpy(f->path, path);
	if (slash == NULL)
		snprintf(f->tmp, sizeof(f->tmp), ".%s.XXXXXX", path);
	else
		snprintf(f->tmp, sizeof(f->tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path,
		    slash + 1);
	if ((fd = mkstemp(f->tmp)) < 0) {
		snprintf(err, errsize, "cannot create a temporary file beside %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) != 0 || (f->fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsize, "%s: %s", f->tmp, strerror(errno));
		close(fd);
		unlink(f->tmp);
		return -1;
	}
	return 0;
}

/* Make the new content durable and give it the final name. */
int
rotfile_replace(struct rotfile *f, char *err, size_t errsize)
{
	int bad;

	bad = fflush(f->fp) != 0 || ferror(f->fp) || fsync(fileno(f->fp)) != 0;
	if (bad) {
		snprintf(err, errsize, "%s: %s", f->tmp, strerror(errno));
		rotfile_abort(f);
		return -1;
	}
	if (fclose(f->fp) != 0) {
		f->fp = NULL;
		snprintf(err, errsize, "%s: %s", f->tmp, strerror(errno));
		unlink(f->tmp);
		return -1;
	}
	f->fp = NULL;
	if (rename(f->tmp, f->path) != 0) {
		snprintf(err, errsize, "cannot rename %s to %s: %s", f->tmp, f->path,
		    strerror(errno));
		unlink(f->tmp);
		return -1;
	}
	return 0;
}

int
rotfile_commit(struct rotfile *f, char *err, size_t errsize)
{
	if (rotfile_replace(f, err, errsize) < 0)
		return -1;
	if (rotfile_sync_dir(f->path) != 0) {
		snprintf(err, errsize, "%s: fsync of its directory: %s", f->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Drop the temporary file. */
void
rotfile_abort(struct rotfile *f)
{
	if (f->fp != NULL) {
		fclose(f->fp);
		f->fp = NULL;
		unlink(f->tmp);
	}
}

/* Write file i of a group to fd (its mkstemp file tmp). */
static int
stage_one(int fd, const char *tmp, mode_t mode, int (*fill)(FILE *, size_t, void *),
    size_t i, void *arg, char *err, size_t errsize)
{
	FILE *fp;
	int bad;

	if (fchmod(fd, mode) != 0 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
		close(fd);
		return -1;
	}
	bad = fill(fp, i, arg) < 0 || fflush(fp) != 0 || ferror(fp);
	if (bad)
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
	if (fclose(fp) != 0 && !bad) {
		snprintf(err, errsize, "%s: %s", tmp, strerror(errno));
		bad = 1;
	}
	return bad ? -1 : 0;
}

int
rotfile_sync_fs(const char *path)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -1;
	rc = syncfs(fd);
	close(fd);
	return rc;
}

int
rotfile_replace_many(const char *dir, const char *const *names, size_t n, mode_t mode,
    int (*fill)(FILE *fp, size_t i, void *arg), void *arg, char *err, size_t errsize)
{
	char (*tmp)[4096], path[4096];
	size_t made = 0, renamed = 0, i;
	int rc = -1, fd;

	if (n == 0)
		return 0;
	if ((tmp = calloc(n, sizeof(*tmp))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (made = 0; made < n; made++) {
		snprintf(tmp[made], sizeof(tmp[made]), "%s/.%s.XXXXXX", dir, names[made]);
		if ((fd = mkostemp(tmp[made], O_CLOEXEC)) < 0) {
			snprintf(err, errsize, "cannot create a temporary file in %s: %s", dir,
			    strerror(errno));
			goto out;
		}
		if (stage_one(fd, tmp[made], mode, fill, made, arg, err, errsize) < 0) {
			made++;
			goto out;
		}
	}
	if (rotfile_sync_fs(dir) != 0) {
		snprintf(err, errsize, "%s: syncfs: %s", dir, strerror(errno));
		goto out;
	}
	for (renamed = 0; renamed < n; renamed++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[renamed]);
		if (rename(tmp[renamed], path) != 0) {
			snprintf(err, errsize, "cannot rename %s to %s: %s", tmp[renamed], path,
			    strerror(errno));
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/.", dir);
	if (rotfile_sync_dir(path) != 0) {
		snprintf(err, errsize, "%s: fsync of the directory: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	for (i = renamed; i < made; i++)
		unlink(tmp[i]);
	free(tmp);
	return rc;
}
