/*
 * rottable.c - reading and rewriting a KeyTable file (rottable.h). Lines
 * are split the way tables/ reads them ('#' starts a comment, white space
 * separates the name from the value), but the rewrite copies every byte it
 * does not replace, so comments, blank lines and spacing survive.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rotfile.h"
#include "rottable.h"

#define LINE_MAX_BYTES 8192

/* The file of a file:, refile: or bare-path specification. */
int
rottable_path(const char *spec, char *path, size_t pathsize, char *err, size_t errsize)
{
	const char *p = spec;

	if (strncmp(p, "file:", 5) == 0)
		p += 5;
	else if (strncmp(p, "refile:", 7) == 0)
		p += 7;
	else if (p[0] != '/') {
		snprintf(err, errsize, "KeyTable '%.*s...': dkimrotate switches keys in file: and "
		    "refile: tables only", (int)strcspn(spec, ":"), spec);
		return -1;
	}
	if (p[0] != '/' || strlen(p) >= pathsize) {
		snprintf(err, errsize, "KeyTable '%.200s': not an absolute path", p);
		return -1;
	}
	strcpy(path, p);
	return 0;
}

/*
 * Find the name and value of an entry line: offsets of name [ns, ne) and
 * value [vs, ve). 0 for an entry, 1 for a line without one.
 */
static int
split(const char *l, size_t *ns, size_t *ne, size_t *vs, size_t *ve)
{
	size_t i = 0, end = strcspn(l, "#\r\n");

	while (i < end && isspace((unsigned char)l[i]))
		i++;
	if (i == end)
		return 1;
	*ns = i;
	while (i < end && !isspace((unsigned char)l[i]))
		i++;
	*ne = i;
	while (i < end && isspace((unsigned char)l[i]))
		i++;
	*vs = i;
	while (i < end && !isspace((unsigned char)l[i]))
		i++;
	*ve = i;
	return 0;
}

/* Read one whole line; 1, 0 at the end, -1 when too long. */
static int
getline_bounded(FILE *fp, char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, fp) == NULL)
		return 0;
	n = strlen(buf);
	if (n == size - 1 && buf[n - 1] != '\n' && !feof(fp))
		return -1;
	return 1;
}

/* Walk the entries. */
int
rottable_walk(const char *path, rottable_fn fn, void *arg, char *err, size_t errsize)
{
	char line[LINE_MAX_BYTES], val[LINE_MAX_BYTES], *f[4], *c;
	struct rotentry e;
	size_t ns, ne, vs, ve, n;
	unsigned lineno = 0;
	FILE *fp;
	int rc = 0, g;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((g = getline_bounded(fp, line, sizeof(line))) == 1) {
		lineno++;
		if (split(line, &ns, &ne, &vs, &ve) != 0)
			continue;
		line[ne] = '\0';
		memcpy(val, line + vs, ve - vs);
		val[ve - vs] = '\0';
		/* domain:selector:key[:algorithm] */
		f[0] = val;
		for (n = 1, c = val; n < 3 && (c = strchr(c, ':')) != NULL; n++) {
			*c++ = '\0';
			f[n] = c;
		}
		if (n < 3 || *f[0] == '\0' || *f[1] == '\0' || *f[2] == '\0') {
			snprintf(err, errsize, "%s:%u: value must be domain:selector:keyfile", path,
			    lineno);
			rc = -1;
			break;
		}
		f[3] = "";
		if ((c = strrchr(f[2], ':')) != NULL && (strcmp(c + 1, "rsa-sha256") == 0 ||
		    strcmp(c + 1, "ed25519-sha256") == 0)) {
			*c = '\0';
			f[3] = c + 1;
		}
		e.name = line + ns;
		e.domain = f[0];
		e.selector = f[1];
		e.key = f[2];
		e.alg = f[3];
		e.line = lineno;
		if (fn(arg, &e) != 0) {
			rc = 1;
			break;
		}
	}
	if (g < 0) {
		snprintf(err, errsize, "%s:%u: line too long", path, lineno + 1);
		rc = -1;
	} else if (ferror(fp)) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(fp);
	return rc;
}

/* The value of entry name in memtable arg (name -> new value), or NULL. */
const char *
rottable_change_in(void *arg, const char *name)
{
	const struct memtable *t = arg;
	struct dataset_row r;
	uint32_t i;

	if ((i = memtable_find(t, name, strlen(name))) == MEMTABLE_NONE)
		return NULL;
	memtable_row(t, i, &r);
	return r.field[0];
}

/* Nonzero when memtable t (may be NULL) holds key [k, k+n). */
static int
has(const struct memtable *t, const char *k, size_t n)
{
	return t != NULL && memtable_find(t, k, n) != MEMTABLE_NONE;
}

/* The value of key [k, k+n) in t. */
static const char *
value_of(const struct memtable *t, const char *k, size_t n)
{
	struct dataset_row r;

	memtable_row(t, memtable_find(t, k, n), &r);
	return r.field[0];
}

/*
 * SigningTable twins already written by an earlier edit: used[i] set for
 * each twin row whose second name some line already points to. -1 when
 * out of memory or a line is too long.
 */
