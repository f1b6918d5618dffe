/*
 * dnstxt.h - fetch the TXT records at one name through the system resolver
 * (libresolv), keeping each record's character-strings apart so a checker
 * can see where they were split.
 */
#ifndef DKIMGEN_DNSTXT_H
#define DKIMGEN_DNSTXT_H

#include <stddef.h>
#include "../dkim/dbuf.h"

#define DNSTXT_RECORDS_MAX 16
#define DNSTXT_STRINGS_MAX 256

enum dnstxt_status {
	DNSTXT_FOUND = 0,	/* at least one TXT record */
	DNSTXT_NXDOMAIN,	/* the name does not exist */
	DNSTXT_NODATA,		/* the name exists, but has no TXT record */
	DNSTXT_FAIL,		/* no usable answer: timeout, SERVFAIL, refused */
};

struct dnstxt_record {
	dbuf text;		/* the strings joined, as RFC 6376 §3.6.2.2 says */
	size_t nstrings;
	size_t ends[DNSTXT_STRINGS_MAX];	/* end offset of each string */
};

struct dnstxt_answer {
	struct dnstxt_record rec[DNSTXT_RECORDS_MAX];
	size_t nrec;		/* records kept */
	size_t total;		/* TXT records in the answer */
	int other;		/* non-TXT answers seen (a CNAME, say) */
};

/*
 * Parse "IPv4[:PORT]", "IPv6" or "[IPv6]:PORT" (port 53 by default).
 * Returns 0, or -1 with why.
 */
struct sockaddr_storage;
int dnstxt_parse_server(const char *s, struct sockaddr_storage *ss, char *why,
    size_t whysize);

/*
 * Look up name's TXT records, through server when it is not NULL (else
 * /etc/resolv.conf). On DNSTXT_FAIL why says what went wrong. Free the
 * answer with dnstxt_free whatever the status.
 */
enum dnstxt_status dnstxt_lookup(const char *name, const struct sockaddr_storage *server,
    struct dnstxt_answer *ans, char *why, size_t whysize);
void dnstxt_free(struct dnstxt_answer *ans);

#endif
