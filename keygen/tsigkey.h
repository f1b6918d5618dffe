/*
 * tsigkey.h - the TSIG key for DNS UPDATE, read from a BIND-style key file
 * (as tsig-keygen and knotc write them):
 *
 *	key "name" { algorithm hmac-sha256; secret "base64"; };
 *
 * The file gets the same safety checks as a private key (keys/keysafe.h).
 * The secret never appears in a message.
 */
#ifndef DKIMROTATE_TSIGKEY_H
#define DKIMROTATE_TSIGKEY_H

#include <stddef.h>

struct tsigkey {
	char name[256];		/* with its final dot */
	char algorithm[32];	/* "hmac-sha256." */
	char secret[512];	/* base64, as in the file */
};

/* Parse a key file's text; 0, or -1 with err (which never quotes the secret). */
int tsigkey_parse(const char *text, struct tsigkey *k, char *err, size_t errsize);
/* Check and read the file at path, then parse it; 0, or -1 with err. */
int tsigkey_read(const char *path, struct tsigkey *k, char *err, size_t errsize);
/* Wipe the secret. */
void tsigkey_wipe(struct tsigkey *k);

#endif