static int
twins_present(FILE *in, const struct memtable *twin, unsigned char *used)
{
	char line[LINE_MAX_BYTES], num[24];
	size_t ns, ne, vs, ve, vn, i;
	struct memtable inv;
	struct dataset_row r;
	uint32_t j;
	int g, rc = 0;

	/* Second name -> its row in twin. */
	memtable_init(&inv, 0);
	for (i = 0; i < twin->n && rc == 0; i++) {
		memtable_row(twin, (uint32_t)i, &r);
		snprintf(num, sizeof(num), "%zu", i);
		rc = memtable_add(&inv, r.field[0], strlen(r.field[0]), num, strlen(num), 0);
	}
	if (rc < 0 || memtable_index(&inv) < 0) {
		memtable_free(&inv);
		return -1;
	}
	while ((g = getline_bounded(in, line, sizeof(line))) == 1) {
		if (split(line, &ns, &ne, &vs, &ve) != 0 || vs == ve)
			continue;
		vn = strcspn(line + vs, ":");
		if (vn > ve - vs)
			vn = ve - vs;
		if ((j = memtable_find(&inv, line + vs, vn)) != MEMTABLE_NONE) {
			memtable_row(&inv, j, &r);
			used[strtoul(r.field[0], NULL, 10)] = 1;
		}
	}
	memtable_free(&inv);
	rewind(in);
	return g;
}

/* Rewrite with values replaced, lines added and removed. */
int
rottable_edit(const char *path, int signing, rottable_change_fn change, void *arg,
    const struct rotedit *ed, size_t *changed, char *err, size_t errsize)
{
	char line[LINE_MAX_BYTES];
	unsigned char *seen = NULL, *twinned = NULL;
	struct dataset_row r;
	struct rotfile f;
	struct stat st;
	const char *nv;
	size_t ns, ne, vs, ve, vn, i;
	int g, last_nl = 1;
	FILE *in;

	*changed = 0;
	if ((in = fopen(path, "re")) == NULL || fstat(fileno(in), &st) != 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		if (in != NULL)
			fclose(in);
		return -1;
	}
	if ((ed->add != NULL && (seen = calloc(ed->add->n + 1, 1)) == NULL) ||
	    (ed->twin != NULL && (twinned = calloc(ed->twin->n + 1, 1)) == NULL)) {
		snprintf(err, errsize, "out of memory");
		goto fail_in;
	}
	if (signing && ed->twin != NULL && twins_present(in, ed->twin, twinned) < 0) {
		snprintf(err, errsize, "%s: line too long, or out of memory", path);
		goto fail_in;
	}
	if (rotfile_begin(&f, path, st.st_mode & 07777, err, errsize) < 0)
		goto fail_in;
	/* The daemon reads the table as its own user: keep the owner. */
	if (geteuid() == 0 && fchown(fileno(f.fp), st.st_uid, st.st_gid) != 0) {
		snprintf(err, errsize, "%s: chown: %s", f.tmp, strerror(errno));
		goto fail;
	}
	while ((g = getline_bounded(in, line, sizeof(line))) == 1) {
		last_nl = strchr(line, '\n') != NULL;
		if (split(line, &ns, &ne, &vs, &ve) != 0 || vs == ve) {
			fputs(line, f.fp);
			continue;
		}
		if (signing) {
			vn = strcspn(line + vs, ":");
			if (vn > ve - vs)
				vn = ve - vs;
			if (has(ed->drop, line + vs, vn)) {
				(*changed)++;
				continue;
			}
			fputs(line, f.fp);
			if (ed->twin != NULL && (i = memtable_find(ed->twin, line + vs, vn)) !=
			    MEMTABLE_NONE && !twinned[i]) {
				memtable_row(ed->twin, (uint32_t)i, &r);
				/* The same pattern (and identity), the second key's name. */
				fprintf(f.fp, "%s%.*s%s%.*s\n", last_nl ? "" : "\n", (int)vs, line,
				    r.field[0], (int)(ve - vs - vn), line + vs + vn);
				last_nl = 1;
				(*changed)++;
			}
			continue;
		}
		if (has(ed->drop, line + ns, ne - ns)) {
			(*changed)++;
			continue;
		}
		{
			char name[LINE_MAX_BYTES];

			memcpy(name, line + ns, ne - ns);
			name[ne - ns] = '\0';
			nv = change != NULL ? change(arg, name) : NULL;
			if (nv == NULL && has(ed->add, name, ne - ns)) {
				nv = value_of(ed->add, name, ne - ns);
				seen[memtable_find(ed->add, name, ne - ns)] = 1;
			}
		}
		if (nv != NULL) {
			fprintf(f.fp, "%.*s%s%s", (int)vs, line, nv, line + ve);
			(*changed)++;
		} else
			fputs(line, f.fp);
	}
	if (g < 0 || ferror(in)) {
		snprintf(err, errsize, "%s: %s", path, g < 0 ? "line too long" : strerror(errno));
		goto fail;
	}
	for (i = 0; !signing && ed->add != NULL && i < ed->add->n; i++) {
		if (seen[i])
			continue;
		memtable_row(ed->add, (uint32_t)i, &r);
		fprintf(f.fp, "%s%s\t%s\n", last_nl ? "" : "\n", r.key, r.field[0]);
		last_nl = 1;
		(*changed)++;
	}
	fclose(in);
	free(seen);
	free(twinned);
	return rotfile_commit(&f, err, errsize);
fail:
	rotfile_abort(&f);
fail_in:
	fclose(in);
	free(seen);
	free(twinned);
	return -1;
}

/* Rewrite with some values replaced. */
int
rottable_rewrite(const char *path, rottable_change_fn change, void *arg, size_t *changed,
    char *err, size_t errsize)
{
	struct rotedit none = { NULL, NULL, NULL };

	return rottable_edit(path, 0, change, arg, &none, changed, err, errsize);
}
