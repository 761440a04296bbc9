/*
** diboli record add|get|list|supersede|retract: records from the command
** line. Flags become a JSON record input and go through the library, the
** same path as the HTTP API.
*/
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "geo/geo.h"
#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "store/query.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/util.h"

#define JSON_INPUT_MAX (64 * 1024 * 1024)

static const char usage_text[] =
    "usage: diboli record <verb> --dir DIR [options]\n"
    "\n"
    "  add --category ID --at TIME (--lat LAT --lon LON | --mgrs MGRS |\n"
    "      --coords TEXT | --geometry GEOJSON) [--audience SN,ML]\n"
    "      [--attr key=value]... [--precedence P] [--patrol ID]\n"
    "  add --json FILE|-        one record, an array, or {\"records\":[...]}\n"
    "  get ID [--json] [--lang fr|en]\n"
    "  list [--bbox W,S,E,N] [--from TIME] [--to TIME] [--category PREFIX]\n"
    "       [--text WORDS] [--limit N] [--format table|geojson|csv]\n"
    "       [--lang fr|en]\n"
    "  supersede ID [the options of add: what is not given is kept]\n"
    "  retract ID --reason TEXT\n"
    "\n"
    "TIME is RFC 3339 (2025-02-20T08:00:00Z). Coordinates: decimal degrees,\n"
    "DMS (14°28'N 12°13'W), UTM (28N 800025 1601197) or MGRS.\n"
    "Free text: enter no personal data (names, phone numbers).\n";

enum {
	OPT_DIR = 256, OPT_CATEGORY, OPT_AT, OPT_LAT, OPT_LON, OPT_MGRS,
	OPT_COORDS, OPT_GEOMETRY, OPT_AUDIENCE, OPT_ATTR, OPT_PRECEDENCE,
	OPT_PATROL, OPT_JSON, OPT_BBOX, OPT_FROM, OPT_TO, OPT_FORMAT,
	OPT_LIMIT, OPT_REASON, OPT_LANG, OPT_TEXT, OPT_HELP
};

static const struct option opts[] = {
	{"dir", required_argument, NULL, OPT_DIR},
	{"category", required_argument, NULL, OPT_CATEGORY},
	{"at", required_argument, NULL, OPT_AT},
	{"lat", required_argument, NULL, OPT_LAT},
	{"lon", required_argument, NULL, OPT_LON},
	{"mgrs", required_argument, NULL, OPT_MGRS},
	{"coords", required_argument, NULL, OPT_COORDS},
	{"geometry", required_argument, NULL, OPT_GEOMETRY},
	{"audience", required_argument, NULL, OPT_AUDIENCE},
	{"attr", required_argument, NULL, OPT_ATTR},
	{"precedence", required_argument, NULL, OPT_PRECEDENCE},
	{"patrol", required_argument, NULL, OPT_PATROL},
	{"json", optional_argument, NULL, OPT_JSON},
	{"bbox", required_argument, NULL, OPT_BBOX},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"reason", required_argument, NULL, OPT_REASON},
	{"lang", required_argument, NULL, OPT_LANG},
	{"text", required_argument, NULL, OPT_TEXT},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0}
};

#define MAX_ATTRS 256
#define TABLE_DEFAULT 100       /* rows of a table without --limit */

