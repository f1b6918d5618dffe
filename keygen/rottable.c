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

/* Rewrite with some values replaced. */
int
rottable_rewrite(const char *path, rottable_change_fn change, void *arg, size_t *changed,
    char *err, size_t errsize)
{
	char line[LINE_MAX_BYTES], name[LINE_MAX_BYTES];
	struct rotfile f;
	struct stat st;
	const char *nv;
	size_t ns, ne, vs, ve;
	FILE *in;
	int g;

	*changed = 0;
	if ((in = fopen(path, "re")) == NULL || fstat(fileno(in), &st) != 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		if (in != NULL)
			fclose(in);
		return -1;
	}
	if (rotfile_begin(&f, path, st.st_mode & 07777, err, errsize) < 0) {
		fclose(in);
		return -1;
	}
	/* The daemon reads the table as its own user: keep the owner. */
	if (geteuid() == 0 && fchown(fileno(f.fp), st.st_uid, st.st_gid) != 0) {
		snprintf(err, errsize, "%s: chown: %s", f.tmp, strerror(errno));
		goto fail;
	}
	while ((g = getline_bounded(in, line, sizeof(line))) == 1) {
		if (split(line, &ns, &ne, &vs, &ve) == 0 && vs < ve) {
			memcpy(name, line + ns, ne - ns);
			name[ne - ns] = '\0';
			if ((nv = change(arg, name)) != NULL) {
				fprintf(f.fp, "%.*s%s%s", (int)vs, line, nv, line + ve);
				(*changed)++;
				continue;
			}
		}
		fputs(line, f.fp);
	}
	if (g < 0 || ferror(in)) {
		snprintf(err, errsize, "%s: %s", path, g < 0 ? "line too long" : strerror(errno));
		goto fail;
	}
	fclose(in);
	return rotfile_commit(&f, err, errsize);
fail:
	fclose(in);
	rotfile_abort(&f);
	return -1;
}
