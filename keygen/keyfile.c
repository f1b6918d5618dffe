/*
 * keyfile.c - key generation through OpenSSL's EVP interface and careful
 * file creation. Every file is first written in full to a mkstemp file
 * (mode 0600, so there is no window in which another user could open a
 * private key) in its final directory, and only then given its name:
 * dkimgen writes the key and the record both before it names either.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "keyfile.h"

/* Make a key pair and encode its private part as PKCS#8 PEM. */
int
keyfile_generate(dkim_alg alg, int bits, char **pem, size_t *pemlen, dkim_err *err)
{
	EVP_PKEY *pkey;
	BIO *bio;
	char *data, *copy;
	long n;

	if (alg == DKIM_ALG_ED25519_SHA256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (pkey == NULL)
		return dkim_err_ssl(err, DKIM_ERR_CRYPTO, "key generation failed");
	/* Secure-heap memory BIO: wiped when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		EVP_PKEY_free(pkey);
		return dkim_err_ssl(err, DKIM_ERR_NOMEM, "BIO_new");
	}
	if (PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(bio);
		EVP_PKEY_free(pkey);
		return dkim_err_ssl(err, DKIM_ERR_CRYPTO, "cannot encode the key as PKCS#8");
	}
	EVP_PKEY_free(pkey);
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || (copy = malloc((size_t)n + 1)) == NULL) {
		BIO_free(bio);
		return dkim_err_set(err, DKIM_ERR_NOMEM, "out of memory");
	}
	memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
	BIO_free(bio);
	*pem = copy;
	*pemlen = (size_t)n;
	return DKIM_OK;
}

/* Wipe and free a PEM buffer. */
void
keyfile_pem_free(char *pem, size_t len)
{
	if (pem != NULL) {
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
}

/* Write all of data to fd. */
static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Join dir and name into buf. */
static int
join_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Test whether dir/name exists. */
int
keyfile_exists(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	if (join_path(path, sizeof(path), dir, name) != 0)
		return 1;
	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Fill, set the mode of, and (flush) flush an open file; closes fd. */
static int
finish_file(int fd, const char *path, const void *data, size_t len, mode_t mode, int flush,
    dkim_err *err)
{
	/* fchmod: the umask must not leave it narrower (or wider) than asked. */
	if (write_all(fd, data, len) != 0 || fchmod(fd, mode) != 0 || (flush && fsync(fd) != 0)) {
		dkim_err_set(err, DKIM_ERR_IO, "%s: %s", path, strerror(errno));
		close(fd);
		return DKIM_ERR_IO;
	}
	if (close(fd) != 0)
		return dkim_err_set(err, DKIM_ERR_IO, "%s: %s", path, strerror(errno));
	return DKIM_OK;
}

/* Write data to a new mkstemp file beside dir/name; see keyfile.h. */
int
keyfile_stage(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, struct keyfile_tmp *t, dkim_err *err)
{
	return keyfile_stage_flush(dir, name, data, len, mode, 1, t, err);
}

int
keyfile_stage_flush(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, int flush, struct keyfile_tmp *t, dkim_err *err)
{
	int fd;

	t->staged = 0;
	if (join_path(t->path, sizeof(t->path), dir, name) != 0)
		return dkim_err_set(err, DKIM_ERR_IO, "%s/%s: path too long", dir, name);
	/* Same directory: rename() and link() then work, and replace atomically. */
	snprintf(t->tmp, sizeof(t->tmp), "%s/.%s.XXXXXX", dir, name);
	if ((fd = mkstemp(t->tmp)) < 0)
		return dkim_err_set(err, DKIM_ERR_IO, "cannot create a temporary file in %s: %s",
		    dir, strerror(errno));
	if (finish_file(fd, t->tmp, data, len, mode, flush, err) != DKIM_OK) {
		unlink(t->tmp);
		return DKIM_ERR_IO;
	}
	t->staged = 1;
	return DKIM_OK;
}

/* Check that a staged file can take its final name, before any is moved. */
int
keyfile_check_target(const struct keyfile_tmp *t, int force, dkim_err *err)
{
	struct stat st;

	if (lstat(t->path, &st) != 0) {
		if (errno == ENOENT)
			return DKIM_OK;
		return dkim_err_set(err, DKIM_ERR_IO, "%s: %s", t->path, strerror(errno));
	}
	if (!force)
		return dkim_err_set(err, DKIM_ERR_STATE,
		    "%s exists; refusing to overwrite it (use --force to replace it)", t->path);
	if (!S_ISREG(st.st_mode))
		return dkim_err_set(err, DKIM_ERR_IO, "%s: not a regular file; not replacing it",
		    t->path);
	return DKIM_OK;
}

/*
 * Give a staged file its final name: with force, rename() over an old one;
 * without, link() (which never replaces anything) and drop the temporary.
 */
int
keyfile_commit(struct keyfile_tmp *t, int force, dkim_err *err)
{
	if (force) {
		if (rename(t->tmp, t->path) != 0)
			return dkim_err_set(err, DKIM_ERR_IO, "cannot rename %s to %s: %s", t->tmp,
			    t->path, strerror(errno));
	} else {
		if (link(t->tmp, t->path) != 0) {
			if (errno == EEXIST)
				return dkim_err_set(err, DKIM_ERR_STATE, "%s exists; refusing to "
				    "overwrite it (use --force to replace it)", t->path);
			return dkim_err_set(err, DKIM_ERR_IO, "%s: %s", t->path, strerror(errno));
		}
		unlink(t->tmp);
	}
	t->staged = 0;
	return DKIM_OK;
}

/* Remove a staged file that will not be used. */
void
keyfile_discard(struct keyfile_tmp *t)
{
	if (t->staged)
		unlink(t->tmp);
	t->staged = 0;
}
