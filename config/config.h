/*
 * config.h - postdkim's configuration: opendkim.conf syntax, read once,
 * then read-only. Settings, policy lists and the tables' syntax are
 * validated at load; keys are read when a message first needs them (or all
 * at once by postdkim -n), so that one broken key hurts its domain only.
 * A reload builds a new configuration beside the old.
 *
 * The room config/ reads postdkim.conf and every value type, the socket
 * specification included, into this read-only struct. It uses keys/,
 * tables/ and dkim/; it builds nothing that runs (no resolver, no socket).
 */
#ifndef POSTDKIM_CONFIG_H
#define POSTDKIM_CONFIG_H

#include <stddef.h>
#include <sys/types.h>
#include "../dkim/sign.h"
#include "../tables/cidr.h"
#include "../tables/dataset.h"
#include "../keys/rules.h"

#define CONFIG_DEFAULT_PATH "/etc/postdkim.conf"

/*
 * What to do with a message (the On-* keywords). Discard accepts the
 * message and throws it away; quarantine accepts it and asks the MTA to hold
 * it (smfi_quarantine: Postfix's hold queue), as OpenDKIM does.
 */
enum config_action {
	ACTION_ACCEPT = 0, ACTION_TEMPFAIL, ACTION_REJECT, ACTION_DISCARD, ACTION_QUARANTINE
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
	struct rules *rules;	/* who is signed with which key; NULL: nothing is */
	int subdomains;		/* SubDomains: sign subdomains of a Domain */
	int multiple_signatures;
	size_t key_cache_size;	/* KeyCacheSize */

	/* Whose mail is ours. */
	struct cidr_list internal_hosts;	/* default 127.0.0.1, ::1 */
	struct cidr_list external_ignore;
	char **mta;		/* {daemon_name} values that mean "ours" */
	size_t nmta;
	struct config_macro *macros;
	size_t nmacros;
	struct cidr_list peer_list;	/* PeerList: clients passed on untouched */
	struct dataset *exempt_domains;	/* ExemptDomains: From domains left alone, or NULL */
	struct dataset *dont_sign_to;	/* DontSignMailTo: mail to them is not signed */
	char **sender_headers;		/* SenderHeaders: fields naming the signer, or NULL */
	size_t max_headers;		/* MaximumHeaders: header bytes, 0 for no limit */

	/* What is added to or removed from the mail. */
	int remove_old_signatures;	/* RemoveOldSignatures: signing removes earlier ones */
	int software_header;		/* SoftwareHeader: add a DKIM-Filter field */

	/* Per-message outcomes. */
	enum config_action on_default;		/* message not signed by policy */
	enum config_action on_signature_error;	/* signing failed */
	enum config_action on_internal_error;	/* memory, I/O, library */
	enum config_action on_key_error;	/* a key that cannot be used (default tempfail) */

	/* The daemon. */
	char *socket;		/* "local:/path", "inet:port@addr", "inet6:port@addr" */
	mode_t umask;		/* default 007 */
	char *user;		/* UserID user, or NULL */
	char *group;		/* UserID group, or NULL (user's primary group) */
	char *pidfile;
	int background;		/* default yes */
	int syslog;		/* default yes */
	int syslog_facility;	/* LOG_MAIL by default */
	char *syslog_name;	/* SyslogName: the syslog ident, or NULL for "postdkim" */
	int syslog_success;
	int log_why;
	int require_safe_keys;	/* default yes */

	/* Monitoring (config_metrics.c). */
	char *metrics_socket;	/* MetricsSocket, canonical, with an address; NULL: off */
	char **metrics_domains;	/* MetricsDomains, lower case; NULL: none */
	size_t nmetrics_domains;
	unsigned long rotate_interval;	/* RotateInterval, seconds; 0: not set */

	/* Verification: Mode, Authentication-Results, DNS (config_verify.h). */
	struct verify_cfg *verify;

	/* dkimrotate's settings (config_open_rotate only; NULL otherwise). */
	struct rotate_cfg *rotate;
};

/* The Rotate* keywords, typed; durations in seconds, 0 when unset. */
struct rotate_cfg {
	char *publish;		/* "manual", "exec:PROGRAM", "nsupdate:SERVER[@PORT]" */
	char *tsig_key;		/* RotateTSIGKey, or NULL */
	char *authoritative;	/* RotateAuthoritative "ADDR[@PORT],...", or NULL */
	char *state_dir;	/* default /var/lib/postdkim/rotate */
	char *selector_format;	/* strftime, default %Y%m%d */
	unsigned visible_checks;	/* default 2 */
	unsigned long retire_after;	/* default 7 days */
	unsigned long revoke_hold;	/* default 7 days */
	unsigned long interval;		/* 0: no automatic rotation */
	unsigned rate;			/* DNS updates per second, default 10 */
	char *reload;		/* "signal" (default) or "exec:COMMAND" */
	unsigned long reload_timeout;	/* default 5 minutes */
	char *delegate;		/* RotateDelegate ZONE, or NULL */
	char *key_dir;		/* RotateKeyDirectory, or NULL: beside the current key */
	char *archive_dir;	/* RotateArchiveDirectory, or NULL: old keys deleted */
	char *keytable, *signtable;	/* the tables' specifications, as written */
	unsigned long db_cache_ttl;	/* DatabaseCacheTTL in seconds */
	int multiple_signatures;	/* MultipleSignatures (a second signature needs it) */
	/* "FILE:LINE: Keyword" for errors found later. */
	char *publish_where, *tsig_where, *keytable_where, *auth_where;
};

/*
 * Load a configuration file for running: parse it, read and index the
 * tables, check their syntax. Keys are not read. On failure returns NULL
 * and writes one line naming file, line and keyword into err. Warnings
 * (keywords of OpenDKIM that postdkim ignores, SigningTable entries naming
 * no key) go to warn(arg, message) when warn is not NULL. No message, error
 * or warning, shows a database password (tables/redact.h).
 */
typedef void (*config_warn_fn)(void *arg, const char *msg);
struct config *config_open(const char *path, config_warn_fn warn, void *warn_arg,
    char *err, size_t errsize);
/*
 * The same, then read every table entry and every key (path safety,
 * decoding, type), as postdkim -n does: every problem but the first goes to
 * warn, the first (with the count of the others) to err.
 */
struct config *config_load(const char *path, config_warn_fn warn, void *warn_arg,
    char *err, size_t errsize);
void config_free(struct config *cfg);
/*
 * For dkimrotate: read the file as config_open does, and the Rotate*
 * keywords too, without opening the tables (dkimrotate streams them).
 */
struct config *config_open_rotate(const char *path, config_warn_fn warn, void *warn_arg,
    char *err, size_t errsize);

const char *config_action_name(enum config_action a);
/* A duration: seconds, or a number with s, m, h or d (at most 3650d); 0, or -1. */
int config_parse_duration(const char *v, unsigned long *out);

#endif
