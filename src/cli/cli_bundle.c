/*
** diboli bundle export|import: sync over links that are not a network
** connection (a USB stick across the Kidira bridge, e-mail, radio). A
** bundle holds the same payload as an HTTP exchange (src/fed/sync.c)
** inside the signed, compressed, optionally encrypted container of
** src/fed/bundle.c; docs/bundle.md gives its bytes.
*/
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "fed/bundle.h"
#include "fed/bundle_io.h"
#include "fed/cert.h"
#include "fed/sync.h"
#include "node/node.h"
#include "util/util.h"

static const char usage[] =
    "usage: diboli bundle export --dir DIR --for NATION --out FILE\n"
    "                            [--summary FILE] [--encrypt-to NATION.pub]\n"
    "                            [--budget BYTES]\n"
    "       diboli bundle import --dir DIR [--key NATION.key] FILE\n"
    "       diboli bundle show --dir DIR [--key NATION.key] [--payload] FILE\n"
    "\n"
    "  export  write what a node of NATION may receive from this one: with\n"
    "          --summary (made there by \"diboli sync summary\"), only what\n"
    "          it lacks; most urgent first, at most BYTES of blocks.\n"
    "          --encrypt-to seals it so that only the holder of that\n"
    "          nation's key can read it (anyone can still check who sent\n"
    "          it)\n"
    "  import  check the bundle entirely (sender's certificate and\n"
    "          signature, every block's signature, that every block is\n"
    "          meant for this node's nation), then apply it in one\n"
    "          transaction: all or nothing. An encrypted bundle needs the\n"
    "          nation key it was sealed to (--key)\n"
    "  show    check it as import does, write nothing, and list who sent\n"
    "          it and its blocks; --payload writes the raw sync payload\n"
    "          to standard output instead (docs/sync.md)\n";

enum { O_DIR = 1, O_FOR, O_OUT, O_SUMMARY, O_ENCRYPT, O_BUDGET, O_KEY,
	O_PAYLOAD };

struct args {
	const char *verb, *dir, *nation, *out, *summary, *encrypt, *budget;
	const char *key, *file;
	int payload;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"for", required_argument, NULL, O_FOR},
		{"out", required_argument, NULL, O_OUT},
		{"summary", required_argument, NULL, O_SUMMARY},
		{"encrypt-to", required_argument, NULL, O_ENCRYPT},
		{"budget", required_argument, NULL, O_BUDGET},
		{"key", required_argument, NULL, O_KEY},
		{"payload", no_argument, NULL, O_PAYLOAD},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int exp = strcmp(a->verb, "export") == 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((c == O_KEY && exp) || (!exp && (c == O_FOR || c == O_OUT ||
		    c == O_SUMMARY || c == O_ENCRYPT || c == O_BUDGET)) ||
		    (c == O_PAYLOAD && strcmp(a->verb, "show") != 0))
			return cli_usage_error("\"bundle %s\" does not take %s "
			    "(see diboli bundle --help)", a->verb,
			    argv[optind - 1]);
		switch (c) {
		case O_DIR: a->dir = optarg; break;
		case O_FOR: a->nation = optarg; break;
		case O_OUT: a->out = optarg; break;
		case O_SUMMARY: a->summary = optarg; break;
		case O_ENCRYPT: a->encrypt = optarg; break;
		case O_BUDGET: a->budget = optarg; break;
		case O_KEY: a->key = optarg; break;
		case O_PAYLOAD: a->payload = 1; break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_bad_option(argv, "bundle");
		}
	}
	if (!exp && optind < argc)
		a->file = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (a->dir == NULL)
		return cli_usage_error("--dir is required");
	if (exp && (a->nation == NULL || a->out == NULL))
		return cli_usage_error("bundle export needs --for NATION and "
		    "--out FILE");
	if (!exp && a->file == NULL)
		return cli_usage_error("bundle %s needs the bundle FILE",
		    a->verb);
	return CLI_OK;
}

/* ---- export ---- */

static int
cmd_export(struct node *n, const struct args *a)
{
	struct bundle_export e;
	struct sync_sent sent;
	struct dib_diag d = {0};
	uint8_t epk[32];
	int64_t budget = 0;
	char nation[3], enation[3];

	if (util_nation_norm(a->nation, nation) != 0)
		return cli_usage_error("--for must be a nation code (ISO "
		    "3166-1 alpha-2, e.g. ML), got \"%s\"", a->nation);
	if (a->budget != NULL && cli_parse_bytes(a->budget, SYNC_BUDGET_MIN,
	    INT64_MAX / 2, &budget) != 0)
		return cli_usage_error("--budget must be a byte count of at "
		    "least %d (k and M suffixes allowed), got \"%s\"",
		    SYNC_BUDGET_MIN, a->budget);
	if (a->encrypt != NULL) {
		if (cert_nation_pub_load(a->encrypt, enation, epk, &d) != 0)
			return cli_diag(&d);
		if (strcmp(enation, nation) != 0)
			return cli_error("%s is the key of %s, but the bundle is "
			    "for %s", a->encrypt, enation, nation);
	}
	memset(&e, 0, sizeof e);
	e.nation = nation;
	e.summary_path = a->summary;
	e.encrypt_to = a->encrypt ? epk : NULL;
	e.budget = budget;
	if (bundle_export_to(n, &n->signer, a->out, &e, &sent, &d) != 0)
		return cli_diag(&d);
	printf("%s: %" PRId64 " record(s) in %" PRId64 " block(s) for %s%s%s",
	    a->out, sent.records, sent.blocks, nation, a->encrypt ?
	    ", encrypted to the key of " : "", a->encrypt ? nation : "");
	if (sent.wait_records > 0)
		printf("; %" PRId64 " record(s) left for the next bundle "
		    "(--budget)", sent.wait_records);
	printf("\n");
	return CLI_OK;
}

