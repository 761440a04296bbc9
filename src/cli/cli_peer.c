/*
** diboli peer add|list|remove: the nodes this one exchanges logs with,
** and the nation keys that vouch for them.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "fed/cert.h"
#include "fed/peer.h"
#include "node/node.h"
#include "util/util.h"

static const char usage[] =
    "usage: diboli peer <verb> --dir DIR [options]\n"
    "\n"
    "  add --name NAME --nation CODE [--nation-pub FILE] [--url URL]\n"
    "                   a node to sync with: NAME like ML-RM4 (letters,\n"
    "                   digits, '.', '_', '-'); FILE: its nation's public\n"
    "                   key, pinned here (needed unless the nation is\n"
    "                   pinned already); URL: http://HOST:PORT, or none\n"
    "                   for bundle files only\n"
    "  list [--json]    every peer: nation, url, last exchange, result,\n"
    "                   records waiting in and out\n"
    "  remove NAME      stop syncing with NAME (its nation stays pinned)\n"
    "\n"
    "A peer is trusted through its certificate, signed by its nation's\n"
    "key: compare the key's fingerprint (printed here and by \"diboli\n"
    "nation keygen\") with the partner over the phone.\n";

struct args {
	const char *verb, *dir, *name, *nation, *pub, *url;
	int json;
};

/* ---- add ---- */

struct add_job {
	const struct args *a;
	char nation[3];
	uint8_t pk[32];
	int has_pub;                    /* pk came from --nation-pub */
	int pinned_now;                 /* and was not pinned before */
	struct peer peer;               /* as added */
	char detail[800];
};

static int
do_add(struct store *s, void *arg, struct dib_diag *d)
{
	struct add_job *j = arg;
	char fp[CERT_FP_LEN + 1];
	uint8_t old[32];
	int rc;

	rc = cert_pinned(s, j->nation, old);
	if (rc == DIB_EDB)
		return store_dberr(s, d, "nations");
	if (!j->has_pub) {
		if (rc == DIB_ENOTFOUND)
			return dib_fail(d, DIB_EINVAL, "nation-pub", "nation "
			    "%s (%s) is not pinned on this node: give its "
			    "public key file with --nation-pub", j->nation,
			    util_nation_name(j->nation));
		memcpy(j->pk, old, 32);
	} else {
		j->pinned_now = rc == DIB_ENOTFOUND;
		if ((rc = cert_pin(s, j->nation, j->pk, 0, d)) != 0)
			return rc;
	}
	if ((rc = peer_add(s, j->a->name, j->nation, j->a->url, d)) != 0 ||
	    (rc = peer_get(s, j->a->name, &j->peer, d)) != 0)
		return rc;
	snprintf(j->detail, sizeof j->detail, "nation=%s url=%s key=%s%s",
	    j->nation, j->peer.url[0] ? j->peer.url : "-",
	    cert_fingerprint(j->pk, fp), j->pinned_now ? " pinned" : "");
	return DIB_OK;
}

static int
cmd_add(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct add_job j;
	const struct peer *p;
	char target[100], fp[CERT_FP_LEN + 1];
	int rc;

	memset(&j, 0, sizeof j);
	j.a = a;
	snprintf(target, sizeof target, "peer:%.64s", a->name);
	if (util_nation_norm(a->nation, j.nation) != 0) {
		dib_fail(&d, DIB_EINVAL, "nation", "unknown nation \"%.20s\" "
		    "(ISO 3166-1 alpha-2, e.g. SN, ML, MR, GN)", a->nation);
		goto fail;
	}
	if (a->pub != NULL) {
		char filenat[3];

		if (cert_nation_pub_load(a->pub, filenat, j.pk, &d) != 0)
			goto fail;
		if (strcmp(filenat, j.nation) != 0) {
			dib_fail(&d, DIB_EINVAL, "nation-pub", "%s is the key "
			    "of %s (%s), not of %s (%s)", a->pub, filenat,
			    util_nation_name(filenat), j.nation,
			    util_nation_name(j.nation));
			goto fail;
		}
		j.has_pub = 1;
	}
	if ((rc = cli_audited(n->store, do_add, &j, "peer.add", target,
	    j.detail, &d)) != 0)
		return cli_diag(&d);
	p = &j.peer;
	printf("peer %s added: %s (%s), %s\n", p->name, p->nation,
	    util_nation_name(p->nation), p->url[0] ? p->url : "bundles only");
	printf("  nation key %s %s (%s)\n", p->nation,
	    cert_fingerprint(j.pk, fp), j.pinned_now ? "pinned now" :
	    "already pinned");
	return CLI_OK;
fail:
	cli_audit_failed(n->store, "peer.add", target, &d);
	return cli_diag(&d);
}

/* ---- remove ---- */

static int
do_remove(struct store *s, void *arg, struct dib_diag *d)
{
	return peer_remove(s, arg, d);
}

static int
cmd_remove(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	char target[100];

	snprintf(target, sizeof target, "peer:%.64s", a->name);
	if (cli_audited(n->store, do_remove, (void *)a->name, "peer.remove",
	    target, "", &d) != 0)
		return cli_diag(&d);
	printf("peer %s removed\n", a->name);
	return CLI_OK;
}

/* ---- list ---- */

