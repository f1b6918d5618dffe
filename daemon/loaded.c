/*
 * loaded.c - the configuration generation in force: 1 at start-up, one more
 * for each successful reload. Each change is written to the load record,
 * which "postdkim -r" (ExecReload) and dkimrotate read, and goes into the
 * STATUS= line that systemctl status shows.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../config/config_verify.h"
#include "../config/loadrec.h"
#include "../milter/log.h"
#include "../milter/reload.h"
#include "loaded.h"
#include "notify.h"

static struct loadrec loaded_rec;
static char loaded_path[4096];		/* "" without a PidFile */
static char loaded_line[768];		/* the STATUS= line */

/* Write the record, if there is one to write. */
static void loaded_write(void)
{
	char err[1024];

	if (loaded_path[0] != '\0' && loadrec_write(loaded_path, &loaded_rec, err, sizeof(err)) != 0)
		log_msg(LOG_WARNING, "load record: %s", err);
}

/* The status line for the configuration in force. */
static void loaded_describe(const struct runcfg *rc)
{
	const struct config *cfg = rc->cfg;
	const char *mode = cfg->verify->sign && cfg->verify->verify ? "sv" :
	    cfg->verify->verify ? "v" : "s";
	struct keycache_stats ks;
	struct tm tm;
	char when[32];

	keycache_stats(rc->keys, &ks);
	localtime_r(&loaded_rec.loaded, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(loaded_line, sizeof(loaded_line), "Mode %s, %s, %zu key(s) in the cache; "
	    "generation %lu loaded %s", mode, cfg->rules == NULL ? "nothing to sign" :
	    rules_from_tables(cfg->rules) ? "signing by KeyTable and SigningTable" :
	    "signing with one KeyFile", ks.entries, loaded_rec.generation, when);
}

void loaded_start(const char *pidfile, const struct runcfg *rc)
{
	loaded_rec.pid = (long)getpid();
	loaded_rec.generation = 1;
	loaded_rec.loaded = time(NULL);
	if (pidfile != NULL && loadrec_path(pidfile, loaded_path, sizeof(loaded_path)) != 0) {
		log_msg(LOG_WARNING, "load record: PidFile %s: path too long", pidfile);
		loaded_path[0] = '\0';
	}
	loaded_describe(rc);
	loaded_write();
}

void loaded_reloading(void)
{
	notify_reloading();
}

void loaded_reloaded(const struct runcfg *rc, const char *why)
{
	char line[sizeof(loaded_line)];

	loaded_rec.attempts++;
	if (why != NULL) {
		loaded_rec.failed++;
		snprintf(loaded_rec.error, sizeof(loaded_rec.error), "%s", why);
		loaded_write();
		/* The old configuration stays in force and serves: ready again. */
		snprintf(line, sizeof(line), "reload failed, generation %lu kept: %.300s",
		    loaded_rec.generation, why);
		notify_ready(line);
		return;
	}
	loaded_rec.generation++;
	loaded_rec.loaded = time(NULL);
	loaded_rec.error[0] = '\0';
	loaded_describe(rc);
	loaded_write();
	notify_ready(loaded_line);
}

void loaded_ready(void)
{
	notify_ready(loaded_line);
}

void loaded_stopping(void)
{
	notify_stopping("stopping: finishing the messages in progress");
}

void loaded_remove(void)
{
	if (loaded_path[0] != '\0')
		(void)unlink(loaded_path);
}
