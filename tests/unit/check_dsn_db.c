/*
 * check_dsn_db.c - dsn: data sets against the private PostgreSQL and
 * MariaDB servers that dsn-servers.sh starts (their coordinates in the
 * environment), every back end alike: modoboa's and README.SQL's tables,
 * several columns, SQL injection, the cache's TTL, a slow server, a server
 * stopped and restarted, thousands of reconnections without growth,
 * concurrent lookups.
 */
#include <dirent.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#ifdef HAVE_PGSQL
#include <libpq-fe.h>
#endif
#ifdef HAVE_MYSQL
#include <mysql.h>
#endif

#include "../../tables/dataset.h"
#include "../../tables/dscache.h"
#include "../../tables/dsn.h"
#include "testmain.h"

/* The back ends with a server to test against. */
struct backend {
	const char *name;	/* pgsql, mysql */
	const char *product;
	int port;
};
static struct backend be[2];
static int nbe;

/* Sleep ms milliseconds. */
static void
nap(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Run sql as the servers' administrator in database db; returns rows affected/found or -1. */
static long
admin(int b, const char *db, const char *sql)
{
	long n = -1;

#ifdef HAVE_PGSQL
	if (strcmp(be[b].name, "pgsql") == 0) {
		char ci[512];
		PGconn *pg;
		PGresult *r;

		snprintf(ci, sizeof(ci), "host=%s port=%d user=postgres dbname=%s",
		    getenv("PG_SOCKDIR"), be[b].port, db);
		pg = PQconnectdb(ci);
		ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "admin: %s", PQerrorMessage(pg));
		r = PQexec(pg, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			n = PQntuples(r) == 1 && PQnfields(r) == 1 ? atol(PQgetvalue(r, 0, 0)) :
			    PQntuples(r);
		else if (PQresultStatus(r) == PGRES_COMMAND_OK)
			n = atol(PQcmdTuples(r));
		else
			ck_abort_msg("admin: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(pg);
	}
#endif
#ifdef HAVE_MYSQL
	if (strcmp(be[b].name, "mysql") == 0) {
		MYSQL *m = mysql_init(NULL);
		MYSQL_RES *r;
		MYSQL_ROW row;

		ck_assert_msg(mysql_real_connect(m, "localhost", "root", "", db, 0,
		    getenv("MY_SOCKET"), 0) != NULL, "admin: %s", mysql_error(m));
		ck_assert_msg(mysql_query(m, sql) == 0, "admin: %s: %s", sql, mysql_error(m));
		if ((r = mysql_store_result(m)) != NULL) {
			n = (long)mysql_num_rows(r);
			if (n == 1 && mysql_num_fields(r) == 1 && (row = mysql_fetch_row(r)) != NULL)
				n = row[0] ? atol(row[0]) : 0;
			mysql_free_result(r);
		} else
			n = (long)mysql_affected_rows(m);
		mysql_close(m);
	}
#endif
	return n;
}

/* Stop or start server b through the harness. */
static void
server(int b, const char *verb)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' %s-%s '%s'", getenv("DBHARNESS"), verb, be[b].name,
	    getenv("DBHARNESS_DIR"));
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

/* The DSN of table spec in database db on back end b, with password pw. */
static const char *
dsn(int b, const char *pw, const char *db, const char *spec)
{
	static char buf[4][1024];
	static int k;
	char *p = buf[k++ % 4];

	snprintf(p, 1024, "dsn:%s://%s:%s@%d+127.0.0.1/%s/%s", be[b].name, getenv("DB_USER"),
	    pw, be[b].port, db, spec);
	return p;
}

#define MODOBOA_SIGN "table=dkim?keycol=domain_name?datacol=id"
#define MODOBOA_KEYS "table=dkim?keycol=id?datacol=domain_name,selector,private_key_path"

/* Open a data set; must succeed. */
static struct dataset *
open_ok(const char *spec)
{
	struct dataset *ds;
	char err[1024];

	ck_assert_msg(dataset_open(&ds, spec, DATASET_MAP, DATASET_ICASE, "/etc/postdkim.conf", 3,
	    err, sizeof(err)) == 0, "%s: %s", spec, err);
	return ds;
}

/* Rows joined as "f1,f2;f1,f2" (fields of each row, rows sorted). */
struct got {
	char rows[16][2048];
	int n;
};

/* Collect a row. */
static int
collect(void *arg, const struct dataset_row *r)
{
	struct got *g = arg;
	size_t i, l = 0;

	if (g->n == 16)
		return 1;
	g->rows[g->n][0] = '\0';
	for (i = 0; i < r->nfields; i++)
		l += (size_t)snprintf(g->rows[g->n] + l, sizeof(g->rows[0]) - l, "%s%s",
		    i ? "," : "", r->field[i]);
	g->n++;
	return 0;
}

/* Compare two row strings. */
static int
cmprow(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The rows of key as one string; "ERROR" on a failure (err in lasterr). */
static char lasterr[1024];
static const char *
look(struct dataset *ds, const char *key)
{
	static char out[8192];
	static struct got g;
	int n, i;
	size_t l = 0;

	memset(&g, 0, sizeof(g));
	lasterr[0] = '\0';
	n = dataset_lookup(ds, key, collect, &g, lasterr, sizeof(lasterr));
	if (n < 0)
		return "ERROR";
	ck_assert_int_eq(n, g.n);
	qsort(g.rows, (size_t)g.n, sizeof(g.rows[0]), cmprow);
	out[0] = '\0';
	for (i = 0; i < g.n; i++)
		l += (size_t)snprintf(out + l, sizeof(out) - l, "%s%s", i ? ";" : "", g.rows[i]);
	return out;
}

/*
 * Settings for a test: the defaults with this TTL, a short backoff, and
 * timeouts long enough for a loaded machine under a sanitizer (the tests
 * of timeouts set their own).
 */
static void
settings(unsigned long ttl_ms)
{
	struct dataset_db_settings s;

	dataset_db_defaults(&s);
	s.cache_ttl_ms = ttl_ms;
	s.backoff_max_ms = 300;
	s.connect_timeout_ms = 30000;
	s.query_timeout_ms = 10000;
	dataset_set_db_settings(&s);
}

/* modoboa's two lines: SigningTable by domain, KeyTable by id, over a view. */
START_TEST(modoboa)
{
	const char *pw = getenv("DB_PASSWORD");
	struct dataset *st, *kt;
	char info[512], err[1024];
	struct got g;

	settings(60000);
	st = open_ok(dsn(_i, pw, "modoboa", MODOBOA_SIGN));
	kt = open_ok(dsn(_i, pw, "modoboa", MODOBOA_KEYS));
	ck_assert_str_eq(look(st, "example.com"), "1");
	ck_assert_str_eq(look(st, "example.org"), "2");
	ck_assert_str_eq(look(st, "nodkim.example"), "");	/* enable_dkim false */
	ck_assert_str_eq(look(st, "user@example.com"), "");
	ck_assert_str_eq(look(kt, "1"), "example.com,mail,/var/lib/dkim/example.com.pem");
	ck_assert_str_eq(look(kt, "2"), "example.org,sel2,/var/lib/dkim/example.org.pem");
	/* Not an integer: not an id, not an error. */
	ck_assert_str_eq(look(kt, "example.com"), "");
	ck_assert_str_eq(look(kt, "99"), "");
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(dataset_walk(st, collect, &g, err, sizeof(err)), 2);
	ck_assert_int_eq(dataset_check(kt, info, sizeof(info), err, sizeof(err)), 0);
	ck_assert_msg(strstr(info, be[_i].product) != NULL && strstr(info, "127.0.0.1") != NULL,
	    "%s", info);
	ck_assert_ptr_null(strstr(dataset_name(kt), pw));
	ck_assert_ptr_nonnull(strstr(dataset_name(kt), "modoboa/table=dkim"));
	dataset_close(st);
	dataset_close(kt);
}
END_TEST

/* README.SQL's layout: the PEM text in a column, several rows for a key, NULLs. */
START_TEST(readme_sql)
{
	const char *pw = getenv("DB_PASSWORD");
	struct dataset *kt, *st;
	const char *r;
	char err[1024];
	struct got g;

	settings(60000);
	kt = open_ok(dsn(_i, pw, "odkim", "table=dkim?keycol=id?datacol=domain_name,selector,"
	    "private_key"));
	st = open_ok(dsn(_i, pw, "odkim", "table=dkim_signing?keycol=author?datacol=dkim_id,note"));
	r = look(kt, "1");
	ck_assert_int_eq(strncmp(r, "example.net,sql,-----BEGIN PRIVATE KEY-----MIIEvQ", 49), 0);
	ck_assert_uint_eq(strlen(r), strlen("example.net,sql,") + 27 + 32 * 50 + 25);
	ck_assert_str_eq(r + strlen(r) - 25, "-----END PRIVATE KEY-----");
	ck_assert_str_eq(look(kt, "2"), "example.edu,edu,");	/* NULL key: empty field */
	ck_assert_str_eq(look(st, "user@example.net"), "1,user;2,second");
	ck_assert_str_eq(look(st, "nullnote@example.net"), "2,");
	ck_assert_str_eq(look(st, "example.net"), "1,domain");
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(dataset_walk(kt, collect, &g, err, sizeof(err)), 2);
	dataset_close(kt);
	dataset_close(st);
}
END_TEST

/* Keys an attacker writes in From: exact matches only, tables intact. */
START_TEST(injection)
{
	static const char *const none[] = {
		"aXbYc@example.net", "a%b_c@example.ne_", "%", "_", "%@example.net",
		"a%@example.net", "o'brien@example.net' OR '1'='1", "' OR 1=1 --",
		"'; DROP TABLE dkim; --", "'; DROP TABLE dkim_signing; --",
		"\\'; DROP TABLE dkim_signing; --", "\\", "back\\slash@example.net",
		"\"quoted\"@example.net", "x' UNION SELECT private_key, selector FROM dkim --",
		"$1", "?", "o\\'brien@example.net", "\xff\xfe@example.net", "\xc0\xa7",
		"'", "''", "%'", "`", "\"", "a;b", "\x01\x02\x7f",
	};
	const char *pw = getenv("DB_PASSWORD");
	struct dataset *st;
	size_t i;

	settings(60000);
	st = open_ok(dsn(_i, pw, "odkim", "table=dkim_signing?keycol=author?datacol=dkim_id,note"));
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		ck_assert_msg(strcmp(look(st, none[i]), "") == 0, "key %zu '%s': '%s' %s", i,
		    none[i], look(st, none[i]), lasterr);
	ck_assert_str_eq(look(st, "a%b_c@example.net"), "1,percent");
	ck_assert_str_eq(look(st, "o'brien@example.net"), "1,quote");
	/* A NUL ends the C string: the key is what comes before it. */
	ck_assert_str_eq(look(st, "example.net\0' OR '1'='1"), "1,domain");
	ck_assert_int_eq(admin(_i, "odkim", "SELECT COUNT(*) FROM dkim"), 2);
	ck_assert_int_eq(admin(_i, "odkim", "SELECT COUNT(*) FROM dkim_signing"), 6);
	dataset_close(st);
}
END_TEST

/* postdkim -n: wrong password and unknown column name the data set, server and error. */
START_TEST(check_errors)
{
	static const char *const denied[] = { "password authentication failed", "Access denied" };
	struct dataset *ds;
	char info[512], err[1024];

	settings(60000);
	ds = open_ok(dsn(_i, "Wrong:pw", "modoboa", MODOBOA_SIGN));
	ck_assert_int_lt(dataset_check(ds, info, sizeof(info), err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "dsn:") && strstr(err, "127.0.0.1") && strstr(err,
	    be[_i].product) && strstr(err, denied[strcmp(be[_i].name, "mysql") == 0]), "%s", err);
	ck_assert_ptr_null(strstr(err, "Wrong:pw"));
	ck_assert_str_eq(look(ds, "example.com"), "ERROR");
	ck_assert_ptr_null(strstr(lasterr, "Wrong:pw"));
	dataset_close(ds);

	ds = open_ok(dsn(_i, getenv("DB_PASSWORD"), "modoboa",
	    "table=dkim?keycol=domain_name?datacol=id,nosuchcol"));
	ck_assert_int_lt(dataset_check(ds, info, sizeof(info), err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "nosuchcol") && strstr(err, "modoboa"), "%s", err);
	ck_assert_ptr_null(strstr(err, getenv("DB_PASSWORD")));
	dataset_close(ds);

	ds = open_ok(dsn(_i, getenv("DB_PASSWORD"), "modoboa",
	    "table=nosuchtable?keycol=domain_name?datacol=id"));
	ck_assert_int_lt(dataset_check(ds, info, sizeof(info), err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "nosuchtable") != NULL, "%s", err);
	dataset_close(ds);
}
END_TEST

/* A row inserted or deleted is seen within the TTL, not before (the cache answers). */
START_TEST(cache_ttl)
{
	struct dataset *st;

	settings(1000);
	st = open_ok(dsn(_i, getenv("DB_PASSWORD"), "modoboa", MODOBOA_SIGN));
	ck_assert_str_eq(look(st, "new.example"), "");
	admin(_i, "modoboa", "INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, "
	    "dkim_private_key_path) VALUES ('new.example', TRUE, 's', '/k.pem')");
	ck_assert_str_eq(look(st, "new.example"), "");	/* the cached "no" */
	nap(1100);
	ck_assert_str_ne(look(st, "new.example"), "");
	admin(_i, "modoboa", "DELETE FROM admin_domain WHERE name = 'new.example'");
	ck_assert_str_ne(look(st, "new.example"), "");	/* the cached row */
	nap(1100);
	ck_assert_str_eq(look(st, "new.example"), "");
	dataset_close(st);
}
END_TEST

/* Server down: cached keys answer (even expired), others fail fast; back: reconnects. */
START_TEST(server_down)
{
	struct dataset *st;
	unsigned long long t0;
	const char *r = "ERROR";
	int i;

	settings(300);
	st = open_ok(dsn(_i, getenv("DB_PASSWORD"), "modoboa", MODOBOA_SIGN));
	ck_assert_str_eq(look(st, "example.com"), "1");
	ck_assert_str_eq(look(st, "unsigned.example"), "");
	server(_i, "stop");
	nap(400);
	t0 = dsn_now();
	ck_assert_str_eq(look(st, "example.com"), "1");
	ck_assert_str_eq(look(st, "unsigned.example"), "");
	ck_assert_str_eq(look(st, "uncached.example"), "ERROR");
	ck_assert_msg(strstr(lasterr, "127.0.0.1") && strstr(lasterr, be[_i].product), "%s",
	    lasterr);
	ck_assert_str_eq(look(st, "uncached.example"), "ERROR");
	/* Well within a milter timeout, even with three lookups. */
	ck_assert_uint_lt(dsn_now() - t0, 2500);
	server(_i, "start");
	for (i = 0; i < 100 && strcmp(r, "ERROR") == 0; i++) {
		r = look(st, "uncached.example");
		if (strcmp(r, "ERROR") == 0)
			nap(100);
	}
	ck_assert_msg(strcmp(r, "") == 0, "after restart: %s", lasterr);
	ck_assert_str_eq(look(st, "example.org"), "2");
	dataset_close(st);
}
END_TEST

/* A server slower than the query timeout: the lookup fails in about that time. */
START_TEST(slow)
{
	struct dataset_db_settings set;
	struct dataset *st;
	unsigned long long t0;
	char spec[256];

	dataset_db_defaults(&set);
	set.query_timeout_ms = 1000;
	set.connect_timeout_ms = 10000;
	dataset_set_db_settings(&set);
	snprintf(spec, sizeof(spec), "%s?filter=%s", MODOBOA_SIGN,
	    strcmp(be[_i].name, "pgsql") == 0 ? "pg_sleep(3) IS NOT NULL" : "SLEEP(3) IS NOT NULL");
	st = open_ok(dsn(_i, getenv("DB_PASSWORD"), "modoboa", spec));
	t0 = dsn_now();
	ck_assert_str_eq(look(st, "example.com"), "ERROR");
	ck_assert_msg(dsn_now() - t0 >= 900 && dsn_now() - t0 < 2500, "%llu ms: %s",
	    dsn_now() - t0, lasterr);
	dataset_close(st);
}
END_TEST

/* Open file descriptors of this process. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Bytes in use by malloc (0 under a sanitizer, whose allocator this is not). */
static size_t
heap_used(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#else
	return mallinfo2().uordblks;
#endif
}

/* The server's own end of our connections. */
#define PG_KILL "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity " \
	"WHERE usename = 'postdkim'"

/* Kill the data set's connections on the server side. */
static void
kill_connections(int b)
{
	char sql[128];
	long id;

	if (strcmp(be[b].name, "pgsql") == 0) {
		admin(b, "postgres", PG_KILL);
		return;
	}
	for (;;) {
		id = admin(b, "mysql", "SELECT MAX(id) FROM information_schema.processlist "
		    "WHERE user = 'postdkim' AND command <> 'Killed'");
		if (id <= 0)
			break;
		snprintf(sql, sizeof(sql), "KILL CONNECTION %ld", id);
		admin(b, "mysql", sql);
		nap(20);
	}
}

/* Thousands of reconnections: no descriptor or memory growth; killed connections replaced. */
START_TEST(reconnect)
{
	/* A PostgreSQL connection costs a server process and a SCRAM handshake: fewer cycles. */
	const char *s = getenv(strcmp(be[_i].name, "pgsql") == 0 ? "DSN_RECONNECTS_PGSQL" :
	    "DSN_RECONNECTS");
	long cycles = s ? atol(s) : 10000, i;
	struct dataset *st;
	int fds;
	size_t heap;

	settings(0);	/* no cache: every lookup asks the server */
	st = open_ok(dsn(_i, getenv("DB_PASSWORD"), "modoboa", MODOBOA_SIGN));
	for (i = 0; i < 50; i++) {
		dataset_disconnect(st);
		ck_assert_str_eq(look(st, "example.com"), "1");
	}
	fds = count_fds();
	heap = heap_used();
	for (i = 0; i < cycles; i++) {
		dataset_disconnect(st);
		ck_assert_msg(strcmp(look(st, "example.com"), "1") == 0, "cycle %ld: %s", i,
		    lasterr);
	}
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_msg(heap_used() < heap + 256 * 1024, "heap %zu -> %zu after %ld reconnects",
	    heap, heap_used(), cycles);
	printf("%s: %ld reconnects, fds %d -> %d, heap %zu -> %zu\n", be[_i].name, cycles, fds,
	    count_fds(), heap, heap_used());
	/* Connections the server kills: the next lookup replaces them, no error. */
	for (i = 0; i < 30; i++) {
		kill_connections(_i);
		ck_assert_msg(strcmp(look(st, "example.org"), "2") == 0, "after kill %ld: %s", i,
		    lasterr);
	}
	ck_assert_int_eq(count_fds(), fds);
	dataset_close(st);
}
END_TEST

static struct dataset *shared;
static int thread_errors;

/* One milter thread's lookups. */
static void *
lookup_thread(void *arg)
{
	static const char *const key[] = { "example.com", "example.org", "nope.example" };
	static const char *const want[] = { "1", "2", "" };
	struct got g;
	char err[512];
	long t = (long)(intptr_t)arg;
	int i, k, n;

	for (i = 0; i < 300; i++) {
		k = (int)((i + t) % 3);
		memset(&g, 0, sizeof(g));
		n = dataset_lookup(shared, key[k], collect, &g, err, sizeof(err));
		if (n != (k < 2) || (n == 1 && strcmp(g.rows[0], want[k]) != 0))
			__atomic_add_fetch(&thread_errors, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* Eight threads on a pool of four connections. */
START_TEST(threads)
{
	pthread_t th[8];
	long i;

	settings(0);
	shared = open_ok(dsn(_i, getenv("DB_PASSWORD"), "modoboa", MODOBOA_SIGN));
	thread_errors = 0;
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, lookup_thread, (void *)(intptr_t)i), 0);
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(thread_errors, 0);
	/* Every pooled connection killed at once (a server restart): the next lookup works. */
	kill_connections(_i);
	ck_assert_msg(strcmp(look(shared, "example.com"), "1") == 0, "%s", lasterr);
	dataset_close(shared);
}
END_TEST

/* The back ends built and given a server by dsn-servers.sh. */
static void
find_servers(void)
{
	const char *p;

	(void)p;
#ifdef HAVE_PGSQL
	if ((p = getenv("PG_PORT")) != NULL) {
		be[nbe].name = "pgsql";
		be[nbe].product = "PostgreSQL";
		be[nbe++].port = atoi(p);
	} else
		printf("check_dsn_db: PostgreSQL tests not run: no server (PG_PORT unset; "
		    "dsn-servers.sh starts one)\n");
#else
	printf("check_dsn_db: PostgreSQL tests not run: built without --with-pgsql\n");
#endif
#ifdef HAVE_MYSQL
	if ((p = getenv("MY_PORT")) != NULL) {
		be[nbe].name = "mysql";
		be[nbe].product = "MariaDB";
		be[nbe++].port = atoi(p);
	} else
		printf("check_dsn_db: MariaDB tests not run: no server (MY_PORT unset; "
		    "dsn-servers.sh starts one)\n");
#else
	printf("check_dsn_db: MariaDB tests not run: built without --with-mysql\n");
#endif
}

/* Every test of this program, in one suite. */
static Suite *
dsn_db_suite(void)
{
	Suite *s = suite_create("dsn_db");
	TCase *tc = tm_case(s, "servers", 0);

	tcase_add_loop_test(tc, modoboa, 0, nbe);
	tcase_add_loop_test(tc, readme_sql, 0, nbe);
	tcase_add_loop_test(tc, injection, 0, nbe);
	tcase_add_loop_test(tc, check_errors, 0, nbe);
	tcase_add_loop_test(tc, cache_ttl, 0, nbe);
	tcase_add_loop_test(tc, threads, 0, nbe);
	tcase_add_loop_test(tc, slow, 0, nbe);
	tcase_add_loop_test(tc, reconnect, 0, nbe);
	tcase_add_loop_test(tc, server_down, 0, nbe);
	return s;
}

int
main(void)
{
	find_servers();
	if (nbe == 0)
		return 77;	/* skipped, and said why */
	/* One process: the servers are shared state, tests run in order. */
	return tm_run(dsn_db_suite(), CK_NOFORK);
}
