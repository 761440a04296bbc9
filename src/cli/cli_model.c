/*
** "diboli model": show the data model (default or a node's) as a tree or
** as JSON, and check a model file before a node uses it.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "model/model.h"
#include "node/node.h"
#include "util/util.h"

static const char usage_text[] =
    "usage: diboli model show [--lang fr|en] [--json] [--dir DIR]\n"
    "       diboli model check FILE\n"
    "       diboli model load --dir DIR FILE\n"
    "\n"
    "show   print the category tree and each category's attributes; with\n"
    "       --dir, the node's model (DIR/model.json) if it has one, else\n"
    "       the default; --json prints the resolved model as JSON\n"
    "check  load and check a model file (a full model or an extension of\n"
    "       the default) and say what is wrong, with its place\n"
    "load   check FILE, then make it the node's model (DIR/model.json);\n"
    "       records of categories it lacks are kept and shown by id\n";

static int
usage(FILE *f, int rc)
{
	fputs(usage_text, f);
	return rc;
}

/* A load error: the file, then "field: problem". */
static int
load_error(const char *file, const struct dib_diag *d)
{
	char line[600];

	if (file == NULL || strcmp(d->field, file) == 0)
		return cli_diag(d);
	return cli_error("%s: %s", file, dib_diag_str(d, line, sizeof line));
}

/* "(integer, persons, >= 0)" of an attribute. */
static void
describe(const struct model_category *c, const char *key, char *buf,
    size_t n)
{
	size_t o, i, k;
	double min = 0, max = 0;
	int type = model_attr_type(c, key), bits;
	const char *unit = model_attr_unit(c, key);

	o = (size_t)snprintf(buf, n, "(%s", model_type_name(type));
	if (unit != NULL && o < n)
		o += (size_t)snprintf(buf + o, n - o, ", %s", unit);
	bits = model_attr_range(c, key, &min, &max);
	if (o < n && bits == 3)
		o += (size_t)snprintf(buf + o, n - o, ", %.15g..%.15g", min,
		    max);
	else if (o < n && bits == 1)
		o += (size_t)snprintf(buf + o, n - o, ", >= %.15g", min);
	else if (o < n && bits == 2)
		o += (size_t)snprintf(buf + o, n - o, ", <= %.15g", max);
	if (o < n && type == MODEL_TEXT)
		o += (size_t)snprintf(buf + o, n - o, ", max %zu",
		    model_attr_max_length(c, key));
	k = model_enum_count(c, key);
	for (i = 0; i < k && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? "|" : ", ",
		    model_enum_id_at(c, key, i));
	if (o < n)
		snprintf(buf + o, n - o, ")");
}

static void
show_text(const struct model *m, const char *lang)
{
	const struct model_category *c;
	const char *key, *notice = model_notice(m, lang);
	char desc[2048];
	size_t i, j;
	int ind;

	printf("# %s %s (%zu categories)\n", MODEL_FORMAT, model_version(m),
	    model_category_count(m));
	if (notice != NULL)
		printf("# %s\n", notice);
	for (i = 0; (c = model_category_at(m, i)) != NULL; i++) {
		ind = 2 * model_category_depth(c);
		printf("%*s%s — %s [%s]\n", ind, "", model_category_id(c),
		    model_category_label(c, lang),
		    model_prec_name(model_category_precedence(c)));
		for (j = 0; (key = model_attr_key_at(c, j)) != NULL; j++) {
			if (model_attr_owner(c, key) != c)
				continue;
			describe(c, key, desc, sizeof desc);
			printf("%*s%s %s %s%s\n", ind + 4, "", key, desc,
			    model_attr_label(c, key, lang),
			    model_attr_required(c, key) ? " *required*" : "");
		}
	}
}

