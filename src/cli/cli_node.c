/*
** diboli init and diboli node show|certify: creating a node, telling what
** it is, and certifying its key with its nation's root key.
*/
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "fed/cert.h"
#include "model/model.h"
#include "node/node.h"
#include "util/util.h"

static const char init_usage[] =
    "usage: diboli init --dir DIR --nation CODE --name TEXT\n"
    "                   [--nation-key FILE]\n"
    "\n"
    "Create a node: its database, its Ed25519 key (DIR/node.key, mode\n"
    "0600) and its identity. CODE is ISO 3166-1 alpha-2 (SN, ML, MR...).\n"
    "--nation-key: the nation's private key (diboli nation keygen), of the\n"
    "same nation: certify the node at once (DIR/node.cert) and pin the\n"
    "nation's public key.\n"
    "Example: diboli init --dir /var/lib/diboli --nation SN \\\n"
    "           --name \"Zone militaire n°4 — PC Tambacounda\"\n";

static const char node_usage[] =
    "usage: diboli node <verb> --dir DIR [options]\n"
    "\n"
    "  show [--json]    the node's identity, certificate and what it holds\n"
    "  certify --nation-key FILE\n"
    "                   certify the node's key with its nation's private\n"
    "                   key (diboli nation keygen) for 5 years, replacing\n"
    "                   any certificate it had; writes DIR/node.cert and\n"
    "                   pins the nation's public key\n"
    "  backup --out DIR2\n"
    "                   a consistent copy of the node in DIR2 (new or\n"
    "                   empty), also while it serves: the database as of\n"
    "                   one moment, checked, and node.key, node.cert,\n"
    "                   model.json, reference/. The copy holds the node's\n"
    "                   private key: keep it as safe as the node. To\n"
    "                   restore, serve DIR2 (or move it in DIR's place).\n";

/* ---- certifying ---- */

struct certify_job {
	struct node *n;
	char nation[3];
	uint8_t sk[64], pk[32];
	char detail[200];
	char until[40];
};

static int
do_certify(struct store *s, void *arg, struct dib_diag *d)
{
	struct certify_job *j = arg;
	char fp[CERT_FP_LEN + 1];
	uint8_t *b = NULL;
	size_t len;
	struct cert *c;
	int rc;

	(void)s;
	if ((rc = cert_certify_node(j->n, j->nation, j->sk, j->pk, d)) != 0 ||
	    (rc = cert_node_cert(j->n, &b, &len, d)) != 0)
		return rc;
	if ((c = malloc(sizeof *c)) == NULL) {
		free(b);
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	}
	if ((rc = cert_parse(b, len, c, d)) == 0) {
		util_time_format(c->not_after, j->until, sizeof j->until);
		snprintf(j->detail, sizeof j->detail, "nation_key=%s until=%s",
		    cert_fingerprint(j->pk, fp), j->until);
	}
	free(c);
	free(b);
	return rc;
}

/*
** Certify n with the nation key in job j (loaded by the caller) as an
** audited write. 0 or the CLI exit code, the error printed.
*/
static int
certify(struct node *n, struct certify_job *j)
{
	struct dib_diag d = {0};
	char target[80];

	j->n = n;
	snprintf(target, sizeof target, "node:%s", n->id);
	if (cli_audited(n->store, do_certify, j, "node.certify", target,
	    j->detail, &d) != 0)
		return cli_diag(&d);
	return CLI_OK;
}

static void
print_certified(const struct node *n, const struct certify_job *j)
{
	char fp[CERT_FP_LEN + 1];

	printf("  certified by the %s nation key %s until %s\n"
	    "  certificate %s/%s\n", j->nation, cert_fingerprint(j->pk, fp),
	    j->until, n->dir, NODE_CERT);
}

/* ---- diboli init ---- */

