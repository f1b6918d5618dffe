/*
 * benchdrv.c - load generator for milters, on the project's milter-protocol
 * client (tests/milter/mclient.h).
 *
 * N threads, one connection each, send one generated message after
 * another the way Postfix reuses a milter connection (ABORT between
 * messages), or open a new connection per message (-r). Every reply is
 * read; a message counts as signed when the result carries a
 * DKIM-Signature field. With -p PID the milter's CPU time (utime + stime
 * from /proc/PID/stat, before and after) and its peak RSS (VmHWM) are
 * recorded too. The result is one JSON line on stdout:
 *
 *	benchdrv -s SOCKET [-c CONNS] [-n MSGS] [-d SECONDS] [-g SIZE] [-r]
 *	    [-p PID] [-D DIR -k COUNT] [-l LABEL] [-t TIMEOUT_MS]
 *	    [-f FROM [-u LO:HI] [-q]] [-L LOGFILE] [-i MS]
 *	benchdrv -s SOCKET -m FILE -a ADDR -v ...	(verification: see below)
 *	benchdrv -M FILE [-g SIZE]	(write the generated message, for other tools)
 *	benchdrv -s SOCKET -W MS [-p PID]	(wait until the milter answers; print when)
 *
 * -f sets the From address of every message; a %u in it is replaced per
 * message by a number in [LO, HI) (-u, default 0:1): uniformly at random,
 * or with -q one after the other (LO, LO+1, ..., wrapping), so that a run
 * of HI-LO messages covers every number once. Many domains: -f
 * 'user@d%u.example' -u 0:100000.
 *
 * For verification runs, -m FILE sends that message (CRLF, signed by
 * someone else beforehand) instead of a generated one, -a ADDR is the
 * client address given at CONNECT (an outside one, so that a milter in
 * Mode sv verifies instead of signing), and -v counts "dkim=pass" results
 * in the milter's Authentication-Results fields instead of signatures
 * ("signed" then means verified, "sigs" the passes, "unsigned" the rest).
 *
 * -L FILE logs every message, one line each, for checks made afterwards
 * (tests/rotate/sigcheck.py): the wall-clock times (seconds since 1970) at
 * which it was handed to the milter and its last reply came, the verdict,
 * and the header as the milter left it, CR, LF and backslash written as
 * \r, \n and \\ (the body is the generated one, -M). -i MS paces each
 * connection: one message every MS milliseconds at most (a steady load
 * whose log stays small, rather than the most the milter can take). SIGTERM or SIGINT
 * ends the run early, as a time limit would: the summary is still printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../tests/milter/mclient.h"

#define REOPEN_MAX	3	/* reconnect attempts after an I/O error */

/* Everything the run shares: settings, the message, the counters. */
struct run {
	const char *sock;
	size_t conns;
	long nmax;		/* messages in all; 0 = no limit */
	double secs;		/* seconds; 0 = no limit */
	int reconnect;
	int timeout_ms;
	double pace;		/* -i: seconds between a connection's messages */
	mclient_mail mail;
	atomic_long tickets;	/* messages handed out so far */
	atomic_long saved;	/* sample messages kept so far */
	long nsave;
	const char *from;	/* From address pattern, or NULL */
	unsigned long from_lo, from_hi;
	int from_seq;		/* -q: numbers in sequence, not at random */
	int verify;		/* -v: count dkim=pass, not signatures */
	const char *client_addr;	/* -a, or NULL for mclient's default */
	atomic_ulong from_next;	/* next number in sequence */
	char **samples;		/* kept results, written after the run */
	size_t *samplelen;
	double t_start;		/* CLOCK_MONOTONIC, seconds */
	double t_end;
	pthread_barrier_t go;
	FILE *log;		/* -L, or NULL */
	pthread_mutex_t loglock;
};

/* Set by SIGTERM or SIGINT: no new messages. */
static volatile sig_atomic_t stopping;

