/*
 * config_impl.h - what config.c (reading postdkim.conf, daemon settings)
 * shares with config_sign.c (signing settings, keys, signers). Not for use
 * outside the configuration code.
 */
#ifndef POSTDKIM_CONFIG_IMPL_H
#define POSTDKIM_CONFIG_IMPL_H

#include <stddef.h>
#include <sys/types.h>
#include "../tables/dataset.h"
#include "config.h"
#include "config_verify.h"

/* The keywords postdkim acts on. */
enum kw {
	K_DOMAIN, K_KEYFILE, K_SELECTOR, K_CANON, K_SIGALG, K_KEYTABLE, K_SIGNINGTABLE,
	K_SUBDOMAINS, K_SIGNHEADERS, K_OVERSIGN, K_OMIT, K_TTL, K_MODE, K_INTERNAL,
	K_EXTIGNORE, K_MTA, K_MACROLIST, K_SOCKET, K_UMASK, K_USERID, K_PIDFILE,
	K_BACKGROUND, K_SYSLOG, K_FACILITY, K_SYSLOGSUCCESS, K_LOGWHY, K_SAFEKEYS,
	K_ONDEFAULT, K_ONSIGERR, K_ONINTERR, K_MULTI, K_INCLUDE, K_KEYCACHESIZE, K_ONKEYERR,
	K_CHECKST, K_DBCACHETTL, K_DBCACHESIZE, K_SYSLOGNAME, K_PEERLIST, K_REMOVEOLDSIGS,
	K_SOFTWAREHEADER, K_EXEMPTDOMAINS, K_DONTSIGNTO, K_SENDERHEADERS, K_MAXHEADERS,
	K_LDAPBINDUSER, K_LDAPBINDPW, K_LDAPAUTHMECH, K_LDAPAUTHUSER, K_LDAPAUTHNAME,
	K_LDAPAUTHREALM, K_LDAPUSETLS, K_LDAPTIMEOUT, K_LDAPKAIDLE, K_LDAPKAPROBES,
	K_LDAPKAINTERVAL, K_LDAPNOCACHE, K_METRICSSOCKET, K_METRICSDOMAINS,
	/*
	 * dkimrotate's settings: the daemon reads RotateInterval only (metrics:
	 * keys older than it); config_rotate.c reads them all.
	 */
	K_ROTATEPUBLISH, K_ROTATETSIGKEY, K_ROTATEAUTH, K_ROTATESTATEDIR, K_ROTATESELFMT,
	K_ROTATEVISIBLE, K_ROTATERETIRE, K_ROTATEREVOKEHOLD, K_ROTATEINTERVAL, K_ROTATERATE,
	K_ROTATERELOAD, K_ROTATERELOADTIMEOUT, K_ROTATEDELEGATE, K_ROTATEKEYDIR,
	K_ROTATEARCHIVEDIR, K_COUNT
};

extern const char *const config_kw_names[K_COUNT];

/* Room for "warned once" flags of ignored OpenDKIM keywords. */
#define CONFIG_VERIFY_MAX 64
#define CONFIG_IGNORED_MAX 192

/* OpenDKIM keywords postdkim's design makes moot (config.c). */
#define CONFIG_MOOT_COUNT 9
extern const char *const config_kw_moot[CONFIG_MOOT_COUNT];

/* Where a keyword was set. */
struct setting {
	char *value;
	const char *file;	/* one of load.files */
	unsigned line;
};

/* State of one load. */
struct load {
	struct setting set[K_COUNT];
	struct setting vset[VK_COUNT];	/* verification keywords (config_verify.c) */
	char **files;		/* every file read, for positions */
	size_t nfiles;
	unsigned char warned[CONFIG_IGNORED_MAX];	/* ignored keywords warned about */
	unsigned moot_seen;	/* moot keywords met (bit per config_kw_moot entry) */
	unsigned char moot[CONFIG_MOOT_COUNT];	/* ... in the order met */
	size_t nmoot;
	const char *moot_file;	/* where the first one is */
	unsigned moot_line;
	config_warn_fn warn;
	void *warn_arg;
	char *err;
	size_t errsize;
	char **lists[3];	/* SignHeaders, OversignHeaders, OmitHeaders */
	int check_keys;		/* read every table entry and key now (postdkim -n) */
	int rotate;		/* for dkimrotate: Rotate* read, tables left unopened */
};

/* Send a warning to the caller's function, if any. */
void config_warnf(struct load *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Record the error "FILE:LINE: Keyword: message"; returns -1. */
int config_kwerr(struct load *ld, enum kw k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record "FILE:LINE: Name: message" for setting s; returns -1. */
int config_seterr(struct load *ld, const struct setting *s, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Typed values (config_value.c); an unset setting leaves *out alone. */
/* The load, setting and name of keyword k, as the first three arguments. */
#define KW(k) ld, &ld->set[k], config_kw_names[k]
int config_bool(struct load *ld, const struct setting *s, const char *name, int *out);
int config_number(struct load *ld, const struct setting *s, const char *name,
    unsigned long lo, unsigned long hi, const char *what, unsigned long *out);
int config_action(struct load *ld, const struct setting *s, const char *name,
    enum config_action *out);
/* Open keyword k's value as a list data set. */
int config_list(struct load *ld, enum kw k, struct dataset **ds);
/* Keyword k's list as a NULL-terminated array (header names checked if asked). */
int config_strv(struct load *ld, enum kw k, char ***out, size_t *count, int header_names);
void config_strv_free(char **v);

/* Warn about files holding a database password that others can read (config_secret.c). */
void config_secrets(struct load *ld);
/* Check Mode: postdkim only signs (config_daemon.c). */
int config_mode(struct load *ld);
/* MetricsSocket, MetricsDomains, RotateInterval (config_metrics.c). */
int config_metrics(struct load *ld, struct config *cfg);
/* Interpret the daemon's keywords; *uid, *gid become UserID's when set. */
int config_daemon(struct load *ld, struct config *cfg, uid_t *uid, gid_t *gid);
/* The LDAP* keywords: settings of ldap: data sets, before any is opened (config_ldap.c). */
int config_ldap(struct load *ld);
/*
 * The signing rules from the signing keywords, none when none is set
 * (config_sign.c); keys may belong to uid and be readable by group gid.
 */
int config_sign(struct load *ld, struct config *cfg, uid_t uid, gid_t gid);
/* A duration: seconds, or a number with s, m, h or d (config_value.c). */
int config_duration(struct load *ld, const struct setting *s, const char *name,
    unsigned long *out);
/* The Rotate* keywords and the tables' specifications, for dkimrotate (config_rotate.c). */
int config_rotate(struct load *ld, struct config *cfg);
void config_rotate_free(struct rotate_cfg *r);

#endif