struct args {
	const char *dir, *category, *at, *lat, *lon, *mgrs, *coords;
	const char *geometry, *audience, *precedence, *patrol, *json;
	const char *bbox, *from, *to, *format, *limit, *reason, *lang, *text;
	int json_flag;
	const char *attrs[MAX_ATTRS];
	int nattrs;
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
		case OPT_CATEGORY: a->category = optarg; break;
		case OPT_AT: a->at = optarg; break;
		case OPT_LAT: a->lat = optarg; break;
		case OPT_LON: a->lon = optarg; break;
		case OPT_MGRS: a->mgrs = optarg; break;
		case OPT_COORDS: a->coords = optarg; break;
		case OPT_GEOMETRY: a->geometry = optarg; break;
		case OPT_AUDIENCE: a->audience = optarg; break;
		case OPT_PRECEDENCE: a->precedence = optarg; break;
		case OPT_PATROL: a->patrol = optarg; break;
		case OPT_JSON:
			a->json_flag = 1;
			a->json = optarg;
			break;
		case OPT_BBOX: a->bbox = optarg; break;
		case OPT_FROM: a->from = optarg; break;
		case OPT_TO: a->to = optarg; break;
		case OPT_FORMAT: a->format = optarg; break;
		case OPT_LIMIT: a->limit = optarg; break;
		case OPT_REASON: a->reason = optarg; break;
		case OPT_LANG: a->lang = optarg; break;
		case OPT_TEXT: a->text = optarg; break;
		case OPT_ATTR:
			if (a->nattrs == MAX_ATTRS)
				return cli_usage_error("too many --attr");
			a->attrs[a->nattrs++] = optarg;
			break;
		case 'h':
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(CLI_OK);
		default:
			return cli_bad_option(argv, "record");
		}
	}
	/* "--json FILE" leaves FILE positional (an optional argument only
	 * binds as --json=FILE): it follows the id, if any. */
	if (optind < argc && strcmp(argv[0], "add") != 0)
		a->id = argv[optind++];
	if (optind < argc && a->json_flag && a->json == NULL &&
	    strcmp(argv[0], "get") != 0)
		a->json = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"",
		    argv[optind]);
	if (a->dir == NULL)
		return cli_usage_error("--dir is required");
	if (a->lang && strcmp(a->lang, "fr") && strcmp(a->lang, "en"))
		return cli_usage_error("--lang must be fr or en");
	return CLI_OK;
}

static int
parse_number(const char *s, const char *field, double *v,
    struct dib_diag *d)
{
	char *end;

	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !isfinite(*v))
		return dib_fail(d, DIB_EINVAL, field, "must be a number in "
		    "decimal degrees, got \"%.40s\"", s);
	return DIB_OK;
}

/* Build or amend the JSON input in *in from the flags. */
static int
input_from_flags(struct node *n, const struct args *a, json_t *in,
    struct dib_diag *d)
{
	const struct model_category *cat;
	json_t *attrs, *v;
	int i, rc, places;

	places = (a->lat || a->lon) + !!a->mgrs + !!a->coords + !!a->geometry;
	if (places > 1)
		return dib_fail(d, DIB_EUSAGE, "location", "give one of --lat/"
		    "--lon, --mgrs, --coords or --geometry");
	if (a->category)
		json_object_set_new(in, "category", json_string(a->category));
	if (a->at)
		json_object_set_new(in, "observed_at", json_string(a->at));
	if (a->lat || a->lon) {
		double lat, lon;

		if (!a->lat || !a->lon)
			return dib_fail(d, DIB_EUSAGE, a->lat ? "lon" : "lat",
			    "--lat and --lon go together");
		if ((rc = parse_number(a->lat, "lat", &lat, d)) != 0 ||
		    (rc = parse_number(a->lon, "lon", &lon, d)) != 0 ||
		    (rc = geo_check_latlon(lat, lon, d)) != 0)
			return rc;
		json_object_del(in, "location");
		json_object_set_new(in, "geometry", json_pack("{s:s, s:[f,f]}",
		    "type", "Point", "coordinates", lon, lat));
	}
	if (a->mgrs || a->coords) {
		double lat, lon;

		if ((rc = geo_parse(a->mgrs ? a->mgrs : a->coords, &lat, &lon,
		    d)) != 0) {
			snprintf(d->field, sizeof d->field, "%s", a->mgrs ?
			    "mgrs" : "coords");
			return rc;
		}
		json_object_del(in, "location");
		json_object_set_new(in, "geometry", json_pack("{s:s, s:[f,f]}",
		    "type", "Point", "coordinates", lon, lat));
	}
	if (a->geometry) {
		json_t *g = NULL;

		if ((rc = util_json_parse(a->geometry, strlen(a->geometry),
		    "geometry", &g, d)) != 0)
			return rc;
		json_object_del(in, "location");
		json_object_set_new(in, "geometry", g);
	}
	if (a->audience)
		json_object_set_new(in, "audience", json_string(a->audience));
	if (a->precedence)
		json_object_set_new(in, "precedence",
		    json_string(a->precedence));
	if (a->patrol)
		json_object_set_new(in, "patrol", json_string(a->patrol));
	if (a->nattrs == 0)
		return DIB_OK;