/* One connection's results. */
struct worker {
	struct run *run;
	size_t id;
	pthread_t tid;
	double *lat;		/* per-message latency, ms */
	size_t nlat, latcap;
	long done, signed_msgs, sigs, errors, unsigned_msgs;
	char lasterr[320];
	mclient_mail mail;	/* own copy when the From varies */
	size_t from_at;		/* index of the From field in mail */
	uint64_t rng;		/* xorshift64* state */
	double next_at;		/* -i: when the next message may start */
};

/* The time of a clock in seconds. */
static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Monotonic time in seconds. */
static double
now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* Parse 2k, 64k, 1m, 25m or a byte count; returns 0 on error. */
static size_t
parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return 0;
	if (*end == 'k' || *end == 'K')
		v *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1024 * 1024, end++;
	return *end == '\0' ? (size_t)v : 0;
}

/*
 * Make a message with a body of exactly blen bytes of CRLF text lines.
 * The words vary (a small LCG) so relaxed canonicalization has real work.
 */
static char *
make_message(size_t blen, size_t *outlen)
{
	static const char hdr[] =
	    "From: Bench Sender <sender@bench.example>\r\n"
	    "To: Receiver <rcpt@example.net>\r\n"
	    "Subject: benchmark message\r\n"
	    "Date: Mon, 23 Nov 2026 20:00:00 +0000\r\n"
	    "Message-ID: <bench.1@bench.example>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n";
	size_t hlen = sizeof(hdr) - 1, i = 0, col = 0;
	uint32_t x = 12345;
	char *buf;

	if ((buf = malloc(hlen + blen + 1)) == NULL)
		return NULL;
	memcpy(buf, hdr, hlen);
	while (i < blen) {
		char *p = buf + hlen + i;
		size_t left = blen - i;

		if (left <= 2 || col >= 72) {
			/* End the line; a last lone byte becomes a plain letter. */
			if (left >= 2) {
				p[0] = '\r', p[1] = '\n';
				i += 2;
			} else {
				p[0] = 'z';
				i++;
			}
			col = 0;
			continue;
		}
		x = x * 1103515245u + 12345u;
		if ((x >> 16) % 7 == 0 && col > 0 && p[-1] != ' ')
			p[0] = ((x >> 20) & 1) ? ' ' : '\t';
		else
			p[0] = (char)('a' + (x >> 16) % 26);
		i++;
		col++;
	}
	/* Keep the body ending in CRLF when there is room, as mail does. */
	if (blen >= 2) {
		buf[hlen + blen - 2] = '\r';
		buf[hlen + blen - 1] = '\n';
	}
	buf[hlen + blen] = '\0';
	*outlen = hlen + blen;
	return buf;
}

/* Count DKIM-Signature fields in the header of a CRLF message. */
static long
count_sigs(const char *msg, size_t len)
{
	static const char name[] = "DKIM-Signature:";
	size_t i = 0, nl = sizeof(name) - 1;
	long n = 0;

	while (i < len) {
		if (msg[i] == '\r' || msg[i] == '\n')
			break;		/* empty line: end of header */
		if (len - i >= nl && strncasecmp(msg + i, name, nl) == 0)
			n++;
		while (i < len && msg[i] != '\n')
			i++;
		i++;
	}
	return n;
}

/*
 * Count "dkim=pass" in the header of a CRLF message: the verdicts the
 * milter added (the pre-signed input carries no Authentication-Results).
 */
static long
count_pass(const char *msg, size_t len)
{
	static const char word[] = "dkim=pass";
	size_t i, wl = sizeof(word) - 1;
	long n = 0;

	for (i = 0; i + wl <= len; i++) {
		if (msg[i] == '\n' && i + 2 < len && (msg[i + 1] == '\r' || msg[i + 1] == '\n'))
			break;		/* empty line: end of header */
		if (strncasecmp(msg + i, word, wl) == 0)
			n++;
	}
	return n;
}

