/*
 * config.c - read postdkim.conf, which is OpenDKIM's opendkim.conf syntax:
 * one "Keyword value" per line, keywords without case, '#' comments, blank
 * lines, Include of further files.
 *
 * Reading happens in two passes. The first collects the value and position
 * of every keyword (the last occurrence wins, with a warning); the second
 * interprets them in an order where dependencies are known (UserID before
 * keys, whose owner may be the run-time user) and builds every signer, so
 * that every error can name file, line and keyword.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "../dkim/header.h"
#include "../tables/linereader.h"
#include "../tables/redact.h"
#include "config_impl.h"

#define CONFIG_INCLUDE_DEPTH 5	/* as OpenDKIM */

/* Keyword spellings, in enum kw order. */
const char *const config_kw_names[K_COUNT] = {
	"Domain", "KeyFile", "Selector", "Canonicalization", "SignatureAlgorithm",
	"KeyTable", "SigningTable", "SubDomains", "SignHeaders", "OversignHeaders",
	"OmitHeaders", "SignatureTTL", "Mode", "InternalHosts", "ExternalIgnoreList",
	"MTA", "MacroList", "Socket", "UMask", "UserID", "PidFile", "Background",
	"Syslog", "SyslogFacility", "SyslogSuccess", "LogWhy", "RequireSafeKeys",
	"On-Default", "On-SignatureError", "On-InternalError", "MultipleSignatures",
	"Include", "KeyCacheSize", "On-KeyError", "CheckSigningTable", "DatabaseCacheTTL",
	"DatabaseCacheSize", "SyslogName", "PeerList", "RemoveOldSignatures", "SoftwareHeader",
	"ExemptDomains", "DontSignMailTo", "SenderHeaders", "MaximumHeaders",
	"LDAPBindUser", "LDAPBindPassword", "LDAPAuthMechanism", "LDAPAuthUser", "LDAPAuthName",
	"LDAPAuthRealm", "LDAPUseTLS", "LDAPTimeout", "LDAPKeepaliveIdle", "LDAPKeepaliveProbes",
	"LDAPKeepaliveInterval", "LDAPDisableCache", "MetricsSocket", "MetricsDomains",
	"RotatePublish", "RotateTSIGKey", "RotateAuthoritative", "RotateStateDirectory",
	"RotateSelectorFormat", "RotateVisibleChecks", "RotateRetireAfter", "RotateRevokeHold",
	"RotateInterval", "RotateRate", "RotateReload", "RotateReloadTimeout", "RotateDelegate",
	"RotateKeyDirectory", "RotateArchiveDirectory"
};

/* OpenDKIM verification keywords postdkim does not act on: ignored with a warning. */
static const char *const kw_verify[] = {
	"ADSPAction", "ADSPNoSuchDomain", "AllowSHA1Only",
	"DiagnosticDirectory", "DNSConnect", "DomainKeysCompat", "MustBeSigned", "TestDNSData",
	"TestPublicKeys", "TrustSignaturesFrom", "WeakSyntaxChecks",
	"AddAllSignatureResults", "LocalADSP", NULL
};

/* OpenDKIM keywords for features postdkim does not have: ignored with a warning. */
static const char *const kw_absent[] = {
	"BaseDirectory",
	"BodyLengthDB", "CaptureUnknownErrors", "ChangeRootDirectory", "Diagnostics",
	"FinalPolicyScript", "FixCRLF", "IdentityHeader", "IdentityHeaderRemove",
	"IgnoreMalformedMail", "MaximumSignedBytes", "MTACommand", "NoHeaderB",
	"POPDBFile", "Quarantine", "RedirectFailuresTo",
	"ReplaceHeaders", "ReplaceRules", "ReportAddress", "ReportBccAddress",
	"RequestReports", "RequiredHeaders", "ResignAll", "ResignMailTo",
	"ScreenPolicyScript", "SelectCanonicalizationHeader",
	"SenderMacro", "SendReports", "SetupPolicyScript", "SMTPURI", "SoftStart",
	"Statistics", "StatisticsName", "StatisticsPolicyScript",
	"StatisticsPrefix", "StrictHeaders", "StrictTestMode",
	"VBR-Certifiers", "VBR-PurgeFields",
	"VBR-TrustedCertifiers", "VBR-TrustedCertifiersOnly", "VBR-Type", "BodyLengths",
	"AlwaysSignHeaders", "X-Header",
	NULL
};

