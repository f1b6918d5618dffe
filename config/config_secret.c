/*
 * config_secret.c - the files of postdkim.conf that hold a database
 * password (a dsn: URL with USER:PASSWORD@, in the file itself or in an
 * Include'd one) should not be readable by others: each is named in a
 * warning with the commands that fix it, as keysafe.c does for keys. A
 * warning, not an error (unlike an unsafe key under RequireSafeKeys): the
 * mode is the administrator's choice, and refusing to start would stop
 * the mail of every domain for it.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tables/redact.h"
#include "config_impl.h"

/* The group the run-time user reads the file as (UserID's) into buf; 0 without UserID. */
static int
run_group(struct load *ld, char *buf, size_t size)
{
	const char *v = ld->set[K_USERID].value, *colon;
	struct passwd *pw;
	struct group *gr;

	if (v == NULL)
		return 0;
	if ((colon = strchr(v, ':')) != NULL)
		snprintf(buf, size, "%s", colon + 1);
	else if ((pw = getpwnam(v)) != NULL && (gr = getgrgid(pw->pw_gid)) != NULL)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "%s", v);	/* UserID says what is wrong, later */
	return 1;
}

/* The first line of each file (by load.files index) that holds a password. */
struct secret_lines {
	unsigned *line;		/* 0: none */
	const char **name;	/* its keyword */
};

/* Note a setting that holds a password, if it comes first in its file. */
static void
note_setting(struct load *ld, const struct setting *st, const char *name,
    struct secret_lines *sl)
{
	size_t off, len, f;

	if (st->value == NULL || st->file == NULL || ((!redact_find(st->value, &off, &len) ||
	    len == 0) && st != &ld->set[K_LDAPBINDPW]))
		return;
	for (f = 0; f < ld->nfiles && ld->files[f] != st->file; f++)
		;
	if (f < ld->nfiles && (sl->line[f] == 0 || st->line < sl->line[f])) {
		sl->line[f] = st->line;
		sl->name[f] = name;
	}
}

/* Warn about every file holding a password that others can read. */
void
config_secrets(struct load *ld)
{
	struct secret_lines sl;
	struct stat sb;
	char group[256];
	const char *file;
	size_t k, f;
	unsigned mode;

	if (ld->nfiles == 0)
		return;
	sl.line = calloc(ld->nfiles, sizeof(*sl.line));
	sl.name = calloc(ld->nfiles, sizeof(*sl.name));
	if (sl.line == NULL || sl.name == NULL)
		goto done;
	for (k = 0; k < K_COUNT; k++)
		note_setting(ld, &ld->set[k], config_kw_names[k], &sl);
	for (k = 0; k < VK_COUNT; k++)
		note_setting(ld, &ld->vset[k], config_vkw_names[k], &sl);
	for (f = 0; f < ld->nfiles; f++) {
		file = ld->files[f];
		if (sl.line[f] == 0 || stat(file, &sb) != 0 || (sb.st_mode & S_IROTH) == 0)
			continue;
		mode = (unsigned)(sb.st_mode & 07777);
		if (run_group(ld, group, sizeof(group)))
			config_warnf(ld, "%s:%u: %s holds a database password, and %s is readable "
			    "by others (mode %04o): chmod 0640 %s and chgrp %s %s (UserID's group)",
			    file, sl.line[f], sl.name[f], file, mode, file, group, file);
		else
			config_warnf(ld, "%s:%u: %s holds a database password, and %s is readable "
			    "by others (mode %04o): chmod 0600 %s (no UserID: postdkim runs as root)",
			    file, sl.line[f], sl.name[f], file, mode, file);
	}
done:
	free(sl.line);
	free(sl.name);
}