/* Remember one latency; on allocation failure the sample is dropped and counted. */
static void
add_latency(struct worker *w, double ms)
{
	if (w->nlat == w->latcap) {
		size_t cap = w->latcap ? w->latcap * 2 : 1024;
		double *nl = realloc(w->lat, cap * sizeof(*nl));

		if (nl == NULL) {
			w->errors++;
			snprintf(w->lasterr, sizeof(w->lasterr), "out of memory");
			return;
		}
		w->lat = nl;
		w->latcap = cap;
	}
	w->lat[w->nlat++] = ms;
}

/* xorshift64*: a fast per-connection generator, good enough for picking domains. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Put this message's From field (pattern with %u expanded) into w->mail. */
static int
set_from(struct worker *w)
{
	struct run *r = w->run;
	char addr[512], raw[600];
	unsigned long span = r->from_hi - r->from_lo, k;
	const char *pc = strstr(r->from, "%u");
	int n;

	if (r->from_seq)
		k = r->from_lo + atomic_fetch_add(&r->from_next, 1) % span;
	else
		k = r->from_lo + (unsigned long)(rng_next(&w->rng) % span);
	if (pc != NULL)
		snprintf(addr, sizeof(addr), "%.*s%lu%s", (int)(pc - r->from), r->from, k,
		    pc + 2);
	else
		snprintf(addr, sizeof(addr), "%s", r->from);
	n = snprintf(raw, sizeof(raw), "From: Bench Sender <%s>", addr);
	mclient_mail_del(&w->mail, w->from_at);
	return mclient_mail_add(&w->mail, w->from_at, "From", 4, raw, (size_t)n);
}

/* Open a connection and run CONNECT and HELO; NULL on failure. */
static mclient *
open_conn(struct worker *w)
{
	struct run *r = w->run;
	mclient_opts o = { .timeout_ms = r->timeout_ms };
	mclient_env env = { .client_addr = r->client_addr };
	enum mclient_verdict v = MC_NONE;
	mclient *c = NULL;
	char err[256];

	if (mclient_open(&c, r->sock, &env, &o, err, sizeof(err)) != 0) {
		snprintf(w->lasterr, sizeof(w->lasterr), "open: %s", err);
		return NULL;
	}
	if (mclient_connect(c, &v) != 0 || mclient_helo(c, &v) != 0) {
		snprintf(w->lasterr, sizeof(w->lasterr), "connect: %s",
		    mclient_error(c));
		mclient_close(c, 0);
		return NULL;
	}
	return c;
}

/* Claim the right to send one more message; 0 when the run is over. */
static int
take_ticket(struct run *r)
{
	if (stopping || (r->secs > 0 && now() - r->t_start >= r->secs))
		return 0;
	if (r->nmax > 0 && atomic_fetch_add(&r->tickets, 1) >= r->nmax)
		return 0;
	return 1;
}

/* Wall-clock time in seconds (for -L: comparable with other programs' times). */
static double
wallclock(void)
{
	return clock_s(CLOCK_REALTIME);
}

/* The -L line of one message: times, verdict, the escaped header. */
static void
log_message(struct run *r, double w0, double w1, const mclient_result *res)
{
	size_t i, n = res->msg == NULL ? 0 : res->msglen;
	const char *m = res->msg;

	pthread_mutex_lock(&r->loglock);
	fprintf(r->log, "%.6f %.6f %s ", w0, w1, mclient_verdict_name(res->verdict));
	for (i = 0; i < n; i++) {
		if (m[i] == '\r' && i + 3 < n && memcmp(m + i, "\r\n\r\n", 4) == 0)
			break;	/* the end of the header */
		if (m[i] == '\r')
			fputs("\\r", r->log);
		else if (m[i] == '\n')
			fputs("\\n", r->log);
		else if (m[i] == '\\')
			fputs("\\\\", r->log);
		else
			putc(m[i], r->log);
	}
	putc('\n', r->log);
	pthread_mutex_unlock(&r->loglock);
}

/* Account for one finished message (res filled by mclient_message). */
static void
record(struct worker *w, mclient_result *res, double ms)
{
	struct run *r = w->run;
	long n;

