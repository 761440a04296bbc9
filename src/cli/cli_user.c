/*
** diboli user add|passwd|disable|enable|list: the node's user accounts.
** Passwords come from the terminal (not echoed, asked twice) or from the
** first line of a file; every change leaves an audit row.
*/
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "node/node.h"
#include "util/util.h"

static const char usage[] =
    "usage: diboli user <verb> --dir DIR [options]\n"
    "\n"
    "  add --login LOGIN --role ROLE [--name TEXT] [--password-file F]\n"
    "  passwd --login LOGIN [--password-file F]\n"
    "                   a new password; ends the user's sessions\n"
    "  disable --login LOGIN\n"
    "                   ends its sessions; its tokens stop working\n"
    "  enable --login LOGIN\n"
    "  list [--json]\n"
    "\n"
    "ROLE: viewer, reporter, analyst, commander or admin (each can do what\n"
    "the one before can; see docs/permissions.md). LOGIN: 2 to 64 of\n"
    "a-z 0-9 . _ -. A password has at least 12 characters and is not the\n"
    "login. Without --password-file it is read from the terminal, twice;\n"
    "--password-file F reads the first line of F (\"-\": standard input).\n";

#define PW_BUF (AUTH_PASSWORD_MAX + 2)

/* ---- reading a password ---- */

