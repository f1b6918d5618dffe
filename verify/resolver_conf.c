/*
 * resolver_conf.c - the resolver's servers, trust anchors and identity,
 * read and checked without libunbound (see resolver_conf.h).
 *
 * Addresses are checked as libunbound's ub_ctx_set_fwd() reads them
 * (inet_pton, an IPv6 address may carry a %scope, @port after either), a
 * little stricter on the port (digits only, 1 to 65535), and resolv.conf
 * is read as ub_ctx_resolvconf() reads it, so that a file libunbound
 * would refuse is refused here, at load, with the reason.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "resolver_conf.h"

/* The resolv.conf read when no Nameservers are set. */
static const char *
resolv_conf(const struct resolver_opts *o)
{
	return o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf";
}

/* Append a copy of s to the list; -1 when out of memory. */
static int
strv_add(char ***v, size_t *n, const char *s)
{
	char **nv, *dup;

	if ((dup = strdup(s)) == NULL)
		return -1;
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL) {
		free(dup);
		return -1;
	}
	nv[(*n)++] = dup;
	*v = nv;
	return 0;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
resolver_conf_addr_ok(const char *s)
{
	char buf[INET6_ADDRSTRLEN + 64], *pct, *end;
	const char *at = strchr(s, '@');
	unsigned char a[16];
	unsigned long port;
	size_t len = at != NULL ? (size_t)(at - s) : strlen(s);

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (at != NULL) {
		if (!isdigit((unsigned char)at[1]))
			return 0;
		port = strtoul(at + 1, &end, 10);
		if (*end != '\0' || port == 0 || port > 65535)
			return 0;
	}
	if (strchr(buf, ':') == NULL)
		return inet_pton(AF_INET, buf, a) == 1;
	if ((pct = strchr(buf, '%')) != NULL) {	/* fe80::1%eth0 (RFC 4007) */
		if (pct[1] == '\0')
			return 0;
		*pct = '\0';
	}
	return inet_pton(AF_INET6, buf, a) == 1;
}

/* The nameserver lines of path, read the way ub_ctx_resolvconf() reads them. */
static int
conf_resolv(const char *path, struct resolver_conf *c, char *err, size_t errsize)
{
	char buf[1024], *p, *addr;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		for (p = buf; *p == ' ' || *p == '\t'; p++)
			;
		if (strncmp(p, "nameserver", 10) != 0)
			continue;
		for (p += 10; *p == ' ' || *p == '\t'; p++)
			;
		/* The address characters; what follows (a %scope, a comment) is not read. */
		for (addr = p; isxdigit((unsigned char)*p) || *p == '.' || *p == ':'; p++)
			;
		*p = '\0';
		if (!resolver_conf_addr_ok(addr)) {
			snprintf(err, errsize, "%s: nameserver '%s': not an IP address", path, addr);
			fclose(fp);
			return -1;
		}
		if (strv_add(&c->fwd, &c->nfwd, addr) != 0) {
			snprintf(err, errsize, "out of memory");
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	/* resolv.conf(5): no nameserver line means this host; libunbound agrees. */
	if (c->nfwd == 0 && strv_add(&c->fwd, &c->nfwd, "127.0.0.1") != 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

/* Nonzero when line holds word as a whole blank-separated word, any case. */
static int
has_word(const char *line, const char *word)
{
	size_t wl = strlen(word);
	const char *p;

	for (p = line; (p = strcasestr(p, word)) != NULL; p += wl)
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\t'))
			return 1;
	return 0;
}

/*
 * Trust anchors, read now rather than when libunbound first resolves
 * (by then the daemon may have dropped its privileges, and a bad file would
 * only show as every lookup failing): one DS or DNSKEY record per line,
 * ';' comments.
 */
static int
conf_ta(const char *path, struct resolver_conf *c, char *err, size_t errsize)
{
	char line[4096], *p;
	unsigned n = 0;
	size_t len;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsize, "TrustAnchorFile %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		if ((p = strchr(line, ';')) != NULL)
			*p = '\0';
		len = strlen(line);
		while (len > 0 && strchr(" \t\r\n", line[len - 1]) != NULL)
			line[--len] = '\0';
		if (len == 0)
			continue;
		/* libunbound parses anchors only at its first lookup: check the type now. */
		if (!has_word(line, "DS") && !has_word(line, "DNSKEY")) {
			snprintf(err, errsize, "TrustAnchorFile %s:%u: not a DS or DNSKEY record",
			    path, n);
			fclose(fp);
			return -1;
		}
		if (strv_add(&c->ta, &c->nta, line) != 0) {
			snprintf(err, errsize, "out of memory");
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	if (c->nta == 0) {
		snprintf(err, errsize, "TrustAnchorFile %s: no DS or DNSKEY record", path);
		return -1;
	}
	return 0;
}

/* Append a file's identity (or its absence) to what the resolver is built from. */
static void
built_from_file(char *buf, size_t size, const char *path)
{
	struct stat st;
	size_t n = strlen(buf);

	if (stat(path, &st) != 0)
		snprintf(buf + n, size - n, "%s:-\n", path);
	else
		snprintf(buf + n, size - n, "%s:%ju:%ju:%jd:%jd.%09ld\n", path,
		    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
		    (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* Options and files, as one string: equal strings, same resolver. */
static char *
built_from(const struct resolver_opts *o)
{
	char buf[4096];
	size_t i, n;

	snprintf(buf, sizeof(buf), "timeout %u\n", o->timeout_ms);
	for (i = 0; i < o->nnameservers; i++) {
		n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, "ns %s\n", o->nameservers[i]);
	}
	if (o->nnameservers == 0)
		built_from_file(buf, sizeof(buf), resolv_conf(o));
	if (o->trust_anchor_file != NULL)
		built_from_file(buf, sizeof(buf), o->trust_anchor_file);
	if (o->config_file != NULL)
		built_from_file(buf, sizeof(buf), o->config_file);
	return strdup(buf);
}

int
resolver_conf_read(const struct resolver_opts *o, struct resolver_conf *c, char *err,
    size_t errsize)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	/* The identity first: a file changed after it was read is read again at reload. */
	if ((c->built_from = built_from(o)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (i = 0; i < o->nnameservers; i++) {
		if (!resolver_conf_addr_ok(o->nameservers[i])) {
			snprintf(err, errsize, "Nameservers '%s': not an address or address@port",
			    o->nameservers[i]);
			goto fail;
		}
		if (strv_add(&c->fwd, &c->nfwd, o->nameservers[i]) != 0) {
			snprintf(err, errsize, "out of memory");
			goto fail;
		}
	}
	/* With a ResolverConfiguration, that file says where to ask (as in OpenDKIM). */
	if (o->nnameservers == 0 && o->config_file == NULL &&
	    conf_resolv(resolv_conf(o), c, err, errsize) != 0)
		goto fail;
	if (o->trust_anchor_file != NULL && conf_ta(o->trust_anchor_file, c, err, errsize) != 0)
		goto fail;
	if (o->config_file != NULL && (c->config_file = strdup(o->config_file)) == NULL) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	return 0;
fail:
	resolver_conf_free(c);
	return -1;
}

void
resolver_conf_free(struct resolver_conf *c)
{
	strv_free(c->fwd, c->nfwd);
	strv_free(c->ta, c->nta);
	free(c->config_file);
	free(c->built_from);
	memset(c, 0, sizeof(*c));
}