/* RFC 3339 of ms, or JSON null for 0. */
static json_t *
jtime(int64_t ms)
{
	char ts[40];

	if (ms == 0)
		return json_null();
	return json_string(util_time_format(ms, ts, sizeof ts));
}

static json_t *
jcount(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *
peer_json(const struct peer *p)
{
	char hex[65];

	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, "
	    "s:o, s:o}", "name", p->name, "nation", p->nation, "url",
	    p->url[0] ? json_string(p->url) : json_null(), "node",
	    p->has_node ? json_string(util_hex(p->node_pk, 32, hex)) :
	    json_null(), "added", jtime(p->added), "last_at",
	    jtime(p->last_at), "last_ok", p->last_ok < 0 ? json_null() :
	    json_boolean(p->last_ok), "last_result", p->last_at == 0 ?
	    json_null() : json_string(p->last_result), "fails",
	    (json_int_t)p->fails, "next_at", jtime(p->next_at), "wait_in",
	    jcount(p->wait_in), "wait_out", jcount(p->wait_out));
}

static int
cmd_list(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct peer *v = NULL;
	char ts[40], line[PEER_RESULT_MAX + 16], waiting[48], in[24], out[24];
	size_t i, count;

	if (peer_list(n->store, &v, &count, &d) != 0)
		return cli_diag(&d);
	if (a->json) {
		json_t *arr = json_array();

		for (i = 0; i < count; i++)
			json_array_append_new(arr, peer_json(&v[i]));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
		free(v);
		return CLI_OK;
	}
	cli_label("NAME", 18);
	cli_label("NATION", 8);
	cli_label("URL", 30);
	cli_label("LAST EXCHANGE", 26);
	cli_label("WAITING IN/OUT", 16);
	printf("RESULT\n");
	for (i = 0; i < count; i++) {
		const struct peer *p = &v[i];

		cli_label(p->name, 18);
		cli_label(p->nation, 8);
		cli_label(p->url[0] ? p->url : "(bundles)", 30);
		cli_label(p->last_at ? util_time_format(p->last_at, ts,
		    sizeof ts) : "never", 26);
		snprintf(in, sizeof in, "%lld", (long long)p->wait_in);
		snprintf(out, sizeof out, "%lld", (long long)p->wait_out);
		snprintf(waiting, sizeof waiting, "%s/%s", p->wait_in < 0 ?
		    "-" : in, p->wait_out < 0 ? "-" : out);
		cli_label(waiting, 16);
		if (p->last_ok < 0)
			snprintf(line, sizeof line, "-");
		else
			snprintf(line, sizeof line, "%s%s%s", p->last_ok ?
			    "ok" : "FAILED", p->last_result[0] ? ": " : "",
			    p->last_result);
		printf("%s\n", line);
	}
	free(v);
	return CLI_OK;
}

/* ---- diboli peer ---- */

static int
parse_args(int argc, char **argv, struct args *a)
{
	enum { O_DIR = 256, O_NAME, O_NATION, O_PUB, O_URL, O_JSON };
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"name", required_argument, NULL, O_NAME},
		{"nation", required_argument, NULL, O_NATION},
		{"nation-pub", required_argument, NULL, O_PUB},
		{"url", required_argument, NULL, O_URL},
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int add = strcmp(a->verb, "add") == 0;
	int list = strcmp(a->verb, "list") == 0;
	int rm = strcmp(a->verb, "remove") == 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (((c == O_NATION || c == O_PUB || c == O_URL) && !add) ||
		    (c == O_NAME && list) || (c == O_JSON && !list))
			return cli_usage_error("\"peer %s\" does not take %s "
			    "(see diboli peer --help)", a->verb,
			    argv[optind - 1]);
		switch (c) {
		case O_DIR: a->dir = optarg; break;
		case O_NAME: a->name = optarg; break;
		case O_NATION: a->nation = optarg; break;
		case O_PUB: a->pub = optarg; break;
		case O_URL: a->url = optarg; break;
		case O_JSON: a->json = 1; break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_bad_option(argv, "peer");
		}
	}
	if (rm && a->name == NULL && optind < argc)
		a->name = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (a->dir == NULL)
		return cli_usage_error("--dir is required");
	if (add && (a->name == NULL || a->nation == NULL))
		return cli_usage_error("--name and --nation are required, e.g. "
		    "--name ML-RM4 --nation ML --nation-pub ml.pub");
	if (rm && a->name == NULL)
		return cli_usage_error("the NAME of the peer to remove is "
		    "required (see diboli peer list)");
	return CLI_OK;
}

int
cli_peer(int argc, char **argv)
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
	if (strcmp(a.verb, "add") != 0 && strcmp(a.verb, "list") != 0 &&
	    strcmp(a.verb, "remove") != 0)
		return cli_usage_error("unknown verb \"peer %s\" (add, list, "
		    "remove)", a.verb);
	if ((rc = parse_args(argc - 1, argv + 1, &a)) != 0)
		return rc < 0 ? CLI_OK : rc;
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	if (strcmp(a.verb, "add") == 0)
		rc = cmd_add(n, &a);
	else if (strcmp(a.verb, "remove") == 0)
		rc = cmd_remove(n, &a);
	else
		rc = cmd_list(n, &a);
	node_close(n);
	return rc;
}
