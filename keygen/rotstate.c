/*
 * rotstate.c - the per-domain state files (rotstate.h): "name value" lines,
 * kept in memory from a save until rotstate_sync writes them together
 * (rotfile_replace_many: mkstemp, flush, rename, flush of the directory),
 * read back strictly: an unknown state or a cut file is an error, never a
 * guess.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rotfile.h"
#include "rotstate.h"

static const char *const names[RS_COUNT] = {
	"idle", "generate", "publish", "visible", "active", "retiring", "revoked", "deleted"
};

static const char *const kinds[] = { "rotate", "add", "drop" };

/* The word for a kind of rotation. */
const char *
rotstate_kind_name(enum rot_kind k)
{
	return k <= RK_DROP ? kinds[k] : "?";
}

/* The word for a state. */
const char *
rotstate_name(enum rot_state s)
{
	return s < RS_COUNT ? names[s] : "?";
}

/* Letters, digits, '-', '_' and '.', not starting with '.': a file name in dir. */
int
rotstate_domain_ok(const char *d)
{
	size_t i;

	if (d[0] == '\0' || d[0] == '.' || strlen(d) > ROT_DOMAIN_MAX)
		return 0;
	for (i = 0; d[i]; i++)
		if (!isalnum((unsigned char)d[i]) && d[i] != '-' && d[i] != '_' && d[i] != '.')
			return 0;
	return 1;
}

/* Create the state directory, private to its owner. */
int
rotstate_mkdir(const char *dir, char *err, size_t errsize)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errsize, "RotateStateDirectory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Copy a value into a fixed field; -1 when it does not fit. */
static int
put(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return -1;
	strcpy(dst, v);
	return 0;
}

/* A number field. */
static int
num(long long *out, const char *v)
{
	char *end;

	errno = 0;
	*out = strtoll(v, &end, 10);
	return (*v == '\0' || *end != '\0' || errno != 0) ? -1 : 0;
}

/* Set one "name value" field of a key ("old_" or "new_" stripped). */
static int
key_field(struct rotkey *k, const char *name, const char *v)
{
	long long n;

	if (strcmp(name, "selector") == 0)
		return put(k->sel, sizeof(k->sel), v);
	if (strcmp(name, "key") == 0)
		return put(k->path, sizeof(k->path), v);
	if (strcmp(name, "alg") == 0)
		return put(k->alg, sizeof(k->alg), v);
	if (strcmp(name, "bits") == 0) {
		if (num(&n, v) < 0 || n < 0 || n > 16384)
			return -1;
		k->bits = (int)n;
		return 0;
	}
	if (strcmp(name, "created") == 0)
		return num(&k->created, v);
	return -1;
}

/* Set one field of st; -1 for an unknown name or a bad value. */
static int
field(struct rotstate *st, const char *name, const char *v)
{
	long long n;
	size_t i;

	if (strncmp(name, "old_", 4) == 0)
		return key_field(&st->old, name + 4, v);
	if (strncmp(name, "new_", 4) == 0)
		return key_field(&st->new, name + 4, v);
	if (strcmp(name, "domain") == 0)
		return strcmp(v, st->domain) == 0 ? 0 : -1;
	if (strcmp(name, "entry") == 0)
		return put(st->entry, sizeof(st->entry), v);
	if (strcmp(name, "loaded_before") == 0)
		return put(st->loaded_before, sizeof(st->loaded_before), v);
	if (strcmp(name, "wait") == 0)
		return put(st->wait, sizeof(st->wait), v);
	if (strcmp(name, "kind") == 0) {
		for (i = 0; i <= RK_DROP; i++)
			if (strcmp(v, kinds[i]) == 0) {
				st->kind = (enum rot_kind)i;
				return 0;
			}
		return -1;
	}
	if (strcmp(name, "state") == 0) {
		for (i = 0; i < RS_COUNT; i++)
			if (strcmp(v, names[i]) == 0) {
				st->state = (enum rot_state)i;
				return 0;
			}
		return -1;
	}
	if (num(&n, v) < 0)
		return -1;
	if (strcmp(name, "emergency") == 0)
		st->emergency = n != 0;
	else if (strcmp(name, "since") == 0)
		st->since = n;
	else if (strcmp(name, "checks") == 0)
		st->checks = n < 0 ? 0 : (unsigned)n;
	else if (strcmp(name, "published") == 0)
		st->published = n;
	else if (strcmp(name, "reload_sent") == 0)
		st->reload_sent = n;
	else if (strcmp(name, "switched") == 0)
		st->switched = n;
	else if (strcmp(name, "revoke_seen") == 0)
		st->revoke_seen = n;
	else
		return -1;
	return 0;
}

/*
 * Saves wait here until rotstate_sync writes them together
 * (rotfile_replace_many): a fsync per save was nearly all of a run's
 * time at 100,000 domains. A waiting state is what rotstate_load reads,
 * and a domain saved twice before the sync is written once. Bounded: a
 * full store is written out before it takes more.
 */
#define PENDING_MAX 256
#define SLOTS (PENDING_MAX * 2)

static struct rotstate *pending;	/* PENDING_MAX of them, made on first save */
static size_t npending;
static char pending_dir[4096];
static unsigned short slot[SLOTS];	/* open addressing: index + 1, 0 free */

