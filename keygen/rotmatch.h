/*
 * rotmatch.h - is the record a server answered the key record we
 * published? The same p= and k=, and an h= (if any) that allows sha256:
 * the tags verifiers use to pick and use the key, whatever the order,
 * spacing or string splitting of the record.
 */
#ifndef DKIMROTATE_ROTMATCH_H
#define DKIMROTATE_ROTMATCH_H

/* Nonzero when record got carries the key of record want. */
int rotmatch_record(const char *got, const char *want);

#endif
