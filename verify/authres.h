/*
 * authres.h - the Authentication-Results header field (RFC 8601): building
 * ours from the verifier's results, and reading the authserv-id of the ones
 * a message arrives with, to find forged ones.
 *
 * No libmilter here: the callbacks insert and delete, this module only
 * writes and reads text. Everything that came from the network (reasons
 * quoting a record, d=, s=, i=) is quoted or escaped on the way out.
 */
#ifndef POSTDKIM_AUTHRES_H
#define POSTDKIM_AUTHRES_H

#include <stddef.h>
#include <stdint.h>

#include "../dkim/dbuf.h"
#include "../dkim/verify.h"

/* Shortest header.b written; longer when needed to tell signatures apart. */
#define AUTHRES_BMIN 8

/*
 * Append the field value (no name, no leading space) for the results of one
 * message: "authserv-id; dkim=pass (2048-bit key) header.d=... header.b=...",
 * one result per entry of res, each on its own line folded with fold (e.g.
 * "\n\t" for a milter, "\r\n\t" for a file). With n == 0 the value says
 * "dkim=none". Returns 0, or -1 when out of memory.
 */
int authres_build(dbuf *out, const char *authserv_id, const dkim_vresult *res, size_t n,
    const char *fold);

/*
 * Append to id the authserv-id an existing field's value starts with
 * (after white space, folds and comments nested to any depth), unquoted,
 * whatever its length; one pass over the value. What follows the id is
 * not checked, so that a malformed field that names us is still found.
 * Returns 0, or -1 when the value starts with no id (nothing but comments,
 * an unterminated comment, a character no token starts with): such a
 * field is left alone. Out of memory shows in dbuf_failed(id).
 */
int authres_parse_id(const char *value, size_t len, dbuf *id);

/*
 * Nonzero when an authserv-id names us: equal to ours ignoring (ASCII)
 * case, each compared up to a '/' (AuthservIDWithJobID adds "/queue-id").
 */
int authres_id_is(const char *id, const char *ours);

/*
 * A 64-bit hash of an id as authres_id_is compares it (up to a '/', ASCII
 * case folded): ids that authres_id_is calls equal hash alike. What a
 * message's A-R fields need kept until our own id is known: a collision
 * can only mark a foreign field as ours, never the reverse.
 */
uint64_t authres_id_hash(const char *id);

/*
 * Nonzero when id is in a RemoveARFrom list: a name equal to id, or a name
 * starting with '.' that id ends with (any subdomain).
 */
int authres_id_listed(const char *id, const char *const *names, size_t n);

#endif
