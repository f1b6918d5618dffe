/*
 * rotfile.h - replacing a file so that a crash at any moment leaves
 * either the old content or the new one, never a mix: the new content is
 * written to a mkstemp file in the same directory, flushed to disk, renamed
 * over the old name, and the directory is flushed too.
 */
#ifndef DKIMROTATE_ROTFILE_H
#define DKIMROTATE_ROTFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct rotfile {
	char path[4096];	/* the final name */
	char tmp[4096 + 16];	/* the mkstemp name beside it */
	FILE *fp;		/* write the new content here */
};

/* Start replacing path (mode for the new file); 0, or -1 with err. */
int rotfile_begin(struct rotfile *f, const char *path, mode_t mode, char *err, size_t errsize);
/* Flush, fsync, rename over path, fsync the directory; 0, or -1 with err (then nothing changed). */
int rotfile_commit(struct rotfile *f, char *err, size_t errsize);
/*
 * The same but the directory's fsync: until rotfile_sync_dir, a crash of
 * the machine may bring back the old content (whole, never a mix).
 */
int rotfile_replace(struct rotfile *f, char *err, size_t errsize);
/* Give up: remove the temporary file. */
void rotfile_abort(struct rotfile *f);
/* fsync the directory holding path (a rename or unlink in it made durable). */
int rotfile_sync_dir(const char *path);

/*
 * Flush the whole filesystem holding path (syncfs): one wait and one
 * device flush for many files, where a fsync each cost one each.
 */
int rotfile_sync_fs(const char *path);

/*
 * Replace n files of dir (names[i], mode) at once, fill writing file i's
 * content: each is written to a mkstemp file, all are flushed together
 * (rotfile_sync_fs), then renamed, and the directory flushed once. Each file is wholly old or wholly new whatever
 * the moment of a crash. 0, or -1 with err (files already renamed stay).
 */
int rotfile_replace_many(const char *dir, const char *const *names, size_t n, mode_t mode,
    int (*fill)(FILE *fp, size_t i, void *arg), void *arg, char *err, size_t errsize);

#endif
