/*
** Error printing and small helpers shared by the CLI commands.
*/
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
vsay(const char *fmt, va_list ap)
{
	fputs("diboli: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return CLI_FAIL;
}

int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int
cli_bad_option(char **argv, const char *noun)
{
	/* A short option is named by optopt; a long one (optopt 0, or its
	 * value code when it lacks an argument) by the word itself. */
	if (optopt > 0 && optopt < 128 && isprint(optopt))
		return cli_usage_error("option -%c is unknown or needs a value "
		    "(see diboli %s --help)", optopt, noun);
	return cli_usage_error("unknown option or missing value: %s (see "
	    "diboli %s --help)", optind > 0 ? argv[optind - 1] : "?", noun);
}

int
cli_diag(const struct dib_diag *d)
{
	char line[600];

	fprintf(stderr, "diboli: %s\n", dib_diag_str(d, line, sizeof line));
	return d->code == DIB_EUSAGE ? CLI_USAGE : CLI_FAIL;
}

int
cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

void
cli_label(const char *label, int width)
{
	int chars = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)label; *p; p++)
		chars += (*p & 0xc0) != 0x80;
	fputs(label, stdout);
	for (; chars < width; chars++)
		putchar(' ');
}

int
cli_expect_verb(int argc, char **argv, const char *verb, const char *usage)
{
	if (argc >= 2 && strcmp(argv[1], verb) == 0)
		return -1;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	fputs(usage, stderr);
	return CLI_USAGE;
}
