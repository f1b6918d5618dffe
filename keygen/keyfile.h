/*
 * keyfile.h - making a new key pair and writing files without a moment in
 * which a private key is readable by anyone but its owner.
 */
#ifndef DKIMGEN_KEYFILE_H
#define DKIMGEN_KEYFILE_H

#include <stddef.h>
#include <sys/types.h>
#include "../dkim/dkim_err.h"
#include "../dkim/key.h"

#define KEYFILE_RSA_MAX_BITS 4096	/* RFC 8301 §3.1: verifiers go to 4096 */
#define KEYFILE_RSA_WARN_BITS 2048

/*
 * Generate a key pair and return it as PKCS#8 PEM in *pem (*pemlen bytes;
 * free with keyfile_pem_free, which wipes it).
 */
int keyfile_generate(dkim_alg alg, int bits, char **pem, size_t *pemlen, dkim_err *err);
void keyfile_pem_free(char *pem, size_t len);

/* A file written under a temporary name, waiting for its final one. */
struct keyfile_tmp {
	char path[4096];	/* final name: dir/name */
	char tmp[4096 + 16];	/* dir/.name.XXXXXX */
	int staged;
};

/* Write data with the given mode to a new mkstemp file in dir (beside dir/name). */
int keyfile_stage(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, struct keyfile_tmp *t, dkim_err *err);
/*
 * The same, flushed only when flush: without, the caller flushes it later
 * (dkimrotate flushes a run's keys together before any record goes out).
 */
int keyfile_stage_flush(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, int flush, struct keyfile_tmp *t, dkim_err *err);
/*
 * Check that the staged file may take its final name: free, or (force) an
 * existing regular file. DKIM_ERR_STATE when it exists without force.
 */
int keyfile_check_target(const struct keyfile_tmp *t, int force, dkim_err *err);
/*
 * Give the staged file its final name: with force, rename() replaces an old
 * file atomically; without, link() never replaces one (DKIM_ERR_STATE).
 */
int keyfile_commit(struct keyfile_tmp *t, int force, dkim_err *err);
/* Remove the temporary file when it was not committed. */
void keyfile_discard(struct keyfile_tmp *t);

/* Nonzero when dir/name exists (or cannot be checked). */
int keyfile_exists(const char *dir, const char *name);

#endif
