/*
 * from.h - the address of a From field, for choosing the signing keys.
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

#endif
