/*
 * linereader.h - the one reader of line-oriented files (postdkim.conf and
 * its data sets): '#' starts a comment, white space around a line is
 * dropped, empty lines are skipped, over-long lines are an error naming
 * file and line.
 */
#ifndef POSTDKIM_LINEREADER_H
#define POSTDKIM_LINEREADER_H

#include <stdio.h>

#define LINEREADER_MAX 4096	/* longest line accepted */

struct linereader {
	FILE *fp;
	const char *path;
	unsigned line;		/* number of the line last returned */
	char buf[LINEREADER_MAX + 2];
};

/* Open path for reading; 0, or -1 with "path: reason" in err. */
int linereader_open(struct linereader *lr, const char *path, char *err, size_t errsize);
/*
 * The next line with content, comment and surrounding white space removed:
 * 1 with *line set (valid until the next call), 0 at the end, -1 with err.
 */
int linereader_next(struct linereader *lr, char **line, char *err, size_t errsize);
void linereader_close(struct linereader *lr);

#endif
