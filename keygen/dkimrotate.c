/*
 * dkimrotate.c - the key rotation command (dkimrotate(8)):
 *
 *	dkimrotate [-c FILE] [--now EPOCH] status [--json] [DOMAIN...]
 *	dkimrotate [-c FILE] start [-a rsa|ed25519] [-b BITS] DOMAIN... | --all | --older-than AGE
 *	dkimrotate [-c FILE] run
 *	dkimrotate [-c FILE] emergency DOMAIN...
 *
 * Options may come before or after the command and its operands. The
 * settings are the Rotate* keywords of postdkim.conf; the daemon is only
 * touched through the KeyTable it reads and one reload per run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../dkim/key.h"
#include "../verify/resolver.h"
#include "../verify/verifier.h"
#include "keyprobe.h"
#include "rotctx.h"

#define EXIT_USAGE 2

/* Add a copy of s. */
int
strlist_add(struct strlist *l, const char *s)
{
	char **nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
	}
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

/* Free a list of strings. */
void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* "DOMAIN: what happened", one line. */
void
rot_say(struct rotctx *c, const char *domain, const char *fmt, ...)
{
	va_list ap;

	if (domain != NULL)
		fprintf(c->out, "%s: ", domain);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
}

/* "dkimrotate: DOMAIN: what failed", on standard error; the run fails. */
void
rot_fail(struct rotctx *c, const char *domain, const char *fmt, ...)
{
	va_list ap;

	fflush(c->out);
	fprintf(stderr, "dkimrotate: ");
	if (domain != NULL)
		fprintf(stderr, "%s: ", domain);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	c->failed = 1;
}

/*
 * The DNS helpers, over postdkim's resolver (zone discovery goes through
 * it), with DNSTimeout for the questions to each server. Made once for
 * the whole command, and shared by the probe threads.
 */
struct rotdns *
rot_dns(struct rotctx *c, char *err, size_t errsize)
{
	if (c->dns == NULL && (rot_resolver(c, err, errsize) == NULL ||
	    rotdns_new(c->res, c->cfg->verify->dns_timeout_ms, &c->dns, err, errsize) < 0))
		return NULL;
	return c->dns;
}

/* postdkim's own resolver, built by the code the daemon uses. */
struct resolver *
rot_resolver(struct rotctx *c, char *err, size_t errsize)
{
	char why[512];

	if (c->res == NULL && verifier_resolver(c->cfg->verify, &c->res, why, sizeof(why)) < 0) {
		snprintf(err, errsize, "cannot build postdkim's resolver, which dkimrotate asks "
		    "(zone, NS, records): %s", why);
		return NULL;
	}
	return c->res;
}

int
rot_key_load(struct rotctx *c, const char *path, dkim_key **out, dkim_err *err)
{
	if (c->keys == NULL && (c->keys = dkim_keyloader_new()) == NULL)
		return dkim_key_load_file(path, out, err);
	return dkim_keyloader_load_file(c->keys, path, out, err);
}

/*
 * Algorithm, size and age of a key file ("?" when it cannot be read),
 * from the head of its PEM: status reads every domain's key.
 */
void
rot_keyinfo(const char *path, struct rotkey *k)
{
	struct stat sb;

	if (stat(path, &sb) == 0)
		k->created = (long long)sb.st_mtime;
	if (keyprobe_file(path, k->alg, sizeof(k->alg), &k->bits) < 0) {
		snprintf(k->alg, sizeof(k->alg), "?");
		k->bits = 0;
	}
}

/*
 * The state of entry e's domain into st: 1 when e is the entry it concerns
 * (a domain rotates one KeyTable entry at a time), 0 when it is another
 * entry's, -1 when unreadable (reported).
 */
int
rot_entry_state(struct rotctx *c, const struct rotentry *e, struct rotstate *st)
{
	char err[512];
	int found;

	if ((found = rotstate_load(c->rc->state_dir, e->domain, st, err, sizeof(err))) < 0) {
		rot_fail(c, e->domain, "%s", err);
		return -1;
	}
	/* A removed second signature's entry is gone: any entry carries its end. */
	if (found && st->state != RS_IDLE && st->entry[0] != '\0' &&
	    strcmp(st->entry, e->name) != 0 && !(st->kind == RK_DROP &&
	    st->state >= RS_RETIRING))
		return 0;
	return 1;
}

/*
 * The key entry e names: what the state st (may be NULL) recorded when
 * dkimrotate made or replaced it (its age on the same clock), else what
 * its file says.
 */
void
rot_entry_key(const struct rotentry *e, const struct rotstate *st, struct rotkey *k)
{
	memset(k, 0, sizeof(*k));
	if (st != NULL && strcmp(st->new.sel, e->selector) == 0 && st->new.created != 0)
		*k = st->new;
	else if (st != NULL && strcmp(st->old.sel, e->selector) == 0 && st->old.bits != 0)
		*k = st->old;
	else
		rot_keyinfo(e->key, k);
}

