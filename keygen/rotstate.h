/*
 * rotstate.h - the state of one domain's key rotation, one small text file
 * per domain in RotateStateDirectory, replaced atomically (rotfile.h), so
 * that dkimrotate killed at any moment resumes where the last written
 * transition left it. Transitions are written in groups: a run makes them
 * durable (rotstate_sync) before anything that depends on them leaves the
 * machine, and at its end.
 *
 * The lifecycle: generate -> publish -> visible -> active -> retiring ->
 * revoked -> deleted -> idle. "old" is the key signing when the rotation
 * started, "new" the one replacing it; once idle, "new" is the key in use.
 */
#ifndef DKIMROTATE_ROTSTATE_H
#define DKIMROTATE_ROTSTATE_H

#include <stddef.h>

enum rot_state {
	RS_IDLE,	/* no rotation in progress */
	RS_GENERATE,	/* selector and path chosen; the key may not exist yet */
	RS_PUBLISH,	/* key written; its record to publish */
	RS_VISIBLE,	/* record published; counting runs that see it everywhere */
	RS_ACTIVE,	/* tables switched; waiting for the daemon to load them */
	RS_RETIRING,	/* new key signs; old record kept RotateRetireAfter */
	RS_REVOKED,	/* old record published with an empty p= */
	RS_DELETED,	/* old record removed; old key deleted once no server answers it */
	RS_COUNT
};

/* What the rotation does: replace the key, add a second (Ed25519) one, or remove it. */
enum rot_kind { RK_ROTATE, RK_ADD, RK_DROP };

#define ROT_SEL_MAX 64
#define ROT_PATH_MAX 1024
#define ROT_DOMAIN_MAX 254

/* One key: its selector, file, algorithm ("rsa", "ed25519"), size, birth. */
struct rotkey {
	char sel[ROT_SEL_MAX];
	char path[ROT_PATH_MAX];
	char alg[16];
	int bits;
	long long created;	/* 0: unknown */
};

struct rotstate {
	char domain[ROT_DOMAIN_MAX + 1];
	char entry[256];	/* the KeyTable entry's name */
	enum rot_state state;
	enum rot_kind kind;
	int emergency;		/* compromised key: no waiting but for visibility */
	long long since;	/* when the state was entered */
	struct rotkey old, new;
	unsigned checks;	/* consecutive runs that saw the new record everywhere */
	long long published;	/* new record sent */
	char loaded_before[64];	/* the daemon's load record before the reload */
	long long reload_sent;
	long long switched;	/* load confirmed */
	long long revoke_seen;	/* every server answered the revocation */
	char wait[256];		/* what it waits for (no secret ever) */
};

const char *rotstate_name(enum rot_state s);
const char *rotstate_kind_name(enum rot_kind k);

/* Nonzero when name may be a state file name (a domain name, nothing more). */
int rotstate_domain_ok(const char *domain);

/*
 * Read domain's state from dir: 1 found, 0 none (st set idle for domain),
 * -1 with err (unreadable, corrupt).
 */
int rotstate_load(const char *dir, const char *domain, struct rotstate *st, char *err,
    size_t errsize);
/*
 * Save: rotstate_load sees it at once, the file has it once rotstate_sync
 * returned (a full store of saves is written then too). Until then a crash
 * brings back the domain's previous state, whole. 0, or -1 with err.
 */
int rotstate_save(const char *dir, const struct rotstate *st, char *err, size_t errsize);
/* Write every save so far, durably; 0, or -1 with err (the files keep what they had). */
int rotstate_sync(char *err, size_t errsize);
/* Create dir (0700) when missing; 0, or -1 with err. */
int rotstate_mkdir(const char *dir, char *err, size_t errsize);

#endif
