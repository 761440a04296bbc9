/*
** diboli export gpx|geojson: a patrol's GPS tracks as GPX 1.1 (every
** point, one trk per upload) or as a GeoJSON FeatureCollection (one
** Feature per upload, every point or simplified for a map zoom level).
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "util/buf.h"
#include "util/util.h"

static const char usage_text[] =
    "usage: diboli export gpx --dir DIR --patrol ID [--out FILE]\n"
    "       diboli export geojson --dir DIR --patrol ID [--out FILE]\n"
    "       [--zoom Z]\n"
    "\n"
    "Export the GPS tracks of a joint patrol held by this node (every\n"
    "nation's):\n"
    "  gpx      GPX 1.1, every point, one trk per upload (\"JP-001 SN 1\")\n"
    "           with a trkseg per segment (a GPS gap starts one)\n"
    "  geojson  a FeatureCollection (RFC 7946), one Feature per upload\n"
    "           with its nation, points, length and times; --zoom Z (5-18)\n"
    "           simplifies the lines for a web map at that zoom level\n"
    "\n"
    "--out FILE writes the file (replaced atomically), else standard\n"
    "output.\n";

/* Largest export held in memory. */
#define EXPORT_MAX ((size_t)1 << 31)

int
cli_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"patrol", required_argument, NULL, 'p'},
		{"out", required_argument, NULL, 'o'},
		{"zoom", required_argument, NULL, 'z'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct dib_diag d = {0};
	struct node *n = NULL;
	const char *dir = NULL, *pid = NULL, *out = NULL, *fmt;
	struct buf b;
	uint8_t patrol[16];
	long zoom = -1;
	char *end;
	int c, rc = CLI_OK, gpx;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	fmt = argv[1];
	if (strcmp(fmt, "gpx") != 0 && strcmp(fmt, "geojson") != 0)
		return cli_usage_error("unknown verb \"export %s\" (gpx, "
		    "geojson)", fmt);
	gpx = strcmp(fmt, "gpx") == 0;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'p': pid = optarg; break;
		case 'o': out = optarg; break;
		case 'z':
			zoom = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || zoom < 0 ||
			    zoom > 24)
				return cli_usage_error("--zoom must be a whole "
				    "number from 0 to 24 (5-18 are used)");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CLI_OK;
		default:
			return cli_bad_option(argv + 1, "export");
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind + 1]);
	if (dir == NULL)
		return cli_usage_error("--dir is required");
	if (pid == NULL)
		return cli_usage_error("--patrol is required: the patrol's id "
		    "(diboli patrol list)");
	if (gpx && zoom >= 0)
		return cli_usage_error("--zoom is for geojson: a GPX export "
		    "holds every point");
	if (util_uuid_parse(pid, patrol) != 0)
		return cli_error("patrol: \"%.60s\" is not a patrol id", pid);
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	buf_init(&b, EXPORT_MAX);
	if (gpx) {
		rc = patrol_tracks_gpx(n, patrol, &b, 0, &d);
	} else {
		json_t *fc = NULL;

		rc = patrol_tracks_geojson(n, patrol, (int)zoom, &fc, &d);
		if (rc == 0) {
			char *text = json_dumps(fc, JSON_COMPACT |
			    JSON_REAL_PRECISION(15));

			if (text == NULL || buf_adds(&b, text) != 0 ||
			    buf_addc(&b, '\n') != 0)
				rc = dib_fail(&d, DIB_ENOMEM, "", "out of memory");
			free(text);
		}
		json_decref(fc);
	}
	if (rc == 0 && out != NULL)
		rc = util_write_file(out, b.p, b.len, 0644, &d);
	else if (rc == 0 && (fwrite(b.p, 1, b.len, stdout) != b.len ||
	    fflush(stdout) != 0))
		rc = dib_fail(&d, DIB_EIO, "out", "cannot write to standard "
		    "output");
	buf_free(&b);
	node_close(n);
	return rc == 0 ? CLI_OK : cli_diag(&d);
}