	v = json_object_get(in, "category");
	if (!json_is_string(v))
		return dib_fail(d, DIB_EINVAL, "category", "is required");
	if ((cat = model_find(n->model, json_string_value(v))) == NULL)
		return dib_fail(d, DIB_EINVAL, "category", "unknown category "
		    "\"%.80s\" (see diboli model show)", json_string_value(v));
	attrs = json_object_get(in, "attributes");
	if (!json_is_object(attrs)) {
		attrs = json_object();
		json_object_set_new(in, "attributes", attrs);
	}
	for (i = 0; i < a->nattrs; i++) {
		const char *eq = strchr(a->attrs[i], '=');
		char key[64];
		json_t *val;
		int j;

		if (eq == NULL || eq == a->attrs[i] ||
		    (size_t)(eq - a->attrs[i]) >= sizeof key)
			return dib_fail(d, DIB_EUSAGE, "attr", "--attr wants "
			    "key=value, got \"%.60s\"", a->attrs[i]);
		memcpy(key, a->attrs[i], (size_t)(eq - a->attrs[i]));
		key[eq - a->attrs[i]] = '\0';
		for (j = 0; j < i; j++)
			if (strncmp(a->attrs[j], key, strlen(key)) == 0 &&
			    a->attrs[j][strlen(key)] == '=')
				return dib_fail(d, DIB_EINVAL, "attributes",
				    "%s is given twice", key);
		if ((rc = model_attr_from_text(cat, key, eq + 1, &val, d)) !=
		    0)
			return rc;
		json_object_set_new(attrs, key, val);
	}
	return DIB_OK;
}

static int
parse_id(const char *s, uint8_t id[16])
{
	if (s == NULL)
		return cli_usage_error("a record id is required");
	if (util_uuid_parse(s, id) != 0)
		return cli_error("id: \"%.60s\" is not a record id (like "
		    "0195224a-3c00-7d1e-8f00-0123456789ab)", s);
	return CLI_OK;
}

static int
load_json(const char *path, json_t **out, struct dib_diag *d)
{
	char *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = util_read_file(path, JSON_INPUT_MAX, &text, &len, d)) != 0)
		return rc;
	rc = util_json_parse(text, len, strcmp(path, "-") ? path : "stdin",
	    out, d);
	free(text);
	return rc;
}

/*
** "records[k]..." from a chunk starting at base becomes the absolute
** "records[base + k]...", or "line N..." for NDJSON input.
*/
static void
renumber(struct dib_diag *d, size_t base, const size_t *lines)
{
	char rest[sizeof d->field], out[2 * sizeof d->field];
	size_t k;
	int used = 0;

	if (sscanf(d->field, "records[%zu]%n", &k, &used) != 1 || used == 0)
		return;
	snprintf(rest, sizeof rest, "%s", d->field + used);
	if (lines != NULL)
		snprintf(out, sizeof out, "line %zu%s%s", lines[base + k],
		    rest[0] == '.' ? ": " : "", rest[0] == '.' ? rest + 1 :
		    rest);
	else
		snprintf(out, sizeof out, "records[%zu]%s", base + k, rest);
	out[sizeof d->field - 1] = '\0';
	memcpy(d->field, out, sizeof d->field);
}

static void
progress(size_t done, size_t total)
{
	if (total >= 20000 && isatty(2))
		fprintf(stderr, "\rimport: %zu/%zu fiches (%zu%%)%s", done, total,
		    100 * done / total, done == total ? "\n" : "");
}

