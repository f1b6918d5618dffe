/*
 * config.h - postdkim's configuration: opendkim.conf syntax, read once,
 * then read-only. Everything a message needs (signers, policy lists,
 * actions) is built and validated at load, so a configuration that loads is
 * one that can sign; reload builds a new one beside the old.
 */
#ifndef POSTDKIM_CONFIG_H
#define POSTDKIM_CONFIG_H

#include <stddef.h>
#include <sys/types.h>
#include "../dkim/sign.h"
#include "cidr.h"

#define CONFIG_DEFAULT_PATH "/etc/postdkim.conf"

/* What to do with a message: On-Default, On-SignatureError, On-InternalError. */
enum config_action { ACTION_ACCEPT = 0, ACTION_TEMPFAIL, ACTION_REJECT };

/* One SigningTable entry (or the single Domain/KeyFile/Selector setting). */
struct config_rule {
	char *pattern;		/* address or domain; with refile, a glob */
	int is_glob;		/* refile: pattern matched with '*' wildcards */
	char *keyname;		/* KeyTable entry name ("" for KeyFile) */
	dkim_signer *signer;	/* built at load, owned by the config */
};

/* A MacroList entry: macro name, and the values that count (none = any). */
struct config_macro {
	char *name;
	char **values;
	size_t nvalues;
};

struct config {
	char *path;

	/* Signing. */
	struct config_rule *rules;
	size_t nrules;
	int refile;		/* SigningTable is refile: (file order, globs) */
	int subdomains;		/* SubDomains: sign subdomains of a Domain */
	int multiple_signatures;

	/* Whose mail is ours. */
	struct cidr_list internal_hosts;	/* default 127.0.0.1, ::1 */
	struct cidr_list external_ignore;
	char **mta;		/* {daemon_name} values that mean "ours" */
	size_t nmta;
	struct config_macro *macros;
	size_t nmacros;

	/* Per-message outcomes. */
	enum config_action on_default;		/* message not signed by policy */
	enum config_action on_signature_error;	/* signing failed */
	enum config_action on_internal_error;	/* memory, I/O, library */

	/* The daemon. */
	char *socket;		/* "local:/path", "inet:port@addr", "inet6:port@addr" */
	mode_t umask;		/* default 007 */
	char *user;		/* UserID user, or NULL */
	char *group;		/* UserID group, or NULL (user's primary group) */
	char *pidfile;
	int background;		/* default yes */
	int syslog;		/* default yes */
	int syslog_facility;	/* LOG_MAIL by default */
	int syslog_success;
	int log_why;
	int require_safe_keys;	/* default yes */

	/* Verification: Mode, Authentication-Results, DNS (config_verify.h). */
	struct verify_cfg *verify;
};

/*
 * Load and validate a configuration file: parse, read tables, load every key
 * (checking its safety), build every signer. On failure returns NULL and
 * writes one line naming file, line and keyword into err.
 * Warnings (keywords of OpenDKIM that postdkim ignores, unsafe keys when
 * RequireSafeKeys is no) go to warn(arg, message) when warn is not NULL.
 */
typedef void (*config_warn_fn)(void *arg, const char *msg);
struct config *config_load(const char *path, config_warn_fn warn, void *warn_arg,
    char *err, size_t errsize);
void config_free(struct config *cfg);

/*
 * The signers for a sender (local part, domain; domain compared without
 * case). At most max are written; returns how many matched. Without
 * MultipleSignatures at most one rule matches.
 */
size_t config_signers(const struct config *cfg, const char *local, const char *domain,
    const dkim_signer **out, size_t max);

const char *config_action_name(enum config_action a);

#endif
