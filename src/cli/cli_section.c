/*
** diboli section: the border sections board from the command line. Set
** this nation's level of a section (audited in the same transaction),
** list every section with both sides' levels and recent incidents, show
** one section's history. Everything goes through src/patrol/section.
*/
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "node/node.h"
#include "patrol/section.h"
#include "util/util.h"

static const char usage_text[] =
    "usage: diboli section <verb> --dir DIR [options]\n"
    "\n"
    "  set --section ID --level LEVEL --reason TEXT [--audience SN,ML]\n"
    "        set this node's nation's level of a border section; prints the\n"
    "        level record's id, then the id of each notice sent to a\n"
    "        partner nation (a raise to medium or more notifies them)\n"
    "  list [--at TIME] [--buffer-m M] [--json] [--lang fr|en]\n"
    "        every section with both sides' levels and the incidents of\n"
    "        the 30 days before TIME (default now) within M metres\n"
    "        (default 5000), then the notices received from the partner\n"
    "  show ID [--at TIME] [--buffer-m M] [--json] [--lang fr|en]\n"
    "        one section: both sides' levels, incidents, the history\n"
    "\n"
    "ID is a section of the reference (SEC-01 ... SEC-13: diboli section\n"
    "list). LEVEL: low, medium, high, critical (or faible, moyen, élevé,\n"
    "critique). A level is signed by this node for its nation's side\n"
    "only. TIME is RFC 3339 (2025-07-01T00:00:00Z); with --at, the levels\n"
    "are those in force then. The reason: facts only, no personal data.\n";

enum {
	OPT_DIR = 256, OPT_SECTION, OPT_LEVEL, OPT_REASON, OPT_AUDIENCE,
	OPT_AT, OPT_BUFFER, OPT_JSON, OPT_LANG, OPT_HELP
};

static const struct option opts[] = {
	{"dir", required_argument, NULL, OPT_DIR},
	{"section", required_argument, NULL, OPT_SECTION},
	{"level", required_argument, NULL, OPT_LEVEL},
	{"reason", required_argument, NULL, OPT_REASON},
	{"audience", required_argument, NULL, OPT_AUDIENCE},
	{"at", required_argument, NULL, OPT_AT},
	{"buffer-m", required_argument, NULL, OPT_BUFFER},
	{"json", no_argument, NULL, OPT_JSON},
	{"lang", required_argument, NULL, OPT_LANG},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0}
};

struct args {
	const char *dir, *section, *level, *reason, *audience, *at, *buffer;
	const char *lang;
	int json;
	const char *id;         /* the positional argument */
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	int c;

	memset(a, 0, sizeof *a);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DIR: a->dir = optarg; break;
		case OPT_SECTION: a->section = optarg; break;
		case OPT_LEVEL: a->level = optarg; break;
		case OPT_REASON: a->reason = optarg; break;
		case OPT_AUDIENCE: a->audience = optarg; break;
		case OPT_AT: a->at = optarg; break;
		case OPT_BUFFER: a->buffer = optarg; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_LANG: a->lang = optarg; break;
		case 'h':
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(CLI_OK);
		default:
			return cli_bad_option(argv, "section");
		}
	}
	if (optind < argc)
		a->id = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (a->dir == NULL)
		return cli_usage_error("--dir is required");
	if (a->lang && strcmp(a->lang, "fr") && strcmp(a->lang, "en"))
		return cli_usage_error("--lang must be fr or en");
	return CLI_OK;
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static const char *
level_label(const char *level, int fr)
{
	const char *l = section_level_label(section_level_parse(level),
	    fr ? "fr" : "en");

	return l ? l : level;
}

/* "high" for --level high or its French label. */
static const char *
level_arg(const char *s)
{
	int i;

	for (i = 0; i < SECTION_LEVEL_COUNT; i++)
		if (strcmp(s, section_level_label(i, "fr")) == 0)
			return section_level_name(i);
	if (strcmp(s, "eleve") == 0)
		return "high";
	return s;
}

/* ---- set ---- */

struct set_job {
	struct node *n;
	const char *section;
	const json_t *in;
	struct section_result res;
	char detail[1200];
};

