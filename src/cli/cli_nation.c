/*
** diboli nation keygen|pin|list: a nation's root key pair (made once,
** kept offline, used to certify that nation's nodes) and the nation keys
** a node pins, which decide whose nodes it trusts.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "fed/cert.h"
#include "node/node.h"
#include "util/util.h"

static const char usage[] =
    "usage: diboli nation <verb> [options]\n"
    "\n"
    "  keygen --nation CODE --out PATH\n"
    "                   make a nation root key pair: PATH.key (private,\n"
    "                   mode 0600: keep it offline) and PATH.pub (public:\n"
    "                   give it to partners and to the nation's nodes);\n"
    "                   prints the key's fingerprint\n"
    "  pin --dir DIR --nation-pub FILE [--nation CODE] [--replace]\n"
    "                   trust the nodes that this nation key certifies;\n"
    "                   --replace: the nation changed its key\n"
    "  list --dir DIR [--json]\n"
    "                   the pinned nation keys\n"
    "\n"
    "Exchange .pub files out of band (by hand, on a USB stick) and read\n"
    "the fingerprints to each other over the phone before pinning, as with\n"
    "SSH host keys. The .key file never leaves its nation's safe: use it\n"
    "with \"diboli init --nation-key\" or \"diboli node certify\".\n";

struct args {
	const char *verb, *dir, *nation, *out, *pub;
	int json, replace;
};

/* ---- keygen ---- */

/* "sn-nation.key" given for the prefix: the pair is still sn-nation.*. */
static void
strip_suffix(char *p)
{
	size_t n = strlen(p);

	if (n > 4 && (strcmp(p + n - 4, ".key") == 0 ||
	    strcmp(p + n - 4, ".pub") == 0))
		p[n - 4] = '\0';
}

static int
cmd_keygen(const struct args *a)
{
	struct dib_diag d = {0};
	char prefix[4096], path[4100], nat[3], fp[CERT_FP_LEN + 1];
	uint8_t pk[32];

	if ((size_t)snprintf(prefix, sizeof prefix, "%s", a->out) >=
	    sizeof prefix)
		return cli_error("--out: path too long");
	strip_suffix(prefix);
	if (cert_nation_keygen(a->nation, prefix, &d) != 0)
		return cli_diag(&d);
	snprintf(path, sizeof path, "%s.pub", prefix);
	if (cert_nation_pub_load(path, nat, pk, &d) != 0)
		return cli_diag(&d);
	printf("nation key pair for %s (%s)\n", nat, util_nation_name(nat));
	printf("  private      %s.key  (mode 0600: keep it offline)\n",
	    prefix);
	printf("  public       %s.pub  (give it to partners)\n", prefix);
	printf("  fingerprint  %s\n", cert_fingerprint(pk, fp));
	return CLI_OK;
}

/* ---- pin ---- */

struct pin_job {
	char nation[3];
	uint8_t pk[32];
	int replace;
	int was;                        /* 0 new, 1 same key, 2 replaced */
	char detail[200];
};

static int
do_pin(struct store *s, void *arg, struct dib_diag *d)
{
	struct pin_job *j = arg;
	char fp[CERT_FP_LEN + 1], oldfp[CERT_FP_LEN + 1];
	uint8_t old[32];
	int rc;

	rc = cert_pinned(s, j->nation, old);
	if (rc == DIB_EDB)
		return store_dberr(s, d, "nations");
	if (rc == DIB_ENOTFOUND)
		j->was = 0;
	else
		j->was = sodium_memcmp(old, j->pk, 32) == 0 ? 1 : 2;
	if ((rc = cert_pin(s, j->nation, j->pk, j->replace, d)) != 0)
		return rc;
	cert_fingerprint(j->pk, fp);
	if (j->was == 2)
		snprintf(j->detail, sizeof j->detail, "key=%s replaces=%s", fp,
		    cert_fingerprint(old, oldfp));
	else
		snprintf(j->detail, sizeof j->detail, "key=%s%s", fp,
		    j->was == 1 ? " unchanged" : "");
	return DIB_OK;
}