/*
** Append items (a JSON list) or lines (NDJSON texts) in chunks of the
** largest block, all in one transaction: the whole input or nothing.
*/
static int
add_chunks(struct node *n, json_t *const *items, char **texts,
    const size_t *lens, const size_t *lines, size_t count, uint8_t (*ids)[16],
    struct dib_diag *d)
{
	size_t i;
	int rc;

	if (count == 0)
		return dib_fail(d, DIB_EINVAL, "records", "the input holds no "
		    "record");
	if ((rc = store_begin(n->store, d)) != 0)
		return rc;
	for (i = 0; i < count; i += NODE_MAX_BATCH) {
		size_t m = count - i < NODE_MAX_BATCH ? count - i :
		    NODE_MAX_BATCH;

		if (items != NULL)
			rc = node_add(n, items + i, m, ids + i, d);
		else
			rc = node_add_texts(n, (const char *const *)texts + i,
			    lens + i, m, ids + i, d);
		if (rc != 0) {
			if (m == 1 && count > 1) {
				char p[32];

				snprintf(p, sizeof p, "records[0]");
				dib_diag_prefix(d, p);
			}
			renumber(d, i, lines);
			store_rollback(n->store);
			return rc;
		}
		progress(i + m, count);
	}
	if ((rc = store_commit(n->store, d)) != 0)
		store_rollback(n->store);
	return rc;
}

/* Split NDJSON text in place into its non-empty lines. */
static size_t
split_lines(char *text, size_t len, char **texts, size_t *lens,
    size_t *lines)
{
	size_t n = 0, line = 1;
	char *p = text, *end = text + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end, *q = p;

		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < e) {
			texts[n] = p;
			lens[n] = (size_t)(e - p);
			lines[n++] = line;
		}
		line++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

static int
cmd_add(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	json_t *doc = NULL, *list = NULL, **items = NULL;
	uint8_t (*ids)[16] = NULL;
	char *text = NULL, **texts = NULL;
	size_t i, count = 1, len, *lens = NULL, *lines = NULL;
	int rc;

	if (a->id)
		return cli_usage_error("add takes no positional argument");
	if (!a->json_flag) {
		doc = json_object();
		if (input_from_flags(n, a, doc, &d) != 0 ||
		    node_add(n, &doc, 1, (uint8_t (*)[16])(ids = calloc(1, 16)),
		    &d) != 0) {
			rc = cli_diag(&d);
			goto out;
		}
		goto print;
	}
	if (a->category || a->at || a->lat || a->lon || a->mgrs || a->coords ||
	    a->geometry || a->nattrs || a->audience || a->precedence ||
	    a->patrol)
		return cli_usage_error("--json gives the whole record; use no "
		    "other record flags with it");
	if (util_read_file(a->json ? a->json : "-", JSON_INPUT_MAX, &text,
	    &len, &d) != 0)
		return cli_diag(&d);
	if (util_json_parse(text, len, a->json && strcmp(a->json, "-") ?
	    a->json : "stdin", &doc, &d) == 0) {
		/* One record, a list, or {"records": [...]}. */
		if (json_is_array(doc))
			list = doc;
		else if (json_is_object(doc) && json_is_array(
		    json_object_get(doc, "records")))
			list = json_object_get(doc, "records");
		count = list ? json_array_size(list) : 1;
		items = calloc(count ? count : 1, sizeof *items);
		ids = calloc(count ? count : 1, sizeof *ids);
		if (items == NULL || ids == NULL) {
			rc = cli_error("out of memory");
			goto out;
		}
		for (i = 0; i < count; i++)
			items[i] = list ? json_array_get(list, i) : doc;
		rc = count == 1 && list == NULL ? node_add(n, items, 1, ids,
		    &d) : add_chunks(n, items, NULL, NULL, NULL, count, ids, &d);
	} else {
		/* Not one JSON value: one record per line (NDJSON)? */
		struct dib_diag first;
		char *nl = memchr(text, '\n', len);
		json_t *probe = NULL;

		if (nl == NULL || util_json_parse(text, (size_t)(nl - text),
		    "", &probe, &first) != 0 || !json_is_object(probe)) {
			json_decref(probe);
			rc = cli_diag(&d);
			goto out;
		}
		json_decref(probe);
		for (i = 0, count = 0; i < len; i++)
			count += text[i] == '\n';
		count++;
		texts = calloc(count, sizeof *texts);
		lens = calloc(count, sizeof *lens);
		lines = calloc(count, sizeof *lines);
		ids = calloc(count, sizeof *ids);
		if (!texts || !lens || !lines || !ids) {
			rc = cli_error("out of memory");
			goto out;
		}
		count = split_lines(text, len, texts, lens, lines);
		rc = add_chunks(n, NULL, texts, lens, lines, count, ids, &d);
	}
	if (rc != 0) {
		rc = cli_diag(&d);
		goto out;
	}
print:
	for (i = 0; i < count; i++) {
		char txt[37];

		printf("%s\n", util_uuid_format(ids[i], txt));
	}
	rc = CLI_OK;
out:
	free(items);
	free(ids);
	free(texts);
	free(lens);
	free(lines);
	free(text);
	json_decref(doc);
	return rc;
}

