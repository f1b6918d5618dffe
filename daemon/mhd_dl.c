/*
 * mhd_dl.c - libmicrohttpd opened at start-up when MetricsSocket is set
 * (see mhd_dl.h). Opened once, never closed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "mhd_dl.h"

#ifndef MHD_SONAME
#define MHD_SONAME "libmicrohttpd.so.12"
#endif

/* The address of name, or NULL with err. */
static void *mhd_sym(void *h, const char *name, char *err, size_t errsize)
{
	void *p = dlsym(h, name);

	if (p == NULL)
		snprintf(err, errsize, "MetricsSocket: %s has no %s", MHD_SONAME, name);
	return p;
}

/* Open libmicrohttpd and look its functions up. */
int mhd_dl_open(struct mhd_fns *fns, char *err, size_t errsize)
{
	const char *why;
	void *h;

	if ((h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errsize, "MetricsSocket: cannot load libmicrohttpd: %s (install the "
		    "Debian package libmicrohttpd12)", why != NULL ? why : MHD_SONAME);
		return -1;
	}
	/* dlsym hands out object pointers; POSIX makes them function pointers. */
	memset(fns, 0, sizeof(*fns));
	*(void **)&fns->start_daemon = mhd_sym(h, "MHD_start_daemon", err, errsize);
	*(void **)&fns->stop_daemon = mhd_sym(h, "MHD_stop_daemon", err, errsize);
	*(void **)&fns->create_response_from_buffer = mhd_sym(h,
	    "MHD_create_response_from_buffer", err, errsize);
	*(void **)&fns->add_response_header = mhd_sym(h, "MHD_add_response_header", err,
	    errsize);
	*(void **)&fns->queue_response = mhd_sym(h, "MHD_queue_response", err, errsize);
	*(void **)&fns->destroy_response = mhd_sym(h, "MHD_destroy_response", err, errsize);
	if (fns->start_daemon == NULL || fns->stop_daemon == NULL ||
	    fns->create_response_from_buffer == NULL || fns->add_response_header == NULL ||
	    fns->queue_response == NULL || fns->destroy_response == NULL)
		return -1;
	return 0;
}
