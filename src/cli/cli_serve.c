/*
** diboli serve: run a node's HTTP API.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "http/http.h"

static const char usage[] =
    "usage: diboli serve --dir DIR [--listen ADDR:PORT] [--tls-cert F "
    "--tls-key F]\n"
    "       [--max-body BYTES] [--max-header BYTES] [--max-connections N]\n"
    "       [--per-ip N] [--timeout SECONDS] [--threads N] [--quiet]\n"
    "       [--ready-file F] [--tiles FILE.mbtiles] [--max-streams N]\n"
    "\n"
    "Serve the node's web UI (http://ADDR:PORT/) and API (default\n"
    "127.0.0.1:8440; port 0 picks a free one). Ctrl-C or SIGTERM stops it\n"
    "cleanly: requests in flight finish, event streams end.\n"
    "Defaults: body 32 MiB, headers 64 KiB, 256 connections, 64 per\n"
    "address, 30 s timeout for idle or slow clients, 4 threads, 64 open\n"
    "event streams (the UI's live updates).\n"
    "--ready-file F: write the URL to F once listening.\n"
    "--tiles F: an offline base map, an MBTiles file (raster png, jpg or\n"
    "  webp tiles; pbf is served but the UI does not draw it), read-only,\n"
    "  served as /tiles/Z/X/Y.EXT; the UI adds it under its layers.\n";

static int
number(const char *s, const char *name, unsigned long lo, unsigned long hi,
    unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *s == '-' || *end != '\0' || v < lo || v > hi)
		return cli_usage_error("--%s must be a whole number from %lu to "
		    "%lu", name, lo, hi);
	*out = v;
	return CLI_OK;
}

int
cli_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"tls-cert", required_argument, NULL, 'c'},
		{"tls-key", required_argument, NULL, 'k'},
		{"max-body", required_argument, NULL, 'b'},
		{"max-header", required_argument, NULL, 'H'},
		{"max-connections", required_argument, NULL, 'm'},
		{"per-ip", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 't'},
		{"threads", required_argument, NULL, 'T'},
		{"quiet", no_argument, NULL, 'q'},
		{"ready-file", required_argument, NULL, 'r'},
		{"tiles", required_argument, NULL, 'M'},
		{"max-streams", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct http_conf c;
	struct dib_diag d = {0};
	unsigned long v;
	int ch, rc;

	http_conf_defaults(&c);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		rc = CLI_OK;
		switch (ch) {
		case 'd': c.dir = optarg; break;
		case 'l': c.listen = optarg; break;
		case 'c': c.tls_cert = optarg; break;
		case 'k': c.tls_key = optarg; break;
		case 'q': c.quiet = 1; break;
		case 'r': c.ready_file = optarg; break;
		case 'M': c.tiles = optarg; break;
		case 'S':
			if ((rc = number(optarg, "max-streams", 1, 10000,
			    &v)) == CLI_OK)
				c.max_streams = (unsigned)v;
			break;
		case 'b':
			if ((rc = number(optarg, "max-body", 1024, 1UL << 30,
			    &v)) == CLI_OK)
				c.max_body = v;
			break;
		case 'H':
			if ((rc = number(optarg, "max-header", 4096, 1UL << 20,
			    &v)) == CLI_OK)
				c.max_header = v;
			break;
		case 'm':
			if ((rc = number(optarg, "max-connections", 1, 100000,
			    &v)) == CLI_OK)
				c.max_conns = (unsigned)v;
			break;
		case 'p':
			if ((rc = number(optarg, "per-ip", 1, 100000, &v)) ==
			    CLI_OK)
				c.per_ip = (unsigned)v;
			break;
		case 't':
			if ((rc = number(optarg, "timeout", 1, 3600, &v)) ==
			    CLI_OK)
				c.timeout_s = (unsigned)v;
			break;
		case 'T':
			if ((rc = number(optarg, "threads", 1, 64, &v)) ==
			    CLI_OK)
				c.threads = (unsigned)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_OK;
		default:
			fputs(usage, stderr);
			return cli_bad_option(argv, "serve");
		}
		if (rc != CLI_OK)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (c.dir == NULL)
		return cli_usage_error("--dir is required");
	if (http_serve(&c, &d) != 0)
		return cli_diag(&d);
	return CLI_OK;
}