/*
 * OpenDKIM keywords for what postdkim does otherwise by design: the service
 * manager restarts it and sets core dumps, nothing is written to temporary
 * files, OpenSSL initializes itself, and its logging is its own. Accepted
 * with one line for all of them (config_moot_summary).
 */
const char *const config_kw_moot[CONFIG_MOOT_COUNT] = {
	"AutoRestart", "AutoRestartCount", "AutoRestartRate", "EnableCoredumps",
	"DisableCryptoInit", "TemporaryDirectory", "KeepTemporaryFiles", "MilterDebug",
	"ResolverTracing"
};

/* Send a warning, if anyone listens; every warning of a load comes here. */
void
config_warnf(struct load *ld, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (ld->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	redact(msg, sizeof(msg), NULL);
	ld->warn(ld->warn_arg, msg);
}

/* Record the error "FILE:LINE: Keyword: message"; returns -1. */
int
config_kwerr(struct load *ld, enum kw k, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return config_seterr(ld, &ld->set[k], config_kw_names[k], "%s", msg);
}

_Static_assert(sizeof(kw_verify) / sizeof(kw_verify[0]) <= CONFIG_VERIFY_MAX,
    "raise CONFIG_VERIFY_MAX");
_Static_assert(CONFIG_VERIFY_MAX + sizeof(kw_absent) / sizeof(kw_absent[0]) <=
    CONFIG_IGNORED_MAX, "raise CONFIG_IGNORED_MAX");

/* Edit distance of two short words without case (for "did you mean"). */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[40], prev, tmp;

	if (la >= 40 || lb >= 40)
		return 99;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = d[j];
			d[j] = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (tmp + 1 < d[j])
				d[j] = tmp + 1;
			prev = tmp;
		}
	}
	return d[lb];
}

/* The known keyword closest to word, or NULL when none is close. */
static const char *
closest(const char *word)
{
	const char *best = NULL;
	size_t bd = 3, d, i;

	for (i = 0; i < K_COUNT; i++)
		if ((d = distance(word, config_kw_names[i])) < bd) {
			bd = d;
			best = config_kw_names[i];
		}
	for (i = 0; i < VK_COUNT; i++)
		if ((d = distance(word, config_vkw_names[i])) < bd) {
			bd = d;
			best = config_vkw_names[i];
		}
	for (i = 0; kw_verify[i]; i++)
		if ((d = distance(word, kw_verify[i])) < bd) {
			bd = d;
			best = kw_verify[i];
		}
	for (i = 0; i < CONFIG_MOOT_COUNT; i++)
		if ((d = distance(word, config_kw_moot[i])) < bd) {
			bd = d;
			best = config_kw_moot[i];
		}
	for (i = 0; kw_absent[i]; i++)
		if ((d = distance(word, kw_absent[i])) < bd) {
			bd = d;
			best = kw_absent[i];
		}
	return best;
}

static int parse_file(struct load *ld, const char *path, int depth);

/* Include: a relative path is taken from the including file's directory. */
static int
include(struct load *ld, const char *file, unsigned line, const char *value, int depth)
{
	const char *slash = strrchr(file, '/');
	char *path;
	size_t dl;
	int rc;

	if (value[0] == '/' || slash == NULL)
		return parse_file(ld, value, depth + 1);
	dl = (size_t)(slash - file);
	if ((path = malloc(dl + strlen(value) + 2)) == NULL) {
		snprintf(ld->err, ld->errsize, "%s:%u: Include: out of memory", file, line);
		return -1;
	}
	sprintf(path, "%.*s/%s", (int)dl, file, value);
	rc = parse_file(ld, path, depth + 1);
	free(path);
	return rc;
}

