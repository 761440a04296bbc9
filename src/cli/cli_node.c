/*
** diboli init and diboli node show: creating a node and telling what it is.
*/
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "model/model.h"
#include "node/node.h"
#include "util/util.h"

static const char init_usage[] =
    "usage: diboli init --dir DIR --nation CODE --name TEXT\n"
    "\n"
    "Create a node: its database, its Ed25519 key (DIR/node.key, mode\n"
    "0600) and its identity. CODE is ISO 3166-1 alpha-2 (SN, ML, MR...).\n"
    "Example: diboli init --dir /var/lib/diboli --nation SN \\\n"
    "           --name \"Zone militaire n°4 — PC Tambacounda\"\n";

static const char node_usage[] =
    "usage: diboli node show --dir DIR [--json]\n"
    "\n"
    "Print the node's identity and what it holds.\n";

int
cli_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"nation", required_argument, NULL, 'n'},
		{"name", required_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *dir = NULL, *nation = NULL, *name = NULL;
	struct dib_diag d = {0};
	struct node *n = NULL;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': nation = optarg; break;
		case 'N': name = optarg; break;
		case 'h':
			fputs(init_usage, stdout);
			return CLI_OK;
		default:
			fputs(init_usage, stderr);
			return cli_usage_error("unknown option or missing "
			    "value: %s", argv[optind - 1]);
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
	if (node_init(dir, nation, name, &d) != 0)
		return cli_diag(&d);
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	printf("node %s created in %s\n  nation %s (%s)\n  name   %s\n",
	    n->id, dir, n->nation, util_nation_name(n->nation), n->name);
	node_close(n);
	return CLI_OK;
}

int
cli_node(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *dir = NULL;
	struct dib_diag d = {0};
	struct node_counts c;
	struct node *n = NULL;
	int ch, json = 0;

	if ((ch = cli_expect_verb(argc, argv, "show", node_usage)) >= 0)
		return ch;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1)
	{
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			fputs(node_usage, stdout);
			return CLI_OK;
		default:
			return cli_usage_error("unknown option or missing "
			    "value (see diboli node --help)");
		}
	}
	if (optind < argc - 1)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind + 1]);
	if (dir == NULL)
		return cli_usage_error("--dir is required");
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	node_counts(n, &c);
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:I, s:I, "
		    "s:I, s:I, s:I, s:I, s:I}}", "node", n->id, "nation",
		    n->nation, "name", n->name, "created_at", n->created,
		    "model", model_version(n->model), "counts", "origins",
		    (json_int_t)c.origins, "logs", (json_int_t)c.logs, "blocks",
		    (json_int_t)c.blocks, "records", (json_int_t)c.records,
		    "current", (json_int_t)c.current, "superseded",
		    (json_int_t)c.superseded, "retracted",
		    (json_int_t)c.retracted);

		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		printf("Nœud        %s\n", n->id);
		printf("Nation      %s (%s)\n", n->nation,
		    util_nation_name(n->nation));
		printf("Nom         %s\n", n->name);
		printf("Créé le     %s\n", n->created);
		printf("Modèle      %s\n", model_version(n->model));
		printf("Origines    %lld\n", (long long)c.origins);
		printf("Journaux    %lld\n", (long long)c.logs);
		printf("Blocs       %lld\n", (long long)c.blocks);
		printf("Fiches      %lld (%lld en vigueur, %lld remplacées, "
		    "%lld retirées)\n", (long long)c.records,
		    (long long)c.current, (long long)c.superseded,
		    (long long)c.retracted);
	}
	node_close(n);
	return CLI_OK;
}
