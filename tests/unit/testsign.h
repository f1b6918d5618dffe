/*
 * testsign.h - shared pieces of check_sign and check_verify: keys, a zone
 * of key records for example.com, sample messages, sign/verify helpers
 * that fail the running Check test on error.
 */
#ifndef TESTSIGN_H
#define TESTSIGN_H

#include <stddef.h>
#include <time.h>

#include "../../dkim/sign.h"
#include "../../dkim/taglist.h"
#include "../../dkim/verify.h"

#define WHEN ((time_t)1700000000)

/* RSA 2048 PKCS#8, RSA 1024 PKCS#1, Ed25519 PKCS#8 and seed (ts_init). */
extern char *rsa_pem, *rsa1024_pem, *ed_pem, *ed_seed;
/* rsa_pem and ed_pem loaded; selectors "rsa" and "ed". */
extern dkim_key *rsa_key, *ed_key;

/* A typical message: Received, folded To, odd spacing, 8-bit body. */
extern const char base_msg[];
/* Two To fields with another field between them. */
extern const char two_to_msg[];

void ts_init(void);

/* Key records served for example.com by selector; "fail" is a temporary failure. */
void zone_set(size_t i, const char *selector, const char *txt);
void zone_clear(void);
void zone_default(void);
int lookup(void *arg, const char *domain, const char *selector, char *txt, size_t size);

dkim_signer_opts opts_for(dkim_key *k, dkim_canon hc, dkim_canon bc);
dkim_signer *signer_new(const dkim_signer_opts *o, dkim_key *k);
char *sign_msg(const dkim_signer_opts *o, dkim_key *k, time_t when, const char *msg,
    size_t len);
enum dkim_vstatus verify_at(const char *msg, time_t now, char *reason, size_t rsize);
void patch(char *s, const char *from, const char *to);
char *insert_at(const char *s, size_t at, const char *text);
void combo(int i, dkim_key **k, dkim_canon *hc, dkim_canon *bc);
void sig_tags(const char *sig, dkim_taglist *tl);

/* Assert the top signature's status, showing the reason on failure. */
#define assert_status(msg, want) do { \
	char reason_[256]; \
	enum dkim_vstatus got_ = verify_at((msg), WHEN + 10, reason_, sizeof(reason_)); \
	ck_assert_msg(got_ == (want), "status %s (%s), want %s", dkim_vstatus_name(got_), \
	    reason_, dkim_vstatus_name(want)); \
} while (0)

#endif