static int
cmd_supersede(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	uint8_t old[16], id[16];
	json_t *in = NULL, *prev = NULL;
	char txt[37];
	int rc;

	if ((rc = parse_id(a->id, old)) != CLI_OK)
		return rc;
	if (a->json_flag) {
		if ((rc = load_json(a->json ? a->json : "-", &in, &d)) != 0)
			return cli_diag(&d);
	} else {
		static const char *const keep[] = {"category", "observed_at",
		    "geometry", "attributes", "patrol", "precedence", NULL};
		int i;

		if (node_get(n, old, &prev, &d) != 0)
			return cli_diag(&d);
		in = json_object();
		for (i = 0; keep[i]; i++)
			if (json_object_get(prev, keep[i]))
				json_object_set(in, keep[i],
				    json_object_get(prev, keep[i]));
		if (a->category && json_object_get(in, "category") &&
		    strcmp(a->category, json_string_value(json_object_get(in,
		    "category"))) != 0)
			json_object_del(in, "attributes");
		if ((rc = input_from_flags(n, a, in, &d)) != 0) {
			rc = cli_diag(&d);
			goto out;
		}
	}
	if (node_supersede(n, old, in, id, &d) != 0) {
		rc = cli_diag(&d);
		goto out;
	}
	printf("%s\n", util_uuid_format(id, txt));
	rc = CLI_OK;
out:
	json_decref(in);
	json_decref(prev);
	return rc;
}

static int
cmd_retract(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	uint8_t old[16], id[16];
	char txt[37];
	int rc;

	if ((rc = parse_id(a->id, old)) != CLI_OK)
		return rc;
	if (a->reason == NULL)
		return cli_usage_error("--reason is required: say why the "
		    "record is withdrawn");
	if (node_retract(n, old, a->reason, id, &d) != 0)
		return cli_diag(&d);
	printf("%s\n", util_uuid_format(id, txt));
	return CLI_OK;
}

/* ---- showing records ---- */

static const char *
lang_of(const struct args *a)
{
	return a->lang ? a->lang : "fr";
}

static void
print_value(const json_t *v, const struct model_category *cat,
    const char *key, const char *lang)
{
	if (json_is_string(v)) {
		const char *l = cat ? model_enum_label(cat, key,
		    json_string_value(v), lang) : NULL;

		fputs(l ? l : json_string_value(v), stdout);
	} else if (json_is_array(v) && cat) {
		size_t i;

		for (i = 0; i < json_array_size(v); i++) {
			const char *id = json_string_value(json_array_get(v,
			    i));
			const char *l = id ? model_enum_label(cat, key, id,
			    lang) : NULL;

			printf("%s%s", i ? ", " : "", l ? l : id ? id : "?");
		}
	} else if (json_is_true(v) || json_is_false(v)) {
		fputs(json_is_true(v) ? (strcmp(lang, "fr") ? "yes" : "oui") :
		    (strcmp(lang, "fr") ? "no" : "non"), stdout);
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
		    JSON_REAL_PRECISION(10));

		fputs(s ? s : "?", stdout);
		free(s);
	}
}


