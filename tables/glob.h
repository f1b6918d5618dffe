/*
 * glob.h - the '*' wildcard patterns of refile: tables and host lists.
 */
#ifndef POSTDKIM_GLOB_H
#define POSTDKIM_GLOB_H

/* Nonzero when s matches pattern, without case; '*' matches any run. */
int glob_match(const char *pattern, const char *s);

#endif
