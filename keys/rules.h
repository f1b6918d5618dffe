/*
 * rules.h - which keys sign a sender's mail: the signing rules of
 * postdkim.conf, either Domain + KeyFile + Selector or KeyTable +
 * SigningTable (OpenDKIM's formats), over any data sets.
 *
 * The room keys/ decides which keys sign a sender's mail and holds the
 * keys themselves: these rules, the shared key cache and the safety checks
 * on key files. It uses tables/ and dkim/.
 *
 *	KeyTable	name	domain:selector:key[:algorithm]
 *	SigningTable	pattern	name[:identity]
 *
 * Nothing is built per table entry at load: the tables are checked for
 * syntax (linear, once) and indexed; a message's signers are found by a
 * few indexed lookups and built on the spot from keys in the shared key
 * cache. So start-up, reload and memory stay small with 100,000 domains,
 * and a missing, unsafe or corrupt key is found when a message needs it
 * and hurts that key's mail only. postdkim -n checks every entry and key.
 */
#ifndef POSTDKIM_RULES_H
#define POSTDKIM_RULES_H

#include <stddef.h>

#include "../dkim/sign.h"
#include "../tables/dataset.h"
#include "keycache.h"

/* What every signature shares (from postdkim.conf). */
struct rules_settings {
	dkim_signer_opts tmpl;	/* canonicalization, header lists, TTL; copied */
	int subdomains;		/* SubDomains */
	int multiple;		/* MultipleSignatures */
	struct keycache_policy keys;
};

/*
 * The rules of a configuration that signs nothing are NULL: every function
 * below but rules_check_all takes NULL, and finds nothing to sign.
 */
struct rules;

/* Receives one problem (a warning at load, an error with -n). */
typedef void (*rules_report_fn)(void *arg, const char *msg);

/* Domain + KeyFile + Selector: the listed domains signed with one key. */
struct rules_single {
	struct dataset *domains;	/* ownership taken */
	const char *keyfile;		/* absolute */
	const char *keyfile_where;	/* "FILE:LINE: KeyFile", to prefix its errors */
	const char *selector;
	int has_alg;			/* SignatureAlgorithm given: the key must be of it */
	dkim_alg alg;
	const char *alg_where;		/* "FILE:LINE: SignatureAlgorithm" */
};
int rules_new_single(struct rules **out, const struct rules_settings *set,
    const struct rules_single *single, char *err, size_t errsize);
/*
 * KeyTable + SigningTable (ownership of both taken). Syntax errors of a
 * file table are errors naming file and line; a SigningTable entry naming
 * no KeyTable entry is reported through warn and fails only its mail.
 */
int rules_new_tables(struct rules **out, const struct rules_settings *set,
    struct dataset *keytable, struct dataset *signtable, rules_report_fn warn,
    void *warn_arg, char *err, size_t errsize);
void rules_free(struct rules *r);

/* Nonzero when a signature may cover a field of that name (cost independent of the tables). */
int rules_wants(const struct rules *r, const char *name, size_t nlen);

/* The signatures a sender's mail gets. */
struct rules_result {
	dkim_signer *signer[DKIM_MSG_SIGNERS_MAX];
	size_t n;
	int failed;		/* an entry matched but cannot sign; why says why */
	int temporary;		/* ... because a data set did not answer */
	enum stats_reason reason;	/* ... for the counters */
	char why[1024];
};

/* The longest local part and domain looked up (the From parser's limits). */
#define RULES_LOCAL_MAX 255
#define RULES_DOMAIN_MAX 255

/*
 * Find and build the signers for local@domain (domain in lower case), up
 * to RULES_LOCAL_MAX@RULES_DOMAIN_MAX bytes; a longer one fails in res.
 * Entries that match but cannot sign are skipped and reported in res.
 */
void rules_lookup(struct rules *r, struct keycache *kc, const char *local,
    const char *domain, struct rules_result *res);
/* Free the signers of a result. */
void rules_result_free(struct rules_result *res);

/*
 * postdkim -n: check every entry and every key, each problem passed to
 * report, warnings (a key used although unsafe) to warn. Returns the number
 * of problems.
 */
size_t rules_check_all(struct rules *r, rules_report_fn report, rules_report_fn warn,
    void *arg);

/*
 * Read now the keys that must not wait for a message: the KeyFile of the
 * Domain/KeyFile/Selector form (one key, read as root at start-up, so that
 * it may stay root's). At a reload (reload nonzero) the KeyFile is only
 * checked, the cache left to the configuration in force until the new one
 * is installed. 0, or -1 with err. Tables are read when needed.
 */
int rules_warm(struct rules *r, struct keycache *kc, int reload, char *err, size_t errsize);

/* Nonzero when the rules came from KeyTable + SigningTable. */
int rules_from_tables(const struct rules *r);

#endif
