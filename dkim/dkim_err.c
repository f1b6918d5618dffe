/*
 * dkim_err.c - error messages for the DKIM core.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "dkim_err.h"

/* Record a formatted message and code in err, if any. */
int
dkim_err_set(dkim_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Record what failed and OpenSSL's first queued reason, then clear the queue. */
int
dkim_err_ssl(dkim_err *err, int code, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		strcpy(buf, "no reason given");
	ERR_clear_error();
	return dkim_err_set(err, code, "%s: %s", what, buf);
}
