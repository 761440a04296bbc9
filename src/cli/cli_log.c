/*
** diboli log verify: re-check every chain, signature and projection.
*/
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "log/log.h"
#include "node/node.h"

static const char usage[] =
    "usage: diboli log verify --dir DIR\n"
    "\n"
    "Re-check every block's hash chain and signature and rebuild the\n"
    "projection from the logs to compare. Exit 0 when all is well, 1\n"
    "naming the log and block when anything was altered.\n";

static void
progress(void *arg, int64_t done, int64_t total)
{
	(void)arg;
	if (total > 0)
		fprintf(stderr, "\rvérification %lld/%lld fiches (%d%%)",
		    (long long)done, (long long)total,
		    (int)(100 * done / total));
	if (done >= total)
		fputc('\n', stderr);
}

int
cli_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct dib_diag d = {0};
	struct log_verify_report rep;
	struct node *n = NULL;
	const char *dir = NULL;
	int c, rc;

	if ((c = cli_expect_verb(argc, argv, "verify", usage)) >= 0)
		return c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'h':
			fputs(usage, stdout);
			return CLI_OK;
		default:
			return cli_bad_option(argv + 1, "log");
		}
	}
	if (dir == NULL)
		return cli_usage_error("--dir is required");
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	rc = log_verify(n->store, &rep, isatty(2) ? progress : NULL, NULL, &d);
	node_close(n);
	if (rc != 0) {
		cli_diag(&d);
		fprintf(stderr, "diboli: verification FAILED\n");
		return CLI_FAIL;
	}
	printf("ok: %lld logs, %lld blocks, %lld records verified; projection "
	    "matches (%lld current)\n", (long long)rep.logs,
	    (long long)rep.blocks, (long long)rep.records,
	    (long long)rep.current);
	return CLI_OK;
}
