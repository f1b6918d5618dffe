/*
 * dsn_dl.c - database client libraries opened at first use (see dsn_dl.h).
 */
#include <dlfcn.h>
#include <stdio.h>

#include "dsn_dl.h"

void *
dsn_dlopen(const char *soname, const char *product, char *err, size_t errsize)
{
	void *h;
	const char *why;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errsize, "cannot load the %s client library: %s", product,
		    why != NULL ? why : soname);
	}
	return h;
}

void *
dsn_dlsym(void *h, const char *soname, const char *name, char *err, size_t errsize)
{
	void *p;

	if ((p = dlsym(h, name)) == NULL)
		snprintf(err, errsize, "%s has no %s", soname, name);
	return p;
}