/* Remove what a failed init --nation-key made (the directory too, if
** init made it and it is empty). */
static void
undo_init(const char *dir, int made_dir)
{
	static const char *const files[] = {NODE_DB, NODE_DB "-wal",
	    NODE_DB "-shm", NODE_KEY, NODE_CERT};
	char path[4200];
	size_t i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	if (made_dir)
		rmdir(dir);
}

int
cli_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"nation", required_argument, NULL, 'n'},
		{"name", required_argument, NULL, 'N'},
		{"nation-key", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *dir = NULL, *nation = NULL, *name = NULL, *keyfile = NULL;
	struct dib_diag d = {0};
	struct certify_job j;
	struct node *n = NULL;
	struct stat sb;
	int c, rc, made_dir;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': nation = optarg; break;
		case 'N': name = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'h':
			fputs(init_usage, stdout);
			return CLI_OK;
		default:
			fputs(init_usage, stderr);
			return cli_bad_option(argv, "init");
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (dir == NULL || nation == NULL || name == NULL) {
		fputs(init_usage, stderr);
		return cli_usage_error("--dir, --nation and --name are "
		    "required");
	}
	memset(&j, 0, sizeof j);
	/* The key is checked before anything is created: a wrong key file
	 * or nation leaves no half-made node behind. */
	if (keyfile != NULL) {
		if (cert_nation_key_load(keyfile, j.nation, j.sk, j.pk,
		    &d) != 0)
			return cli_diag(&d);
		if (strlen(nation) != 2 || (nation[0] & ~0x20) != j.nation[0] ||
		    (nation[1] & ~0x20) != j.nation[1]) {
			sodium_memzero(j.sk, sizeof j.sk);
			return cli_error("nation-key: %s is the nation key of "
			    "%s (%s), not of %.20s; nothing was created",
			    keyfile, j.nation, util_nation_name(j.nation),
			    nation);
		}
	}
	made_dir = stat(dir, &sb) != 0 && errno == ENOENT;
	if (node_init(dir, nation, name, &d) != 0) {
		sodium_memzero(j.sk, sizeof j.sk);
		return cli_diag(&d);
	}
	if (node_open(dir, &n, &d) != 0) {
		sodium_memzero(j.sk, sizeof j.sk);
		return cli_diag(&d);
	}
	rc = CLI_OK;
	if (keyfile != NULL && (rc = certify(n, &j)) != CLI_OK) {
		node_close(n);
		n = NULL;
		undo_init(dir, made_dir);
	} else {
		printf("node %s created in %s\n  nation %s (%s)\n  name   %s\n",
		    n->id, dir, n->nation, util_nation_name(n->nation),
		    n->name);
		if (keyfile != NULL)
			print_certified(n, &j);
	}
	sodium_memzero(j.sk, sizeof j.sk);
	node_close(n);
	return rc;
}

/* ---- diboli node show ---- */

/*
** The state of the node's certificate: "none", "invalid", "not_pinned",
** "not_yet_valid", "expired" or "valid"; c is filled unless "none" or
** "invalid", why says what is wrong.
*/
static const char *
cert_state(struct node *n, struct cert *c, char *why, size_t whylen)
{
	struct dib_diag d = {0};
	uint8_t *b = NULL, pk[32];
	size_t len;
	int64_t now = util_now_ms();
	const char *st;

	why[0] = '\0';
	memset(c, 0, sizeof *c);
	if (cert_node_cert(n, &b, &len, &d) != 0) {
		snprintf(why, whylen, "%s", d.msg);
		return d.code == DIB_ENOTFOUND ? "none" : "invalid";
	}
	if (cert_parse(b, len, c, &d) != 0) {
		st = "invalid";
	} else if (cert_pinned(n->store, c->nation, pk) != 0) {
		st = "not_pinned";
		snprintf(why, whylen, "nation %s is not pinned", c->nation);
	} else if (memcmp(c->node_pk, n->signer.pk, 32) != 0) {
		st = "invalid";
		snprintf(why, whylen, "the certificate is for another node "
		    "key");
	} else if (cert_verify(c, pk, c->not_before, &d) != 0) {
		/* Checked at its own start: the signature and key only. */
		st = "invalid";
	} else if (now < c->not_before) {
		st = "not_yet_valid";
	} else if (now >= c->not_after) {
		st = "expired";
	} else {
		st = "valid";
	}
	if (strcmp(st, "invalid") == 0 && why[0] == '\0')
		snprintf(why, whylen, "%s", d.msg);
	free(b);
	return st;
}