/*
** The first line of fd into buf (n bytes), without its line end. Reads
** byte by byte so that nothing past the line is taken from a pipe.
*/
static int
read_line(int fd, char *buf, size_t n, struct dib_diag *d)
{
	size_t len = 0;
	ssize_t got;
	char c = 0;
	int rc = DIB_OK;

	for (;;) {
		if ((got = read(fd, &c, 1)) < 0) {
			if (errno == EINTR)
				continue;
			rc = dib_fail(d, DIB_EIO, "password", "cannot read: %s",
			    strerror(errno));
			break;
		}
		if (got == 0 || c == '\n')
			break;
		if (len + 1 >= n) {
			rc = dib_fail(d, DIB_EINVAL, "password", "must be at "
			    "most %d bytes", AUTH_PASSWORD_MAX);
			break;
		}
		buf[len++] = c;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	sodium_memzero(&c, sizeof c);
	if (rc != 0)
		sodium_memzero(buf, n);
	return rc;
}

static int
read_password_file(const char *path, char *buf, size_t n,
    struct dib_diag *d)
{
	int fd = 0, rc;

	if (strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return dib_fail(d, errno == ENOENT ? DIB_ENOTFOUND : DIB_EIO,
		    "password-file", "cannot open %s: %s", path,
		    strerror(errno));
	rc = read_line(fd, buf, n, d);
	if (fd != 0)
		close(fd);
	if (rc == 0 && buf[0] == '\0')
		rc = dib_fail(d, DIB_EINVAL, "password-file", "the first line "
		    "of %s is empty", strcmp(path, "-") ? path : "the input");
	return rc;
}

/* The terminal's settings while echo is off, for a signal to restore. */
static struct termios saved_tio;
static volatile sig_atomic_t tty_fd = -1;

static void
restore_tty(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSADRAIN, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
read_tty(int fd, const char *prompt, char *buf, size_t n,
    struct dib_diag *d)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa, old[4];
	struct termios t;
	size_t i;
	int rc;

	if (tcgetattr(fd, &saved_tio) != 0)
		return dib_fail(d, DIB_EIO, "password", "cannot set the "
		    "terminal: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = restore_tty;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	tty_fd = fd;
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)ECHO;
	t.c_lflag |= ECHONL;
	/* Echo off before the prompt: what is typed after it is kept. */
	if (tcsetattr(fd, TCSAFLUSH, &t) != 0 ||
	    write(fd, prompt, strlen(prompt)) < 0)
		rc = dib_fail(d, DIB_EIO, "password", "cannot set the "
		    "terminal: %s", strerror(errno));
	else
		rc = read_line(fd, buf, n, d);
	tcsetattr(fd, TCSADRAIN, &saved_tio);
	tty_fd = -1;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}

/*
** A new password for login into pw (PW_BUF bytes): from the file, or
** from the terminal twice (the rules are checked after the first).
*/
static int
get_password(const char *file, const char *login, char *pw,
    struct dib_diag *d)
{
	char again[PW_BUF], prompt[120];
	int fd, rc;

	if (file != NULL)
		return read_password_file(file, pw, PW_BUF, d);
	if (!isatty(STDIN_FILENO))
		return dib_fail(d, DIB_EUSAGE, "password", "standard input is "
		    "not a terminal: give --password-file FILE (or - to read "
		    "the first line of standard input)");
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return dib_fail(d, DIB_EIO, "password", "cannot open the "
		    "terminal: %s", strerror(errno));
	snprintf(prompt, sizeof prompt, "New password for %s: ", login);
	if ((rc = read_tty(fd, prompt, pw, PW_BUF, d)) != 0 ||
	    (rc = auth_password_check(login, pw, d)) != 0)
		goto out;
	if ((rc = read_tty(fd, "Repeat it: ", again, sizeof again, d)) != 0)
		goto out;
	if (strcmp(pw, again) != 0)
		rc = dib_fail(d, DIB_EINVAL, "password", "the two passwords "
		    "differ; nothing was changed");
out:
	close(fd);
	sodium_memzero(again, sizeof again);
	if (rc != 0)
		sodium_memzero(pw, PW_BUF);
	return rc;
}

/* ---- the writes ---- */

struct job {
	const char *login, *name, *password;
	int role, disabled;
};

static int
do_add(struct store *s, void *arg, struct dib_diag *d)
{
	struct job *j = arg;

	return auth_user_add(s, j->login, j->role, j->name, j->password,
	    util_now_ms(), d);
}

static int
do_passwd(struct store *s, void *arg, struct dib_diag *d)
{
	struct job *j = arg;

	return auth_user_passwd(s, j->login, j->password, util_now_ms(), d);
}

static int
do_disable(struct store *s, void *arg, struct dib_diag *d)
{
	struct job *j = arg;

	return auth_user_set_disabled(s, j->login, j->disabled,
	    util_now_ms(), d);
}

/* ---- the verbs ---- */

struct args {
	const char *verb, *dir, *login, *role, *name, *pwfile;
	int json;
};

static int
cmd_add(struct node *n, const struct args *a)
{
	struct store *s = n->store;
	struct dib_diag d = {0};
	struct auth_user u;
	char pw[PW_BUF], target[100], detail[1100];
	struct job j = {a->login, a->name ? a->name : "", pw, 0, 0};
	int rc;

	pw[0] = '\0';
	snprintf(target, sizeof target, "user:%s", a->login);
	if ((j.role = auth_role_parse(a->role)) < 0) {
		dib_fail(&d, DIB_EINVAL, "role", "must be viewer, reporter, "
		    "analyst, commander or admin, got \"%.40s\"", a->role);
		goto fail;
	}
	snprintf(detail, sizeof detail, "role=%s name=\"%s\"",
	    auth_role_name(j.role), j.name);
	/* Say so before asking for a password. */
	if (auth_user_get(s, a->login, &u, NULL) == 0) {
		dib_fail(&d, DIB_EEXIST, "login", "user \"%s\" already exists",
		    a->login);
		goto fail;
	}
	if (get_password(a->pwfile, a->login, pw, &d) != 0)
		goto fail;
	rc = cli_audited(s, do_add, &j, "user.add", target, detail, &d);
	sodium_memzero(pw, sizeof pw);
	if (rc != 0)
		return cli_diag(&d);
	printf("user %s added (%s)\n", a->login, auth_role_name(j.role));
	return CLI_OK;
fail:
	sodium_memzero(pw, sizeof pw);
	if (d.code != DIB_EUSAGE)
		cli_audit_failed(s, "user.add", target, &d);
	return cli_diag(&d);
}

static int
cmd_passwd(struct node *n, const struct args *a)
{
	struct store *s = n->store;
	struct dib_diag d = {0};
	struct auth_user u;
	char pw[PW_BUF], target[100];
	struct job j = {a->login, NULL, pw, 0, 0};
	int rc;

	pw[0] = '\0';
	snprintf(target, sizeof target, "user:%s", a->login);
	if ((rc = auth_user_get(s, a->login, &u, &d)) == 0 &&
	    (rc = get_password(a->pwfile, a->login, pw, &d)) == 0)
		rc = cli_audited(s, do_passwd, &j, "user.passwd", target, "",
		    &d);
	else if (d.code != DIB_EUSAGE)
		cli_audit_failed(s, "user.passwd", target, &d);
	sodium_memzero(pw, sizeof pw);
	if (rc != 0)
		return cli_diag(&d);
	printf("password of %s changed; its sessions were ended\n", a->login);
	return CLI_OK;
}

static int
cmd_disable(struct node *n, const struct args *a, int disabled)
{
	struct dib_diag d = {0};
	struct job j = {a->login, NULL, NULL, 0, disabled};
	char target[100];

	snprintf(target, sizeof target, "user:%s", a->login);
	if (cli_audited(n->store, do_disable, &j, disabled ? "user.disable" :
	    "user.enable", target, "", &d) != 0)
		return cli_diag(&d);
	if (disabled)
		printf("user %s disabled: its sessions were ended and its "
		    "tokens stop working\n", a->login);
	else
		printf("user %s enabled\n", a->login);
	return CLI_OK;
}

static int
cmd_list(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct auth_user *v = NULL;
	char created[40], updated[40];
	json_t *arr;
	size_t i, count;

	if (auth_user_list(n->store, &v, &count, &d) != 0)
		return cli_diag(&d);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < count; i++) {
			util_time_format(v[i].created_at, created,
			    sizeof created);
			util_time_format(v[i].updated_at, updated,
			    sizeof updated);
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:b, s:s, s:s}", "login", v[i].login, "name",
			    v[i].name, "role", auth_role_name(v[i].role),
			    "disabled", v[i].disabled, "created_at", created,
			    "updated_at", updated));
		}
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	} else {
		cli_label("LOGIN", 18);
		cli_label("NAME", 32);
		cli_label("ROLE", 11);
		cli_label("STATE", 10);
		printf("CREATED\n");
		for (i = 0; i < count; i++) {
			cli_label(v[i].login, 18);
			cli_label(v[i].name, 32);
			cli_label(auth_role_name(v[i].role), 11);
			cli_label(v[i].disabled ? "disabled" : "active", 10);
			printf("%s\n", util_time_format(v[i].created_at,
			    created, sizeof created));
		}
	}
	free(v);
	return CLI_OK;
}

