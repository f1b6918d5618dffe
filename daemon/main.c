/*
 * main.c - postdkim, a DKIM signing milter: options, start-up as root
 * (configuration and keys, socket, PID file), the switch to the run-time
 * user, and the signal loop that reloads or stops the filter.
 *
 * Exit status: 0 success, 1 configuration error, 2 usage error, 3 run-time
 * error.
 *
 * The room daemon/ is the program: options, the listening socket, the PID
 * file, signals and privileges. It uses every room below it (milter/,
 * verify/, config/, keys/, tables/, dkim/) and nothing uses it.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <openssl/crypto.h>

#include "../config/config.h"
#include "../verify/resolver.h"
#include "../verify/verifier.h"
#include "../milter/callbacks.h"
#include "../milter/log.h"
#include "../milter/offline.h"
#include "../milter/reload.h"
#include "listen.h"
#include "loaded.h"
#include "pidfile.h"
#include "privs.h"
#include "signals.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define EXIT_CONFIG 1
#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

/* How long a stop waits for messages in progress before exiting anyway. */
#define STOP_TIMEOUT_MS 15000
#define STOP_POLL_MS 50

static char conf_path[PATH_MAX];
static int sig_pipe[2] = { -1, -1 };

/* Print the usage message. */
static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: postdkim [-fn] [-c FILE] [-F UNIXTIME]\n"
	    "       postdkim [-c FILE] [-F UNIXTIME] [-a ADDR] [-u USER] [-d NAME] -t MESSAGE\n"
	    "       postdkim -V | -h\n"
	    "  -c FILE      configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -n           check the configuration and keys, then exit\n"
	    "  -f           stay in the foreground and log to standard error\n"
	    "  -t MESSAGE   sign MESSAGE (\"-\" = stdin) as the milter would, print it\n"
	    "  -a ADDR      with -t: client address (default 127.0.0.1)\n"
	    "  -u USER      with -t: SASL-authenticated user\n"
	    "  -d NAME      with -t: {daemon_name} of the receiving service\n"
	    "  -F UNIXTIME  sign with this fixed time (t=), for tests\n"
	    "  -V           print versions and exit\n"
	    "exit status: 0 ok, 1 configuration error, 2 usage error, 3 run-time error\n");
}

