/*
** diboli demo seed: fill a node with the synthetic demo situation.
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
    "\n"
    "Fill a node with a deterministic, synthetic situation for its nation\n"
    "around Kidira–Diboli, Moussala, Satadougou, the Falémé and the\n"
    "corridor, from 20 February 2025 on (N days, default 90; S, default 1).\n"
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct dib_diag d = {0};
	struct node *n = NULL;
	const char *dir = NULL;
	long days = 90, seed = 1;
	int64_t count;
	int c, rc;

	if ((c = cli_expect_verb(argc, argv, "seed", usage)) >= 0)
		return c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
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
			return cli_usage_error("unknown option or missing "
			    "value (see diboli demo --help)");
		}
	}
	if (dir == NULL)
		return cli_usage_error("--dir is required");
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	rc = demo_seed(n, (int)days, (uint64_t)seed, isatty(2) ? progress :
	    NULL, NULL, &count, &d);
	if (rc != 0) {
		if (rc == DIB_EEXIST)
			cli_error("this node already holds the demo records of "
			    "seed %ld; use another --seed", seed);
		else
			cli_diag(&d);
		node_close(n);
		return CLI_FAIL;
	}
	printf("%lld synthetic records over %ld days added to %s (%s)\n",
	    (long long)count, days, n->name, n->nation);
	node_close(n);
	return CLI_OK;
}