static int
cmd_show(int argc, char **argv)
{
	struct model *m = NULL;
	struct dib_diag d;
	const char *lang = NULL, *dir = NULL;
	char file[4200];
	json_t *j = NULL;
	int i, as_json = 0, rc = CLI_OK;

	dib_diag_clear(&d);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return usage(stdout, CLI_OK);
		if (strcmp(argv[i], "--json") == 0)
			as_json = 1;
		else if (strncmp(argv[i], "--lang=", 7) == 0)
			lang = argv[i] + 7;
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			dir = argv[i] + 6;
		else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
			lang = argv[++i];
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--lang") == 0 ||
		    strcmp(argv[i], "--dir") == 0)
			return cli_usage_error("%s needs a value", argv[i]);
		else
			return cli_usage_error("model show: unexpected "
			    "argument \"%s\" (see diboli model --help)",
			    argv[i]);
	}
	if (model_load_node(dir, &m, &d) != 0) {
		snprintf(file, sizeof file, "%s/model.json", dir ? dir : ".");
		return load_error(dir ? file : NULL, &d);
	}
	if (lang != NULL && !model_has_language(m, lang)) {
		rc = cli_usage_error("unknown language \"%s\" (this model "
		    "has fr%s)", lang, model_has_language(m, "en") ?
		    " and en" : "");
		goto out;
	}
	if (!as_json) {
		show_text(m, lang ? lang : "fr");
		goto out;
	}
	if ((j = model_to_json(m, lang)) == NULL ||
	    json_dumpf(j, stdout, JSON_INDENT(2)) != 0) {
		rc = cli_error("cannot write the model as JSON");
		goto out;
	}
	putchar('\n');
out:
	json_decref(j);
	model_free(m);
	return rc;
}

static int
cmd_check(int argc, char **argv)
{
	struct model *m = NULL;
	struct dib_diag d;

	dib_diag_clear(&d);
	if (cli_wants_help(argc, argv))
		return usage(stdout, CLI_OK);
	if (argc != 2)
		return cli_usage_error("usage: diboli model check FILE");
	if (model_load_file(argv[1], &m, &d) != 0)
		return load_error(argv[1], &d);
	printf("ok: %zu categories\n", model_category_count(m));
	model_free(m);
	return CLI_OK;
}

static int
cmd_load(int argc, char **argv)
{
	struct model *m = NULL;
	struct node *n = NULL;
	struct dib_diag d;
	const char *dir = NULL, *file = NULL;
	char *text = NULL, path[2200];
	size_t len;
	sqlite3_stmt *st = NULL;
	int i, rc = CLI_FAIL, orphans = 0;

	dib_diag_clear(&d);
	if (cli_wants_help(argc, argv))
		return usage(stdout, CLI_OK);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			dir = argv[i] + 6;
		else if (argv[i][0] != '-' && file == NULL)
			file = argv[i];
		else
			return cli_usage_error("usage: diboli model load --dir "
			    "DIR FILE");
	}
	if (dir == NULL || file == NULL)
		return cli_usage_error("usage: diboli model load --dir DIR FILE");
	if (node_open(dir, &n, &d) != 0)
		return cli_diag(&d);
	if (model_load_file(file, &m, &d) != 0) {
		rc = load_error(file, &d);
		goto out;
	}
	if (util_read_file(file, MODEL_FILE_MAX, &text, &len, &d) != 0) {
		rc = cli_diag(&d);
		goto out;
	}
	snprintf(path, sizeof path, "%s/model.json", dir);
	if (util_write_file(path, text, len, 0644, &d) != 0) {
		rc = cli_diag(&d);
		goto out;
	}
	if (sqlite3_prepare_v2(n->store->db, "SELECT DISTINCT category FROM "
	    "rec", -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			orphans += model_find(m, (const char *)
			    sqlite3_column_text(st, 0)) == NULL;
	sqlite3_finalize(st);
	printf("model %s loaded into %s: %zu categories\n", model_version(m),
	    dir, model_category_count(m));
	if (orphans)
		printf("note: %d categories in use are not in this model; their "
		    "records are kept and shown by id\n", orphans);
	rc = CLI_OK;
out:
	free(text);
	model_free(m);
	node_close(n);
	return rc;
}

int
cli_model(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, CLI_USAGE);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout, CLI_OK);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "load") == 0)
		return cmd_load(argc - 1, argv + 1);
	fprintf(stderr, "diboli: model: unknown verb \"%s\"\n", argv[1]);
	return usage(stderr, CLI_USAGE);
}
