/*
** diboli token create|list|revoke: bearer tokens for scripts and other
** programs. A token is shown once, at creation; the node keeps its hash.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "node/node.h"
#include "util/util.h"

static const char usage[] =
    "usage: diboli token <verb> --dir DIR [options]\n"
    "\n"
    "  create --login LOGIN [--expires DAYS] [--label TEXT]\n"
    "                   print a new token for LOGIN on standard output,\n"
    "                   once (its id goes to standard error); DAYS: 1 to\n"
    "                   3650, or 0 (the default) for no expiry\n"
    "  list [--json]    every token: id, user, label, dates, state\n"
    "  revoke ID        the token stops working at once\n"
    "\n"
    "A token acts with the role of its user (\"Authorization: Bearer\n"
    "TOKEN\"), and stops working while that user is disabled.\n";

struct args {
	const char *verb, *dir, *login, *label, *expires, *id;
	int json;
};

/* ---- create ---- */

struct create_job {
	const char *login, *label;
	int days;
	char token[AUTH_TOKEN_LEN + 1];
	int64_t id;
	char until[40];                 /* RFC 3339, or "never" */
	char *target, *detail;          /* the audit row's, filled in */
	size_t target_len, detail_len;
};

static int
do_create(struct store *s, void *arg, struct dib_diag *d)
{
	struct create_job *j = arg;
	int64_t now = util_now_ms();
	int rc;

	if ((rc = auth_token_create(s, j->login, j->days, j->label, now,
	    j->token, &j->id, d)) != 0)
		return rc;
	if (j->days > 0)
		util_time_format(now + j->days * 86400000LL, j->until,
		    sizeof j->until);
	else
		snprintf(j->until, sizeof j->until, "never");
	snprintf(j->target, j->target_len, "token:%lld", (long long)j->id);
	snprintf(j->detail, j->detail_len, "user=%s label=\"%s\" expires=%s",
	    j->login, j->label, j->until);
	return DIB_OK;
}

static int
cmd_create(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	char target[100], detail[600];
	struct create_job j;
	char *end;
	long days = 0;
	int rc;

	memset(&j, 0, sizeof j);
	j.login = a->login;
	j.label = a->label ? a->label : "";
	j.target = target;
	j.target_len = sizeof target;
	j.detail = detail;
	j.detail_len = sizeof detail;
	snprintf(target, sizeof target, "user:%s", a->login);
	snprintf(detail, sizeof detail, "label=\"%s\"", j.label);
	if (a->expires != NULL) {
		days = strtol(a->expires, &end, 10);
		if (*a->expires == '\0' || *end != '\0' || days < 0 ||
		    days > AUTH_TOKEN_MAX_DAYS) {
			dib_fail(&d, DIB_EINVAL, "expires", "must be a number of "
			    "days from 0 (never) to %d, got \"%.20s\"",
			    AUTH_TOKEN_MAX_DAYS, a->expires);
			cli_audit_failed(n->store, "token.create", target, &d);
			return cli_diag(&d);
		}
	}
	j.days = (int)days;
	rc = cli_audited(n->store, do_create, &j, "token.create", target,
	    detail, &d);
	if (rc != 0) {
		sodium_memzero(j.token, sizeof j.token);
		return cli_diag(&d);
	}
	printf("%s\n", j.token);
	fflush(stdout);
	sodium_memzero(j.token, sizeof j.token);
	fprintf(stderr, "token %lld created for %s (expires: %s); it is "
	    "shown only once\n", (long long)j.id, a->login, j.until);
	return CLI_OK;
}

/* ---- revoke ---- */

struct revoke_job {
	int64_t id;
};

static int
do_revoke(struct store *s, void *arg, struct dib_diag *d)
{
	struct revoke_job *j = arg;

	return auth_token_revoke(s, j->id, util_now_ms(), d);
}

static int
cmd_revoke(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct revoke_job j;
	char target[100], *end;
	long long id;

	id = strtoll(a->id, &end, 10);
	if (*a->id == '\0' || *end != '\0' || id < 1)
		return cli_usage_error("ID must be a token number (see diboli "
		    "token list), got \"%.40s\"", a->id);
	j.id = id;
	snprintf(target, sizeof target, "token:%lld", id);
	if (cli_audited(n->store, do_revoke, &j, "token.revoke", target, "",
	    &d) != 0)
		return cli_diag(&d);
	printf("token %lld revoked\n", id);
	return CLI_OK;
}

/* ---- list ---- */

static const char *
state(const struct auth_token_info *t, int64_t now)
{
	if (t->revoked_at != 0)
		return "revoked";
	if (t->expires_at != 0 && now >= t->expires_at)
		return "expired";
	return "active";
}