/* ---- import ---- */

/* bundle show --payload: the raw payload on standard output. */
static int
to_stdout(void *arg, const uint8_t *p, size_t n, struct dib_diag *d)
{
	(void)arg;
	return fwrite(p, 1, n, stdout) == n ? DIB_OK :
	    dib_fail(d, DIB_EIO, "", "cannot write the payload");
}

/* bundle show: one line a block. */
static void
show_block(void *arg, const struct log_header *h)
{
	char oid[9];

	(void)arg;
	util_hex(h->origin, 4, oid);
	printf("  block  origin %s  audience %-9s seq %llu-%llu  (%u "
	    "record(s))\n", oid, h->audience, (unsigned long long)h->first_seq,
	    (unsigned long long)(h->first_seq + h->count - 1), h->count);
}

struct import_job {
	struct bundle_import *im;
	char *detail;
	size_t detail_len;
};

static int
do_import(struct store *s, void *arg, struct dib_diag *d)
{
	struct import_job *j = arg;
	int rc;

	if ((rc = bundle_import_apply(j->im, s, d)) != 0)
		return rc;
	sync_apply_describe(&j->im->apply, j->detail, j->detail_len);
	return DIB_OK;
}

static int
cmd_import(struct node *n, const struct args *a, int show)
{
	struct bundle_import im;
	struct import_job j;
	struct dib_diag d = {0};
	uint8_t sk[64], pk[32];
	char knation[3], target[200], detail[400];
	const uint8_t *skp = NULL;
	int rc;

	memset(sk, 0, sizeof sk);
	if ((rc = bundle_import_open(&im, n, a->file, NULL, 0, NULL, &d)) !=
	    0)
		goto out;
	if (im.meta->encrypted) {
		if (a->key == NULL) {
			rc = dib_fail(&d, DIB_EINVAL, "key", "%s is encrypted "
			    "to the nation key of %s: give it with --key", a->file,
			    im.meta->for_nation);
			goto out;
		}
		if ((rc = cert_nation_key_load(a->key, knation, sk, pk, &d)) !=
		    0)
			goto out;
		if (memcmp(pk, im.meta->nation_pk, 32) != 0) {
			rc = dib_fail(&d, DIB_ECRYPTO, "key", "%s is not the "
			    "key this bundle was sealed to", a->key);
			goto out;
		}
		skp = sk;
	}
	/* Pass 1: check every item without writing. */
	if (show && !a->payload) {
		char t[40];

		printf("%s\n  from   %s (%s)\n  for    %s\n  made   %s\n"
		    "  %s, signature verified\n", a->file, im.sender->name,
		    im.sender->nation, im.meta->for_nation,
		    util_time_format(im.meta->created, t, sizeof t),
		    im.meta->encrypted ? "encrypted" : "not encrypted");
	}
	if ((rc = bundle_import_check(&im, skp, show && !a->payload ?
	    show_block : NULL, show && a->payload ? to_stdout : NULL, NULL,
	    &d)) != 0) {
		if (!show)
			sync_apply_audit(&im.check, "cli:bundle");
		goto out;
	}
	if (show) {
		if (!a->payload)
			printf("  %lld certificate(s); every block checks and "
			    "is meant for %s\n", (long long)im.check.certs,
			    n->nation);
		goto out;
	}
	/* Pass 2: apply, all or nothing, with its audit row. */
	memset(&j, 0, sizeof j);
	j.im = &im;
	snprintf(target, sizeof target, "bundle:%.150s", a->file);
	snprintf(detail, sizeof detail, "from %.100s", im.sender->name);
	j.detail = detail;
	j.detail_len = sizeof detail;
	rc = cli_audited(n->store, do_import, &j, "bundle.import", target,
	    detail, &d);
	im.apply.s = n->store;
	sync_apply_audit(&im.apply, "cli:bundle");
	if (rc == 0) {
		char line[400];

		sync_apply_describe(&im.apply, line, sizeof line);
		printf("%s from %s (%s): %s\n", a->file, im.sender->name,
		    im.sender->nation, line);
		if (im.apply.forks > 0)
			fprintf(stderr, "diboli: SECURITY: equivocation "
			    "detected, blocks quarantined (diboli sync "
			    "status, diboli audit list)\n");
	}
out:
	sodium_memzero(sk, sizeof sk);
	bundle_import_close(&im);
	return rc ? cli_diag(&d) : CLI_OK;
}

int
cli_bundle(int argc, char **argv)
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
	if (strcmp(a.verb, "export") != 0 && strcmp(a.verb, "import") != 0 &&
	    strcmp(a.verb, "show") != 0)
		return cli_usage_error("unknown verb \"bundle %s\" (export, "
		    "import, show)", a.verb);
	if ((rc = parse_args(argc - 1, argv + 1, &a)) != 0)
		return rc < 0 ? CLI_OK : rc;
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	rc = strcmp(a.verb, "export") == 0 ? cmd_export(n, &a) :
	    cmd_import(n, &a, strcmp(a.verb, "show") == 0);
	node_close(n);
	return rc;
}
