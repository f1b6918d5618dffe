/*
 * slowcancel.c - linked into restool-slowcancel only, with
 * -Wl,--wrap=ub_cancel: every ub_cancel() of the resolver first sleeps
 * 3 ms, which widens the moment between a lookup giving up on its
 * unanswered queries and their cancels, when another thread's ub_process()
 * may deliver one of their late answers. At exit it says on standard error
 * how many cancels came too late (UB_NOID: the answer had been taken out
 * already), so a test knows the moment was reached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <unbound.h>

int __real_ub_cancel(struct ub_ctx *ctx, int async_id);
int __wrap_ub_cancel(struct ub_ctx *ctx, int async_id);

static unsigned long cancels, too_late;

int
__wrap_ub_cancel(struct ub_ctx *ctx, int async_id)
{
	struct timespec ts = { 0, 3000000 };
	int rc;

	nanosleep(&ts, NULL);
	rc = __real_ub_cancel(ctx, async_id);
	__atomic_add_fetch(&cancels, 1, __ATOMIC_RELAXED);
	if (rc == UB_NOID)
		__atomic_add_fetch(&too_late, 1, __ATOMIC_RELAXED);
	return rc;
}

__attribute__((destructor)) static void
slowcancel_report(void)
{
	fprintf(stderr, "slowcancel: %lu cancels, %lu after their answer\n",
	    __atomic_load_n(&cancels, __ATOMIC_RELAXED),
	    __atomic_load_n(&too_late, __ATOMIC_RELAXED));
}
