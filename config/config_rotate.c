/*
 * config_rotate.c - the Rotate* keywords of postdkim.conf, which only
 * dkimrotate reads: the daemon accepts them without a word, so that one
 * file configures both. Read only when dkimrotate loads the file, so a
 * value the daemon never uses cannot stop it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_impl.h"

/* Copy an optional string setting; -1 when out of memory. */
static int
dup_opt(struct load *ld, enum kw k, const char *dflt, char **out)
{
	const char *v = ld->set[k].value != NULL ? ld->set[k].value : dflt;

	if (v == NULL)
		return 0;
	if ((*out = strdup(v)) == NULL)
		return config_kwerr(ld, k, "out of memory");
	return 0;
}

/* "FILE:LINE: Keyword" of a setting, or just the keyword when unset. */
static int
where(struct load *ld, enum kw k, char **out)
{
	char buf[4200];

	if (ld->set[k].file != NULL)
		snprintf(buf, sizeof(buf), "%s:%u: %s", ld->set[k].file, ld->set[k].line,
		    config_kw_names[k]);
	else
		snprintf(buf, sizeof(buf), "%s", config_kw_names[k]);
	if ((*out = strdup(buf)) == NULL)
		return config_kwerr(ld, k, "out of memory");
	return 0;
}

/* An absolute path, when set. */
static int
absolute(struct load *ld, enum kw k)
{
	const char *v = ld->set[k].value;

	if (v != NULL && v[0] != '/')
		return config_kwerr(ld, k, "'%s': the path must be absolute", v);
	return 0;
}

/* Check the forms of RotatePublish and RotateReload. */
static int
check_forms(struct load *ld)
{
	const char *v;

	if ((v = ld->set[K_ROTATEPUBLISH].value) != NULL && strcasecmp(v, "manual") != 0 &&
	    !(strncmp(v, "exec:", 5) == 0 && v[5] != '\0') &&
	    !(strncmp(v, "nsupdate:", 9) == 0 && v[9] != '\0'))
		return config_kwerr(ld, K_ROTATEPUBLISH, "'%s' is not manual, exec:PROGRAM or "
		    "nsupdate:SERVER[@PORT]", v);
	if ((v = ld->set[K_ROTATEPUBLISH].value) != NULL && strncmp(v, "nsupdate:", 9) == 0 &&
	    ld->set[K_ROTATETSIGKEY].value == NULL)
		return config_kwerr(ld, K_ROTATEPUBLISH, "nsupdate: needs RotateTSIGKey");
	if ((v = ld->set[K_ROTATERELOAD].value) != NULL && strcasecmp(v, "signal") != 0 &&
	    !(strncmp(v, "exec:", 5) == 0 && v[5] != '\0'))
		return config_kwerr(ld, K_ROTATERELOAD, "'%s' is not signal or exec:COMMAND", v);
	if ((v = ld->set[K_ROTATESELFMT].value) != NULL && strchr(v, '%') == NULL &&
	    strlen(v) > 60)
		return config_kwerr(ld, K_ROTATESELFMT, "too long");
	return 0;
}

