/*
 * testmain.h - the scaffolding every Check program here shares: test
 * cases made with their timeout and added to a suite, and main()'s run
 * of the suite with Check's report and exit status.
 */
#ifndef TESTMAIN_H
#define TESTMAIN_H

#include <check.h>

/* A new test case of suite s; timeout in seconds, 0 for Check's default. */
TCase *tm_case(Suite *s, const char *name, int timeout);

/* Add the tests named after tc to it, in order; the list ends with NULL. */
void tm_add(TCase *tc, ...);

/*
 * Run every test of s, print Check's report, free it; the exit status for
 * main() (EXIT_SUCCESS when no test failed). mode is CK_FORK_GETENV (Check's
 * default: CK_FORK in the environment decides) or CK_NOFORK.
 */
int tm_run(Suite *s, enum fork_status mode);

#endif
