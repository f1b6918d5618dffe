/*
 * dkim_err.h - error reporting shared by every module of the DKIM core.
 *
 * Functions that can fail return an int status (0 = success) and, when given
 * a non-NULL dkim_err, leave a one-line message a person can act on.
 */
#ifndef DKIM_ERR_H
#define DKIM_ERR_H

#include <stddef.h>

enum dkim_status {
	DKIM_OK = 0,
	DKIM_ERR_NOMEM,		/* an allocation failed */
	DKIM_ERR_SYNTAX,	/* malformed input */
	DKIM_ERR_TOOBIG,	/* input beyond a documented bound */
	DKIM_ERR_KEY,		/* key unusable: type, size, encoding */
	DKIM_ERR_CRYPTO,	/* OpenSSL reported an error */
	DKIM_ERR_IO,		/* reading a file failed */
	DKIM_ERR_NOFROM,	/* message has no From header field */
	DKIM_ERR_STATE,		/* call out of order */
};

typedef struct dkim_err {
	int code;
	char msg[256];
} dkim_err;

/* Record an error (printf-style) when err is not NULL; returns code. */
int dkim_err_set(dkim_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record an error followed by OpenSSL's queued reason; clears the queue. */
int dkim_err_ssl(dkim_err *err, int code, const char *what);

#endif
