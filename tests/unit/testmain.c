/*
 * testmain.c - the scaffolding every Check program here shares: making
 * test cases, and the suite runner that main() returns the result of.
 */
#include <stdarg.h>
#include <stdlib.h>

#include <check.h>

#include "testmain.h"

/* Make a test case, give it its timeout, add it to s. */
TCase *
tm_case(Suite *s, const char *name, int timeout)
{
	TCase *tc = tcase_create(name);

	if (timeout > 0)
		tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

/* Add a NULL-terminated list of tests to a test case. */
void
tm_add(TCase *tc, ...)
{
	const TTest *t;
	va_list ap;

	va_start(ap, tc);
	while ((t = va_arg(ap, const TTest *)) != NULL)
		tcase_add_test(tc, t);
	va_end(ap);
}

/* Run the suite and count its failures. */
int
tm_run(Suite *s, enum fork_status mode)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, mode);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