/* What start and emergency were asked. */
struct start_opts {
	char **domains;
	size_t n;
	int all;
	unsigned long older_than;	/* 0: not asked */
	const char *alg;
	int bits;
	int emergency;
	enum rot_kind kind;		/* --add ed25519, --drop ed25519 */
};

struct start_walk {
	struct rotctx *c;
	const struct start_opts *o;
	struct rotnames names;		/* the domains named, when not --all */
	struct memtable has_ed;		/* --add: domains with an Ed25519 entry already */
};

/* --add: note the domains that have an Ed25519 entry. */
static int
note_ed25519(void *arg, const struct rotentry *e)
{
	struct start_walk *w = arg;

	if (rot_entry_ed25519(e) && memtable_add(&w->has_ed, e->domain, strlen(e->domain), e->name,
	    strlen(e->name), e->line) < 0)
		return 1;
	return 0;
}

/* One entry for start or emergency. */
static int
start_entry(void *arg, const struct rotentry *e)
{
	struct start_walk *w = arg;
	struct rotctx *c = w->c;
	const struct start_opts *o = w->o;
	struct rotstate st;
	struct rotkey k;
	char err[512];

	/* --drop takes the Ed25519 entry, --add the first other one. */
	if ((o->kind == RK_DROP || o->kind == RK_ADD) &&
	    rot_entry_ed25519(e) != (o->kind == RK_DROP))
		return 0;
	/* A domain's first entry only: a rotation changes one KeyTable entry at a time. */
	if (!o->all && o->older_than == 0 && rotnames_mark(&w->names, e->domain) != 0)
		return 0;
	if (o->kind == RK_ADD && memtable_find(&w->has_ed, e->domain, strlen(e->domain)) !=
	    MEMTABLE_NONE) {
		rot_say(c, e->domain, "already signs with an Ed25519 key");
		return 0;
	}
	/* One key for every sender's domain: its record would go in each of them. */
	if (strcmp(e->domain, "%") == 0 && (o->all || o->older_than != 0)) {
		rot_say(c, NULL, "KeyTable entry %s skipped: it signs for each sender's own domain "
		    "(%%), one key for many domains, which dkimrotate does not rotate", e->name);
		return 0;
	}
	if (!rotstate_domain_ok(e->domain)) {
		rot_fail(c, e->domain, "not a domain name dkimrotate can keep state for");
		return 0;
	}
	if (rot_entry_state(c, e, &st) <= 0)
		return 0;
	if (o->older_than != 0) {
		rot_entry_key(e, &st, &k);
		if (st.state != RS_IDLE || k.created == 0 ||
		    c->now - k.created < (long long)o->older_than)
			return 0;
	}
	if (st.state != RS_IDLE) {
		if (o->emergency && !st.emergency) {
			st.emergency = 1;
			if (rotstate_save(c->rc->state_dir, &st, err, sizeof(err)) < 0)
				rot_fail(c, e->domain, "cannot save the rotation state: %s", err);
			else
				rot_say(c, e->domain, "emergency: rotation to %s (%s) goes on without "
				    "waiting but for visibility", st.new.sel, rotstate_name(st.state));
		} else if (st.kind != RK_ROTATE)
			rot_say(c, e->domain, "already %s an Ed25519 signature: %s (%s)",
			    st.kind == RK_ADD ? "adding" : "removing", st.kind == RK_ADD ?
			    st.new.sel : st.old.sel, rotstate_name(st.state));
		else
			rot_say(c, e->domain, "already rotating: %s -> %s (%s)", st.old.sel,
			    st.new.sel, rotstate_name(st.state));
		return 0;
	}
	rot_begin(c, e, &st, o->alg, o->bits, o->emergency, o->kind);
	return 0;
}

/* A second signature lives in file tables, signed by MultipleSignatures. */
static int
second_signature_ok(struct rotctx *c)
{
	char path[4096], err[512];

	if (c->kt.is_dsn || c->rc->signtable == NULL ||
	    rottable_path(c->rc->signtable, path, sizeof(path), err, sizeof(err)) < 0) {
		fprintf(stderr, "dkimrotate: --add and --drop need KeyTable and SigningTable "
		    "files\n");
		return -1;
	}
	if (c->rc->delegate != NULL) {
		fprintf(stderr, "dkimrotate: --add and --drop do not work in delegated mode "
		    "(RotateDelegate)\n");
		return -1;
	}
	if (!c->rc->multiple_signatures) {
		fprintf(stderr, "dkimrotate: %s: a second signature needs MultipleSignatures yes\n",
		    c->cfg->path);
		return -1;
	}
	return 0;
}

