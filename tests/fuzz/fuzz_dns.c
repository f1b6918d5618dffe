/*
 * fuzz_dns.c - libFuzzer target: DNS answers as libunbound hands them to
 * the resolver (verify/resolver.c): any number of TXT rdatas of any bytes,
 * any rcode and flags, DNSSEC state, an error code. Each answer must become
 * one status with a reason; a key record found must be the rdata's strings
 * joined, within RESOLVER_TXT_MAX, NUL-free and NUL-terminated; the answer
 * cache must give back exactly what it was given. (What a record then
 * means is fuzz_vmsg's and fuzz_taglist's part.)
 *
 * Input: flags (1 byte), rcode (1), ttl (1), then rdatas, each a 2-byte
 * big-endian length and that many bytes.
 *
 * resolver.c is included rather than linked so that its static answer
 * handling (answer_take) is what runs here, unchanged.
 */
#include <stdint.h>

#include "../../verify/resolver.c"

#define MUST(x) do { if (!(x)) abort(); } while (0)
#define MAX_RR 8

/* The rdata's character-strings joined, or -1 when they overrun it. */
static long
joined_len(const unsigned char *d, size_t len)
{
	size_t pos = 0, out = 0;

	while (pos < len) {
		size_t n = d[pos++];

		if (n > len - pos)
			return -1;
		out += n;
		pos += n;
	}
	return (long)out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnscache *cache;
	static unsigned long runs;
	char name[64];
	char *rr[MAX_RR + 1];
	int lens[MAX_RR + 1];
	struct ub_result res;
	struct resolver_query q, back;
	size_t pos = 3, n = 0, i;
	unsigned flags, ttl;
	int err;

	if (cache == NULL && (cache = dnscache_new()) == NULL)
		abort();
	if (size < 3)
		return 0;
	flags = data[0];
	memset(&res, 0, sizeof(res));
	res.rcode = data[1] & 0x0f;
	ttl = data[2];
	while (n < MAX_RR && size - pos >= 2) {
		size_t l = (size_t)data[pos] << 8 | data[pos + 1];

		pos += 2;
		if (l > size - pos)
			l = size - pos;
		/* A copy of its own, so ASan sees any read past the rdata. */
		MUST((rr[n] = malloc(l ? l : 1)) != NULL);
		memcpy(rr[n], data + pos, l);
		lens[n++] = (int)l;
		pos += l;
	}
	rr[n] = NULL;
	res.data = rr;
	res.len = lens;
	res.havedata = n > 0 && (flags & 1);
	res.nxdomain = (flags & 2) != 0;
	res.secure = (flags & 4) != 0;
	res.bogus = (flags & 8) != 0;
	err = (flags & 16) ? UB_SERVFAIL : 0;

	memset(&q, 0, sizeof(q));
	q.domain = "example.com";
	q.selector = "sel";
	q.status = RES_TEMPFAIL;
	answer_take(&q, err, (flags & 32) ? NULL : &res, (flags & 64) != 0);

	MUST(q.status <= RES_BAD);
	if (q.status == RES_FOUND) {
		long want = joined_len((const unsigned char *)rr[0], (size_t)lens[0]);

		MUST(res.havedata && n == 1 && err == 0 && !(flags & 32));
		MUST(q.txt != NULL && (long)q.len == want && q.len <= RESOLVER_TXT_MAX);
		MUST(q.txt[q.len] == '\0' && memchr(q.txt, '\0', q.len) == NULL);
	} else {
		MUST(q.txt == NULL && q.reason[0] != '\0');
	}
	if (flags & 64)
		MUST(q.dnssec >= (err || (flags & 32) ? 0 : 1) && q.dnssec <= 3);
	else
		MUST(q.dnssec == 0);

	/*
	 * The cache gives back what it kept; temporary failures are not kept.
	 * A name of this run's own, so an earlier run's entry cannot answer.
	 */
	snprintf(name, sizeof(name), "sel._domainkey.r%lu.example.com", ++runs);
	dnscache_put(cache, name, &q, ttl);
	memset(&back, 0, sizeof(back));
	if (dnscache_get(cache, name, &back)) {
		MUST(ttl > 0 && (q.status == RES_FOUND || q.status == RES_NONE));
		MUST(back.status == q.status && back.len == q.len && back.dnssec == q.dnssec);
		MUST(strcmp(back.reason, q.reason) == 0);
		MUST((back.txt == NULL) == (q.txt == NULL));
		MUST(back.txt == NULL || memcmp(back.txt, q.txt, q.len + 1) == 0);
	} else {
		MUST(ttl == 0 || (q.status != RES_FOUND && q.status != RES_NONE) || q.dnssec == 3);
	}
	resolver_query_clear(&back);

	resolver_query_clear(&q);
	for (i = 0; i < n; i++)
		free(rr[i]);
	return 0;
}
