/*
** diboli sync [--peer NAME] [--budget BYTES]: one exchange with each peer
** that has a URL (or the one named); diboli sync summary: what this node
** holds, as a file for the other side of a bundle link; diboli sync
** status: each peer's last exchange and what waits.
*/
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "fed/bundle_io.h"
#include "fed/exchange.h"
#include "fed/peer.h"
#include "fed/sync.h"
#include "node/node.h"
#include "util/buf.h"
#include "util/util.h"

static const char usage[] =
    "usage: diboli sync --dir DIR [--peer NAME] [--budget BYTES]\n"
    "                   [--trace DIR]\n"
    "       diboli sync summary --dir DIR --for NATION --out FILE\n"
    "       diboli sync status --dir DIR [--json]\n"
    "\n"
    "  (no verb)  exchange with every peer that has a URL, or with NAME:\n"
    "             pull what it has for this node, then push what it\n"
    "             lacks, most urgent first, each way within BYTES of\n"
    "             blocks (default 4194304); --trace keeps a copy of every\n"
    "             body sent and received in DIR (to check a link)\n"
    "  summary    write what this node holds of the logs NATION may see,\n"
    "             for the other side's \"diboli bundle export --summary\"\n"
    "  status     each peer: last exchange, result, records waiting in\n"
    "             and out; blocks pending a gap, blocks quarantined\n";

enum { O_DIR = 1, O_PEER, O_BUDGET, O_FOR, O_OUT, O_JSON, O_TRACE };

