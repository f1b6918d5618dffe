/*
 * txttool - rotdns_txt_all (keygen/rottxt.c) from the command line, for
 * rottxt.sh: one server, one transport, every NAME asked at once; one line
 * per name: "NAME found TEXT|...", "NAME none", "NAME truncated" or
 * "NAME fail WHY".
 *
 *   txttool [-t] [-T MS] ADDR@PORT NAME...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../keygen/rotdns.h"

int
main(int argc, char **argv)
{
	struct rotserver s;
	struct rotdns_txtq *v;
	unsigned timeout = 2000;
	char *at;
	size_t n, i, j;
	int tcp = 0, ch;

	while ((ch = getopt(argc, argv, "tT:")) != -1) {
		if (ch == 't')
			tcp = 1;
		else if (ch == 'T')
			timeout = (unsigned)atoi(optarg);
		else
			return 2;
	}
	if (argc - optind < 2 || (at = strchr(argv[optind], '@')) == NULL ||
	    (size_t)(at - argv[optind]) >= sizeof(s.addr)) {
		fprintf(stderr, "usage: txttool [-t] [-T MS] ADDR@PORT NAME...\n");
		return 2;
	}
	memcpy(s.addr, argv[optind], (size_t)(at - argv[optind]));
	s.addr[at - argv[optind]] = '\0';
	s.port = (unsigned)atoi(at + 1);
	n = (size_t)(argc - optind - 1);
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		v[i].name = argv[optind + 1 + i];
	rotdns_txt_all(&s, tcp, timeout, v, n);
	for (i = 0; i < n; i++) {
		printf("%s ", v[i].name);
		switch (v[i].st) {
		case TXT_FOUND:
			printf("found");
			for (j = 0; j < v[i].txt.n; j++)
				printf("%s%s", j ? "|" : " ", v[i].txt.rec[j]);
			break;
		case TXT_NONE: printf("none"); break;
		case TXT_TRUNCATED: printf("truncated"); break;
		default: printf("fail %s", v[i].why); break;
		}
		printf("\n");
		rotdns_txt_free(&v[i].txt);
	}
	free(v);
	return 0;
}
