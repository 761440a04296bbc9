/*
** diboli import gpx: GPS tracks of a patrol from GPX 1.1 and 1.0 files.
** Each file is one upload, cleaned and cut into records by src/patrol;
** all the files go in one transaction (with its audit row), or none.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "log/record.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "track/track.h"
#include "util/util.h"

static const char usage_text[] =
    "usage: diboli import gpx --dir DIR --patrol ID [--max-speed M/S]\n"
    "       [--gap SECONDS] [--json] [--lang fr|en] FILE...\n"
    "\n"
    "Import GPS tracks of a joint patrol from GPX 1.1 or 1.0 files (- for\n"
    "standard input). Each file is one upload: its track points are\n"
    "cleaned with the rules of the patrol's type (points out of order are\n"
    "put back in order, duplicates and impossible speeds removed, GPS gaps\n"
    "split the track; everything is counted and printed), cut into records\n"
    "of at most 2,000 points, and signed by this node for its nation. The\n"
    "patrol must be underway, completed or aborted and this node's nation\n"
    "take part in it. All the files are written in one transaction: if one\n"
    "is refused (malformed XML, a DOCTYPE or entity, a position out of\n"
    "range, too many points), nothing is written.\n"
    "\n"
    "  --max-speed M/S  faster than this is a GPS spike (default: the\n"
    "                   patrol type's, see DIR/track-rules.json)\n"
    "  --gap SECONDS    a longer silence of the GPS starts a new segment\n"
    "                   (default 300)\n"
    "  --json           print what was done as JSON\n"
    "\n"
    "A progress bar is drawn on standard error when it is a terminal.\n";

struct file_job {
	struct node *n;
	struct patrol_track_batch *b;
	size_t nb;
	char detail[300];
};

/* Every upload, then the audit row (cli_audited), in one transaction. */
static int
do_commit(struct store *s, void *arg, struct dib_diag *d)
{
	struct file_job *j = arg;
	size_t i, pieces = 0, points = 0;
	int rc;

	(void)s;
	for (i = 0; i < j->nb; i++) {
		char pre[32];

		if ((rc = patrol_track_commit(j->n, &j->b[i], d)) != 0) {
			snprintf(pre, sizeof pre, "files[%zu]", i);
			dib_diag_prefix(d, pre);
			return rc;
		}
		pieces += j->b[i].n;
		points += j->b[i].points;
	}
	snprintf(j->detail, sizeof j->detail, "files=%zu records=%zu "
	    "points=%zu first_track=%s", j->nb, pieces, points, j->nb ?
	    j->b[0].track_id : "");
	return DIB_OK;
}

/* The progress bar: on a terminal only, for files of 1 MiB or more (or
** a pipe, whose size is unknown). */
struct bar {
	const char *name;
	int last;               /* last percent drawn, -1 none */
	int drawn;
};

static void
bar_draw(void *arg, uint64_t done, uint64_t total)
{
	struct bar *b = arg;
	char line[120];
	int pct, k, w = 30;

	if (total > 0 && total < (1u << 20))
		return;
	pct = total ? (int)(done * 100 / total) : -1;
	if (pct == b->last && total > 0)
		return;
	b->last = pct;
	b->drawn = 1;
	if (total == 0) {
		fprintf(stderr, "\r%.40s  %.1f MiB", b->name, (double)done /
		    1048576.0);
		return;
	}
	for (k = 0; k < w; k++)
		line[k] = k < pct * w / 100 ? '#' : '.';
	line[w] = '\0';
	fprintf(stderr, "\r%.40s [%s] %3d%%  %.1f/%.1f MiB", b->name, line, pct,
	    (double)done / 1048576.0, (double)total / 1048576.0);
}

static void
bar_done(struct bar *b)
{
	if (b->drawn)
		fputs("\r\033[K", stderr);
	b->drawn = 0;
}

/* 12.34 with a decimal comma in French. */
static const char *
num(double x, int dec, int fr, char *out, size_t n)
{
	char *c;

	snprintf(out, n, "%.*f", dec, x);
	if (fr && (c = strchr(out, '.')) != NULL)
		*c = ',';
	return out;
}

static void
print_file(const char *file, const struct patrol_track_batch *b,
    size_t bad_time, int fr)
{
	char km[32], t0[40], t1[40];

	num(b->length_m / 1000, 2, fr, km, sizeof km);
	if (b->t_start) {
		util_time_format(b->t_start, t0, sizeof t0);
		util_time_format(b->t_end, t1, sizeof t1);
	}
	printf(fr ? "%s : %zu points en %zu enregistrement(s), %s km" :
	    "%s: %zu points in %zu record(s), %s km", file, b->points, b->n,
	    km);
	if (b->t_start)
		printf(", %s → %s", t0, t1);
	printf(fr ? "\n  trace %s\n" : "\n  track %s\n", b->track_id);
	printf(fr ? "  nettoyage : %zu point(s) lu(s), %zu hors d'ordre remis en "
	    "ordre, %zu doublon(s) et %zu saut(s) impossible(s) retirés, "
	    "%zu interruption(s) du GPS, %zu point(s) sans heure" :
	    "  cleaning: %zu point(s) read, %zu out of order reordered, %zu "
	    "duplicate(s) and %zu impossible jump(s) removed, %zu GPS gap(s), "
	    "%zu point(s) without time", b->n_in, b->out_of_order,
	    b->duplicates, b->spikes, b->time_gaps + b->jumps, b->no_time);
	if (bad_time)
		printf(fr ? " (dont %zu avant 1980 : horloge du GPS non réglée)" :
		    " (%zu before 1980: the GPS clock was not set)", bad_time);
	if (b->bad_ele)
		printf(fr ? ", %zu altitude(s) aberrante(s) ignorée(s)" :
		    ", %zu implausible elevation(s) dropped", b->bad_ele);
	putchar('\n');
}

