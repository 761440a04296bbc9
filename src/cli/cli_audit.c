/*
** diboli audit verify|list: check and read the audit trail; and the audit
** row that every write from the command line leaves (cli_audited).
*/
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "node/node.h"
#include "util/util.h"

static const char usage[] =
    "usage: diboli audit <verb> --dir DIR [options]\n"
    "\n"
    "  verify                    recompute the hash chain of the audit\n"
    "                            trail; exit 1 naming the first bad row\n"
    "  list [--limit N] [--actor A] [--action X] [--after SEQ] [--json]\n"
    "                            the newest events first (100 without\n"
    "                            --limit); --after SEQ: the events after\n"
    "                            SEQ, oldest first\n"
    "\n"
    "Every change made with diboli user and diboli token is recorded, as\n"
    "actor cli:<unix user>; the server records its own.\n";

/* ---- the audit row of a command-line write ---- */

static void
actor(char *out, size_t n)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(out, n, "cli:%s", pw->pw_name);
	else
		snprintf(out, n, "cli:uid%lu", (unsigned long)getuid());
}

static int
append(struct store *s, const char *action, const char *target,
    const char *result, const char *detail, struct dib_diag *d)
{
	char who[AUDIT_FIELD_MAX + 1], t[AUDIT_FIELD_MAX + 1];
	char det[AUDIT_DETAIL_MAX + 1], name[AUDIT_FIELD_MAX + 1];

	actor(name, sizeof name);
	return audit_append(s, util_now_ms(), audit_clip(who, sizeof who,
	    name), "", action, audit_clip(t, sizeof t, target), result,
	    audit_clip(det, sizeof det, detail), d);
}

void
cli_audit_failed(struct store *s, const char *action, const char *target,
    const struct dib_diag *why)
{
	char msg[600];

	append(s, action, target, "failed", dib_diag_str(why, msg, sizeof msg),
	    NULL);
}

int
cli_audited(struct store *s, int (*fn)(struct store *, void *,
    struct dib_diag *), void *arg, const char *action, const char *target,
    const char *detail, struct dib_diag *d)
{
	int rc;

	if ((rc = store_begin(s, d)) == 0) {
		if ((rc = fn(s, arg, d)) == 0 &&
		    (rc = append(s, action, target, "ok", detail, d)) == 0)
			rc = store_commit(s, d);
		if (rc != 0)
			store_rollback(s);
	}
	if (rc != 0)
		cli_audit_failed(s, action, target, d);
	return rc;
}

/* ---- diboli audit ---- */

static int
cmd_verify(struct node *n)
{
	struct audit_report rep;
	struct dib_diag d = {0};
	char head[65];

	if (audit_verify(n->store, &rep, &d) != 0) {
		cli_diag(&d);
		fprintf(stderr, "diboli: audit verification FAILED (%lld rows "
		    "good before it)\n", (long long)rep.rows);
		return CLI_FAIL;
	}
	printf("ok: %lld audit rows, chain intact; head %s\n",
	    (long long)rep.rows, util_hex(rep.head, 32, head));
	return CLI_OK;
}

static void
print_row(json_t *row)
{
	char seq[24];

	snprintf(seq, sizeof seq, "%lld",
	    (long long)json_integer_value(json_object_get(row, "seq")));
	cli_label(seq, 7);
	cli_label(json_string_value(json_object_get(row, "at")), 26);
	cli_label(json_string_value(json_object_get(row, "actor")), 16);
	cli_label(json_string_value(json_object_get(row, "action")), 16);
	cli_label(json_string_value(json_object_get(row, "target")), 20);
	cli_label(json_string_value(json_object_get(row, "result")), 8);
	printf("%s\n", json_string_value(json_object_get(row, "detail")));
}

static int
cmd_list(struct node *n, const struct audit_query *q, int json)
{
	struct dib_diag d = {0};
	json_t *rows = NULL, *row;
	size_t i;

	if (audit_list(n->store, q, &rows, &d) != 0)
		return cli_diag(&d);
	if (json) {
		json_dumpf(rows, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		cli_label("SEQ", 7);
		cli_label("AT", 26);
		cli_label("ACTOR", 16);
		cli_label("ACTION", 16);
		cli_label("TARGET", 20);
		cli_label("RESULT", 8);
		printf("DETAIL\n");
		json_array_foreach(rows, i, row)
			print_row(row);
	}
	json_decref(rows);
	return CLI_OK;
}

static int
parse_count(const char *s, const char *flag, long long max, long long *out)
{
	char *end;
	long long v;

	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > max)
		return cli_usage_error("%s must be a whole number from 1 to "
		    "%lld, got \"%s\"", flag, max, s);
	*out = v;
	return CLI_OK;
}

int
cli_audit(int argc, char **argv)
{
	enum { O_DIR = 256, O_LIMIT, O_ACTOR, O_ACTION, O_AFTER, O_JSON };
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"limit", required_argument, NULL, O_LIMIT},
		{"actor", required_argument, NULL, O_ACTOR},
		{"action", required_argument, NULL, O_ACTION},
		{"after", required_argument, NULL, O_AFTER},
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct audit_query q;
	struct dib_diag d = {0};
	struct node *n = NULL;
	const char *dir = NULL, *verb;
	long long v;
	int c, rc, json = 0, verify;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	if (strcmp(verb, "verify") != 0 && strcmp(verb, "list") != 0)
		return cli_usage_error("unknown verb \"audit %s\" (verify, "
		    "list)", verb);
	verify = strcmp(verb, "verify") == 0;
	memset(&q, 0, sizeof q);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		if (verify && c != O_DIR && c != 'h')
			c = '?';
		switch (c) {
		case O_DIR: dir = optarg; break;
		case O_JSON: json = 1; break;
		case O_ACTOR: q.actor = optarg; break;
		case O_ACTION: q.action = optarg; break;
		case O_LIMIT:
			if ((rc = parse_count(optarg, "--limit", AUDIT_LIST_MAX,
			    &v)) != CLI_OK)
				return rc;
			q.limit = (size_t)v;
			break;
		case O_AFTER:
			if ((rc = parse_count(optarg, "--after", INT64_MAX, &v))
			    != CLI_OK)
				return rc;
			q.after_seq = v;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_OK;
		default:
			return cli_bad_option(argv + 1, "audit");
		}
	}
	if (optind < argc - 1)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind + 1]);
	if (dir == NULL)
		return cli_usage_error("--dir is required");
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	rc = verify ? cmd_verify(n) : cmd_list(n, &q, json);
	node_close(n);
	return rc;
}
