/*
 * config_daemon.c - the daemon half of postdkim.conf: Mode, socket, user,
 * logging, per-message actions, and the lists that decide whose mail is
 * ours (InternalHosts, ExternalIgnoreList, MTA, MacroList).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "../dkim/header.h"
#include "config_impl.h"
#include "sockspec.h"

/* A syslog facility by name. */
static int
get_facility(struct load *ld, int *out)
{
	static const struct { const char *name; int value; } fac[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 },
	};
	const char *v = ld->set[K_FACILITY].value;
	size_t i;

	if (strncasecmp(v, "log_", 4) == 0)
		v += 4;
	for (i = 0; i < sizeof(fac) / sizeof(fac[0]); i++)
		if (strcasecmp(v, fac[i].name) == 0) {
			*out = fac[i].value;
			return 0;
		}
	return config_kwerr(ld, K_FACILITY, "unknown facility '%s' (mail, daemon, local0..local7, ...)",
	    ld->set[K_FACILITY].value);
}

/* Check and store Socket, in the form the listener reads (sockspec.c). */
static int
get_socket(struct load *ld, struct config *cfg)
{
	char err[512];

	if ((cfg->socket = sockspec_canon(ld->set[K_SOCKET].value, err, sizeof(err))) == NULL)
		return config_kwerr(ld, K_SOCKET, "%s", err);
	return 0;
}

/* UserID user[:group]: both must exist; returns the uid and gid it runs as. */
static int
get_userid(struct load *ld, struct config *cfg, uid_t *uid, gid_t *gid)
{
	const char *v = ld->set[K_USERID].value;
	const char *colon = strchr(v, ':');
	struct passwd *pw;
	struct group *gr;
	size_t ul = colon ? (size_t)(colon - v) : strlen(v);

	if (ul == 0 || (colon && colon[1] == '\0'))
		return config_kwerr(ld, K_USERID, "'%s': expected user or user:group", v);
	if ((cfg->user = strndup(v, ul)) == NULL ||
	    (colon && (cfg->group = strdup(colon + 1)) == NULL))
		return config_kwerr(ld, K_USERID, "out of memory");
	if ((pw = getpwnam(cfg->user)) == NULL)
		return config_kwerr(ld, K_USERID, "no such user '%s'", cfg->user);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (cfg->group == NULL)
		return 0;
	if ((gr = getgrnam(cfg->group)) == NULL)
		return config_kwerr(ld, K_USERID, "no such group '%s'", cfg->group);
	*gid = gr->gr_gid;
	return 0;
}

/* SyslogName: the ident of every syslog line (printable, no space). */
static int
get_syslog_name(struct load *ld, struct config *cfg)
{
	const char *v = ld->set[K_SYSLOGNAME].value, *p;

	for (p = v; *p; p++)
		if (*p <= ' ' || *p > '~')
			return config_kwerr(ld, K_SYSLOGNAME, "'%s': printable characters only, "
			    "no space", v);
	if (strlen(v) > 31)
		return config_kwerr(ld, K_SYSLOGNAME, "'%s': at most 31 characters", v);
	if ((cfg->syslog_name = strdup(v)) == NULL)
		return config_kwerr(ld, K_SYSLOGNAME, "out of memory");
	return 0;
}

/* A host list being filled from a data set. */
struct hosts_walk {
	struct load *ld;
	enum kw k;
	struct cidr_list *l;
	struct dataset *ds;
	int failed;
};

/* Add one entry of a host list. */
static int
hosts_take(void *arg, const struct dataset_row *row)
{
	struct hosts_walk *w = arg;
	char msg[512];

	if (cidr_add(w->l, row->key, msg, sizeof(msg)) == 0)
		return 0;
	if (dataset_is_file(w->ds))
		snprintf(w->ld->err, w->ld->errsize, "%s:%u: %s: %s", dataset_name(w->ds),
		    row->line, config_kw_names[w->k], msg);
	else
		config_kwerr(w->ld, w->k, "%s", msg);
	w->failed = 1;
	return 1;
}