/* dkimrotate start / emergency. */
static int
cmd_start(struct rotctx *c, struct start_opts *o)
{
	struct start_walk w;
	char err[1024];
	size_t i;

	if (o->kind != RK_ROTATE && second_signature_ok(c) < 0)
		return 1;
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.o = o;
	if (rotnames_init(&w.names, o->domains, o->n) < 0) {
		rotnames_free(&w.names);
		fprintf(stderr, "dkimrotate: out of memory\n");
		return 1;
	}
	memtable_init(&w.has_ed, 1);
	if (o->kind == RK_ADD && (rotkt_walk(&c->kt, note_ed25519, &w, err, sizeof(err)) != 0 ||
	    memtable_index(&w.has_ed) < 0))
		rot_fail(c, NULL, "%s", err);
	else if (rotkt_walk(&c->kt, start_entry, &w, err, sizeof(err)) < 0)
		rot_fail(c, NULL, "%s", err);
	for (i = 0; i < o->n; i++)
		if (!w.names.seen[i])
			rot_fail(c, o->domains[i], o->kind == RK_DROP ? "has no Ed25519 KeyTable entry "
			    "to drop" : "not in the KeyTable %s", c->kt.name);
	memtable_free(&w.has_ed);
	rotnames_free(&w.names);
	if (o->emergency && !c->failed)
		return rot_run(c);
	return c->failed ? 1 : 0;
}

/* The command line, briefly. */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dkimrotate [-c FILE] [--now EPOCH] COMMAND ...\n"
	    "  status [--json] [DOMAIN...]   keys, rotations and what they wait for\n"
	    "  start [-a rsa|ed25519] [-b BITS] DOMAIN... | --all | --older-than AGE\n"
	    "                                begin rotations\n"
	    "  start --add ed25519 | --drop ed25519 DOMAIN... | --all\n"
	    "                                add or remove a second, Ed25519 signature\n"
	    "  run                           advance every rotation as far as it can go\n"
	    "  emergency DOMAIN...           rotate a compromised key as fast as is safe\n"
	    "options:\n"
	    "  -c, --config FILE   postdkim.conf (default " CONFIG_DEFAULT_PATH ")\n"
	    "      --now EPOCH     the time to act at (for tests)\n"
	    "see dkimrotate(8)\n");
}

/* Warnings of the configuration load (keywords postdkim ignores, ...). */
static void
warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "dkimrotate: warning: %s\n", msg);
}

/*
 * Take the state directory's lock: one dkimrotate at a time changes states.
 * 0 taken, 1 held by another (not a failure), -1 error.
 */
static int
lock_state(const char *dir, int *fd)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/.lock", dir);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		fprintf(stderr, "dkimrotate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		/* A long run (100,000 domains at RotateRate) outlasting the timer's hour. */
		printf("another dkimrotate is working (%s is locked): nothing done\n", path);
		return 1;
	}
	return 0;
}

