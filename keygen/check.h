/*
 * check.h - dkimgen --check: fetch SELECTOR._domainkey.DOMAIN from DNS and
 * say, in words a person can act on, whether verifiers can use it.
 */
#ifndef DKIMGEN_CHECK_H
#define DKIMGEN_CHECK_H

#include <sys/socket.h>
#include "../dkim/key.h"

struct check_opts {
	const char *selector;
	const char *domain;
	const char *keyfile;		/* -k, or NULL */
	dkim_alg alg;			/* -a, or DKIM_ALG_ANY */
	const struct sockaddr_storage *server;	/* --nameserver, or NULL */
	const char *server_name;
};

/* Run the check, printing findings to stdout; returns the exit status. */
int check_run(const struct check_opts *co);

#endif
