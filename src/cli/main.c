/*
** diboli: the command line. "diboli <noun> <verb> [--flags]"; each noun
** lives in its own cli_<noun>.c and only calls the library.
*/
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *noun;
	int (*fn)(int, char **);
	const char *help;
} nouns[] = {
	{"init", cli_init, "create a node's data directory"},
	{"serve", cli_serve, "serve the node's HTTP API"},
	{"node", cli_node, "show the node's identity and counts"},
	{"model", cli_model, "show or load the data model"},
	{"record", cli_record, "add, get, list, supersede, retract records"},
	{"log", cli_log, "verify signed logs and projections"},
	{"geo", cli_geo, "convert coordinates (DD, DMS, UTM, MGRS)"},
	{"demo", cli_demo, "seed a node with a synthetic situation"},
	{"user", cli_user, "add, change, disable, list user accounts"},
	{"token", cli_token, "create, list, revoke API tokens"},
	{"audit", cli_audit, "verify and list the audit trail"},
	{"nation", cli_nation, "make, pin and list nation root keys"},
	{"peer", cli_peer, "add, list, remove the nodes to sync with"},
	{"sync", cli_sync, "exchange with peers; summary; status"},
	{"bundle", cli_bundle, "export and import sync bundles (USB, e-mail)"},
	{"patrol", cli_patrol, "plan, approve, follow and debrief joint patrols"},
	{"import", cli_import, "import GPS tracks of a patrol (GPX)"},
	{"export", cli_export, "export a patrol's GPS tracks (GPX, GeoJSON)"},
	{"section", cli_section, "set and list the border sections' levels"},
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: diboli <command> [<verb>] [--flags]\n\n"
	    "Information system of the Senegal–Mali border partnership.\n\n"
	    "Commands:\n");
	for (i = 0; i < sizeof nouns / sizeof nouns[0]; i++)
		fprintf(f, "  %-8s %s\n", nouns[i].noun, nouns[i].help);
	fprintf(f, "\n\"diboli <command> --help\" tells more.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("diboli 0.1.0\n");
		return CLI_OK;
	}
	for (i = 0; i < sizeof nouns / sizeof nouns[0]; i++)
		if (strcmp(argv[1], nouns[i].noun) == 0)
			return nouns[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "diboli: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
