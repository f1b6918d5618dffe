/*
 * restool.c - test helper: look key records up through the resolver module
 * (libunbound), so scripts can hold it against a real DNS server.
 *
 *   restool [-n ADDR@PORT]... [-r RESOLV.CONF] [-a TRUSTANCHOR] [-T MS]
 *           [-j THREADS] [-S MS] [-R ROUNDS] [-D MS] SELECTOR:DOMAIN...
 *
 * Each round looks every name up in one batch (in parallel, one deadline);
 * with -j, that many threads run the rounds at once on the one resolver,
 * the nth starting n times -S milliseconds after the first (so that their
 * deadlines fall apart); -D pauses between rounds. A '#' in a selector
 * stands for the round's number and a '%' for the thread's, so that every
 * round of every thread asks a name no cache holds.
 * Prints, per name and round, one line:
 *   ROUND SELECTOR:DOMAIN STATUS dnssec=N len=N ms=N "reason" "first bytes" at=EPOCHMS
 * with anything unprintable escaped.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../verify/resolver.h"

#define MAX_NAMES 64

static struct resolver *res;
static char *names[MAX_NAMES];
static size_t nnames;
static int rounds = 1, pause_ms, stagger_ms;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void
usage(void)
{
	fprintf(stderr, "usage: restool [-n ADDR@PORT]... [-r RESOLV.CONF] [-a TA] [-T MS] "
	    "[-j THREADS] [-S MS] [-R ROUNDS] [-D MS] SELECTOR:DOMAIN...\n");
	exit(2);
}

/* Print s (at most max bytes) with anything unprintable escaped. */
static void
show(const char *s, size_t len, size_t max)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock milliseconds, for scripts that compare with date(1). */
static long long
epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The selector of fmt for round r of thread j: '#' is r, '%' is j. */
static void
selector(char *out, size_t size, const char *fmt, int r, int j)
{
	size_t n = 0;

	for (; *fmt != '\0' && n + 12 < size; fmt++)
		if (*fmt == '#')
			n += (size_t)snprintf(out + n, size - n, "%d", r);
		else if (*fmt == '%')
			n += (size_t)snprintf(out + n, size - n, "%d", j);
		else
			out[n++] = *fmt;
	out[n] = '\0';
}

/* Run the rounds: each one batch of every name. */
static void *
run(void *arg)
{
	static const char *const st[] = { "FOUND", "NONE", "TEMPFAIL", "BAD" };
	struct resolver_query q[MAX_NAMES];
	char sel[MAX_NAMES][256], fmt[MAX_NAMES][256], *colon;
	long long t0, ms;
	size_t i;
	int r, j = (int)(intptr_t)arg;

	if (stagger_ms > 0)
		usleep((useconds_t)(stagger_ms * j) * 1000);
	for (i = 0; i < nnames; i++) {
		/* fmt holds SELECTOR\0DOMAIN; sel the selector asked in this round. */
		snprintf(fmt[i], sizeof(fmt[i]), "%s", names[i]);
		if ((colon = strchr(fmt[i], ':')) == NULL)
			usage();
		*colon = '\0';
		snprintf(sel[i], sizeof(sel[i]), "%s", fmt[i]);
		memset(&q[i], 0, sizeof(q[i]));
		q[i].selector = sel[i];
		q[i].domain = colon + 1;
	}
	for (r = 1; r <= rounds; r++) {
		for (i = 0; i < nnames; i++)
			selector(sel[i], sizeof(sel[i]), fmt[i], r, j);
		t0 = ms_now();
		resolver_lookup(res, q, nnames);
		ms = ms_now() - t0;
		pthread_mutex_lock(&out_mu);
		for (i = 0; i < nnames; i++) {
			printf("%d %s:%s %s dnssec=%d len=%zu ms=%lld ", r, sel[i], q[i].domain,
			    st[q[i].status],
			    q[i].dnssec, q[i].len, ms);
			show(q[i].reason, strlen(q[i].reason), 200);
			putchar(' ');
			show(q[i].txt ? q[i].txt : "", q[i].len, 40);
			printf(" at=%lld\n", epoch_ms());
			resolver_query_clear(&q[i]);
		}
		fflush(stdout);
		pthread_mutex_unlock(&out_mu);
		if (pause_ms > 0 && r < rounds)
			usleep((useconds_t)pause_ms * 1000);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *ns[8];
	struct resolver_opts o;
	pthread_t th[32];
	char err[256];
	int c, j, threads = 1;

	memset(&o, 0, sizeof(o));
	o.nameservers = ns;
	while ((c = getopt(argc, argv, "n:r:a:T:j:S:R:D:")) != -1) {
		switch (c) {
		case 'n':
			if (o.nnameservers == 8)
				usage();
			ns[o.nnameservers++] = optarg;
			break;
		case 'r': o.resolv_conf = optarg; break;
		case 'a': o.trust_anchor_file = optarg; break;
		case 'T': o.timeout_ms = (unsigned)atoi(optarg); break;
		case 'j': threads = atoi(optarg); break;
		case 'S': stagger_ms = atoi(optarg); break;
		case 'R': rounds = atoi(optarg); break;
		case 'D': pause_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind == argc || argc - optind > MAX_NAMES || threads < 1 || threads > 32)
		usage();
	for (; optind < argc; optind++)
		names[nnames++] = argv[optind];
	if (resolver_new(&o, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "restool: %s\n", err);
		return 1;
	}
	for (j = 0; j < threads; j++)
		pthread_create(&th[j], NULL, run, (void *)(intptr_t)j);
	for (j = 0; j < threads; j++)
		pthread_join(th[j], NULL);
	resolver_free(res);
	return 0;
}