static json_t *
cert_json(const char *st, const struct cert *c, const char *why)
{
	char nb[40], na[40], fp[CERT_FP_LEN + 1];

	if (strcmp(st, "none") == 0)
		return json_null();
	if (c->len == 0)
		return json_pack("{s:s, s:s}", "status", st, "problem", why);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "status", st,
	    "nation", c->nation, "nation_key", cert_fingerprint(c->nation_pk,
	    fp), "not_before", util_time_format(c->not_before, nb, sizeof nb),
	    "not_after", util_time_format(c->not_after, na, sizeof na),
	    "problem", why[0] ? json_string(why) : json_null());
}

static void
cert_text(const char *st, const struct cert *c, const char *why)
{
	char ts[40], fp[CERT_FP_LEN + 1];

	printf("Certificat  ");
	if (strcmp(st, "none") == 0) {
		printf("aucun (diboli node certify --nation-key FICHIER)\n");
		return;
	}
	if (c->len == 0) {
		printf("INVALIDE : %s\n", why);
		return;
	}
	util_time_format(c->not_after, ts, sizeof ts);
	cert_fingerprint(c->nation_pk, fp);
	if (strcmp(st, "valid") == 0)
		printf("valide jusqu'au %s (clé nationale %s %s)\n", ts,
		    c->nation, fp);
	else if (strcmp(st, "expired") == 0)
		printf("EXPIRÉ le %s (clé nationale %s %s)\n", ts, c->nation,
		    fp);
	else if (strcmp(st, "not_yet_valid") == 0)
		printf("pas encore valide (à partir du %s)\n",
		    util_time_format(c->not_before, ts, sizeof ts));
	else
		printf("INVALIDE : %s\n", why);
}

static int
cmd_show(struct node *n, int json)
{
	struct node_counts c;
	struct cert *ct;
	char why[400];
	const char *st;

	if ((ct = malloc(sizeof *ct)) == NULL)
		return cli_error("out of memory");
	node_counts(n, &c);
	st = cert_state(n, ct, why, sizeof why);
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:I, s:I, "
		    "s:I, s:I, s:I, s:I, s:I}, s:o}", "node", n->id, "nation",
		    n->nation, "name", n->name, "created_at", n->created,
		    "model", model_version(n->model), "counts", "origins",
		    (json_int_t)c.origins, "logs", (json_int_t)c.logs, "blocks",
		    (json_int_t)c.blocks, "records", (json_int_t)c.records,
		    "current", (json_int_t)c.current, "superseded",
		    (json_int_t)c.superseded, "retracted",
		    (json_int_t)c.retracted, "cert", cert_json(st, ct, why));

		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		printf("Nœud        %s\n", n->id);
		printf("Nation      %s (%s)\n", n->nation,
		    util_nation_name(n->nation));
		printf("Nom         %s\n", n->name);
		printf("Créé le     %s\n", n->created);
		cert_text(st, ct, why);
		printf("Modèle      %s\n", model_version(n->model));
		printf("Origines    %lld\n", (long long)c.origins);
		printf("Journaux    %lld\n", (long long)c.logs);
		printf("Blocs       %lld\n", (long long)c.blocks);
		printf("Fiches      %lld (%lld en vigueur, %lld remplacées, "
		    "%lld retirées)\n", (long long)c.records,
		    (long long)c.current, (long long)c.superseded,
		    (long long)c.retracted);
	}
	free(ct);
	return CLI_OK;
}