/* Print postdkim's version and those of the libraries it runs with. */
static void version(void)
{
	unsigned int maj = 0, min = 0, pl = 0;

	(void)smfi_version(&maj, &min, &pl);
	printf("postdkim %s\n", PACKAGE_VERSION);
	printf("OpenSSL: %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("libmilter: %u.%u.%u\n", maj, min, pl);
}

/* Configuration warnings go to the log. */
static void conf_warn(void *arg, const char *msg)
{
	(void)arg;
	log_msg(LOG_WARNING, "%s", msg);
}

/*
 * Load the configuration, reporting the error on failure. Keys are read
 * when needed, unless check_keys (postdkim -n) asks for all of them now.
 */
static struct config *conf_load(int check_keys, char *err, size_t errsize)
{
	err[0] = '\0';
	return check_keys ? config_load(conf_path, conf_warn, NULL, err, errsize) :
	    config_open(conf_path, conf_warn, NULL, err, errsize);
}

/* Reload configuration and keys; on any error keep the one in force. */
static void conf_reload(const struct config *cur)
{
	struct config *cfg;
	struct runcfg *rc;
	char err[1024];

	log_msg(LOG_INFO, "reloading %s", conf_path);
	if ((cfg = conf_load(0, err, sizeof(err))) == NULL) {
		/* After start-up keys are read as the run-time user, not as root. */
		log_msg(LOG_ERR, "reload failed, keeping the configuration in force: %s%s", err,
		    geteuid() != 0 && strstr(err, "ermission denied") != NULL ?
		    " (reloads run as the UserID user: it must be able to read the configuration, tables and keys)" : "");
		return;
	}
	if ((rc = reload_prepare(cfg, err, sizeof(err))) == NULL) {
		log_msg(LOG_ERR, "reload failed, keeping the configuration in force: %s%s", err,
		    geteuid() != 0 && strstr(err, "ermission denied") != NULL ?
		    " (reloads run as the UserID user: it must be able to read the KeyFile)" : "");
		config_free(cfg);
		return;
	}
	/* These were used at start-up, as root; they need a restart. */
	if (cur != NULL && ((cfg->socket && cur->socket && strcmp(cfg->socket, cur->socket)) ||
	    (cfg->user && cur->user && strcmp(cfg->user, cur->user))))
		log_msg(LOG_WARNING, "Socket and UserID changes take effect only at restart");
	reload_install(rc);
	loaded_record();
	log_msg(LOG_INFO, "configuration reloaded from %s", conf_path);
}

/*
 * Go to the background. The parent waits until the child reports that it
 * runs (one byte on a pipe, 0 = ok) and exits with that status, so a start
 * that fails late still fails visibly.
 */
static int daemonize(int *ready)
{
	int fds[2], fd;
	unsigned char st = EXIT_RUNTIME;
	pid_t pid;

	if (pipe(fds) != 0) {
		log_msg(LOG_ERR, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_msg(LOG_ERR, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		while (read(fds[0], &st, 1) < 0 && errno == EINTR)
			;
		_exit(st);
	}
	close(fds[0]);
	*ready = fds[1];
	if (setsid() < 0)
		log_msg(LOG_WARNING, "setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		log_msg(LOG_WARNING, "chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

/* Tell the waiting parent how the start went. */
static void report_ready(int *ready, unsigned char status)
{
	if (*ready >= 0) {
		(void)!write(*ready, &status, 1);
		close(*ready);
		*ready = -1;
	}
}

/* The thread that runs libmilter; a 0 byte on the pipe says it returned. */
static void *milter_thread(void *arg)
{
	unsigned char c = 0;
	int *result = arg;

	*result = smfi_main();
	(void)!write(sig_pipe[1], &c, 1);
	return NULL;
}

/*
 * Act on the signals that the thread of signals.c hands over through the
 * pipe (libmilter never sees them), and on libmilter's return (a 0 byte).
 */
static int signal_loop(pthread_t tid, int *mresult)
{
	struct pollfd pfd;
	unsigned char c;
	int stopping = 0, waited = 0, idle = 0, r;
	long busy;
	ssize_t n;
	struct runcfg *rc;

	for (;;) {
		pfd.fd = sig_pipe[0];
		pfd.events = POLLIN;
		r = poll(&pfd, 1, stopping ? STOP_POLL_MS : -1);
		if (r < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		if (r == 0 || (r < 0 && stopping)) {
			/*
			 * Exit once no message is half-way through. Idle twice in a
			 * row: the reply to a message's end goes out just after its
			 * callback has returned.
			 */
			if (callbacks_busy() == 0) {
				if (idle++ > 0)
					return 0;
				continue;
			}
			idle = 0;
			if ((waited += STOP_POLL_MS) >= STOP_TIMEOUT_MS) {
				log_msg(LOG_WARNING, "%ld message(s) still in progress after %d s; exiting",
				    callbacks_busy(), STOP_TIMEOUT_MS / 1000);
				return 0;
			}
			continue;
		}
		n = read(sig_pipe[0], &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return EXIT_RUNTIME;
		switch (c) {
		case 0:
			pthread_join(tid, NULL);
			/* Stopping: the messages in flight still finish (poll timeout above). */
			if (stopping)
				break;
			log_msg(LOG_ERR, "libmilter stopped unexpectedly (status %d)", *mresult);
			return EXIT_RUNTIME;
		case SIGHUP:
		case SIGUSR1:
			if (!stopping) {
				rc = reload_acquire();
				conf_reload(rc ? rc->cfg : NULL);
				reload_release(rc);
			}
			break;
		case SIGTERM:
		case SIGINT:
			if (!stopping) {
				stopping = 1;
				callbacks_stopping();
				if ((busy = callbacks_busy()) > 0)
					log_msg(LOG_INFO, "stopping on signal %d, %ld message(s) in progress",
					    c, busy);
				else
					log_msg(LOG_INFO, "stopping on signal %d", c);
				/* No new connections: the MTA's next one goes elsewhere or waits. */
				listen_remove();
				/*
				 * No smfi_stop(): with Debian's libmilter (worker pool) it
				 * closes every connection waiting for its next command, a
				 * message in flight among them. The process exits instead,
				 * once the messages in flight are done.
				 */
			}
			break;
		default:
			break;
		}
	}
}

/* Start the daemon and run until stopped. */
static int run_daemon(struct runcfg *rc, int foreground, int log_stderr)
{
	const struct config *cfg = rc->cfg;
	char sock[512];
	struct privs pv;
	struct sigaction sa;
	pthread_t tid;
	char err[1024];
	int ready = -1, have_user = 0, mresult = 0, status, root = geteuid() == 0;

	memset(&pv, 0, sizeof(pv));
	/*
	 * Block the signals from the start and in every thread for good (see
	 * signals.c): a reload or stop sent as soon as the socket appears stays
	 * pending until the signal thread takes it.
	 */
	signals_block();
	snprintf(sock, sizeof(sock), "%s", cfg->socket ? cfg->socket : "?");
	if (!log_stderr && cfg->syslog)
		log_to_syslog(cfg->syslog_name ? cfg->syslog_name : "postdkim",
		    cfg->syslog_facility);
	if (cfg->user != NULL) {
		if (privs_lookup(&pv, cfg->user, cfg->group, err, sizeof(err)) != 0) {
			log_msg(LOG_ERR, "%s: %s", conf_path, err);
			return EXIT_CONFIG;
		}
		have_user = 1;
	} else if (root) {
		log_msg(LOG_WARNING, "running as root: set UserID to a user of its own");
	}
	if (callbacks_register("postdkim") != 0) {
		log_msg(LOG_ERR, "smfi_register failed");
		return EXIT_RUNTIME;
	}
	if (cfg->socket == NULL) {
		log_msg(LOG_ERR, "%s: no Socket configured", conf_path);
		return EXIT_CONFIG;
	}
	/* Before the socket: a second postdkim must not touch the first one's. */
	if (cfg->pidfile != NULL && pidfile_open(cfg->pidfile, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		return EXIT_RUNTIME;
	}
	if (listen_open(cfg->socket, cfg->umask, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		pidfile_remove();
		return EXIT_RUNTIME;
	}
	/* The MTA connects as a member of the run-time group. */
	if (have_user && root &&
	    listen_chown(cfg->socket, pv.uid, pv.gid, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		listen_remove();
		pidfile_remove();
		return EXIT_RUNTIME;
	}
	if (!foreground && daemonize(&ready) != 0) {
		listen_remove();
		pidfile_remove();
		return EXIT_RUNTIME;
	}
	if (pidfile_write(err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		goto fail;
	}
	if (have_user && privs_drop(&pv, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		goto fail;
	}
	privs_free(&pv);
	loaded_init(cfg->pidfile);
	reload_install(rc);
	loaded_record();
	rc = NULL;
	cfg = NULL;

	/* Signals: see signal_loop(). */
	if (pipe(sig_pipe) != 0) {
		log_msg(LOG_ERR, "pipe: %s", strerror(errno));
		goto fail;
	}
	fcntl(sig_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(sig_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(sig_pipe[1], F_SETFD, FD_CLOEXEC);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (signals_start(sig_pipe[1], err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		goto fail;
	}
	/* Threads inherit the mask: libmilter's threads start with these blocked. */
	if ((errno = pthread_create(&tid, NULL, milter_thread, &mresult)) != 0) {
		log_msg(LOG_ERR, "pthread_create: %s", strerror(errno));
		goto fail;
	}
	if (signals_libmilter_parked(2000) != 0)
		log_msg(LOG_WARNING, "libmilter's signal thread was not seen: SIGHUP may stop "
		    "the filter instead of reloading it");
	log_msg(LOG_INFO, "postdkim %s started on %s", PACKAGE_VERSION, sock);
	report_ready(&ready, 0);

	status = signal_loop(tid, &mresult);
	listen_remove();
	pidfile_remove();
	log_msg(LOG_INFO, "stopped");
	return status;
fail:
	report_ready(&ready, EXIT_RUNTIME);
	listen_remove();
	pidfile_remove();
	privs_free(&pv);
	return EXIT_RUNTIME;
}

/*
 * -n: what the daemon needs beyond the file itself: the resolver, the UserID user, and
 * the directory of a UNIX socket (a warning: it may be made at start).
 */
static int check_daemon(const struct config *cfg)
{
	struct privs pv;
	struct stat st;
	char err[1024], dir[PATH_MAX];
	const char *path, *slash;
	struct resolver *res;

	if (cfg->verify->verify) {
		if (verifier_resolver(cfg->verify, &res, err, sizeof(err)) != 0) {
			fprintf(stderr, "postdkim: %s\n", err);
			return EXIT_CONFIG;
		}
		resolver_free(res);
	}
	if (cfg->user != NULL) {
		if (privs_lookup(&pv, cfg->user, cfg->group, err, sizeof(err)) != 0) {
			fprintf(stderr, "postdkim: %s: %s\n", conf_path, err);
			return EXIT_CONFIG;
		}
		privs_free(&pv);
	}
	if (cfg->socket != NULL && (path = listen_unix_path(cfg->socket)) != NULL &&
	    (slash = strrchr(path, '/')) != NULL) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (dir[0] != '\0' && stat(dir, &st) != 0)
			fprintf(stderr, "postdkim: warning: Socket directory %s: %s: create it "
			    "(writable by the UserID user) before starting\n", dir, strerror(errno));
	}
	return 0;
}

/* Parse a -F time. */
static int parse_time(const char *s, time_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return -1;
	*out = (time_t)v;
	return 0;
}

/* libunbound's own messages, into our log (already escaped by the resolver). */
static void
unbound_log(const char *line)
{
	log_msg(LOG_WARNING, "libunbound: %s", line);
}

int main(int argc, char **argv)
{
	const char *conf = CONFIG_DEFAULT_PATH, *tfile = NULL;
	struct offline_opts oo;
	struct config *cfg;
	struct runcfg *rc;
	char err[1024];
	int c, check = 0, foreground = 0, status;
	time_t fixed = 0;

	memset(&oo, 0, sizeof(oo));
	log_to_stderr("postdkim");
	resolver_log_to(unbound_log);
	while ((c = getopt(argc, argv, "a:c:d:fF:hnt:u:V")) != -1) {
		switch (c) {
		case 'a': oo.client_addr = optarg; break;
		case 'c': conf = optarg; break;
		case 'd': oo.daemon_name = optarg; break;
		case 'f': foreground = 1; break;
		case 'F':
			if (parse_time(optarg, &fixed) != 0) {
				fprintf(stderr, "postdkim: -F %s: expected seconds since 1970\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'n': check = 1; break;
		case 't': tfile = optarg; break;
		case 'u': oo.auth_user = optarg; break;
		case 'V': version(); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "postdkim: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((oo.client_addr || oo.auth_user || oo.daemon_name) && tfile == NULL) {
		fprintf(stderr, "postdkim: -a, -u and -d go with -t\n");
		return EXIT_USAGE;
	}
	/* Reloads happen after chdir("/"): remember where the file is. */
	if (realpath(conf, conf_path) == NULL) {
		fprintf(stderr, "postdkim: cannot read configuration file %s: %s (use -c FILE)\n",
		    conf, strerror(errno));
		return EXIT_CONFIG;
	}
	if ((cfg = conf_load(check, err, sizeof(err))) == NULL) {
		fprintf(stderr, "postdkim: %s\n", err);
		return EXIT_CONFIG;
	}
	if (check) {
		status = check_daemon(cfg);
		if (status == 0 && cfg->rules == NULL)
			printf("postdkim: %s: configuration OK, verifying only\n", conf_path);
		else if (status == 0)
			printf("postdkim: %s: configuration OK, %s checked, every key loaded\n",
			    conf_path, rules_from_tables(cfg->rules) ? "every KeyTable and "
			    "SigningTable entry" : "the KeyFile and every Domain");
		config_free(cfg);
		return status;
	}
	/* As root, before any privilege is dropped: see reload_prepare. */
	if ((rc = reload_prepare(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "postdkim: %s\n", err);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	if (tfile != NULL) {
		oo.when = fixed;
		reload_install(rc);
		rc = reload_acquire();
		status = offline_sign(rc, tfile, &oo, stdout);
		reload_release(rc);
		reload_shutdown();
		return status;
	}
	callbacks_set_time(fixed);
	status = run_daemon(rc, foreground || !cfg->background, foreground);
	/*
	 * libmilter's threads may still be in their last poll(): leave without
	 * running exit handlers (OpenSSL's among them) under their feet.
	 */
	fflush(NULL);
	_exit(status);
}
