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

/*
 * Write data to dir/name with the given mode. Without force the file is
 * created with O_EXCL, so an existing file is never touched (DKIM_ERR_STATE
 * when it exists); with force the data goes to a mkstemp file in dir that
 * is renamed over the old one.
 */
int keyfile_write(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, int force, dkim_err *err);

/* Nonzero when dir/name exists (or cannot be checked). */
int keyfile_exists(const char *dir, const char *name);

#endif