/* Handle one "Keyword value" line of file:line. */
static int
parse_line(struct load *ld, const char *file, unsigned line, const char *word,
    const char *value, int depth)
{
	const char *near;
	size_t i;

	for (i = 0; i < K_COUNT; i++)
		if (strcasecmp(word, config_kw_names[i]) == 0)
			break;
	if (i < K_COUNT) {
		if (*value == '\0') {
			snprintf(ld->err, ld->errsize, "%s:%u: %s: missing value", file, line,
			    config_kw_names[i]);
			return -1;
		}
		if (i == K_INCLUDE)
			return include(ld, file, line, value, depth);
		if (ld->set[i].value != NULL) {
			config_warnf(ld, "%s:%u: %s repeats %s:%u; the later one counts", file, line,
			    config_kw_names[i], ld->set[i].file, ld->set[i].line);
			free(ld->set[i].value);
		}
		if ((ld->set[i].value = strdup(value)) == NULL) {
			snprintf(ld->err, ld->errsize, "out of memory");
			return -1;
		}
		ld->set[i].file = file;
		ld->set[i].line = line;
		return 0;
	}
	if ((i = config_vkw_index(word)) < VK_COUNT)
		return config_vkw_set(ld, i, file, line, value);
	for (i = 0; i < CONFIG_MOOT_COUNT; i++)
		if (strcasecmp(word, config_kw_moot[i]) == 0) {
			if (ld->nmoot == 0) {
				ld->moot_file = file;
				ld->moot_line = line;
			}
			if (!(ld->moot_seen & (1u << i))) {
				ld->moot_seen |= 1u << i;
				ld->moot[ld->nmoot++] = (unsigned char)i;
			}
			return 0;
		}
	for (i = 0; kw_verify[i]; i++)
		if (strcasecmp(word, kw_verify[i]) == 0) {
			if (!ld->warned[i]++)
				config_warnf(ld, "%s:%u: %s ignored: postdkim's verifier does not have "
				    "this setting", file, line, kw_verify[i]);
			return 0;
		}
	for (i = 0; kw_absent[i]; i++)
		if (strcasecmp(word, kw_absent[i]) == 0) {
			if (!ld->warned[CONFIG_VERIFY_MAX + i]++)
				config_warnf(ld, "%s:%u: %s ignored: postdkim does not have this feature",
				    file, line, kw_absent[i]);
			return 0;
		}
	if ((near = closest(word)) != NULL)
		snprintf(ld->err, ld->errsize, "%s:%u: unknown keyword '%s' (did you mean '%s'?)",
		    file, line, word, near);
	else
		snprintf(ld->err, ld->errsize, "%s:%u: unknown keyword '%s'", file, line, word);
	return -1;
}

/* Read one configuration file (Include nests at most CONFIG_INCLUDE_DEPTH deep). */
static int
parse_file(struct load *ld, const char *path, int depth)
{
	struct linereader lr;
	char **files, *word, *value, *p;
	const char *file;
	int rc;

	if (depth > CONFIG_INCLUDE_DEPTH) {
		snprintf(ld->err, ld->errsize, "%s: Include nested more than %d deep", path,
		    CONFIG_INCLUDE_DEPTH);
		return -1;
	}
	if ((files = realloc(ld->files, (ld->nfiles + 1) * sizeof(*files))) == NULL ||
	    (ld->files = files, (files[ld->nfiles] = strdup(path)) == NULL)) {
		snprintf(ld->err, ld->errsize, "out of memory");
		return -1;
	}
	file = files[ld->nfiles++];
	if (linereader_open(&lr, file, ld->err, ld->errsize) < 0)
		return -1;
	while ((rc = linereader_next(&lr, &word, ld->err, ld->errsize)) > 0) {
		p = word + strcspn(word, " \t");
		value = p + strspn(p, " \t");
		*p = '\0';
		if ((rc = parse_line(ld, file, lr.line, word, value, depth)) < 0)
			break;
	}
	linereader_close(&lr);
	return rc < 0 ? -1 : 0;
}

