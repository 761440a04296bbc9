/*
** diboli geo convert: coordinates from any notation (decimal degrees, DMS,
** UTM, MGRS) to MGRS, UTM or decimal degrees, from arguments or stdin.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "geo/geo.h"

/* Longest stdin line, newline included. */
#define LINE_MAX_BYTES 1024

static const char usage_text[] =
    "usage: diboli geo convert --to mgrs|utm|dd [--precision N] "
    "[COORDS...]\n"
    "\n"
    "Convert each COORDS argument (quote it: \"14.467 -12.217\"), or each\n"
    "line of stdin when there is none, and print one line per input:\n"
    "  mgrs  28PBB3648725798 (--precision N: 0 to 5 digits, default 5)\n"
    "  utm   28N 236487 1625799\n"
    "  dd    14.693000 -17.447000 (latitude longitude)\n"
    "\n"
    "Input notations: 14.467 -12.217, 14.467N 12.217W, 14°28'12.5\"N "
    "12°13'1\"W,\n"
    "14 28 12.5 N 12 13 1 W, 14°28.2'N 12°13.5'W, 28N 800025 1601197,\n"
    "28PBB3648725798. WGS84 throughout; MGRS and UTM cover 80°S to 84°N.\n";

enum { TO_NONE, TO_MGRS, TO_UTM, TO_DD };

struct conv {
	int to;         /* TO_* */
	int digits;     /* MGRS digits per coordinate */
};

static const struct option opts[] = {
	{"to", required_argument, NULL, 't'},
	{"precision", required_argument, NULL, 'p'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0}
};

/* A negative number such as "-14.5 12" is a coordinate, not an option. */
static int
is_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0' && !(a[1] >= '0' && a[1] <= '9') &&
	    a[1] != '.';
}

/* Input as shown in a message: printable, cut at a character boundary. */
static void
shown(const char *s, char *out, size_t n)
{
	size_t i = 0, j = 0;

	while (s[i] != '\0' && j + 4 < n) {
		unsigned char c = (unsigned char)s[i];

		if (j + 8 >= n && (c & 0xc0) != 0x80) {
			memcpy(out + j, "...", 3);
			j += 3;
			break;
		}
		out[j++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		i++;
	}
	out[j] = '\0';
}

/* Convert one coordinate and print it; on failure print why. */
static int
convert_one(const struct conv *cv, const char *in, long line)
{
	struct dib_diag d = {0};
	char out[GEO_UTM_LEN], msg[600], show[80], where[32] = "";
	double lat, lon;
	int rc;

	rc = geo_parse(in, &lat, &lon, &d);
	if (rc == DIB_OK && cv->to == TO_MGRS)
		rc = geo_mgrs_format(lat, lon, cv->digits, out, sizeof out,
		    &d);
	else if (rc == DIB_OK && cv->to == TO_UTM)
		rc = geo_utm_format(lat, lon, out, sizeof out, &d);
	else if (rc == DIB_OK)
		snprintf(out, sizeof out, "%.6f %.6f", lat, lon);
	if (rc != DIB_OK) {
		if (strcmp(d.field, "coordinates") != 0)
			dib_diag_prefix(&d, "coordinates");
		if (line > 0)
			snprintf(where, sizeof where, "line %ld: ", line);
		shown(in, show, sizeof show);
		return cli_error("%s%s (input: \"%s\")", where,
		    dib_diag_str(&d, msg, sizeof msg), show);
	}
	puts(out);
	return CLI_OK;
}

/* One coordinate a line; empty lines are skipped, the first error stops. */
static int
convert_stdin(const struct conv *cv)
{
	char buf[LINE_MAX_BYTES];
	long line = 0;
	size_t len;
	int rc;

	while (fgets(buf, sizeof buf, stdin) != NULL) {
		line++;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] != '\n' && !feof(stdin))
			return cli_error("line %ld: longer than %d bytes", line,
			    LINE_MAX_BYTES - 2);
		while (len > 0 && strchr("\r\n \t", buf[len - 1]) != NULL)
			buf[--len] = '\0';
		if (strspn(buf, " \t") == len)
			continue;
		if ((rc = convert_one(cv, buf, line)) != CLI_OK)
			return rc;
	}
	if (ferror(stdin))
		return cli_error("reading stdin failed");
	return CLI_OK;
}

static int
geo_convert(int argc, char **argv)
{
	struct conv cv = {TO_NONE, 5};
	const char *to = NULL, *prec = NULL;
	char **pos = NULL, *end;
	int npos = 0, c, i, rc = CLI_OK;
	long v;

	if ((pos = calloc((size_t)argc, sizeof *pos)) == NULL) {
		rc = cli_error("out of memory");
		goto out;
	}
	/* Reset getopt (optind 0 makes glibc start afresh), then walk argv:
	 * options and coordinates may mix, and getopt sees only options. */
	optind = 0;
	opterr = 0;
	(void)getopt_long(1, argv, "+t:p:h", opts, NULL);
	for (;;) {
		if (optind >= argc)
			break;
		if (strcmp(argv[optind], "--") == 0) {
			while (++optind < argc)
				pos[npos++] = argv[optind];
			break;
		}
		if (!is_option(argv[optind])) {
			pos[npos++] = argv[optind++];
			continue;
		}
		if ((c = getopt_long(argc, argv, "+t:p:h", opts, NULL)) == -1)
			break;
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'p':
			prec = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			goto out;
		default:
			rc = cli_bad_option(argv, "geo");
			goto out;
		}
	}
	if (to == NULL) {
		rc = cli_usage_error("geo convert: --to is required (mgrs, "
		    "utm or dd)");
		goto out;
	}
	if (strcmp(to, "mgrs") == 0)
		cv.to = TO_MGRS;
	else if (strcmp(to, "utm") == 0)
		cv.to = TO_UTM;
	else if (strcmp(to, "dd") == 0)
		cv.to = TO_DD;
	else {
		rc = cli_usage_error("geo convert: --to must be mgrs, utm or "
		    "dd, got \"%s\"", to);
		goto out;
	}
	if (prec != NULL) {
		v = strtol(prec, &end, 10);
		if (cv.to != TO_MGRS) {
			rc = cli_usage_error("geo convert: --precision applies "
			    "to --to mgrs only");
			goto out;
		}
		if (end == prec || *end != '\0' || v < 0 || v > 5) {
			rc = cli_usage_error("geo convert: --precision must "
			    "be 0 to 5 digits, got \"%s\"", prec);
			goto out;
		}
		cv.digits = (int)v;
	}
	if (npos == 0)
		rc = convert_stdin(&cv);
	for (i = 0; i < npos && rc == CLI_OK; i++)
		rc = convert_one(&cv, pos[i], 0);
	if (rc == CLI_OK && fflush(stdout) != 0)
		rc = cli_error("writing the output failed");
out:
	free(pos);
	return rc;
}

int
cli_geo(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "convert") == 0)
		return geo_convert(argc - 1, argv + 1);
	return cli_usage_error("geo: unknown verb \"%s\" (see diboli geo "
	    "--help)", argv[1]);
}