/* RFC 3339 of ms, or JSON null for 0. */
static json_t *
jtime(int64_t ms)
{
	char ts[40];

	if (ms == 0)
		return json_null();
	return json_string(util_time_format(ms, ts, sizeof ts));
}

static const char *
ttime(int64_t ms, char *out, size_t n, const char *none)
{
	if (ms == 0) {
		snprintf(out, n, "%s", none);
		return out;
	}
	return util_time_format(ms, out, n);
}

static int
cmd_list(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct auth_token_info *v = NULL;
	int64_t now = util_now_ms();
	char ts[40], num[24];
	json_t *arr;
	size_t i, count;

	if (auth_token_list(n->store, &v, &count, &d) != 0)
		return cli_diag(&d);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < count; i++)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, "
			    "s:o, s:o, s:o, s:o, s:s}", "id",
			    (json_int_t)v[i].id, "login", v[i].login, "label",
			    v[i].label, "created_at", jtime(v[i].created_at),
			    "expires_at", jtime(v[i].expires_at), "revoked_at",
			    jtime(v[i].revoked_at), "last_used_at",
			    jtime(v[i].last_used_at), "state",
			    state(&v[i], now)));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	} else {
		cli_label("ID", 6);
		cli_label("LOGIN", 18);
		cli_label("STATE", 9);
		cli_label("CREATED", 26);
		cli_label("EXPIRES", 26);
		cli_label("LAST USED", 26);
		printf("LABEL\n");
		for (i = 0; i < count; i++) {
			snprintf(num, sizeof num, "%lld", (long long)v[i].id);
			cli_label(num, 6);
			cli_label(v[i].login, 18);
			cli_label(state(&v[i], now), 9);
			cli_label(ttime(v[i].created_at, ts, sizeof ts, "-"),
			    26);
			cli_label(ttime(v[i].expires_at, ts, sizeof ts,
			    "never"), 26);
			cli_label(ttime(v[i].last_used_at, ts, sizeof ts,
			    "never"), 26);
			printf("%s\n", v[i].label);
		}
	}
	free(v);
	return CLI_OK;
}

/* ---- diboli token ---- */

static int
parse_args(int argc, char **argv, struct args *a)
{
	enum { O_DIR = 256, O_LOGIN, O_LABEL, O_EXPIRES, O_JSON };
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"login", required_argument, NULL, O_LOGIN},
		{"label", required_argument, NULL, O_LABEL},
		{"expires", required_argument, NULL, O_EXPIRES},
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int create = strcmp(a->verb, "create") == 0;
	int list = strcmp(a->verb, "list") == 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (((c == O_LOGIN || c == O_LABEL || c == O_EXPIRES) &&
		    !create) || (c == O_JSON && !list))
			return cli_usage_error("\"token %s\" does not take %s "
			    "(see diboli token --help)", a->verb,
			    argv[optind - 1]);
		switch (c) {
		case O_DIR: a->dir = optarg; break;
		case O_LOGIN: a->login = optarg; break;
		case O_LABEL: a->label = optarg; break;
		case O_EXPIRES: a->expires = optarg; break;
		case O_JSON: a->json = 1; break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_bad_option(argv, "token");
		}
	}
	if (strcmp(a->verb, "revoke") == 0 && optind < argc)
		a->id = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (a->dir == NULL)
		return cli_usage_error("--dir is required");
	if (create && a->login == NULL)
		return cli_usage_error("--login is required");
	if (strcmp(a->verb, "revoke") == 0 && a->id == NULL)
		return cli_usage_error("the token ID to revoke is required "
		    "(see diboli token list)");
	return CLI_OK;
}

int
cli_token(int argc, char **argv)
{
	struct dib_diag d = {0};
	struct node *n = NULL;
	struct args a;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	memset(&a, 0, sizeof a);
	a.verb = argv[1];
	if (strcmp(a.verb, "create") != 0 && strcmp(a.verb, "list") != 0 &&
	    strcmp(a.verb, "revoke") != 0)
		return cli_usage_error("unknown verb \"token %s\" (create, "
		    "list, revoke)", a.verb);
	if ((rc = parse_args(argc - 1, argv + 1, &a)) != 0)
		return rc < 0 ? CLI_OK : rc;
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	if (strcmp(a.verb, "create") == 0)
		rc = cmd_create(n, &a);
	else if (strcmp(a.verb, "revoke") == 0)
		rc = cmd_revoke(n, &a);
	else
		rc = cmd_list(n, &a);
	node_close(n);
	return rc;
}