static int
do_set(struct store *s, void *arg, struct dib_diag *d)
{
	struct set_job *j = arg;
	char txt[37];
	size_t len, i;
	int rc;

	(void)s;
	if ((rc = section_set(j->n, j->section, j->in, NULL, &j->res, d)) != 0)
		return rc;
	len = (size_t)snprintf(j->detail, sizeof j->detail, "record=%s "
	    "level=%s previous=%s", util_uuid_format(j->res.id, txt),
	    section_level_name(j->res.level), j->res.previous >= 0 ?
	    section_level_name(j->res.previous) : "none");
	for (i = 0; i < j->res.nnotices && len < sizeof j->detail; i++)
		len += (size_t)snprintf(j->detail + len, sizeof j->detail - len,
		    "%snotice=%s:%s", " ", j->res.for_nation[i],
		    util_uuid_format(j->res.notices[i], txt));
	if (len < sizeof j->detail)
		snprintf(j->detail + len, sizeof j->detail - len,
		    " reason=%.600s", json_string_value(json_object_get(j->in,
		    "reason")));
	return DIB_OK;
}

static int
cmd_set(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct set_job j;
	char target[80], txt[37];
	json_t *in;
	size_t i;
	int fr = a->lang == NULL || strcmp(a->lang, "fr") == 0;

	if (a->id)
		return cli_usage_error("set takes no positional argument (use "
		    "--section ID)");
	if (a->section == NULL)
		return cli_usage_error("--section is required (e.g. SEC-02)");
	if (a->level == NULL)
		return cli_usage_error("--level is required: low, medium, high "
		    "or critical");
	if (a->reason == NULL)
		return cli_usage_error("--reason is required: say why");
	if (a->at || a->buffer || a->json)
		return cli_usage_error("set takes --section, --level, --reason "
		    "and --audience");
	in = json_pack("{s:s, s:s}", "level", level_arg(a->level), "reason",
	    a->reason);
	if (in == NULL)
		return cli_error("out of memory");
	if (a->audience)
		json_object_set_new(in, "audience", json_string(a->audience));
	memset(&j, 0, sizeof j);
	j.n = n;
	j.section = a->section;
	j.in = in;
	snprintf(target, sizeof target, "section:%.64s", a->section);
	if (cli_audited(n->store, do_set, &j, "sections.status", target,
	    j.detail, &d) != 0) {
		json_decref(in);
		return cli_diag(&d);
	}
	json_decref(in);
	printf("%s\n", util_uuid_format(j.res.id, txt));
	for (i = 0; i < j.res.nnotices; i++)
		printf("%s\n", util_uuid_format(j.res.notices[i], txt));
	fflush(stdout);
	fprintf(stderr, fr ? "%s %s : %s → %s" : "%s %s: %s → %s",
	    a->section, n->nation, j.res.previous >= 0 ?
	    section_level_label(j.res.previous, fr ? "fr" : "en") :
	    (fr ? "aucun" : "none"), section_level_label(j.res.level,
	    fr ? "fr" : "en"));
	for (i = 0; i < j.res.nnotices; i++)
		fprintf(stderr, "%s%s", i ? "," : fr ? " ; avis à " :
		    "; notice to ", j.res.for_nation[i]);
	fputc('\n', stderr);
	return CLI_OK;
}

/* ---- list and show ---- */

static int
query_of(const struct args *a, struct section_query *q)
{
	struct dib_diag d = {0};

	memset(q, 0, sizeof *q);
	if (a->at) {
		if (util_time_parse(a->at, &q->at, "at", &d) != 0)
			return cli_diag(&d);
		q->has_at = 1;
	}
	if (a->buffer) {
		char *end;

		q->buffer_m = strtod(a->buffer, &end);
		if (*a->buffer == '\0' || *end != '\0' ||
		    !isfinite(q->buffer_m) || q->buffer_m < 0 ||
		    q->buffer_m > SECTION_BUFFER_MAX)
			return cli_error("buffer-m: must be a distance in "
			    "metres from 0 to %.0f, got \"%.20s\"",
			    SECTION_BUFFER_MAX, a->buffer);
		q->has_buffer = 1;
	}
	return CLI_OK;
}

static void
dump(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	putchar('\n');
}

static const char *
side(const json_t *levels, const char *nation, int fr)
{
	const json_t *l = json_object_get(levels, nation);

	return json_is_object(l) ? level_label(str(l, "level"), fr) : "—";
}

#define NOTICES_SHOWN 10

