/*
 * dsn_module.c - loading the back-end modules (see dsn_module.h). A module
 * is code run as root: it is loaded only when it is a regular file owned
 * by root or by us that nobody else may write, in a directory nobody else
 * may write, as keys are checked (keys/keysafe.c), and only when it was
 * built with this version of postdkim.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsn_module.h"

#ifndef MODULEDIR
#define MODULEDIR "/usr/lib/postdkim"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const struct {
	const char *name, *package;
} dsn_modules[] = {
	{ "pgsql", "postdkim-pgsql" },
	{ "mysql", "postdkim-mysql" },
	{ "ldap", "postdkim-ldap" },
};
#define NMODULES (sizeof(dsn_modules) / sizeof(dsn_modules[0]))

static pthread_mutex_t dsn_module_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct dsn_backend *dsn_loaded[NMODULES];

/* Nonzero when st is owned by root or by us and nobody else may write it. */
static int
dsn_module_safe(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) && (st->st_mode & 022) == 0;
}

/* Load module i of dsn_modules; NULL with err. */
static const struct dsn_backend *
dsn_module_load(size_t i, char *err, size_t errsize)
{
	const char *dir = getenv("POSTDKIM_MODULE_DIR");
	const struct dsn_module *m;
	char path[4096];
	struct stat st, dst;
	void *h;

	if (dir == NULL || *dir == '\0')
		dir = MODULEDIR;
	snprintf(path, sizeof(path), "%s/%s.so", dir, dsn_modules[i].name);
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			snprintf(err, errsize, "the %s back end is not installed: install the "
			    "package %s (%s: not found)", dsn_modules[i].name,
			    dsn_modules[i].package, path);
		else
			snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || !dsn_module_safe(&st) || stat(dir, &dst) != 0 ||
	    !dsn_module_safe(&dst)) {
		snprintf(err, errsize, "%s: not loaded: a module must be a regular file, and it "
		    "and its directory owned by root and writable by nobody else", path);
		return NULL;
	}
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errsize, "%s: cannot be loaded: %s", path, dlerror());
		return NULL;
	}
	if ((m = dlsym(h, DSN_MODULE_SYMBOL)) == NULL || m->backend == NULL ||
	    strcasecmp(m->backend->name, dsn_modules[i].name) != 0) {
		snprintf(err, errsize, "%s: not a postdkim %s module", path, dsn_modules[i].name);
		return NULL;
	}
	if (strcmp(m->version, PACKAGE_VERSION) != 0) {
		snprintf(err, errsize, "%s is from postdkim %.32s, this is postdkim %s: install "
		    "%s of the same version", path, m->version, PACKAGE_VERSION,
		    dsn_modules[i].package);
		return NULL;
	}
	/* Never closed: its functions stay in use by the data sets. */
	return m->backend;
}

const struct dsn_backend *
dsn_module(const char *name, char *err, size_t errsize)
{
	const struct dsn_backend *be;
	size_t i;

	for (i = 0; i < NMODULES; i++)
		if (strcasecmp(name, dsn_modules[i].name) == 0)
			break;
	if (i == NMODULES) {
		snprintf(err, errsize, "unknown back end '%.64s' (pgsql and mysql are known)",
		    name);
		return NULL;
	}
	pthread_mutex_lock(&dsn_module_lock);
	if ((be = dsn_loaded[i]) == NULL)
		be = dsn_loaded[i] = dsn_module_load(i, err, errsize);
	pthread_mutex_unlock(&dsn_module_lock);
	return be;
}