/* Read the Rotate* keywords (and where the tables are) into cfg->rotate. */
int
config_rotate(struct load *ld, struct config *cfg)
{
	struct rotate_cfg *r;
	struct dataset_db_settings db;
	unsigned long n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return config_kwerr(ld, K_ROTATEPUBLISH, "out of memory");
	cfg->rotate = r;
	r->visible_checks = 2;
	r->retire_after = 7 * 86400;
	r->revoke_hold = 7 * 86400;
	r->reload_timeout = 300;
	r->rate = 10;
	if (check_forms(ld) < 0 || absolute(ld, K_ROTATESTATEDIR) < 0 ||
	    absolute(ld, K_ROTATETSIGKEY) < 0 || absolute(ld, K_ROTATEKEYDIR) < 0 ||
	    absolute(ld, K_ROTATEARCHIVEDIR) < 0)
		return -1;
	n = r->visible_checks;
	if (config_number(KW(K_ROTATEVISIBLE), 1, 1000, "a number of runs", &n) < 0)
		return -1;
	r->visible_checks = (unsigned)n;
	n = r->rate;
	if (config_number(KW(K_ROTATERATE), 1, 100000, "a number of updates per second", &n) < 0)
		return -1;
	r->rate = (unsigned)n;
	if (config_duration(KW(K_ROTATERETIRE), &r->retire_after) < 0 ||
	    config_duration(KW(K_ROTATEREVOKEHOLD), &r->revoke_hold) < 0 ||
	    config_duration(KW(K_ROTATEINTERVAL), &r->interval) < 0 ||
	    config_duration(KW(K_ROTATERELOADTIMEOUT), &r->reload_timeout) < 0)
		return -1;
	if (config_bool(KW(K_MULTI), &r->multiple_signatures) < 0)
		return -1;
	dataset_db_current(&db);
	r->db_cache_ttl = db.cache_ttl_ms / 1000;
	/* Verifiers may still hold the old key while the daemon's cache serves it. */
	if (ld->set[K_ROTATERETIRE].value != NULL && r->retire_after < r->db_cache_ttl +
	    r->reload_timeout)
		return config_kwerr(ld, K_ROTATERETIRE, "'%s' is shorter than DatabaseCacheTTL "
		    "plus RotateReloadTimeout (%lus)", ld->set[K_ROTATERETIRE].value,
		    r->db_cache_ttl + r->reload_timeout);
	if (dup_opt(ld, K_ROTATEPUBLISH, "manual", &r->publish) < 0 ||
	    dup_opt(ld, K_ROTATETSIGKEY, NULL, &r->tsig_key) < 0 ||
	    dup_opt(ld, K_ROTATEAUTH, NULL, &r->authoritative) < 0 ||
	    dup_opt(ld, K_ROTATESTATEDIR, "/var/lib/postdkim/rotate", &r->state_dir) < 0 ||
	    dup_opt(ld, K_ROTATESELFMT, "%Y%m%d", &r->selector_format) < 0 ||
	    dup_opt(ld, K_ROTATERELOAD, "signal", &r->reload) < 0 ||
	    dup_opt(ld, K_ROTATEDELEGATE, NULL, &r->delegate) < 0 ||
	    dup_opt(ld, K_ROTATEKEYDIR, NULL, &r->key_dir) < 0 ||
	    dup_opt(ld, K_ROTATEARCHIVEDIR, NULL, &r->archive_dir) < 0 ||
	    dup_opt(ld, K_KEYTABLE, NULL, &r->keytable) < 0 ||
	    dup_opt(ld, K_SIGNINGTABLE, NULL, &r->signtable) < 0 ||
	    where(ld, K_ROTATEPUBLISH, &r->publish_where) < 0 ||
	    where(ld, K_ROTATETSIGKEY, &r->tsig_where) < 0 ||
	    where(ld, K_KEYTABLE, &r->keytable_where) < 0 ||
	    where(ld, K_ROTATEAUTH, &r->auth_where) < 0)
		return -1;
	if (r->keytable == NULL)
		return config_seterr(ld, &ld->set[K_KEYTABLE], "KeyTable",
		    "dkimrotate needs a KeyTable (and a SigningTable) to switch keys in");
	return 0;
}

/* Free what config_rotate made. */
void
config_rotate_free(struct rotate_cfg *r)
{
	if (r == NULL)
		return;
	free(r->publish);
	free(r->tsig_key);
	free(r->authoritative);
	free(r->state_dir);
	free(r->selector_format);
	free(r->reload);
	free(r->delegate);
	free(r->key_dir);
	free(r->archive_dir);
	free(r->keytable);
	free(r->signtable);
	free(r->publish_where);
	free(r->tsig_where);
	free(r->keytable_where);
	free(r->auth_where);
	free(r);
}