/* Fill a host list from keyword k (or the default entries). */
static int
get_hosts(struct load *ld, enum kw k, struct cidr_list *l, const char *const *defaults)
{
	struct hosts_walk w;
	char msg[512];
	size_t i;

	if (ld->set[k].value == NULL) {
		for (i = 0; defaults && defaults[i]; i++)
			if (cidr_add(l, defaults[i], msg, sizeof(msg)) < 0)
				return config_kwerr(ld, k, "%s", msg);
		return 0;
	}
	memset(&w, 0, sizeof(w));
	w.ld = ld;
	w.k = k;
	w.l = l;
	if (config_list(ld, k, &w.ds) < 0)
		return -1;
	if (dataset_walk(w.ds, hosts_take, &w, msg, sizeof(msg)) < 0 && !w.failed) {
		config_kwerr(ld, k, "%s", msg);
		w.failed = 1;
	}
	dataset_close(w.ds);
	return w.failed ? -1 : 0;
}

/*
 * DatabaseCacheTTL (seconds, 0: no cache) and DatabaseCacheSize (answers
 * per table): the cache of dsn: data sets, set before any is opened.
 */
static int
get_db_cache(struct load *ld)
{
	struct dataset_db_settings s;
	unsigned long n;

	dataset_db_defaults(&s);
	n = s.cache_ttl_ms / 1000;
	if (config_number(KW(K_DBCACHETTL), 0, 86400, "a number of seconds", &n) < 0)
		return -1;
	s.cache_ttl_ms = n * 1000;
	n = s.cache_size;
	if (config_number(KW(K_DBCACHESIZE), 1, 10000000, "a number of answers", &n) < 0)
		return -1;
	s.cache_size = n;
	dataset_set_db_settings(&s);
	return 0;
}

/* MacroList: "name[=value1|value2]" entries. */
static int
get_macros(struct load *ld, struct config *cfg)
{
	char **v, *eq, *p;
	size_t n, i;
	struct config_macro *m;

	if (config_strv(ld, K_MACROLIST, &v, &n, 0) < 0)
		return -1;
	if ((cfg->macros = calloc(n ? n : 1, sizeof(*cfg->macros))) == NULL) {
		config_strv_free(v);
		return config_kwerr(ld, K_MACROLIST, "out of memory");
	}
	for (i = 0; i < n; i++) {
		m = &cfg->macros[cfg->nmacros++];
		if ((eq = strchr(v[i], '=')) != NULL)
			*eq++ = '\0';
		if (v[i][0] == '\0' || (eq && *eq == '\0')) {
			config_strv_free(v);
			return config_kwerr(ld, K_MACROLIST, "expected name or name=value1|value2");
		}
		m->name = v[i];
		v[i] = NULL;
		for (p = eq; p != NULL; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL) {
			char **vals = realloc(m->values, (m->nvalues + 1) * sizeof(*vals));

			if (vals == NULL || (m->values = vals,
			    (vals[m->nvalues] = strndup(p, strcspn(p, "|"))) == NULL)) {
				config_strv_free(v);
				return config_kwerr(ld, K_MACROLIST, "out of memory");
			}
			m->nvalues++;
		}
	}
	config_strv_free(v);
	return 0;
}

/* Mode: s (sign), v (verify), or both in any order; checked here, used in config_verify.c. */
int
config_mode(struct load *ld)
{
	const char *v = ld->set[K_MODE].value, *p;

	if (v == NULL)
		return 0;
	for (p = v; *p; p++)
		if (*p != 's' && *p != 'S' && *p != 'v' && *p != 'V')
			return config_kwerr(ld, K_MODE, "'%s': the modes are s (sign), v (verify) "
			    "or both (sv)", v);
	return *v ? 0 : config_kwerr(ld, K_MODE, "empty");
}

