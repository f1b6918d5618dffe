/*
 * config_metrics.c - the monitoring keywords of postdkim.conf:
 * MetricsSocket (where the Prometheus endpoint listens, Socket's syntax,
 * loopback when no address is given), MetricsDomains (the few domains
 * with series of their own) and RotateInterval (how old a key may get
 * before the metrics call it overdue).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tables/stats.h"
#include "config_impl.h"
#include "sockspec.h"

/*
 * MetricsSocket: as Socket, but an inet: or inet6: socket without an
 * address listens on loopback only (metrics are for the local scraper
 * unless an address says otherwise).
 */
static int
get_metrics_socket(struct load *ld, struct config *cfg)
{
	char err[512], *c;
	size_t n;

	if ((c = sockspec_canon(ld->set[K_METRICSSOCKET].value, err, sizeof(err))) == NULL)
		return config_kwerr(ld, K_METRICSSOCKET, "%s", err);
	if (sockspec_unix_path(c) == NULL && strchr(c, '@') == NULL) {
		n = strlen(c) + 16;
		if ((cfg->metrics_socket = malloc(n)) == NULL) {
			free(c);
			return config_kwerr(ld, K_METRICSSOCKET, "out of memory");
		}
		snprintf(cfg->metrics_socket, n, "%s@%s", c,
		    strncmp(c, "inet6:", 6) == 0 ? "::1" : "127.0.0.1");
		free(c);
	} else {
		cfg->metrics_socket = c;
	}
	if (cfg->socket != NULL && strcmp(cfg->socket, cfg->metrics_socket) == 0)
		return config_kwerr(ld, K_METRICSSOCKET, "'%s' is the milter's Socket",
		    ld->set[K_METRICSSOCKET].value);
	return 0;
}

/* MetricsDomains: at most STATS_DOMAINS_MAX domain names, stored in lower case. */
static int
get_metrics_domains(struct load *ld, struct config *cfg)
{
	size_t i;
	char *p;

	if (config_strv(ld, K_METRICSDOMAINS, &cfg->metrics_domains, &cfg->nmetrics_domains,
	    0) < 0)
		return -1;
	if (cfg->nmetrics_domains > STATS_DOMAINS_MAX)
		return config_kwerr(ld, K_METRICSDOMAINS, "%zu domains: at most %d get series "
		    "of their own", cfg->nmetrics_domains, STATS_DOMAINS_MAX);
	for (i = 0; i < cfg->nmetrics_domains; i++) {
		if (strlen(cfg->metrics_domains[i]) > 253)
			return config_kwerr(ld, K_METRICSDOMAINS, "'%.64s...' is not a domain name",
			    cfg->metrics_domains[i]);
		for (p = cfg->metrics_domains[i]; *p; p++) {
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
				return config_kwerr(ld, K_METRICSDOMAINS, "'%s' is not a domain name "
				    "(write internationalized ones as A-labels)",
				    cfg->metrics_domains[i]);
			*p = (char)tolower((unsigned char)*p);
		}
	}
	return 0;
}

/* The monitoring keywords. */
int
config_metrics(struct load *ld, struct config *cfg)
{
	if (ld->set[K_METRICSSOCKET].value && get_metrics_socket(ld, cfg) < 0)
		return -1;
	if (ld->set[K_METRICSDOMAINS].value && get_metrics_domains(ld, cfg) < 0)
		return -1;
	return config_duration(KW(K_ROTATEINTERVAL), &cfg->rotate_interval);
}