/* The notices received (up to until, when has_until), newest first. */
static void
print_notices(const json_t *list, int fr, int has_until, int64_t until)
{
	size_t i, shown = 0, total = 0;

	for (i = 0; i < json_array_size(list); i++) {
		int64_t t = 0;

		util_time_parse(str(json_array_get(list, i), "at"), &t, "at",
		    NULL);
		total += !has_until || t <= until;
	}
	printf("\n%s (%zu)\n", fr ? "Avis reçus" : "Notices received", total);
	if (total == 0)
		printf("  %s\n", fr ? "(aucun)" : "(none)");
	for (i = 0; i < json_array_size(list) && shown < NOTICES_SHOWN; i++) {
		const json_t *x = json_array_get(list, i);
		const json_t *cur = json_object_get(x, "current");
		const char *msg = str(x, "message");
		const char *nl;
		int64_t t = 0;

		util_time_parse(str(x, "at"), &t, "at", NULL);
		if (has_until && t > until)
			continue;
		shown++;
		printf("  %s  %s %s  %s → %s", str(x, "at"), str(x, "section"),
		    str(x, fr ? "name_fr" : "name_en"), str(x, "nation"),
		    level_label(str(x, "level"), fr));
		/* What that side is now, when it changed since. */
		if (json_is_object(cur) && strcmp(str(cur, "level"),
		    str(x, "level")) != 0)
			printf(fr ? "  (maintenant : %s)" : "  (now: %s)",
			    level_label(str(cur, "level"), fr));
		putchar('\n');
		/* The message's line in the reader's language, and the
		 * reason (its last line). */
		nl = strchr(msg, '\n');
		if (!fr && nl != NULL)
			msg = nl + 1;
		nl = strchr(msg, '\n');
		printf("    %.*s\n", nl ? (int)(nl - msg) : (int)strlen(msg),
		    msg);
		if ((nl = strrchr(msg, '\n')) != NULL)
			printf("    %s\n", nl + 1);
	}
	if (total > shown)
		printf(fr ? "  … et %zu de plus (--json : tous)\n" :
		    "  … and %zu more (--json: all)\n", total - shown);
}

static int
cmd_list(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct section_query q;
	json_t *board = NULL, *notes = NULL, *list, *nations;
	int fr = a->lang == NULL || strcmp(a->lang, "fr") == 0, rc;
	size_t i, k;

	if (a->id)
		return cli_usage_error("list takes no positional argument");
	if (a->section || a->level || a->reason || a->audience)
		return cli_usage_error("list takes --at, --buffer-m, --json "
		    "and --lang");
	if ((rc = query_of(a, &q)) != CLI_OK)
		return rc;
	/* One read transaction: the board and the notices agree. */
	store_exec(n->store, "BEGIN", NULL);
	rc = section_board(n, &q, &board, &d) != 0 ||
	    section_notifications(n, &notes, &d) != 0;
	store_exec(n->store, "COMMIT", NULL);
	if (rc) {
		json_decref(board);
		return cli_diag(&d);
	}
	if (a->json) {
		json_object_set(board, "notifications", json_object_get(notes,
		    "notifications"));
		dump(board);
		goto out;
	}
	list = json_object_get(board, "sections");
	/* This node's side first, then the partners'. */
	nations = json_array();
	json_array_append_new(nations, json_string(n->nation));
	for (k = 0; k < json_array_size(json_object_get(board, "nations"));
	    k++) {
		json_t *x = json_array_get(json_object_get(board, "nations"), k);

		if (strcmp(json_string_value(x), n->nation) != 0)
			json_array_append(nations, x);
	}
	cli_label(fr ? "TRONÇON" : "SECTION", 9);
	cli_label(fr ? "NOM" : "NAME", 34);
	for (k = 0; k < json_array_size(nations); k++)
		cli_label(json_string_value(json_array_get(nations, k)), 10);
	printf("%s\n", fr ? "INCIDENTS 30 J" : "INCIDENTS 30 D");
	for (i = 0; i < json_array_size(list); i++) {
		const json_t *s = json_array_get(list, i);
		const json_t *lv = json_object_get(s, "levels");

		cli_label(str(s, "id"), 9);
		cli_label(str(s, fr ? "name_fr" : "name_en"), 34);
		for (k = 0; k < json_array_size(nations); k++)
			cli_label(side(lv, json_string_value(json_array_get(
			    nations, k)), fr), 10);
		printf("%lld\n", (long long)json_integer_value(json_object_get(
		    json_object_get(s, "incidents"), "count")));
	}
	printf(fr ? "\nIncidents (sécurité) du %s au %s à moins de %g km de "
	    "chaque tronçon.\n" : "\nIncidents (security) from %s to %s "
	    "within %g km of each section.\n", str(board, "from"), str(board,
	    "at"), json_number_value(json_object_get(board, "buffer_m")) /
	    1000);
	print_notices(json_object_get(notes, "notifications"), fr, q.has_at,
	    q.at);
	json_decref(nations);
out:
	json_decref(board);
	json_decref(notes);
	return CLI_OK;
}

