/*
** diboli demo seed|patrols: fill a node with the synthetic demo
** situation; seed joint patrols on a pair of nodes.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "demo/demo.h"
#include "node/node.h"

static const char usage[] =
    "usage: diboli demo seed --dir DIR [--days N] [--seed S]\n"
    "       diboli demo patrols --dir SN_DIR --partner ML_DIR [--seed S]\n"
    "       diboli demo sections --dir SN_DIR --partner ML_DIR [--seed S]\n"
    "\n"
    "seed     fill a node with a deterministic, synthetic situation for its\n"
    "         nation around Kidira–Diboli, Moussala, Satadougou, the Falémé\n"
    "         and the corridor, from 20 February 2025 on (N days, default\n"
    "         90; S, default 1).\n"
    "patrols  seed joint patrols on a Senegalese node and its Malian partner\n"
    "         (both certified, each pinning the other's nation key): SN\n"
    "         plans and proposes, ML's node receives the plans by sync and\n"
    "         approves on its own, and so on; most are completed, one is\n"
    "         underway, one awaits ML's approval.\n"
    "sections seed a year of border-section levels on the same pair: each\n"
    "         nation sets its side on its own node, raises notify the other.\n"
    "Synthetic data: no real person is named.\n";

static void
progress(void *arg, int day, int days)
{
	(void)arg;
	fprintf(stderr, "\rjour %d/%d", day, days);
	if (day >= days)
		fputc('\n', stderr);
}

static int
parse_int(const char *s, const char *field, long lo, long hi, long *v)
{
	char *end;

	*v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *v < lo || *v > hi)
		return cli_error("%s: must be a whole number from %ld to %ld, "
		    "got \"%.20s\"", field, lo, hi, s);
	return CLI_OK;
}

int
cli_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"days", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 's'},
		{"partner", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct dib_diag d = {0};
	struct node *n = NULL, *partner = NULL;
	const char *dir = NULL, *pdir = NULL;
	long days = 90, seed = 1;
	int64_t count;
	int c, rc, patrols;

	if (argc >= 2 && strcmp(argv[1], "patrols") == 0)
		patrols = 1;
	else if (argc >= 2 && strcmp(argv[1], "sections") == 0)
		patrols = 2;
	else if ((c = cli_expect_verb(argc, argv, "seed", usage)) >= 0)
		return c;
	else
		patrols = 0;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'p': pdir = optarg; break;
		case 'n':
			if ((rc = parse_int(optarg, "days", 1, 3650, &days)) !=
			    CLI_OK)
				return rc;
			break;
		case 's':
			if ((rc = parse_int(optarg, "seed", 0, 2147483647L,
			    &seed)) != CLI_OK)
				return rc;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_OK;
		default:
			return cli_bad_option(argv + 1, "demo");
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind + 1]);
	if (dir == NULL)
		return cli_usage_error("--dir is required");
	if ((patrols != 0) != (pdir != NULL))
		return cli_usage_error(patrols ? "--partner is required: the "
		    "Malian node" : "--partner goes with demo patrols and "
		    "sections");
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	if (patrols) {
		if (node_open(pdir, &partner, &d) != 0) {
			node_close(n);
			return cli_diag(&d);
		}
		rc = (patrols == 2 ? demo_seed_sections :
		    demo_seed_patrols_joint)(n, partner, (uint64_t)seed, &count,
		    &d);
	} else {
		rc = demo_seed(n, (int)days, (uint64_t)seed, isatty(2) ?
		    progress : NULL, NULL, &count, &d);
	}
	if (rc != 0) {
		if (rc == DIB_EEXIST)
			cli_error("this node already holds the demo %s of seed "
			    "%ld; use another --seed", patrols == 2 ?
			    "sections" : patrols ? "patrols" : "records", seed);
		else if (patrols && strncmp(d.field, "sync", 4) == 0) {
			cli_diag(&d);
			cli_error("both nodes must be certified and pin each "
			    "other's nation key (diboli peer add --nation-pub)");
		} else
			cli_diag(&d);
		node_close(partner);
		node_close(n);
		return CLI_FAIL;
	}
	if (patrols)
		printf("%lld records of %s added to %s (%s) and %s (%s)\n",
		    (long long)count, patrols == 2 ? "border-section levels" :
		    "joint patrols", n->name, n->nation, partner->name,
		    partner->nation);
	else
		printf("%lld synthetic records over %ld days added to %s "
		    "(%s)\n", (long long)count, days, n->name, n->nation);
	node_close(partner);
	node_close(n);
	return CLI_OK;
}
