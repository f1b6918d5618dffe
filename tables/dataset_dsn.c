/*
 * dataset_dsn.c - dsn: data sets (tables in a database).
 *
 * This build reads no database; a configuration naming one is refused at
 * start-up with a message that says so.
 */
#include <stdio.h>

#include "dataset_impl.h"

/* dsn:BACKEND://... */
int
dataset_dsn_open(struct dataset *ds, const char *dsn, char *err, size_t errsize)
{
	(void)ds;
	(void)dsn;
	snprintf(err, errsize, "data set type 'dsn:' is not supported by this build of postdkim");
	return -1;
}
