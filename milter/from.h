/*
 * from.h - the addresses of a From field, for choosing the signing keys.
 */
#ifndef POSTDKIM_FROM_H
#define POSTDKIM_FROM_H

#include <stddef.h>

/*
 * The address of a From field value (RFC 5322 mailbox-list with exactly one
 * mailbox: display names, comments, quoted local parts, angle brackets).
 * Returns 0 and the local part and lower-cased domain, or -1 with *why.
 */
int from_address(const char *value, size_t len, char *local, size_t localsize,
    char *domain, size_t domainsize, const char **why);

/* The most mailboxes of one From field looked at; more are refused. */
#define FROM_MAILBOXES_MAX 32

/* One mailbox of a From field: local part as written, domain in lower case. */
struct from_box {
	char local[256];
	char domain[256];
};

/*
 * Every mailbox of a From value (a mailbox-list, RFC 5322 3.6.2: several
 * authors and a Sender field), at most max (FROM_MAILBOXES_MAX at most).
 * Returns 0 and *n, or -1 with *why when any mailbox is unusable.
 */
int from_addresses(const char *value, size_t len, struct from_box *box, size_t max, size_t *n,
    const char **why);

#endif