/* One "Label         value" line of a record sheet. */
static void __attribute__((format(printf, 2, 3)))
line(const char *label, const char *fmt, ...)
{
	va_list ap;

	cli_label(label, 14);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void
print_record(struct node *n, const json_t *j, const char *lang)
{
	const char *catid = json_string_value(json_object_get(j, "category"));
	const struct model_category *cat = catid ? model_find(n->model, catid)
	    : NULL;
	const json_t *attrs = json_object_get(j, "attributes"), *v, *o, *g;
	const char *key;
	int fr = strcmp(lang, "fr") == 0;

	line(fr ? "Fiche" : "Record", "%s",
	    json_string_value(json_object_get(j, "id")));
	if (catid)
		line(fr ? "Catégorie" : "Category", "%s — %s", catid,
		    cat ? model_category_label(cat, lang) :
		    (fr ? "(inconnue de ce modèle)" : "(not in this model)"));
	else
		line("Type", "%s", json_string_value(json_object_get(j,
		    "kind")));
	line(fr ? "Observé" : "Observed", "%s",
	    json_string_value(json_object_get(j, "observed_at")));
	line(fr ? "Précédence" : "Precedence", "%s",
	    json_string_value(json_object_get(j, "precedence")));
	g = json_object_get(j, "geometry");
	if (g != NULL) {
		const char *type = json_string_value(json_object_get(g, "type"));
		const char *mgrs = json_string_value(json_object_get(j, "mgrs"));

		if (type && strcmp(type, "Point") == 0) {
			const json_t *c = json_object_get(g, "coordinates");

			line("Position", "%.6f %.6f  MGRS %s",
			    json_number_value(json_array_get(c, 1)),
			    json_number_value(json_array_get(c, 0)),
			    mgrs ? mgrs : "-");
		} else {
			line(fr ? "Géométrie" : "Geometry", "%s",
			    type ? type : "?");
		}
	}
	v = json_object_get(j, "audience");
	if (json_is_array(v)) {
		char aud[64];

		node_audience_text(j, aud, sizeof aud);
		line("Audience", "%s", aud);
	}
	o = json_object_get(j, "origin");
	if (o != NULL)
		line(fr ? "Origine" : "Origin", "%s — %s (%.8s)",
		    json_string_value(json_object_get(o, "nation")),
		    json_string_value(json_object_get(o, "name")),
		    json_string_value(json_object_get(o, "node")));
	line(fr ? "État" : "Status", "%s",
	    json_string_value(json_object_get(j, "status")));
	if ((v = json_object_get(j, "supersedes")) != NULL)
		line(fr ? "Remplace" : "Supersedes", "%s",
		    json_string_value(v));
	if ((v = json_object_get(j, "superseded_by")) != NULL)
		line(fr ? "Remplacée par" : "Superseded by", "%s",
		    json_string_value(v));
	if ((v = json_object_get(j, "retracts")) != NULL)
		line(fr ? "Retire" : "Retracts", "%s", json_string_value(v));
	if ((v = json_object_get(j, "retracted_by")) != NULL)
		line(fr ? "Retirée par" : "Retracted by", "%s",
		    json_string_value(v));
	if ((v = json_object_get(j, "reason")) != NULL)
		line(fr ? "Motif" : "Reason", "%s", json_string_value(v));
	if (json_object_size(attrs) > 0)
		printf("%s\n", fr ? "Attributs" : "Attributes");
	json_object_foreach((json_t *)attrs, key, v) {
		const char *label = cat ? model_attr_label(cat, key, lang) :
		    NULL;
		const char *unit = cat ? model_attr_unit(cat, key) : NULL;

		printf("  %s: ", label ? label : key);
		print_value(v, cat, key, lang);
		if (unit && json_is_number(v))
			printf(" %s", unit);
		putchar('\n');
	}
}

static int
cmd_get(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	uint8_t id[16];
	json_t *j = NULL;
	int rc;

	if ((rc = parse_id(a->id, id)) != CLI_OK)
		return rc;
	if (node_get(n, id, &j, &d) != 0)
		return cli_diag(&d);
	if (a->json_flag)
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	else
		print_record(n, j, lang_of(a));
	if (a->json_flag)
		putchar('\n');
	json_decref(j);
	return CLI_OK;
}

static int
parse_list_query(const struct args *a, struct store_query *q,
    struct dib_diag *d)
{
	memset(q, 0, sizeof *q);
	if (a->bbox) {
		char extra;

		if (sscanf(a->bbox, "%lf,%lf,%lf,%lf%c", &q->w, &q->s, &q->e,
		    &q->n, &extra) != 4)
			return dib_fail(d, DIB_EINVAL, "bbox", "must be W,S,E,N "
			    "in decimal degrees, got \"%.60s\"", a->bbox);
		if (!(q->w >= -180 && q->e <= 180 && q->s >= -90 &&
		    q->n <= 90 && q->w <= q->e && q->s <= q->n))
			return dib_fail(d, DIB_EINVAL, "bbox", "must be W,S,E,N "
			    "with -180 <= W <= E <= 180 and -90 <= S <= N <= "
			    "90, got \"%.60s\"", a->bbox);
		q->has_bbox = 1;
	}
	if (a->from) {
		if (util_time_parse(a->from, &q->from, "from", d) != 0)
			return d->code;
		q->has_from = 1;
	}
	if (a->to) {
		if (util_time_parse(a->to, &q->to, "to", d) != 0)
			return d->code;
		q->has_to = 1;
	}
	if (q->has_from && q->has_to && q->from > q->to)
		return dib_fail(d, DIB_EINVAL, "to", "is before --from");
	if (a->limit) {
		char *end;
		long v = strtol(a->limit, &end, 10);

		if (*a->limit == '\0' || *end != '\0' || v < 1 || v > 10000000)
			return dib_fail(d, DIB_EINVAL, "limit", "must be a "
			    "whole number from 1 to 10000000, got \"%.20s\"",
			    a->limit);
		q->limit = (size_t)v;
	}
	q->category = a->category;
	if (a->text != NULL && (strlen(a->text) > 200 ||
	    !util_utf8_valid(a->text, strlen(a->text))))
		return dib_fail(d, DIB_EINVAL, "text", "must be valid UTF-8 of "
		    "at most 200 bytes");
	q->text = a->text;
	return DIB_OK;
}

static int
cmd_list(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct store_query q;
	struct store_hit *hits = NULL;
	size_t i, count;
	const char *fmt = a->format ? a->format : "table";
	const char *lang = lang_of(a);
	int fr = strcmp(lang, "fr") == 0, more = 0;
	struct buf row;

	if (strcmp(fmt, "table") && strcmp(fmt, "geojson") &&
	    strcmp(fmt, "csv"))
		return cli_usage_error("--format must be table, geojson or csv");
	buf_init(&row, 64 * 1024 * 1024);
	if (parse_list_query(a, &q, &d) != 0)
		return cli_diag(&d);
	/* A table is for reading: the newest 100 unless asked; exports
	 * (geojson, csv) hold everything that matches. */
	if (strcmp(fmt, "table") == 0 && q.limit == 0)
		q.limit = TABLE_DEFAULT + 1;
	if (store_query(n->store, &q, &hits, &count, &d) != 0)
		return cli_diag(&d);
	if (strcmp(fmt, "table") == 0 && a->limit == NULL &&
	    count > TABLE_DEFAULT) {
		count = TABLE_DEFAULT;
		more = 1;
	}
	if (strcmp(fmt, "geojson") == 0)
		printf("{\"type\":\"FeatureCollection\",\"numberReturned\":%zu,"
		    "\"features\":[", count);
	else if (strcmp(fmt, "csv") == 0)
		fputs(node_csv_header, stdout);
	else {
		cli_label("ID", 38);
		cli_label(fr ? "OBSERVÉ" : "OBSERVED", 22);
		cli_label(fr ? "PRÉC." : "PREC.", 11);
		cli_label("MGRS", 17);
		printf("%s\n", fr ? "CATÉGORIE" : "CATEGORY");
	}
	for (i = 0; i < count; i++) {
		json_t *j = node_record_json(n, hits[i].log, hits[i].seq,
		    "current");
		const char *cat, *mgrs;
		json_t *g;

		if (j == NULL)
			continue;
		cat = json_string_value(json_object_get(j, "category"));
		mgrs = json_string_value(json_object_get(j, "mgrs"));
		g = json_object_get(j, "geometry");
		if (strcmp(fmt, "geojson") == 0) {
			json_t *f = json_object(), *props = json_deep_copy(j);

			json_object_del(props, "geometry");
			json_object_del(props, "id");
			json_object_set_new(f, "type", json_string("Feature"));
			json_object_set(f, "id", json_object_get(j, "id"));
			json_object_set(f, "geometry", g ? g : json_null());
			json_object_set_new(f, "properties", props);
			if (i)
				putchar(',');
			json_dumpf(f, stdout, JSON_COMPACT |
			    JSON_REAL_PRECISION(15));
			json_decref(f);
		} else if (strcmp(fmt, "csv") == 0) {
			buf_reset(&row);
			if (node_csv_row(j, &row) == 0)
				fwrite(row.p, 1, row.len, stdout);
		} else {
			const struct model_category *mc = cat ?
			    model_find(n->model, cat) : NULL;

			const struct model_category *up = mc ?
			    model_category_parent(mc) : NULL;

			printf("%-36s  %-20s  %-9s  %-15s  ",
			    json_string_value(json_object_get(j, "id")),
			    json_string_value(json_object_get(j,
			    "observed_at")),
			    json_string_value(json_object_get(j, "precedence")),
			    mgrs ? mgrs : "-");
			/* "Contrebande › Carburant": the leaf alone is vague. */
			if (up != NULL && model_category_depth(mc) >= 2)
				printf("%s › ", model_category_label(up, lang));
			printf("%s\n", mc ? model_category_label(mc, lang) :
			    (cat ? cat : "?"));
		}
		json_decref(j);
	}
	if (strcmp(fmt, "geojson") == 0)
		printf("]}\n");
	else if (strcmp(fmt, "table") == 0 && fflush(stdout) == 0)
		fprintf(stderr, more ? (fr ? "les %zu fiches les plus récentes ; "
		    "--limit N pour en voir plus\n" : "the newest %zu records; "
		    "--limit N shows more\n") : (fr ? "%zu fiche(s)\n" :
		    "%zu record(s)\n"), count);
	free(hits);
	buf_free(&row);
	return CLI_OK;
}

int
cli_record(int argc, char **argv)
{
	struct dib_diag d = {0};
	struct node *n = NULL;
	struct args a;
	const char *verb;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	if (strcmp(verb, "add") && strcmp(verb, "get") && strcmp(verb, "list")
	    && strcmp(verb, "supersede") && strcmp(verb, "retract"))
		return cli_usage_error("unknown verb \"record %s\" (add, get, "
		    "list, supersede, retract)", verb);
	if ((rc = parse_args(argc - 1, argv + 1, &a)) != CLI_OK)
		return rc;
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	if (strcmp(verb, "add") == 0)
		rc = cmd_add(n, &a);
	else if (strcmp(verb, "get") == 0)
		rc = cmd_get(n, &a);
	else if (strcmp(verb, "list") == 0)
		rc = cmd_list(n, &a);
	else if (strcmp(verb, "supersede") == 0)
		rc = cmd_supersede(n, &a);
	else
		rc = cmd_retract(n, &a);
	node_close(n);
	return rc;
}