struct args {
	const char *verb, *dir, *peer, *budget, *nation, *out, *trace;
	int json;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"peer", required_argument, NULL, O_PEER},
		{"budget", required_argument, NULL, O_BUDGET},
		{"for", required_argument, NULL, O_FOR},
		{"out", required_argument, NULL, O_OUT},
		{"json", no_argument, NULL, O_JSON},
		{"trace", required_argument, NULL, O_TRACE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int run = a->verb[0] == '\0', sum = strcmp(a->verb, "summary") == 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (((c == O_PEER || c == O_BUDGET || c == O_TRACE) && !run) ||
		    ((c == O_FOR || c == O_OUT) && !sum) ||
		    (c == O_JSON && strcmp(a->verb, "status") != 0))
			return cli_usage_error("\"sync%s%s\" does not take %s "
			    "(see diboli sync --help)", run ? "" : " ", a->verb,
			    argv[optind - 1]);
		switch (c) {
		case O_DIR: a->dir = optarg; break;
		case O_PEER: a->peer = optarg; break;
		case O_BUDGET: a->budget = optarg; break;
		case O_FOR: a->nation = optarg; break;
		case O_OUT: a->out = optarg; break;
		case O_JSON: a->json = 1; break;
		case O_TRACE: a->trace = optarg; break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_bad_option(argv, "sync");
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (a->dir == NULL)
		return cli_usage_error("--dir is required");
	if (sum && (a->nation == NULL || a->out == NULL))
		return cli_usage_error("sync summary needs --for NATION and "
		    "--out FILE");
	return CLI_OK;
}

/* A byte count: "4194304", "64k", "4M". */
int
cli_parse_bytes(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || v < 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1024 * 1024, end++;
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
cmd_run(struct node *n, const struct args *a)
{
	struct sync_tx tx = {sync_tx_direct, n, NULL, a->trace};
	struct peer *p = NULL;
	struct dib_diag d = {0};
	int64_t budget = SYNC_BUDGET_DEFAULT;
	size_t np = 0, i, done = 0, failed = 0;

	if (a->budget != NULL && cli_parse_bytes(a->budget, SYNC_BUDGET_MIN,
	    SYNC_BUDGET_MAX, &budget) != 0)
		return cli_usage_error("--budget must be a byte count from %d "
		    "to %d (k and M suffixes allowed), got \"%s\"",
		    SYNC_BUDGET_MIN, SYNC_BUDGET_MAX, a->budget);
	if (peer_list(n->store, &p, &np, &d) != 0)
		return cli_diag(&d);
	for (i = 0; i < np; i++) {
		struct sync_result res;

		if (a->peer ? strcmp(a->peer, p[i].name) != 0 :
		    p[i].url[0] == '\0')
			continue;
		done++;
		dib_diag_clear(&d);
		if (sync_with_peer(n, &n->signer, &p[i], budget, &tx, &res,
		    &d) != 0) {
			char why[sizeof d.msg + sizeof d.field + 4];

			failed++;
			dib_diag_str(&d, why, sizeof why);
			cli_error("sync with %s: %s", p[i].name, why);
			continue;
		}
		printf("%s: %s\n", p[i].name, res.text);
	}
	free(p);
	if (a->peer != NULL && done == 0)
		return cli_error("no peer named \"%s\" (see diboli peer list)",
		    a->peer);
	if (done == 0) {
		printf("no peer has a URL: nothing to do (bundles: diboli "
		    "bundle export)\n");
		return CLI_OK;
	}
	return failed ? CLI_FAIL : CLI_OK;
}

static int
cmd_summary(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct buf b;
	size_t logs = 0;
	char nation[3], tmp[4200];
	FILE *f;
	int rc = 0;

	if (util_nation_norm(a->nation, nation) != 0)
		return cli_usage_error("--for must be a nation code (ISO "
		    "3166-1 alpha-2, e.g. ML), got \"%s\"", a->nation);
	buf_init(&b, BUNDLE_SUMMARY_MAX);
	if (bundle_summary_to(n->store, nation, &b, &logs, &d) != 0) {
		buf_free(&b);
		return cli_diag(&d);
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", a->out);
	if ((f = fopen(tmp, "wb")) == NULL) {
		buf_free(&b);
		return cli_error("%s: cannot create the file", a->out);
	}
	if (fwrite(b.p, 1, b.len, f) != b.len || fflush(f) != 0 || ferror(f))
		rc = dib_fail(&d, DIB_EIO, "out", "cannot write: disk full?");
	fclose(f);
	buf_free(&b);
	if (rc == 0 && rename(tmp, a->out) != 0)
		rc = dib_fail(&d, DIB_EIO, "out", "cannot rename %s", tmp);
	if (rc != 0) {
		remove(tmp);
		return cli_diag(&d);
	}
	printf("%s: summary of %zu log(s) held for %s\n", a->out, logs,
	    nation);
	return CLI_OK;
}

static int
cmd_status(struct node *n, const struct args *a)
{
	struct peer *p = NULL;
	struct dib_diag d = {0};
	size_t np = 0, i;
	int64_t pending, quar;
	char t[40];

	if (peer_list(n->store, &p, &np, &d) != 0)
		return cli_diag(&d);
	pending = store_count(n->store, "SELECT count(*) FROM pending");
	quar = store_count(n->store, "SELECT count(*) FROM quarantine");
	if (a->json) {
		json_t *o = json_array(), *top;

		for (i = 0; i < np; i++) {
			json_t *e = json_pack("{s:s, s:s, s:s?}", "name",
			    p[i].name, "nation", p[i].nation, "url", p[i].url[0]
			    ? p[i].url : NULL);

			json_object_set_new(e, "last_exchange", p[i].last_at >
			    0 ? json_string(util_time_format(p[i].last_at, t,
			    sizeof t)) : json_null());
			json_object_set_new(e, "ok", p[i].last_ok < 0 ?
			    json_null() : json_boolean(p[i].last_ok == 1));
			json_object_set_new(e, "last_result",
			    p[i].last_result[0] ? json_string(p[i].last_result)
			    : json_null());
			json_object_set_new(e, "waiting_in", p[i].wait_in >= 0
			    ? json_integer(p[i].wait_in) : json_null());
			json_object_set_new(e, "waiting_out", p[i].wait_out >=
			    0 ? json_integer(p[i].wait_out) : json_null());
			json_array_append_new(o, e);
		}
		top = json_pack("{s:o, s:I, s:I}", "peers", o,
		    "pending_blocks", (json_int_t)pending,
		    "quarantined_blocks", (json_int_t)quar);
		json_dumpf(top, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(top);
		free(p);
		return CLI_OK;
	}
	if (np == 0)
		printf("no peers (diboli peer add)\n");
	for (i = 0; i < np; i++) {
		printf("%s (%s) %s\n", p[i].name, p[i].nation, p[i].url[0] ?
		    p[i].url : "(bundles only)");
		if (p[i].last_at > 0)
			printf("  last exchange  %s, %s\n  result         "
			    "%s\n", util_time_format(p[i].last_at, t, sizeof t),
			    p[i].last_ok == 1 ? "ok" : "FAILED",
			    p[i].last_result);
		else
			printf("  last exchange  never\n");
		if (p[i].wait_in >= 0 || p[i].wait_out >= 0)
			printf("  waiting        %" PRId64 " record(s) in, %"
			    PRId64 " out\n", p[i].wait_in, p[i].wait_out);
	}
	printf("blocks pending a gap: %" PRId64 "; quarantined: %" PRId64
	    "%s\n", pending, quar, quar > 0 ? " (EQUIVOCATION: see diboli "
	    "audit list)" : "");
	free(p);
	return CLI_OK;
}

int
cli_sync(int argc, char **argv)
{
	struct dib_diag d = {0};
	struct node *n = NULL;
	struct args a;
	int rc, shift = 0;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	memset(&a, 0, sizeof a);
	a.verb = "";
	if (argc >= 2 && argv[1][0] != '-') {
		a.verb = argv[1];
		shift = 1;
		if (strcmp(a.verb, "summary") != 0 &&
		    strcmp(a.verb, "status") != 0)
			return cli_usage_error("unknown verb \"sync %s\" "
			    "(summary, status, or none to exchange)", a.verb);
	}
	if ((rc = parse_args(argc - shift, argv + shift, &a)) != 0)
		return rc < 0 ? CLI_OK : rc;
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	if (strcmp(a.verb, "summary") == 0)
		rc = cmd_summary(n, &a);
	else if (strcmp(a.verb, "status") == 0)
		rc = cmd_status(n, &a);
	else
		rc = cmd_run(n, &a);
	node_close(n);
	return rc;
}