/* Open a list data set of keyword k, errors at the keyword's line. */
int
config_list(struct load *ld, enum kw k, struct dataset **ds)
{
	char msg[768];

	if (dataset_open(ds, ld->set[k].value, DATASET_LIST, DATASET_ICASE | DATASET_IDNA,
	    ld->set[k].file, ld->set[k].line, msg, sizeof(msg)) < 0)
		return config_kwerr(ld, k, "%s", msg);
	return 0;
}

/* Words of a list being collected. */
struct strv_walk {
	struct load *ld;
	enum kw k;
	char **v;
	size_t n, cap;
	int header_names;
	int failed;
};

/* Collect one word. */
static int
strv_take(void *arg, const struct dataset_row *row)
{
	struct strv_walk *w = arg;
	char **nv;

	if (w->header_names && !dkim_header_name_ok(row->key, strlen(row->key))) {
		config_kwerr(w->ld, w->k, "'%s' is not a header field name", row->key);
		w->failed = 1;
		return 1;
	}
	if (w->n + 1 >= w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		if ((nv = realloc(w->v, w->cap * sizeof(*nv))) == NULL)
			goto nomem;
		w->v = nv;
	}
	if ((w->v[w->n] = strdup(row->key)) == NULL)
		goto nomem;
	w->v[++w->n] = NULL;
	return 0;
nomem:
	config_kwerr(w->ld, w->k, "out of memory");
	w->failed = 1;
	return 1;
}

/* Free a NULL-terminated list of strings. */
void
config_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Turn a list data set into a NULL-terminated array of its words. */
int
config_strv(struct load *ld, enum kw k, char ***out, size_t *count, int header_names)
{
	struct strv_walk w;
	struct dataset *ds;
	char msg[512];

	if (config_list(ld, k, &ds) < 0)
		return -1;
	memset(&w, 0, sizeof(w));
	w.ld = ld;
	w.k = k;
	w.header_names = header_names;
	if (dataset_walk(ds, strv_take, &w, msg, sizeof(msg)) < 0 && !w.failed) {
		config_kwerr(ld, k, "%s", msg);
		w.failed = 1;
	}
	dataset_close(ds);
	if (!w.failed && w.v == NULL && (w.v = calloc(1, sizeof(*w.v))) == NULL) {
		config_kwerr(ld, k, "out of memory");
		w.failed = 1;
	}
	if (w.failed) {
		config_strv_free(w.v);
		return -1;
	}
	*out = w.v;
	if (count)
		*count = w.n;
	return 0;
}

/* One line for all the moot keywords of a load, at the first one's place. */
static void
moot_summary(struct load *ld)
{
	char names[CONFIG_MOOT_COUNT * 24] = "";
	size_t i, n;

	if (ld->nmoot == 0)
		return;
	for (i = 0; i < ld->nmoot; i++) {
		n = strlen(names);
		snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
		    config_kw_moot[ld->moot[i]]);
	}
	config_warnf(ld, "%s:%u: %s: not needed by postdkim, ignored", ld->moot_file,
	    ld->moot_line, names);
}

/* Free what a load collected. */
static void
load_free(struct load *ld)
{
	size_t i;

	for (i = 0; i < K_COUNT; i++)
		free(ld->set[i].value);
	for (i = 0; i < VK_COUNT; i++)
		free(ld->vset[i].value);
	for (i = 0; i < ld->nfiles; i++)
		free(ld->files[i]);
	free(ld->files);
	for (i = 0; i < 3; i++)
		config_strv_free(ld->lists[i]);
}

