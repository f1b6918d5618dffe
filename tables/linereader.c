/*
 * linereader.c - read a configuration or table file line by line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "linereader.h"

/* Open a file for line reading. */
int
linereader_open(struct linereader *lr, const char *path, char *err, size_t errsize)
{
	lr->path = path;
	lr->line = 0;
	if ((lr->fp = fopen(path, "re")) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The next line with content, without comment and surrounding white space. */
int
linereader_next(struct linereader *lr, char **line, char *err, size_t errsize)
{
	char *s, *hash;
	size_t len;

	while (fgets(lr->buf, sizeof(lr->buf), lr->fp) != NULL) {
		lr->line++;
		len = strlen(lr->buf);
		if (len > 0 && lr->buf[len - 1] == '\n')
			lr->buf[--len] = '\0';
		else if (!feof(lr->fp)) {
			snprintf(err, errsize, "%s:%u: line longer than %d bytes", lr->path,
			    lr->line, LINEREADER_MAX);
			return -1;
		}
		if ((hash = strchr(lr->buf, '#')) != NULL)
			*hash = '\0';
		len = strlen(lr->buf);
		while (len > 0 && isspace((unsigned char)lr->buf[len - 1]))
			lr->buf[--len] = '\0';
		s = lr->buf;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			continue;
		*line = s;
		return 1;
	}
	if (ferror(lr->fp)) {
		snprintf(err, errsize, "%s: read error: %s", lr->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Close the file. */
void
linereader_close(struct linereader *lr)
{
	if (lr->fp != NULL)
		fclose(lr->fp);
	lr->fp = NULL;
}
