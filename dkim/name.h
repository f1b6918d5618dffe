/*
 * name.h - the one check of a domain name or selector, shared by the
 * signer (d=, s=), the configuration tables and dkimgen: dot-separated
 * labels of 1 to 63 ASCII letters, digits, '-' or '_', not starting or
 * ending with '-', 253 bytes at most. Internationalized names are checked
 * in their A-label (xn--) form, after dkim_idna_alabel().
 */
#ifndef DKIM_NAME_H
#define DKIM_NAME_H

#include <stddef.h>

/* 0 when name is fit, else -1 and what is wrong ("has an empty label ...") in why. */
int dkim_name_check(const char *name, size_t maxlen, char *why, size_t whysize);
/* Nonzero when name is fit (at most 253 bytes). */
int dkim_name_ok(const char *name);

#endif