/* The daemon's settings: socket, user, logging, actions, host lists. */
int
config_daemon(struct load *ld, struct config *cfg, uid_t *uid, gid_t *gid)
{
	static const char *const localhost[] = { "127.0.0.1", "::1", NULL };
	static const enum kw bools[] = { K_SUBDOMAINS, K_MULTI, K_BACKGROUND, K_SYSLOG,
	    K_SYSLOGSUCCESS, K_LOGWHY, K_SAFEKEYS, K_CHECKST, K_REMOVEOLDSIGS, K_SOFTWAREHEADER };
	/* CheckSigningTable (OpenDKIM's development branch): postdkim -n does that check. */
	int check_st = 0;
	int *const bdst[] = { &cfg->subdomains, &cfg->multiple_signatures, &cfg->background,
	    &cfg->syslog, &cfg->syslog_success, &cfg->log_why, &cfg->require_safe_keys, &check_st,
	    &cfg->remove_old_signatures, &cfg->software_header };
	const char *v;
	char *end;
	unsigned long um, n;
	size_t i;

	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (config_bool(KW(bools[i]), bdst[i]) < 0)
			return -1;
	if (get_db_cache(ld) < 0 || config_ldap(ld) < 0)
		return -1;
	/* OpenDKIM: On-Default is the blanket setting the others override. */
	if (ld->set[K_ONDEFAULT].value != NULL) {
		if (config_action(KW(K_ONDEFAULT), &cfg->on_default) < 0)
			return -1;
		cfg->on_signature_error = cfg->on_internal_error = cfg->on_default;
		if (cfg->on_default != ACTION_ACCEPT)
			config_warnf(ld, "%s:%u: On-Default %s applies to every message of ours that "
			    "cannot be signed (no From, no key for the From domain)",
			    ld->set[K_ONDEFAULT].file, ld->set[K_ONDEFAULT].line,
			    config_action_name(cfg->on_default));
	}
	n = cfg->key_cache_size;
	if (config_action(KW(K_ONKEYERR), &cfg->on_key_error) < 0 ||
	    config_number(KW(K_KEYCACHESIZE), 1, 10000000, "a number of keys", &n) < 0 ||
	    config_action(KW(K_ONSIGERR), &cfg->on_signature_error) < 0 ||
	    config_action(KW(K_ONINTERR), &cfg->on_internal_error) < 0)
		return -1;
	cfg->key_cache_size = n;
	if (ld->set[K_FACILITY].value && get_facility(ld, &cfg->syslog_facility) < 0)
		return -1;
	if (ld->set[K_SOCKET].value)
		free(cfg->socket), cfg->socket = NULL;
	if (ld->set[K_SOCKET].value && get_socket(ld, cfg) < 0)
		return -1;
	if ((v = ld->set[K_UMASK].value) != NULL) {
		errno = 0;
		um = strtoul(v, &end, 8);
		if (!isdigit((unsigned char)*v) || *end != '\0' || errno || um > 0777)
			return config_kwerr(ld, K_UMASK, "'%s' is not an octal mask such as 007", v);
		cfg->umask = (mode_t)um;
	}
	if (ld->set[K_USERID].value && get_userid(ld, cfg, uid, gid) < 0)
		return -1;
	if ((v = ld->set[K_PIDFILE].value) != NULL) {
		if (v[0] != '/')
			return config_kwerr(ld, K_PIDFILE, "'%s': the path must be absolute", v);
		if ((cfg->pidfile = strdup(v)) == NULL)
			return config_kwerr(ld, K_PIDFILE, "out of memory");
	}
	if (get_hosts(ld, K_INTERNAL, &cfg->internal_hosts, localhost) < 0 ||
	    get_hosts(ld, K_EXTIGNORE, &cfg->external_ignore, NULL) < 0 ||
	    get_hosts(ld, K_PEERLIST, &cfg->peer_list, NULL) < 0)
		return -1;
	if (ld->set[K_EXEMPTDOMAINS].value && config_list(ld, K_EXEMPTDOMAINS,
	    &cfg->exempt_domains) < 0)
		return -1;
	if (ld->set[K_DONTSIGNTO].value && config_list(ld, K_DONTSIGNTO, &cfg->dont_sign_to) < 0)
		return -1;
	if (ld->set[K_SENDERHEADERS].value &&
	    config_strv(ld, K_SENDERHEADERS, &cfg->sender_headers, NULL, 1) < 0)
		return -1;
	/* MaximumHeaders: OpenDKIM's bytes of header; over it, On-Security acts. */
	n = 0;
	if (config_number(KW(K_MAXHEADERS), 0, DKIM_HEADER_TOTAL_MAX, "a number of bytes", &n) < 0)
		return -1;
	cfg->max_headers = n;
	if (ld->set[K_SYSLOGNAME].value && get_syslog_name(ld, cfg) < 0)
		return -1;
	if (ld->set[K_MTA].value && config_strv(ld, K_MTA, &cfg->mta, &cfg->nmta, 0) < 0)
		return -1;
	if (ld->set[K_MACROLIST].value && get_macros(ld, cfg) < 0)
		return -1;
	return 0;
}