static int
positive(const char *s, const char *flag, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(*v > 0) || !(*v <= 1e6))
		return cli_usage_error("%s must be a number > 0, got \"%.20s\"",
		    flag, s);
	return CLI_OK;
}

static int
import_gpx(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"patrol", required_argument, NULL, 'p'},
		{"max-speed", required_argument, NULL, 's'},
		{"gap", required_argument, NULL, 'g'},
		{"json", no_argument, NULL, 'j'},
		{"lang", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct dib_diag d = {0};
	struct patrol_track_in in;
	struct file_job job;
	struct node *n = NULL;
	const char *dir = NULL, *pid = NULL, *lang = "fr";
	size_t *bad_time = NULL;
	uint8_t patrol[16];
	char target[60], txt[37];
	int c, rc = CLI_OK, json = 0, tty, i, nfiles;

	memset(&in, 0, sizeof in);
	memset(&job, 0, sizeof job);
	in.source = PATROL_SOURCE_GPX;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'p': pid = optarg; break;
		case 's':
			if ((rc = positive(optarg, "--max-speed",
			    &in.max_speed_ms)) != CLI_OK)
				return rc;
			in.has_max_speed = 1;
			break;
		case 'g':
			if ((rc = positive(optarg, "--gap", &in.gap_s)) != CLI_OK)
				return rc;
			in.has_gap = 1;
			break;
		case 'j': json = 1; break;
		case 'l': lang = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			return CLI_OK;
		default:
			return cli_bad_option(argv, "import");
		}
	}
	if (dir == NULL)
		return cli_usage_error("--dir is required");
	if (pid == NULL)
		return cli_usage_error("--patrol is required: the patrol's id "
		    "(diboli patrol list)");
	if (strcmp(lang, "fr") != 0 && strcmp(lang, "en") != 0)
		return cli_usage_error("--lang must be fr or en");
	if (optind >= argc)
		return cli_usage_error("give at least one GPX file (- for "
		    "standard input)");
	if (util_uuid_parse(pid, patrol) != 0)
		return cli_error("patrol: \"%.60s\" is not a patrol id", pid);
	nfiles = argc - optind;
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	snprintf(target, sizeof target, "patrol:%s",
	    util_uuid_format(patrol, txt));
	job.n = n;
	if ((job.b = calloc((size_t)nfiles, sizeof *job.b)) == NULL ||
	    (bad_time = calloc((size_t)nfiles, sizeof *bad_time)) == NULL) {
		rc = cli_error("out of memory");
		goto out;
	}
	tty = isatty(STDERR_FILENO);
	/* Read and prepare every file first: nothing is written until all
	 * of them are good. */
	for (i = 0; i < nfiles; i++) {
		const char *file = argv[optind + i];
		struct track_gpx_opts go;
		struct track_gpx g;
		struct bar bar = {file, -1, 0};

		memset(&go, 0, sizeof go);
		if (tty) {
			go.progress = bar_draw;
			go.progress_arg = &bar;
		}
		rc = track_gpx_parse_file(file, &go, &g, &d);
		bar_done(&bar);
		if (rc == 0 && g.trk.n == 0)
			rc = dib_fail(&d, DIB_EINVAL, "gpx", "no track point "
			    "(trk/trkseg/trkpt): routes and waypoints are not "
			    "tracks");
		if (rc == 0) {
			bad_time[i] = g.bad_time;
			rc = patrol_track_prepare(n, patrol, &g.trk, &in,
			    &job.b[i], &d);
		}
		track_gpx_free(&g);
		if (rc != 0) {
			char pre[300];

			snprintf(pre, sizeof pre, "%s", strcmp(file, "-") ? file :
			    "stdin");
			cli_audit_failed(n->store, "patrols.track", target, &d);
			if (d.field[0] == '\0')
				snprintf(d.field, sizeof d.field, "%.90s", pre);
			else
				dib_diag_prefix(&d, pre);
			rc = cli_diag(&d);
			goto out;
		}
		job.nb++;
	}
	if (cli_audited(n->store, do_commit, &job, "patrols.track", target,
	    job.detail, &d) != 0) {
		rc = cli_diag(&d);
		goto out;
	}
	if (json) {
		json_t *o = json_object(), *files = json_array();

		for (i = 0; i < nfiles; i++) {
			json_t *f = patrol_track_batch_json(&job.b[i]);

			json_object_set_new(f, "file", json_string(argv[optind +
			    i]));
			json_object_set_new(f, "gpx_bad_time", json_integer(
			    (json_int_t)bad_time[i]));
			json_array_append_new(files, f);
		}
		json_object_set_new(o, "files", files);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		putchar('\n');
		json_decref(o);
	} else {
		for (i = 0; i < nfiles; i++)
			print_file(strcmp(argv[optind + i], "-") ? argv[optind +
			    i] : "stdin", &job.b[i], bad_time[i],
			    strcmp(lang, "fr") == 0);
	}
	rc = CLI_OK;
out:
	for (i = 0; job.b != NULL && i < nfiles; i++)
		patrol_track_batch_free(&job.b[i]);
	free(job.b);
	free(bad_time);
	node_close(n);
	return rc;
}

int
cli_import(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "gpx") != 0)
		return cli_usage_error("unknown verb \"import %s\" (gpx)",
		    argv[1]);
	return import_gpx(argc - 1, argv + 1);
}
