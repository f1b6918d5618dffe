/*
 * check_progress.c - the watchdog's view of the message path
 * (milter/progress.c): a wrapped callback that runs shows as the oldest in
 * progress for as long as it runs, on any thread; one that returned shows
 * nothing; a nested call does not restart the clock; marks of threads that
 * ended serve new threads.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <libmilter/mfapi.h>

#include "../../milter/progress.h"
#include "testmain.h"

static struct smfiDesc desc;
static volatile int release;	/* the blocked callback may return */
static long after_nested;	/* the oldest callback's age once the nested one returned */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A callback that runs until told to return. */
static sfsistat blocked_eoh(SMFICTX *ctx)
{
	(void)ctx;
	while (!release)
		sleep_ms(5);
	return SMFIS_CONTINUE;
}

/* A callback that calls another wrapped one (libmilter never does; the mark must hold). */
static sfsistat nested_eom(SMFICTX *ctx)
{
	sfsistat r;

	sleep_ms(150);
	r = desc.xxfi_abort(ctx);
	after_nested = progress_oldest_ms();
	return r;
}

static sfsistat quick_abort(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static void *run_eoh(void *arg)
{
	(void)arg;
	desc.xxfi_eoh(NULL);
	return NULL;
}

static void wrap(void)
{
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_eoh = blocked_eoh;
	desc.xxfi_eom = nested_eom;
	desc.xxfi_abort = quick_abort;
	progress_wrap(&desc);
	ck_assert_ptr_ne(desc.xxfi_eoh, blocked_eoh);
	ck_assert_ptr_null(desc.xxfi_connect);	/* absent callbacks stay absent */
}

START_TEST(running_callback_ages)
{
	pthread_t t;
	long ms;

	wrap();
	ck_assert_int_eq(progress_oldest_ms(), 0);
	release = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, run_eoh, NULL), 0);
	sleep_ms(300);
	ms = progress_oldest_ms();
	ck_assert_msg(ms >= 250 && ms < 5000, "oldest callback %ld ms after 300 ms", ms);
	release = 1;
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(progress_oldest_ms(), 0);
}
END_TEST

START_TEST(nested_and_reused)
{
	pthread_t t;
	int i;

	wrap();
	/* After the nested call returned, the outer one still counts. */
	ck_assert_int_eq(desc.xxfi_eom(NULL), SMFIS_CONTINUE);
	ck_assert_msg(after_nested >= 100, "outer callback %ld ms old after the nested one",
	    after_nested);
	ck_assert_int_eq(progress_oldest_ms(), 0);
	/* Threads come and go; each returns its mark; none stays marked. */
	release = 1;
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(pthread_create(&t, NULL, run_eoh, NULL), 0);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
	}
	ck_assert_int_eq(progress_oldest_ms(), 0);
}
END_TEST

/* Every test of this program, in one suite. */
int
main(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tm_case(s, "progress", 0);

	tm_add(tc, running_callback_ages, nested_and_reused, NULL);
	return tm_run(s, CK_FORK_GETENV);
}
