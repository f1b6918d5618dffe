/*
 * tsigkey.c - BIND key files (tsigkey.h). A small tokenizer for named.conf
 * syntax (quoted strings, words, braces, semicolons, the three comment
 * styles), enough for the one key statement such a file holds.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "../keys/keysafe.h"
#include "tsigkey.h"

#define TSIG_FILE_MAX 8192

struct lexer {
	const char *p;
	char tok[600];
	int quoted;
};

/* The next token into lx->tok: 1, 0 at the end, -1 for a bad one. */
static int
next(struct lexer *lx)
{
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*lx->p))
			lx->p++;
		if (*lx->p == '#' || (lx->p[0] == '/' && lx->p[1] == '/'))
			lx->p += strcspn(lx->p, "\n");
		else if (lx->p[0] == '/' && lx->p[1] == '*') {
			const char *e = strstr(lx->p + 2, "*/");

			if (e == NULL)
				return -1;
			lx->p = e + 2;
		} else
			break;
	}
	lx->quoted = 0;
	if (*lx->p == '\0')
		return 0;
	if (strchr("{};", *lx->p) != NULL) {
		lx->tok[0] = *lx->p++;
		lx->tok[1] = '\0';
		return 1;
	}
	if (*lx->p == '"') {
		lx->quoted = 1;
		for (lx->p++; *lx->p != '"'; lx->p++) {
			if (*lx->p == '\0' || *lx->p == '\n' || n + 1 >= sizeof(lx->tok))
				return -1;
			lx->tok[n++] = *lx->p;
		}
		lx->p++;
	} else {
		while (*lx->p != '\0' && !isspace((unsigned char)*lx->p) &&
		    strchr("{};\"", *lx->p) == NULL) {
			if (n + 1 >= sizeof(lx->tok))
				return -1;
			lx->tok[n++] = *lx->p++;
		}
	}
	lx->tok[n] = '\0';
	return 1;
}

/* Expect the token want. */
static int
expect(struct lexer *lx, const char *want)
{
	return next(lx) == 1 && !lx->quoted && strcmp(lx->tok, want) == 0 ? 0 : -1;
}

/* Nonzero when s is base64 text. */
static int
base64ish(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/' && s[i] != '=')
			return 0;
	return i > 0;
}

/* Parse the key statement. */
int
tsigkey_parse(const char *text, struct tsigkey *k, char *err, size_t errsize)
{
	struct lexer lx;
	size_t n;
	int rc;

	memset(k, 0, sizeof(*k));
	memset(&lx, 0, sizeof(lx));
	lx.p = text;
	if (expect(&lx, "key") < 0 || next(&lx) != 1 || lx.tok[0] == '\0' ||
	    (!lx.quoted && strchr("{};", lx.tok[0]) != NULL)) {
		snprintf(err, errsize, "expected 'key \"NAME\" {'");
		return -1;
	}
	n = strlen(lx.tok);
	if (n + 2 > sizeof(k->name)) {
		snprintf(err, errsize, "key name too long");
		return -1;
	}
	snprintf(k->name, sizeof(k->name), "%s%s", lx.tok, lx.tok[n - 1] == '.' ? "" : ".");
	if (expect(&lx, "{") < 0) {
		snprintf(err, errsize, "expected '{' after the key name");
		return -1;
	}
	while ((rc = next(&lx)) == 1 && !(lx.tok[0] == '}' && !lx.quoted)) {
		if (strcmp(lx.tok, "algorithm") == 0) {
			if (next(&lx) != 1 || (strcasecmp(lx.tok, "hmac-sha256") != 0 &&
			    strcasecmp(lx.tok, "hmac-sha256.") != 0)) {
				snprintf(err, errsize, "algorithm '%.40s': only hmac-sha256 is supported",
				    lx.tok);
				goto fail;
			}
			strcpy(k->algorithm, "hmac-sha256.");
		} else if (strcmp(lx.tok, "secret") == 0) {
			if (next(&lx) != 1 || !base64ish(lx.tok) || strlen(lx.tok) >= sizeof(k->secret)) {
				snprintf(err, errsize, "secret: not a base64 string");
				goto fail;
			}
			strcpy(k->secret, lx.tok);
		} else {
			snprintf(err, errsize, "unknown key option '%.40s'", lx.tok);
			goto fail;
		}
		if (expect(&lx, ";") < 0) {
			snprintf(err, errsize, "expected ';' after an option");
			goto fail;
		}
	}
	if (rc != 1 || expect(&lx, ";") < 0) {
		snprintf(err, errsize, "expected '};' to end the key statement");
		goto fail;
	}
	if (k->algorithm[0] == '\0' || k->secret[0] == '\0') {
		snprintf(err, errsize, "the key needs an algorithm and a secret");
		goto fail;
	}
	OPENSSL_cleanse(lx.tok, sizeof(lx.tok));
	return 0;
fail:
	OPENSSL_cleanse(lx.tok, sizeof(lx.tok));
	tsigkey_wipe(k);
	return -1;
}

/* Read the key file with the safety checks of a private key. */
int
tsigkey_read(const char *path, struct tsigkey *k, char *err, size_t errsize)
{
	char text[TSIG_FILE_MAX + 1], why[1024];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	rc = keysafe_open(path, geteuid(), getegid(), &fd, &st, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errsize, "RotateTSIGKey %s", why);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (len < TSIG_FILE_MAX && (n = read(fd, text + len, TSIG_FILE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	text[len] = '\0';
	if (len == TSIG_FILE_MAX) {
		snprintf(err, errsize, "RotateTSIGKey %s: larger than %d bytes", path, TSIG_FILE_MAX);
		OPENSSL_cleanse(text, sizeof(text));
		return -1;
	}
	rc = tsigkey_parse(text, k, why, sizeof(why));
	OPENSSL_cleanse(text, sizeof(text));
	if (rc < 0) {
		snprintf(err, errsize, "RotateTSIGKey %s: %s", path, why);
		return -1;
	}
	return 0;
}

/* Forget the secret. */
void
tsigkey_wipe(struct tsigkey *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}
