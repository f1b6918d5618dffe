/*
 * check_keycache.c - the shared key cache: keys loaded once and shared,
 * least recently used ones evicted while messages keep theirs, a reload
 * keeping unchanged files and reading changed ones, failures cached until
 * the next reload, unsafe keys, FIFOs, keys given as text, and many
 * threads at once. Also the fast key loader against the thorough one.
 */
#include <sys/stat.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../../dkim/keyload.h"
#include "../../keys/keycache.h"
#include "testkeys.h"
#include "testmain.h"

static char *pem[3];		/* three RSA keys, PKCS#8 */
static const struct keycache_policy pol = { 0, 1, 0 };

/* Path of key file i. */
static const char *
kpath(int i)
{
	static char p[8][600];
	static int k;
	char *s = p[k++ % 8];

	snprintf(s, 600, "%s/k%d.key", tk_dir, i);
	return s;
}

/* Write key text to key file i with a mode. */
static void
kput(int i, const char *text, mode_t mode)
{
	tk_put(kpath(i), mode, "%s", text);
}

/* Get key file i; must succeed. */
static dkim_key *
get_ok(struct keycache *kc, int i)
{
	char err[1024];
	dkim_key *k;

	ck_assert_msg(keycache_file(kc, kpath(i), &pol, &k, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(k);
	return k;
}

/* A snapshot of the counters. */
static struct keycache_stats
stats(struct keycache *kc)
{
	struct keycache_stats st;

	keycache_stats(kc, &st);
	return st;
}

START_TEST(loader_matches_thorough_path)
{
	static const enum tk_form forms[] = { TK_RSA_PKCS1, TK_RSA_PKCS8, TK_ED25519_PKCS8,
	    TK_ED25519_SEED };
	dkim_keyloader *kl = dkim_keyloader_new();
	dkim_key *a, *b;
	dkim_err err;
	size_t i;
	int round;

	ck_assert_ptr_nonnull(kl);
	for (round = 0; round < 2; round++)	/* the second round reuses the decoders */
		for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
			char *text = tk_private(forms[i], 2048);

			ck_assert_int_eq(dkim_keyloader_load(kl, text, strlen(text), &a, &err), DKIM_OK);
			ck_assert_int_eq(dkim_key_load_mem(text, strlen(text), &b, &err), DKIM_OK);
			ck_assert(dkim_key_same_public(a, b));
			ck_assert_int_eq(dkim_key_alg(a), dkim_key_alg(b));
			ck_assert(dkim_key_is_private(a));
			dkim_key_free(a);
			dkim_key_free(b);
			free(text);
		}
	/* Garbage and small keys get the thorough path's errors. */
	ck_assert_int_ne(dkim_keyloader_load(kl, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n", 60, &a, &err), DKIM_OK);
	{
		char *small = tk_private(TK_RSA_PKCS8, 512);

		ck_assert_int_ne(dkim_keyloader_load(kl, small, strlen(small), &a, &err), DKIM_OK);
		ck_assert_msg(strstr(err.msg, "too small") != NULL, "%s", err.msg);
		free(small);
	}
	dkim_keyloader_free(kl);
}
END_TEST

START_TEST(shared_and_evicted)
{
	struct keycache *kc = keycache_new(3, NULL, NULL);
	dkim_key *k0, *k0b, *k1, *k3, *k;
	int i;

	for (i = 0; i < 4; i++)
		kput(i, pem[i % 3], 0600);
	k0 = get_ok(kc, 0);
	k1 = get_ok(kc, 1);
	dkim_key_free(get_ok(kc, 2));
	ck_assert_uint_eq(stats(kc).loads, 3);
	/* A second use shares the loaded key. */
	k0b = get_ok(kc, 0);
	ck_assert_ptr_eq(k0, k0b);
	ck_assert_uint_eq(stats(kc).loads, 3);
	ck_assert_uint_eq(stats(kc).hits, 1);
	/* A fourth key evicts the least recently used (k1), whose holder keeps it. */
	k3 = get_ok(kc, 3);
	ck_assert_uint_eq(stats(kc).entries, 3);
	ck_assert_uint_eq(stats(kc).evictions, 1);
	ck_assert_int_eq(dkim_key_bits(k1), 2048);
	k = get_ok(kc, 1);	/* read again */
	ck_assert_ptr_ne(k, k1);
	ck_assert(dkim_key_same_public(k, k1));
	ck_assert_uint_eq(stats(kc).loads, 5);
	dkim_key_free(k);
	/* The limit can shrink: keys go at once, holders keep theirs. */
	keycache_set_max(kc, 1);
	ck_assert_uint_eq(stats(kc).entries, 1);
	keycache_free(kc);
	ck_assert_int_eq(dkim_key_bits(k0), 2048);
	dkim_key_free(k0);
	dkim_key_free(k0b);
	dkim_key_free(k1);
	dkim_key_free(k3);
}
END_TEST

START_TEST(reload_generation)
{
	struct keycache *kc = keycache_new(8, NULL, NULL);
	dkim_key *a, *b, *c;

	kput(0, pem[0], 0600);
	a = get_ok(kc, 0);
	/* A reload with the file unchanged: the same key, nothing read. */
	keycache_new_generation(kc);
	b = get_ok(kc, 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_uint_eq(stats(kc).loads, 1);
	/* Without a reload a rotated file is not looked at... */
	kput(0, pem[1], 0600);
	c = get_ok(kc, 0);
	ck_assert_ptr_eq(c, a);
	dkim_key_free(c);
	/* ... after one it is read again, and messages holding the old key keep it. */
	keycache_new_generation(kc);
	c = get_ok(kc, 0);
	ck_assert(!dkim_key_same_public(c, a));
	ck_assert_uint_eq(stats(kc).loads, 2);
	ck_assert_int_eq(dkim_key_bits(a), 2048);
	dkim_key_free(c);
	/* An unchanged file whose directory became unsafe is not kept. */
	ck_assert_int_eq(chmod(tk_dir, 0777), 0);
	keycache_new_generation(kc);
	{
		char err[1024];

		ck_assert_int_eq(keycache_file(kc, kpath(0), &pol, &c, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "writable by others") != NULL, "%s", err);
	}
	ck_assert_int_eq(chmod(tk_dir, 0700), 0);
	dkim_key_free(a);
	dkim_key_free(b);
	keycache_free(kc);
}
END_TEST

START_TEST(failures)
{
	struct keycache *kc = keycache_new(8, NULL, NULL);
	char err[1024], fifo[600];
	dkim_key *k;

	unlink(kpath(5));
	ck_assert_int_eq(keycache_file(kc, kpath(5), &pol, &k, err, sizeof(err)), -1);
	ck_assert_ptr_null(k);
	ck_assert_msg(strstr(err, kpath(5)) && strstr(err, "No such file"), "%s", err);
	/* Cached: the file appearing does not help before a reload (or a minute). */
	kput(5, pem[0], 0600);
	ck_assert_int_eq(keycache_file(kc, kpath(5), &pol, &k, err, sizeof(err)), -1);
	keycache_new_generation(kc);
	dkim_key_free(get_ok(kc, 5));
	/* Corrupt. */
	kput(6, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", 0600);
	ck_assert_int_eq(keycache_file(kc, kpath(6), &pol, &k, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, kpath(6)) != NULL, "%s", err);
	/* Unsafe. */
	kput(7, pem[0], 0644);
	ck_assert_int_eq(keycache_file(kc, kpath(7), &pol, &k, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "readable by others") != NULL, "%s", err);
	/* A FIFO where a key should be: an error at once, not a hang. */
	snprintf(fifo, sizeof(fifo), "%s/fifo.key", tk_dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(keycache_file(kc, fifo, &pol, &k, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
	keycache_free(kc);
}
END_TEST

static int warned;

/* Count warnings. */
static void
count_warning(void *arg, const char *msg)
{
	(void)arg;
	ck_assert_ptr_nonnull(strstr(msg, "readable by others"));
	warned++;
}

START_TEST(unsafe_allowed)
{
	static const struct keycache_policy lax = { 0, 0, 0 };
	struct keycache *kc = keycache_new(8, count_warning, NULL);
	char err[1024];
	dkim_key *k;

	kput(7, pem[0], 0644);
	warned = 0;
	ck_assert_int_eq(keycache_file(kc, kpath(7), &lax, &k, err, sizeof(err)), 0);
	ck_assert_int_eq(warned, 1);
	dkim_key_free(k);
	keycache_free(kc);
}
END_TEST

START_TEST(text_keys)
{
	struct keycache *kc = keycache_new(8, NULL, NULL);
	char err[512];
	dkim_key *a, *b, *c, *junk;

	ck_assert_int_eq(keycache_text(kc, pem[0], strlen(pem[0]), &a, err, sizeof(err)), 0);
	ck_assert_int_eq(keycache_text(kc, pem[0], strlen(pem[0]), &b, err, sizeof(err)), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(keycache_text(kc, pem[1], strlen(pem[1]), &c, err, sizeof(err)), 0);
	ck_assert(!dkim_key_same_public(a, c));
	ck_assert_int_eq(keycache_text(kc, "junk", 4, &junk, err, sizeof(err)), -1);
	ck_assert_ptr_null(junk);
	dkim_key_free(a);
	dkim_key_free(b);
	dkim_key_free(c);
	keycache_free(kc);
}
END_TEST

struct worker {
	struct keycache *kc;
	unsigned long long seed;
	int bad;
};

/* Many gets over more files than the cache holds, with reloads mixed in. */
static void *
work(void *arg)
{
	struct worker *w = arg;
	char err[1024], path[600];
	dkim_key *k;
	int i;

	for (i = 0; i < 3000; i++) {
		int f = (int)(tk_rand(&w->seed) % 12);

		if (f == 11 && i % 500 == 0)
			keycache_new_generation(w->kc);
		/* Not kpath(): its buffers are shared, these threads are not. */
		snprintf(path, sizeof(path), "%s/k%d.key", tk_dir, f);
		if (keycache_file(w->kc, path, &pol, &k, err, sizeof(err)) != 0 ||
		    dkim_key_bits(k) != 2048)
			w->bad++;
		dkim_key_free(k);
	}
	return NULL;
}

START_TEST(threads)
{
	struct keycache *kc = keycache_new(5, NULL, NULL);
	struct worker w[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 12; i++)
		kput(i, pem[i % 3], 0600);
	for (i = 0; i < 4; i++) {
		w[i].kc = kc;
		w[i].seed = 1234567ULL * (unsigned long long)(i + 1);
		w[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].bad, 0);
	}
	ck_assert_uint_le(stats(kc).entries, 5);
	keycache_free(kc);
}
END_TEST

/* The tests, in one case run in this process around the private directory. */
int
main(void)
{
	Suite *s = suite_create("keycache");
	TCase *tc = tm_case(s, "keycache", 120);
	int i;

	for (i = 0; i < 3; i++)
		pem[i] = tk_shared(TK_RSA_PKCS8, 2048);
	tk_dir_fixture(tc, "check_keycache", 0);
	tm_add(tc, loader_matches_thorough_path, shared_and_evicted, reload_generation,
	    failures, unsafe_allowed, text_keys, threads, NULL);
	return tm_run(s, CK_NOFORK);
}