static void
print_level(const char *nation, const json_t *l, int fr)
{
	cli_label(nation, 14);
	if (!json_is_object(l)) {
		printf("%s\n", fr ? "— (aucun niveau)" : "— (no level)");
		return;
	}
	printf(fr ? "%s depuis %s — %s\n" : "%s since %s — %s\n",
	    level_label(str(l, "level"), fr), str(l, "set_at"), str(l,
	    "reason"));
}

static int
cmd_show(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct section_query q;
	json_t *s = NULL, *v;
	const char *key;
	int fr = a->lang == NULL || strcmp(a->lang, "fr") == 0, rc;
	size_t i, k;

	if (a->id == NULL)
		return cli_usage_error("a section id is required (diboli "
		    "section list shows them)");
	if (a->section || a->level || a->reason || a->audience)
		return cli_usage_error("show takes ID, --at, --buffer-m, "
		    "--json and --lang");
	if ((rc = query_of(a, &q)) != CLI_OK)
		return rc;
	store_exec(n->store, "BEGIN", NULL);
	rc = section_get(n, a->id, &q, &s, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0)
		return cli_diag(&d);
	if (a->json) {
		dump(s);
		json_decref(s);
		return CLI_OK;
	}
	cli_label(fr ? "Tronçon" : "Section", 14);
	printf("%s — %s\n", str(s, "id"), str(s, fr ? "name_fr" : "name_en"));
	cli_label(fr ? "Longueur" : "Length", 14);
	printf(fr ? "%.1f km (km %.1f à %.1f depuis la Mauritanie)\n" :
	    "%.1f km (km %.1f to %.1f from Mauritania)\n", json_number_value(
	    json_object_get(s, "length_km")), json_number_value(
	    json_object_get(s, "from_km")), json_number_value(
	    json_object_get(s, "to_km")));
	/* This node's side first. */
	print_level(n->nation, json_object_get(json_object_get(s, "levels"),
	    n->nation), fr);
	json_object_foreach(json_object_get(s, "levels"), key, v)
		if (strcmp(key, n->nation) != 0)
			print_level(key, v, fr);
	v = json_object_get(s, "incidents");
	cli_label("Incidents", 14);
	printf(fr ? "%lld du %s au %s à moins de %g km\n" :
	    "%lld from %s to %s within %g km\n", (long long)json_integer_value(
	    json_object_get(v, "count")), str(s, "from"), str(s, "at"),
	    json_number_value(json_object_get(s, "buffer_m")) / 1000);
	for (i = 0; i < json_array_size(json_object_get(v, "latest")); i++) {
		const json_t *x = json_array_get(json_object_get(v, "latest"),
		    i);

		printf("  %s  %-9s  %s  %s  %s\n", str(x, "observed_at"), str(x,
		    "precedence"), str(x, "nation"), str(x, "category"), str(x,
		    "id"));
	}
	v = json_object_get(s, "history");
	printf("%s (%zu)\n", fr ? "Historique" : "History",
	    json_array_size(v));
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *x = json_array_get(v, i);
		const json_t *no = json_object_get(x, "notices");

		printf("  %s  %s  %s → %s  %s", str(x, "set_at"), str(x,
		    "nation"), json_is_string(json_object_get(x, "previous")) ?
		    level_label(str(x, "previous"), fr) : "—",
		    level_label(str(x, "level"), fr), str(x, "reason"));
		for (k = 0; k < json_array_size(no); k++)
			printf("%s%s", k ? "," : fr ? "  [avis : " :
			    "  [notice: ", str(json_array_get(no, k),
			    "for_nation"));
		printf("%s\n", json_array_size(no) ? "]" : "");
	}
	json_decref(s);
	return CLI_OK;
}

int
cli_section(int argc, char **argv)
{
	static const char *const verbs[] = {"set", "list", "show", NULL};
	struct dib_diag d = {0};
	struct node *n = NULL;
	struct args a;
	const char *verb;
	int rc, i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	for (i = 0; verbs[i] && strcmp(verbs[i], verb) != 0; i++)
		;
	if (verbs[i] == NULL)
		return cli_usage_error("unknown verb \"section %s\" (set, "
		    "list, show)", verb);
	if ((rc = parse_args(argc - 1, argv + 1, &a)) != CLI_OK)
		return rc;
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	if (strcmp(verb, "set") == 0)
		rc = cmd_set(n, &a);
	else if (strcmp(verb, "list") == 0)
		rc = cmd_list(n, &a);
	else
		rc = cmd_show(n, &a);
	node_close(n);
	return rc;
}