/* Parse the command line, read the configuration, run the command. */
int
main(int argc, char **argv)
{
	enum { O_NOW = 256, O_JSON, O_ALL, O_OLDER, O_ADD, O_DROP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "now", required_argument, NULL, O_NOW },
		{ "json", no_argument, NULL, O_JSON },
		{ "all", no_argument, NULL, O_ALL },
		{ "older-than", required_argument, NULL, O_OLDER },
		{ "add", required_argument, NULL, O_ADD },
		{ "drop", required_argument, NULL, O_DROP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = CONFIG_DEFAULT_PATH, *cmd;
	struct start_opts so;
	struct rotctx c;
	char err[2048], *end;
	int ch, json = 0, rc, lockfd = -1;
	unsigned long ul;
	long long now = (long long)time(NULL);

	memset(&so, 0, sizeof(so));
	while ((ch = getopt_long(argc, argv, "c:a:b:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case O_NOW:
			errno = 0;
			now = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 || now < 0) {
				fprintf(stderr, "dkimrotate: --now '%s': not a time in seconds since "
				    "1970\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_JSON:
			json = 1;
			break;
		case O_ALL:
			so.all = 1;
			break;
		case O_OLDER:
			if (config_parse_duration(optarg, &ul) < 0 || ul == 0) {
				fprintf(stderr, "dkimrotate: --older-than '%s': not a duration (180d, "
				    "12h, ...)\n", optarg);
				return EXIT_USAGE;
			}
			so.older_than = ul;
			break;
		case 'a':
			if (strcmp(optarg, "rsa") != 0 && strcmp(optarg, "ed25519") != 0) {
				fprintf(stderr, "dkimrotate: -a '%s': rsa or ed25519\n", optarg);
				return EXIT_USAGE;
			}
			so.alg = optarg;
			break;
		case 'b':
			ul = strtoul(optarg, &end, 10);
			if (*end != '\0' || ul < 1024 || ul > 4096) {
				fprintf(stderr, "dkimrotate: -b '%s': RSA bits from 1024 to 4096\n",
				    optarg);
				return EXIT_USAGE;
			}
			so.bits = (int)ul;
			break;
		case O_ADD:
		case O_DROP:
			if (strcmp(optarg, "ed25519") != 0) {
				fprintf(stderr, "dkimrotate: --%s '%s': only ed25519 is a second "
				    "signature\n", ch == O_ADD ? "add" : "drop", optarg);
				return EXIT_USAGE;
			}
			so.kind = ch == O_ADD ? RK_ADD : RK_DROP;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	so.domains = argv + optind;
	so.n = (size_t)(argc - optind);
	if (strcmp(cmd, "status") != 0 && strcmp(cmd, "start") != 0 && strcmp(cmd, "run") != 0 &&
	    strcmp(cmd, "emergency") != 0) {
		fprintf(stderr, "dkimrotate: unknown command '%s'\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((strcmp(cmd, "run") == 0 && so.n > 0) ||
	    (strcmp(cmd, "emergency") == 0 && so.n == 0) ||
	    (strcmp(cmd, "start") == 0 && (so.n > 0) + so.all + (so.older_than != 0) != 1) ||
	    (so.kind != RK_ROTATE && (strcmp(cmd, "start") != 0 || so.older_than != 0 ||
	    so.alg != NULL || so.bits != 0))) {
		fprintf(stderr, "dkimrotate: %s: wrong operands\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}

	memset(&c, 0, sizeof(c));
	c.now = now;
	c.out = stdout;
	setvbuf(stdout, NULL, _IOLBF, 0);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	if ((c.cfg = config_open_rotate(conf, warn, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dkimrotate: %s\n", err);
		return 1;
	}
	c.rc = c.cfg->rotate;
	memtable_init(&c.changes, 0);
	memtable_init(&c.release, 0);
	memtable_init(&c.adds, 0);
	memtable_init(&c.twins, 0);
	memtable_init(&c.drops, 0);
	if (rotkt_open(&c.kt, c.rc->keytable, err, sizeof(err)) < 0) {
		fprintf(stderr, "dkimrotate: %s: %s\n", c.rc->keytable_where, err);
		config_free(c.cfg);
		return 1;
	}
	if (strcmp(cmd, "status") == 0) {
		rc = rot_status(&c, so.domains, so.n, json);
		goto out;
	}
	if (rotstate_mkdir(c.rc->state_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "dkimrotate: %s\n", err);
		rc = 1;
		goto out;
	}
	if ((rc = lock_state(c.rc->state_dir, &lockfd)) != 0) {
		rc = rc < 0;
		goto out;
	}
	if (strcmp(cmd, "start") != 0 && c.cfg->pidfile == NULL) {
		/* Without it no switch could ever be confirmed. */
		fprintf(stderr, "dkimrotate: %s: %s needs a PidFile: postdkim's load record, which "
		    "confirms a reload, is written beside it\n", c.cfg->path, cmd);
		rc = 1;
		goto out;
	}
	if (strcmp(cmd, "start") != 0) {
		if (rotpub_init(&c.pub, c.rc->publish, c.rc->tsig_key, c.rc->rate, c.out, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "dkimrotate: %s\n", err);
			rc = 1;
			goto out;
		}
		c.pub_ready = 1;
	}
	if (strcmp(cmd, "run") == 0)
		rc = rot_run(&c);
	else {
		so.emergency = strcmp(cmd, "emergency") == 0;
		rc = cmd_start(&c, &so);
	}
out:
	/* Answers still in flight move their domains on before the states are flushed. */
	rotflight_free(c.flight);
	if (rot_durable(&c, err, sizeof(err)) < 0) {
		rot_fail(&c, NULL, "%s", err);
		rc = 1;
	}
	if (c.pub_ready)
		rotpub_fini(&c.pub);
	if (lockfd >= 0)
		close(lockfd);
	dkim_keyloader_free(c.keys);
	memtable_free(&c.changes);
	memtable_free(&c.release);
	memtable_free(&c.adds);
	memtable_free(&c.twins);
	memtable_free(&c.drops);
	strlist_free(&c.switching);
	strlist_free(&c.resend);
	strlist_free(&c.fresh);
	strlist_free(&c.keydirs);
	rotqueue_free(&c.queue);
	rotdns_free(c.dns);
	if (c.res != NULL)
		resolver_free(c.res);
	rotkt_close(&c.kt);
	config_free(c.cfg);
	return rc;
}
