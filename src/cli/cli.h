/*
** Shared pieces of the diboli command line: exit codes, error printing and
** the entry point of each noun. The CLI only parses and calls the library.
*/
#ifndef DIB_CLI_H
#define DIB_CLI_H

#include <stdint.h>

#include "util/err.h"

enum {
	CLI_OK = 0,     /* success */
	CLI_FAIL = 1,   /* a user error: bad input, not found, ... */
	CLI_USAGE = 2   /* the command line itself is wrong */
};

/* Print "diboli: <message>" on stderr. Returns CLI_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "diboli: <message>" on stderr. Returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
** The usage error for what getopt_long just refused (an unknown option,
** or one without its value) in a command of noun ("patrol", "user"...):
** CLI_USAGE.
*/
int cli_bad_option(char **argv, const char *noun);

/* Print the diagnostic as one line; CLI_USAGE for DIB_EUSAGE, else CLI_FAIL. */
int cli_diag(const struct dib_diag *d);

/* Print label padded with spaces to width characters (not bytes). */
void cli_label(const char *label, int width);

/*
** For "diboli <noun> <verb>" with a single verb: -1 when argv[1] is verb
** (go on), else print usage and return CLI_OK (--help) or CLI_USAGE.
*/
int cli_expect_verb(int argc, char **argv, const char *verb,
    const char *usage);

/* True when argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

/*
** Each noun: argv[0] is the noun itself ("geo", "model", ...), the verb
** follows. They return a CLI_* exit code.
*/
int cli_node(int argc, char **argv);    /* init, node show */
int cli_init(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_model(int argc, char **argv);
int cli_record(int argc, char **argv);
int cli_log(int argc, char **argv);
int cli_geo(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_user(int argc, char **argv);    /* user add|passwd|... */
int cli_token(int argc, char **argv);   /* token create|list|revoke */
int cli_audit(int argc, char **argv);   /* audit verify|list */
int cli_nation(int argc, char **argv);  /* nation keygen|pin|list */
int cli_peer(int argc, char **argv);    /* peer add|list|remove */
int cli_sync(int argc, char **argv);    /* sync [summary|status] */
int cli_bundle(int argc, char **argv);  /* bundle export|import */
int cli_patrol(int argc, char **argv);  /* patrol create|approve|show|... */
int cli_import(int argc, char **argv);  /* import gpx */
int cli_export(int argc, char **argv);  /* export gpx|geojson */
int cli_section(int argc, char **argv); /* section set|list|show */

/* A byte count ("4194304", "64k", "4M") within [lo, hi]: 0 or -1. */
int cli_parse_bytes(const char *s, int64_t lo, int64_t hi, int64_t *out);

struct store;

/*
** A write from the command line and its audit row (actor "cli:<unix
** user>"), in one transaction: fn(s, arg, d) runs inside it, then the
** row with target and detail as they are after fn (fn may fill them in
** through arg). On failure all is rolled back and a "failed" row is
** appended on its own. 0 or the error, in d.
*/
int cli_audited(struct store *s, int (*fn)(struct store *, void *,
    struct dib_diag *), void *arg, const char *action, const char *target,
    const char *detail, struct dib_diag *d);

/* Append a "failed" audit row with why's message (errors ignored). */
void cli_audit_failed(struct store *s, const char *action,
    const char *target, const struct dib_diag *why);

#endif