/* ---- diboli node certify ---- */

static int
cmd_certify(struct node *n, const char *keyfile)
{
	struct dib_diag d = {0};
	struct certify_job j;
	char target[80];
	int rc;

	memset(&j, 0, sizeof j);
	snprintf(target, sizeof target, "node:%s", n->id);
	if (cert_nation_key_load(keyfile, j.nation, j.sk, j.pk, &d) != 0) {
		cli_audit_failed(n->store, "node.certify", target, &d);
		return cli_diag(&d);
	}
	if ((rc = certify(n, &j)) == CLI_OK) {
		printf("node %s (%s, %s)\n", n->id, n->nation, n->name);
		print_certified(n, &j);
	}
	sodium_memzero(j.sk, sizeof j.sk);
	return rc;
}

static int
cmd_backup(struct node *n, const char *out)
{
	struct node_backup_report rep;
	struct dib_diag d = {0};

	if (node_backup(n, out, &rep, &d) != 0)
		return cli_diag(&d);
	printf("%s\n", out);
	fprintf(stderr, "copie du nœud « %s » dans %s : %lld fiche(s), base de "
	    "%.1f Mo vérifiée, %d autre(s) fichier(s) dont node.key (la clé "
	    "privée du nœud : gardez la copie comme le nœud)\n", n->name, out,
	    (long long)rep.records, (double)rep.bytes / 1e6, rep.files);
	return CLI_OK;
}

int
cli_node(int argc, char **argv)
{
	enum { O_DIR = 256, O_JSON, O_KEY, O_OUT };
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},
		{"json", no_argument, NULL, O_JSON},
		{"nation-key", required_argument, NULL, O_KEY},
		{"out", required_argument, NULL, O_OUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	/* The options each verb takes, besides --dir. */
	static const struct {
		const char *verb;
		int opt;
	} takes[] = {{"show", O_JSON}, {"certify", O_KEY}, {"backup", O_OUT}};
	const char *dir = NULL, *keyfile = NULL, *out = NULL, *verb;
	struct dib_diag d = {0};
	struct node *n = NULL;
	int ch, json = 0, rc;
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(node_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	for (i = 0; i < sizeof takes / sizeof takes[0] &&
	    strcmp(verb, takes[i].verb) != 0; i++)
		;
	if (i == sizeof takes / sizeof takes[0]) {
		fputs(node_usage, stderr);
		return cli_usage_error("unknown verb \"node %s\" (show, "
		    "certify, backup)", verb);
	}
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1)
	{
		if ((ch == O_JSON || ch == O_KEY || ch == O_OUT) &&
		    ch != takes[i].opt)
			return cli_usage_error("\"node %s\" does not take %s "
			    "(see diboli node --help)", verb, ch == O_JSON ?
			    "--json" : ch == O_KEY ? "--nation-key" : "--out");
		switch (ch) {
		case O_DIR: dir = optarg; break;
		case O_JSON: json = 1; break;
		case O_KEY: keyfile = optarg; break;
		case O_OUT: out = optarg; break;
		case 'h':
			fputs(node_usage, stdout);
			return CLI_OK;
		default:
			return cli_bad_option(argv + 1, "node");
		}
	}
	if (optind < argc - 1)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind + 1]);
	if (dir == NULL)
		return cli_usage_error("--dir is required");
	if (takes[i].opt == O_KEY && keyfile == NULL)
		return cli_usage_error("--nation-key is required (the nation's "
		    "private key file, from diboli nation keygen)");
	if (takes[i].opt == O_OUT && out == NULL)
		return cli_usage_error("--out is required (a new or empty "
		    "directory for the copy)");
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	rc = takes[i].opt == O_JSON ? cmd_show(n, json) : takes[i].opt ==
	    O_KEY ? cmd_certify(n, keyfile) : cmd_backup(n, out);
	node_close(n);
	return rc;
}