	w->done++;
	add_latency(w, ms);
	if (res->verdict != MC_ACCEPT) {
		w->errors++;
		snprintf(w->lasterr, sizeof(w->lasterr), "verdict %s",
		    mclient_verdict_name(res->verdict));
		return;
	}
	n = res->msg == NULL ? 0 : r->verify ? count_pass(res->msg, res->msglen) :
	    count_sigs(res->msg, res->msglen);
	if (n == 0) {
		w->unsigned_msgs++;
		return;
	}
	w->signed_msgs++;
	w->sigs += n;
	if (r->nsave > 0 && atomic_load(&r->saved) < r->nsave) {
		long k = atomic_fetch_add(&r->saved, 1);

		if (k < r->nsave) {
			/* Keep it; the file is written after the clock stops. */
			r->samples[k] = res->msg;
			r->samplelen[k] = res->msglen;
			res->msg = NULL;
		}
	}
}

/* One connection: send messages until the tickets or the time run out. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	mclient_txn t = { 0 };
	mclient *c = NULL;
	int reopen = 0;

	if (!r->reconnect)
		c = open_conn(w);
	pthread_barrier_wait(&r->go);
	if (!r->reconnect && c == NULL) {
		w->errors++;
		return NULL;
	}
	while (take_ticket(r)) {
		mclient_result res;
		double t0 = now(), w0 = r->log != NULL ? wallclock() : 0;
		int rc;

		if (r->pace > 0 && w->done > 0 && t0 < w->next_at) {
			double d = w->next_at - t0;
			struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };

			nanosleep(&ts, NULL);
			t0 = now();
			w0 = r->log != NULL ? wallclock() : 0;
		}
		w->next_at = t0 + r->pace;

		memset(&res, 0, sizeof(res));
		if (r->from != NULL && set_from(w) != 0) {
			w->errors++;
			snprintf(w->lasterr, sizeof(w->lasterr), "out of memory");
			break;
		}
		if (c == NULL && (c = open_conn(w)) == NULL) {
			w->errors++;
			if (!r->reconnect && ++reopen > REOPEN_MAX)
				break;
			continue;
		}
		rc = mclient_message(c, r->from != NULL ? &w->mail : &r->mail, &t, &res);
		if (rc != 0) {
			w->errors++;
			snprintf(w->lasterr, sizeof(w->lasterr), "message: %s",
			    mclient_error(c));
			if (r->log != NULL)
				log_message(r, w0, wallclock(), &res);
			mclient_close(c, 0);
			c = NULL;
			mclient_result_free(&res);
			if (!r->reconnect && ++reopen > REOPEN_MAX)
				break;
			continue;
		}
		if (r->reconnect) {
			mclient_close(c, 1);
			c = NULL;
		} else if (mclient_abort(c) != 0) {
			w->errors++;
			mclient_close(c, 0);
			c = NULL;
		}
		if (r->log != NULL)
			log_message(r, w0, wallclock(), &res);
		record(w, &res, (now() - t0) * 1000.0);
		mclient_result_free(&res);
	}
	if (c != NULL)
		mclient_close(c, 1);
	return NULL;
}

/* qsort order for doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (0..1) of sorted v, nearest rank. */
static double
quantile(const double *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(q * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	return v[k > n ? n - 1 : k - 1];
}

/* utime + stime of a process in seconds, or -1. */
static double
proc_cpu(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold blanks; fields count from the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A "Name:  N kB" line of /proc/PID/status in KiB, or -1. */
static long
proc_status_kb(long pid, const char *name)
{
	char path[64], line[256];
	size_t nl = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, nl) == 0 && line[nl] == ':') {
			v = strtol(line + nl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Write the kept sample messages as DIR/msg-N.eml. */
static int
write_samples(struct run *r, const char *dir)
{
	long i, n = atomic_load(&r->saved);
	int rc = 0;

	if (n > r->nsave)
		n = r->nsave;
	for (i = 0; i < n; i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/msg-%ld.eml", dir, i);
		if ((f = fopen(path, "w")) == NULL ||
		    fwrite(r->samples[i], 1, r->samplelen[i], f) != r->samplelen[i] ||
		    fclose(f) != 0) {
			fprintf(stderr, "benchdrv: %s: %s\n", path, strerror(errno));
			rc = -1;
		}
		free(r->samples[i]);
	}
	return rc;
}

/* Write the generated message to path (for other load generators). */
static int
write_message(const char *path, size_t blen)
{
	size_t mlen;
	char *msg = make_message(blen, &mlen);
	FILE *f;

	if (msg == NULL) {
		fprintf(stderr, "benchdrv: out of memory\n");
		return 3;
	}
	if ((f = fopen(path, "w")) == NULL || fwrite(msg, 1, mlen, f) != mlen ||
	    fclose(f) != 0) {
		fprintf(stderr, "benchdrv: %s: %s\n", path, strerror(errno));
		free(msg);
		return 1;
	}
	free(msg);
	return 0;
}

/*
 * -W: poll until the milter accepts a connection and answers option
 * negotiation (every millisecond, at most ms); print the wall-clock time
 * (seconds since 1970) when it did. 0, or 1 on timeout or when process
 * pid (if > 0) has gone.
 */
static int
wait_ready(const char *sock, long ms, long pid)
{
	mclient_opts o = { .timeout_ms = 10000 };
	struct timespec ts, pause = { 0, 1000000 };
	double t0 = now();
	mclient *c;
	char err[256];

	for (;;) {
		c = NULL;
		if (mclient_open(&c, sock, NULL, &o, err, sizeof(err)) == 0) {
			clock_gettime(CLOCK_REALTIME, &ts);
			mclient_close(c, 1);
			printf("%lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
			return 0;
		}
		if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
			fprintf(stderr, "benchdrv: process %ld exited before %s was ready\n", pid,
			    sock);
			return 1;
		}
		if ((now() - t0) * 1000.0 > (double)ms) {
			fprintf(stderr, "benchdrv: %s not ready after %ld ms: %s\n", sock, ms, err);
			return 1;
		}
		nanosleep(&pause, NULL);
	}
}

/* The whole of FILE in memory (a pre-signed message for -m); NULL after a message. */
static char *
read_message(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "benchdrv: %s: %s\n", path, errno ? strerror(errno) : "empty or short");
		free(buf);
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* SIGTERM, SIGINT: end the run as a time limit would. */
static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: benchdrv -s SOCKET [-c CONNS] [-n MSGS] [-d SECONDS]"
	    " [-g SIZE] [-r] [-p PID] [-D DIR -k COUNT] [-l LABEL] [-t TIMEOUT_MS]\n"
	    "           [-f FROM [-u LO:HI] [-q]] [-m FILE] [-a ADDR] [-v] [-L LOGFILE] [-i MS]\n"
	    "       benchdrv -M FILE [-g SIZE]\n"
	    "       benchdrv -s SOCKET -W MS [-p PID]\n");
	exit(2);
}

/* Print the run as one JSON line. */
static void
report(struct run *r, struct worker *w, const char *label, size_t blen,
    long pid, double cpu0, double cpu1, double ccpu)
{
	long done = 0, sg = 0, sigs = 0, err = 0, uns = 0, cmin = -1, cmax = 0;
	size_t i, nlat = 0, k = 0;
	double el = r->t_end - r->t_start, *all, mean;
	size_t starved = 0;

	for (i = 0; i < r->conns; i++) {
		done += w[i].done, sg += w[i].signed_msgs, sigs += w[i].sigs;
		err += w[i].errors, uns += w[i].unsigned_msgs, nlat += w[i].nlat;
		if (cmin < 0 || w[i].done < cmin)
			cmin = w[i].done;
		if (w[i].done > cmax)
			cmax = w[i].done;
	}
	mean = (double)done / (double)r->conns;
	for (i = 0; i < r->conns; i++)
		if ((double)w[i].done < mean / 4)
			starved++;
	if ((all = malloc((nlat ? nlat : 1) * sizeof(*all))) == NULL) {
		fprintf(stderr, "benchdrv: out of memory\n");
		exit(3);
	}
	for (i = 0; i < r->conns; i++) {
		memcpy(all + k, w[i].lat, w[i].nlat * sizeof(*all));
		k += w[i].nlat;
	}
	qsort(all, nlat, sizeof(*all), cmp_double);
	printf("{\"label\":\"%s\",\"conns\":%zu,\"body\":%zu,\"reconnect\":%d,"
	    "\"msgs\":%ld,\"secs\":%.3f,\"msgs_per_s\":%.1f,"
	    "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
	    "\"signed\":%ld,\"sigs\":%ld,\"unsigned\":%ld,\"errors\":%ld,"
	    "\"conn_min\":%ld,\"conn_max\":%ld,\"starved\":%zu,",
	    label, r->conns, blen, r->reconnect, done, el,
	    el > 0 ? (double)done / el : 0.0, quantile(all, nlat, 0.50),
	    quantile(all, nlat, 0.99), nlat ? all[nlat - 1] : 0.0, sg, sigs, uns,
	    err, cmin, cmax, starved);
	if (pid > 0)
		printf("\"milter_cpu_ms_per_msg\":%.4f,\"milter_hwm_kb\":%ld,",
		    cpu0 >= 0 && cpu1 >= 0 && done > 0 ?
		    (cpu1 - cpu0) * 1000.0 / (double)done : -1.0,
		    proc_status_kb(pid, "VmHWM"));
	printf("\"client_cpu_ms_per_msg\":%.4f,\"per_conn\":[",
	    done > 0 ? ccpu * 1000.0 / (double)done : 0.0);
	for (i = 0; i < r->conns; i++)
		printf("%s%ld", i ? "," : "", w[i].done);
	printf("]}\n");
	fflush(stdout);
	for (i = 0; i < r->conns; i++)
		if (w[i].lasterr[0] != '\0') {
			fprintf(stderr, "benchdrv: connection %zu: last error: %s\n",
			    i, w[i].lasterr);
			break;
		}
	free(all);
}

int
main(int argc, char **argv)
{
	struct run r;
	struct worker *w;
	struct rusage ru;
	const char *label = "", *dir = NULL, *dump = NULL, *mfile = NULL, *logpath = NULL;
	struct sigaction sa;
	size_t blen = 2048, mlen, i;
	double cpu0 = -1, cpu1 = -1, ccpu;
	long pid = 0, waitms = -1;
	char *msg, *colon;
	int ch, rc = 0;

	memset(&r, 0, sizeof(r));
	r.conns = 1;
	r.timeout_ms = 60000;
	while ((ch = getopt(argc, argv, "a:c:d:D:f:g:i:k:l:L:m:M:n:p:qrs:t:u:vW:")) != -1) {
		switch (ch) {
		case 'a': r.client_addr = optarg; break;
		case 'c': r.conns = strtoul(optarg, NULL, 10); break;
		case 'm': mfile = optarg; break;
		case 'v': r.verify = 1; break;
		case 'd': r.secs = strtod(optarg, NULL); break;
		case 'D': dir = optarg; break;
		case 'f': r.from = optarg; break;
		case 'q': r.from_seq = 1; break;
		case 'u':
			r.from_lo = strtoul(optarg, &colon, 10);
			if (*colon != ':')
				usage();
			r.from_hi = strtoul(colon + 1, NULL, 10);
			break;
		case 'W': waitms = strtol(optarg, NULL, 10); break;
		case 'g': blen = parse_size(optarg); break;
		case 'k': r.nsave = strtol(optarg, NULL, 10); break;
		case 'l': label = optarg; break;
		case 'L': logpath = optarg; break;
		case 'i': r.pace = strtod(optarg, NULL) / 1000.0; break;
		case 'M': dump = optarg; break;
		case 'n': r.nmax = strtol(optarg, NULL, 10); break;
		case 'p': pid = strtol(optarg, NULL, 10); break;
		case 'r': r.reconnect = 1; break;
		case 's': r.sock = optarg; break;
		case 't': r.timeout_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (dump != NULL && blen > 0)
		return write_message(dump, blen);
	if (waitms >= 0 && r.sock != NULL)
		return wait_ready(r.sock, waitms, pid);
	if (r.from != NULL && r.from_hi == 0 && r.from_lo == 0)
		r.from_hi = 1;
	if (r.sock == NULL || optind != argc || r.conns < 1 || r.conns > 4096 ||
	    blen == 0 || r.nsave < 0 || r.nsave > 1000 || (r.nsave > 0 && dir == NULL) ||
	    (r.from != NULL && r.from_hi <= r.from_lo))
		usage();
	if (r.nmax <= 0 && r.secs <= 0)
		r.nmax = 100;
	if (mfile != NULL) {
		if ((msg = read_message(mfile, &mlen)) == NULL)
			return 3;
		blen = mlen;
	} else if ((msg = make_message(blen, &mlen)) == NULL) {
		fprintf(stderr, "benchdrv: out of memory\n");
		return 3;
	}
	if (mclient_mail_parse(msg, mlen, &r.mail) != 0) {
		fprintf(stderr, "benchdrv: out of memory\n");
		return 3;
	}
	w = calloc(r.conns, sizeof(*w));
	/* A varying From: every connection edits its own copy of the message. */
	for (i = 0; r.from != NULL && w != NULL && i < r.conns; i++) {
		if (mclient_mail_parse(msg, mlen, &w[i].mail) != 0) {
			fprintf(stderr, "benchdrv: out of memory\n");
			return 3;
		}
		while (w[i].from_at < w[i].mail.nf &&
		    strcasecmp(w[i].mail.f[w[i].from_at].name, "From") != 0)
			w[i].from_at++;
		w[i].rng = 0x9E3779B97F4A7C15ULL * (i + 1) ^ (uint64_t)time(NULL) ^
		    ((uint64_t)getpid() << 32);
		if (w[i].rng == 0)
			w[i].rng = 1;
	}
	free(msg);
	if (logpath != NULL) {
		if ((r.log = fopen(logpath, "w")) == NULL) {
			fprintf(stderr, "benchdrv: %s: %s\n", logpath, strerror(errno));
			return 1;
		}
		pthread_mutex_init(&r.loglock, NULL);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	r.samples = calloc(r.nsave ? (size_t)r.nsave : 1, sizeof(*r.samples));
	r.samplelen = calloc(r.nsave ? (size_t)r.nsave : 1, sizeof(*r.samplelen));
	if (w == NULL || r.samples == NULL || r.samplelen == NULL ||
	    pthread_barrier_init(&r.go, NULL, (unsigned)r.conns + 1) != 0) {
		fprintf(stderr, "benchdrv: out of memory\n");
		return 3;
	}
	for (i = 0; i < r.conns; i++) {
		w[i].run = &r;
		w[i].id = i;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "benchdrv: cannot start thread %zu\n", i);
			return 3;
		}
	}
	/* Connections are open (reuse mode) once everyone reaches the barrier. */
	if (pid > 0)
		cpu0 = proc_cpu(pid);
	r.t_start = now();
	pthread_barrier_wait(&r.go);
	for (i = 0; i < r.conns; i++)
		pthread_join(w[i].tid, NULL);
	r.t_end = now();
	if (pid > 0)
		cpu1 = proc_cpu(pid);
	getrusage(RUSAGE_SELF, &ru);
	ccpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	report(&r, w, label, blen, pid, cpu0, cpu1, ccpu);
	if (dir != NULL && write_samples(&r, dir) != 0)
		rc = 1;
	if (r.log != NULL && fclose(r.log) != 0) {
		fprintf(stderr, "benchdrv: %s: %s\n", logpath, strerror(errno));
		rc = 1;
	}
	for (i = 0; i < r.conns; i++) {
		free(w[i].lat);
		mclient_mail_free(&w[i].mail);
	}
	free(w);
	free(r.samples);
	free(r.samplelen);
	pthread_barrier_destroy(&r.go);
	mclient_mail_free(&r.mail);
	return rc;
}