/* Which options each verb takes. */
enum { F_LOGIN = 1, F_ROLE = 2, F_NAME = 4, F_PWFILE = 8, F_JSON = 16 };

static const struct {
	const char *verb;
	int flags, need;
} verbs[] = {
	{"add", F_LOGIN | F_ROLE | F_NAME | F_PWFILE, F_LOGIN | F_ROLE},
	{"passwd", F_LOGIN | F_PWFILE, F_LOGIN},
	{"disable", F_LOGIN, F_LOGIN},
	{"enable", F_LOGIN, F_LOGIN},
	{"list", F_JSON, 0},
};

static int
parse_args(int argc, char **argv, int allowed, struct args *a)
{
	enum { O_DIR = 256, O_LOGIN, O_ROLE, O_NAME, O_PWFILE, O_JSON };
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"login", required_argument, NULL, O_LOGIN},
		{"role", required_argument, NULL, O_ROLE},
		{"name", required_argument, NULL, O_NAME},
		{"password-file", required_argument, NULL, O_PWFILE},
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int c, flag;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		flag = c == O_LOGIN ? F_LOGIN : c == O_ROLE ? F_ROLE :
		    c == O_NAME ? F_NAME : c == O_PWFILE ? F_PWFILE :
		    c == O_JSON ? F_JSON : 0;
		if (flag != 0 && !(allowed & flag))
			return cli_usage_error("\"user %s\" does not take %s "
			    "(see diboli user --help)", a->verb,
			    argv[optind - 1]);
		switch (c) {
		case O_DIR: a->dir = optarg; break;
		case O_LOGIN: a->login = optarg; break;
		case O_ROLE: a->role = optarg; break;
		case O_NAME: a->name = optarg; break;
		case O_PWFILE: a->pwfile = optarg; break;
		case O_JSON: a->json = 1; break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_bad_option(argv, "user");
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (a->dir == NULL)
		return cli_usage_error("--dir is required");
	return CLI_OK;
}

int
cli_user(int argc, char **argv)
{
	struct dib_diag d = {0};
	struct node *n = NULL;
	struct args a;
	size_t i, nv = sizeof verbs / sizeof verbs[0];
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	for (i = 0; i < nv && strcmp(argv[1], verbs[i].verb) != 0; i++)
		;
	if (i == nv)
		return cli_usage_error("unknown verb \"user %s\" (add, passwd, "
		    "disable, enable, list)", argv[1]);
	memset(&a, 0, sizeof a);
	a.verb = verbs[i].verb;
	if ((rc = parse_args(argc - 1, argv + 1, verbs[i].flags, &a)) != 0)
		return rc < 0 ? CLI_OK : rc;
	if ((verbs[i].need & F_LOGIN) && a.login == NULL)
		return cli_usage_error("--login is required");
	if ((verbs[i].need & F_ROLE) && a.role == NULL)
		return cli_usage_error("--role is required (viewer, reporter, "
		    "analyst, commander, admin)");
	/* A malformed login is refused before anything is opened. */
	if (a.login != NULL && strcmp(a.verb, "add") == 0 &&
	    auth_login_check(a.login, &d) != 0)
		return cli_diag(&d);
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	if (strcmp(a.verb, "add") == 0)
		rc = cmd_add(n, &a);
	else if (strcmp(a.verb, "passwd") == 0)
		rc = cmd_passwd(n, &a);
	else if (strcmp(a.verb, "disable") == 0)
		rc = cmd_disable(n, &a, 1);
	else if (strcmp(a.verb, "enable") == 0)
		rc = cmd_disable(n, &a, 0);
	else
		rc = cmd_list(n, &a);
	node_close(n);
	return rc;
}
