/*
 * mhd_dl.h - libmicrohttpd, opened when MetricsSocket asks for it rather
 * than linked into the daemon: it pulls GnuTLS and p11-kit in, whose
 * constructors run at start-up and whose memory every daemon would carry,
 * most of them without a metrics endpoint (the same reason the database
 * client libraries are modules loaded at first use, tables/dsn_module.h). The
 * functions metrics_http.c calls, through pointers of their own types.
 */
#ifndef POSTDKIM_MHD_DL_H
#define POSTDKIM_MHD_DL_H

#include <stddef.h>

#include <microhttpd.h>

struct mhd_fns {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
	    MHD_AcceptPolicyCallback apc, void *apc_cls, MHD_AccessHandlerCallback dh,
	    void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
	    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
	    const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status_code,
	    struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
};

/* Open libmicrohttpd (once) and fill fns; 0, or -1 with err. */
int mhd_dl_open(struct mhd_fns *fns, char *err, size_t errsize);

#endif
