/*
 * keyprobe.h - the algorithm and size of a private key file, read from the
 * first bytes of its PEM without loading the key: status and the interval
 * check look at every domain's key, and OpenSSL's full load (with its RSA
 * consistency check) costs a millisecond a key, 100 s for 100,000 domains.
 */
#ifndef DKIMROTATE_KEYPROBE_H
#define DKIMROTATE_KEYPROBE_H

#include <stddef.h>

/*
 * Read path's key type into alg ("rsa", "ed25519") and its size in bits
 * (256 for Ed25519). 0, or -1 when the file is unreadable or not a PKCS#8
 * or PKCS#1 PEM key.
 */
int keyprobe_file(const char *path, char *alg, size_t algsize, int *bits);
/* The same from PEM text in memory. */
int keyprobe_pem(const char *pem, size_t len, char *alg, size_t algsize, int *bits);

#endif