/* Load a configuration file; with check_keys, read every key too. */
static struct config *
config_read(const char *path, config_warn_fn warn, void *warn_arg, int check_keys,
    int rotate, char *err, size_t errsize)
{
	struct load ld;
	struct config *cfg;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int rc;

	memset(&ld, 0, sizeof(ld));
	ld.warn = warn;
	ld.warn_arg = warn_arg;
	ld.err = err;
	ld.errsize = errsize;
	ld.check_keys = check_keys;
	ld.rotate = rotate;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (cfg->path = strdup(path)) == NULL ||
	    (cfg->socket = strdup("local:/var/spool/postfix/var/run/postdkim/postdkim.sock"))
	    == NULL) {
		snprintf(err, errsize, "out of memory");
		config_free(cfg);
		return NULL;
	}
	cfg->umask = 007;
	cfg->background = 1;
	cfg->syslog = 1;
	cfg->syslog_facility = LOG_MAIL;
	cfg->require_safe_keys = 1;
	cfg->on_default = cfg->on_signature_error = cfg->on_internal_error = ACTION_ACCEPT;
	cfg->on_key_error = ACTION_TEMPFAIL;
	cfg->key_cache_size = KEYCACHE_DEFAULT_MAX;

	rc = parse_file(&ld, path, 0);
	if (rc == 0)
		moot_summary(&ld);
	if (rc == 0) {
		config_secrets(&ld);
		rc = config_mode(&ld);
	}
	if (rc == 0)
		rc = config_daemon(&ld, cfg, &uid, &gid);
	if (rc == 0)
		rc = config_metrics(&ld, cfg);
	if (rc == 0)
		rc = rotate ? config_rotate(&ld, cfg) : config_sign(&ld, cfg, uid, gid);
	if (rc == 0)
		rc = config_verify(&ld, cfg);
	load_free(&ld);
	if (rc < 0) {
		/* Errors quote values: a mistyped dsn: shows its URL. */
		redact(err, errsize, NULL);
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* Load a configuration for running. */
struct config *
config_open(const char *path, config_warn_fn warn, void *warn_arg, char *err, size_t errsize)
{
	return config_read(path, warn, warn_arg, 0, 0, err, errsize);
}

/* Load a configuration and check every key. */
struct config *
config_load(const char *path, config_warn_fn warn, void *warn_arg, char *err, size_t errsize)
{
	return config_read(path, warn, warn_arg, 1, 0, err, errsize);
}

/* Load a configuration for dkimrotate. */
struct config *
config_open_rotate(const char *path, config_warn_fn warn, void *warn_arg, char *err,
    size_t errsize)
{
	return config_read(path, warn, warn_arg, 0, 1, err, errsize);
}

/* Free a configuration and everything it owns, signers included. */
void
config_free(struct config *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;
	rules_free(cfg->rules);
	cidr_free(&cfg->internal_hosts);
	cidr_free(&cfg->external_ignore);
	cidr_free(&cfg->peer_list);
	dataset_close(cfg->exempt_domains);
	dataset_close(cfg->dont_sign_to);
	config_strv_free(cfg->sender_headers);
	free(cfg->syslog_name);
	config_strv_free(cfg->mta);
	for (i = 0; i < cfg->nmacros; i++) {
		free(cfg->macros[i].name);
		for (j = 0; j < cfg->macros[i].nvalues; j++)
			free(cfg->macros[i].values[j]);
		free(cfg->macros[i].values);
	}
	free(cfg->macros);
	free(cfg->socket);
	free(cfg->user);
	free(cfg->group);
	free(cfg->pidfile);
	free(cfg->metrics_socket);
	config_strv_free(cfg->metrics_domains);
	free(cfg->path);
	config_verify_free(cfg->verify);
	config_rotate_free(cfg->rotate);
	free(cfg);
}

/* "accept", "tempfail", "reject", "discard", "quarantine". */
const char *
config_action_name(enum config_action a)
{
	switch (a) {
	case ACTION_TEMPFAIL:
		return "tempfail";
	case ACTION_REJECT:
		return "reject";
	case ACTION_DISCARD:
		return "discard";
	case ACTION_QUARANTINE:
		return "quarantine";
	case ACTION_ACCEPT:
	default:
		return "accept";
	}
}