static int
cmd_pin(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct pin_job j;
	char target[64], fp[CERT_FP_LEN + 1];

	memset(&j, 0, sizeof j);
	j.replace = a->replace;
	snprintf(target, sizeof target, "nation:%.2s", a->nation ? a->nation :
	    "?");
	if (cert_nation_pub_load(a->pub, j.nation, j.pk, &d) != 0)
		goto fail;
	snprintf(target, sizeof target, "nation:%s", j.nation);
	if (a->nation != NULL && strcasecmp(a->nation, j.nation) != 0) {
		dib_fail(&d, DIB_EINVAL, "nation", "%s is the key of %s (%s), "
		    "not of %.20s", a->pub, j.nation,
		    util_nation_name(j.nation), a->nation);
		goto fail;
	}
	if (cli_audited(n->store, do_pin, &j, "nation.pin", target, j.detail,
	    &d) != 0)
		return cli_diag(&d);
	cert_fingerprint(j.pk, fp);
	if (j.was == 1)
		printf("nation %s (%s): this key was already pinned (%s)\n",
		    j.nation, util_nation_name(j.nation), fp);
	else
		printf("nation %s (%s) pinned%s: key fingerprint %s\n",
		    j.nation, util_nation_name(j.nation),
		    j.was == 2 ? " with a new key" : "", fp);
	return CLI_OK;
fail:
	cli_audit_failed(n->store, "nation.pin", target, &d);
	return cli_diag(&d);
}

/* ---- list ---- */

static int
cmd_list(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct cert_pin_info *v = NULL;
	char ts[40], fp[CERT_FP_LEN + 1], hex[65];
	size_t i, count;

	if (cert_pin_list(n->store, &v, &count, &d) != 0)
		return cli_diag(&d);
	if (a->json) {
		json_t *arr = json_array();

		for (i = 0; i < count; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:s, s:s, s:b}", "nation", v[i].nation, "name",
			    util_nation_name(v[i].nation), "key",
			    util_hex(v[i].pk, 32, hex), "fingerprint",
			    cert_fingerprint(v[i].pk, fp), "pinned_at",
			    util_time_format(v[i].added, ts, sizeof ts), "own",
			    strcmp(v[i].nation, n->nation) == 0));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	} else {
		cli_label("NATION", 8);
		cli_label("NAME", 24);
		cli_label("FINGERPRINT", 18);
		printf("PINNED\n");
		for (i = 0; i < count; i++) {
			cli_label(v[i].nation, 8);
			cli_label(util_nation_name(v[i].nation), 24);
			cli_label(cert_fingerprint(v[i].pk, fp), 18);
			printf("%s\n", util_time_format(v[i].added, ts,
			    sizeof ts));
		}
	}
	free(v);
	return CLI_OK;
}

/* ---- diboli nation ---- */

static int
parse_args(int argc, char **argv, struct args *a)
{
	enum { O_DIR = 256, O_NATION, O_OUT, O_PUB, O_JSON, O_REPLACE };
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"nation", required_argument, NULL, O_NATION},
		{"out", required_argument, NULL, O_OUT},
		{"nation-pub", required_argument, NULL, O_PUB},
		{"json", no_argument, NULL, O_JSON},
		{"replace", no_argument, NULL, O_REPLACE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int keygen = strcmp(a->verb, "keygen") == 0;
	int pin = strcmp(a->verb, "pin") == 0;
	int list = strcmp(a->verb, "list") == 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((c == O_DIR && keygen) || (c == O_OUT && !keygen) ||
		    (c == O_NATION && list) || ((c == O_PUB || c == O_REPLACE)
		    && !pin) || (c == O_JSON && !list))
			return cli_usage_error("\"nation %s\" does not take %s "
			    "(see diboli nation --help)", a->verb,
			    argv[optind - 1]);
		switch (c) {
		case O_DIR: a->dir = optarg; break;
		case O_NATION: a->nation = optarg; break;
		case O_OUT: a->out = optarg; break;
		case O_PUB: a->pub = optarg; break;
		case O_JSON: a->json = 1; break;
		case O_REPLACE: a->replace = 1; break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_bad_option(argv, "nation");
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (keygen && (a->nation == NULL || a->out == NULL))
		return cli_usage_error("--nation and --out are required, e.g. "
		    "diboli nation keygen --nation SN --out /media/usb/sn");
	if (!keygen && a->dir == NULL)
		return cli_usage_error("--dir is required");
	if (pin && a->pub == NULL)
		return cli_usage_error("--nation-pub is required (the nation's "
		    ".pub file)");
	return CLI_OK;
}

int
cli_nation(int argc, char **argv)
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
	if (strcmp(a.verb, "keygen") != 0 && strcmp(a.verb, "pin") != 0 &&
	    strcmp(a.verb, "list") != 0)
		return cli_usage_error("unknown verb \"nation %s\" (keygen, "
		    "pin, list)", a.verb);
	if ((rc = parse_args(argc - 1, argv + 1, &a)) != 0)
		return rc < 0 ? CLI_OK : rc;
	if (strcmp(a.verb, "keygen") == 0)
		return cmd_keygen(&a);
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	if (strcmp(a.verb, "pin") == 0)
		rc = cmd_pin(n, &a);
	else
		rc = cmd_list(n, &a);
	node_close(n);
	return rc;
}