/* The slot for domain: its state's, or the free one where it would go. */
static size_t
find_slot(const char *domain)
{
	unsigned long h = 5381;
	const char *p;
	size_t i;

	for (p = domain; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (i = h % SLOTS; slot[i] != 0; i = (i + 1) % SLOTS)
		if (strcmp(pending[slot[i] - 1].domain, domain) == 0)
			break;
	return i;
}

/* Read a domain's state file. */
int
rotstate_load(const char *dir, const char *domain, struct rotstate *st, char *err,
    size_t errsize)
{
	char path[4096], line[2048], *v, *nl;
	unsigned lineno = 0;
	int complete = 0;
	size_t i;
	FILE *fp;

	memset(st, 0, sizeof(*st));
	if (!rotstate_domain_ok(domain)) {
		snprintf(err, errsize, "'%.300s' is not a domain name", domain);
		return -1;
	}
	strcpy(st->domain, domain);
	if (npending > 0 && strcmp(dir, pending_dir) == 0 && slot[i = find_slot(domain)] != 0) {
		*st = pending[slot[i] - 1];
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, domain);
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL) {
			snprintf(err, errsize, "%s:%u: line cut or too long", path, lineno);
			goto bad;
		}
		*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strcmp(line, "end") == 0) {
			complete = 1;
			continue;
		}
		v = line + strcspn(line, " ");
		if (*v != '\0')
			*v++ = '\0';
		if (field(st, line, v) < 0) {
			snprintf(err, errsize, "%s:%u: bad field '%.40s'", path, lineno, line);
			goto bad;
		}
	}
	fclose(fp);
	if (!complete) {
		snprintf(err, errsize, "%s: incomplete (no 'end' line)", path);
		return -1;
	}
	return 1;
bad:
	fclose(fp);
	return -1;
}

/* Write one key's fields. */
static void
write_key(FILE *fp, const char *pre, const struct rotkey *k)
{
	if (k->sel[0] != '\0')
		fprintf(fp, "%s_selector %s\n", pre, k->sel);
	if (k->path[0] != '\0')
		fprintf(fp, "%s_key %s\n", pre, k->path);
	if (k->alg[0] != '\0')
		fprintf(fp, "%s_alg %s\n", pre, k->alg);
	fprintf(fp, "%s_bits %d\n%s_created %lld\n", pre, k->bits, pre, k->created);
}

/* Write waiting state i. */
static int
fill_state(FILE *fp, size_t i, void *arg)
{
	const struct rotstate *st = &pending[i];

	(void)arg;
	fprintf(fp, "# dkimrotate state of %s (see dkimrotate(8))\n", st->domain);
	fprintf(fp, "domain %s\nstate %s\nkind %s\n", st->domain, names[st->state],
	    kinds[st->kind]);
	if (st->entry[0] != '\0')
		fprintf(fp, "entry %s\n", st->entry);
	fprintf(fp, "emergency %d\nsince %lld\n", st->emergency, st->since);
	write_key(fp, "old", &st->old);
	write_key(fp, "new", &st->new);
	fprintf(fp, "checks %u\npublished %lld\nreload_sent %lld\nswitched %lld\n"
	    "revoke_seen %lld\n", st->checks, st->published, st->reload_sent, st->switched,
	    st->revoke_seen);
	if (st->loaded_before[0] != '\0')
		fprintf(fp, "loaded_before %s\n", st->loaded_before);
	if (st->wait[0] != '\0')
		fprintf(fp, "wait %s\n", st->wait);
	fprintf(fp, "end\n");
	return 0;
}

int
rotstate_sync(char *err, size_t errsize)
{
	const char *names_v[PENDING_MAX];
	size_t i;
	int rc;

	if (npending == 0)
		return 0;
	for (i = 0; i < npending; i++)
		names_v[i] = pending[i].domain;
	rc = rotfile_replace_many(pending_dir, names_v, npending, 0600, fill_state, NULL, err,
	    errsize);
	/* Failed, the files keep what they had: the run stops short of what needed these. */
	npending = 0;
	memset(slot, 0, sizeof(slot));
	return rc;
}

/* Save a domain's state: it waits with the others for rotstate_sync. */
int
rotstate_save(const char *dir, const struct rotstate *st, char *err, size_t errsize)
{
	size_t i;

	if (!rotstate_domain_ok(st->domain)) {
		snprintf(err, errsize, "'%.300s' is not a domain name", st->domain);
		return -1;
	}
	if (strlen(dir) >= sizeof(pending_dir)) {
		snprintf(err, errsize, "%.200s...: path too long", dir);
		return -1;
	}
	if (npending > 0 && strcmp(dir, pending_dir) != 0 && rotstate_sync(err, errsize) < 0)
		return -1;
	if (pending == NULL && (pending = calloc(PENDING_MAX, sizeof(*pending))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	strcpy(pending_dir, dir);
	i = find_slot(st->domain);
	if (slot[i] == 0) {
		if (npending == PENDING_MAX) {
			if (rotstate_sync(err, errsize) < 0)
				return -1;
			i = find_slot(st->domain);
		}
		slot[i] = (unsigned short)(++npending);
	}
	pending[slot[i] - 1] = *st;
	return 0;
}
