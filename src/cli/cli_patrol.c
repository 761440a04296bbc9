/*
** diboli patrol: joint patrols from the command line. Flags become the
** same JSON input as the HTTP API's and go through src/patrol/; every
** write leaves its audit row in the same transaction.
*/
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "model/model.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "util/json.h"
#include "util/util.h"

#define GEOJSON_MAX (16 * 1024 * 1024)

static const char usage_text[] =
    "usage: diboli patrol <verb> --dir DIR [options]\n"
    "\n"
    "  create --code CODE --type TYPE --nations SN,ML --from TIME --to TIME\n"
    "         (--route GEOJSON | --area GEOJSON) [--objective TEXT]\n"
    "         [--audience SN,ML]       prints the new patrol's id\n"
    "  update ID [the options of create: what is not given is kept]\n"
    "  unit add ID --unit TEXT [--leader RANK|CALLSIGN] [--strength N]\n"
    "         [--nation CODE]          this node's nation only\n"
    "  leg add ID --seq N --lead-nation CODE (--coords TEXT |\n"
    "         --lat LAT --lon LON) [--start TIME] [--end TIME]\n"
    "         [--remarks TEXT]         the handover point at the border\n"
    "  propose|approve|start|complete ID\n"
    "  reject|abort ID --reason TEXT\n"
    "  debrief ID --text TEXT\n"
    "  show ID [--json] [--lang fr|en]\n"
    "  summary ID [--buffer M] [--json] [--lang fr|en]\n"
    "                                  the debrief computed from the tracks\n"
    "  list [--from TIME] [--to TIME] [--status STATUS] [--nation CODE]\n"
    "       [--section SEC-02 [--buffer M]] [--json] [--lang fr|en]\n"
    "\n"
    "TYPE: foot, vehicle, boat, mounted, mixed. STATUS: draft, proposed,\n"
    "approved, rejected, underway, completed, aborted. TIME is RFC 3339\n"
    "(2025-02-20T06:00:00Z). GEOJSON is inline JSON when it starts with\n"
    "\"{\", else a file (- for standard input): a LineString (route) or a\n"
    "Polygon (area), alone or as the only feature of a Feature or\n"
    "FeatureCollection. A decision is signed by this node for its nation:\n"
    "each participating nation approves on its own node. The leader is a\n"
    "rank or a callsign, never a name; enter no personal data. --buffer is\n"
    "the distance in metres within which a track or a route passes a\n"
    "border section (default 2000). Tracks: diboli import gpx, diboli\n"
    "export gpx|geojson.\n";

enum {
	OPT_DIR = 256, OPT_CODE, OPT_TYPE, OPT_NATIONS, OPT_AUDIENCE,
	OPT_FROM, OPT_TO, OPT_ROUTE, OPT_AREA, OPT_OBJECTIVE, OPT_NATION,
	OPT_UNIT, OPT_LEADER, OPT_STRENGTH, OPT_SEQ, OPT_LEAD, OPT_START,
	OPT_END, OPT_REMARKS, OPT_COORDS, OPT_LAT, OPT_LON, OPT_REASON,
	OPT_TEXT, OPT_JSON, OPT_STATUS, OPT_LANG, OPT_SECTION, OPT_BUFFER,
	OPT_HELP
};

static const struct option opts[] = {
	{"dir", required_argument, NULL, OPT_DIR},
	{"code", required_argument, NULL, OPT_CODE},
	{"type", required_argument, NULL, OPT_TYPE},
	{"nations", required_argument, NULL, OPT_NATIONS},
	{"audience", required_argument, NULL, OPT_AUDIENCE},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"route", required_argument, NULL, OPT_ROUTE},
	{"area", required_argument, NULL, OPT_AREA},
	{"objective", required_argument, NULL, OPT_OBJECTIVE},
	{"nation", required_argument, NULL, OPT_NATION},
	{"unit", required_argument, NULL, OPT_UNIT},
	{"leader", required_argument, NULL, OPT_LEADER},
	{"strength", required_argument, NULL, OPT_STRENGTH},
	{"seq", required_argument, NULL, OPT_SEQ},
	{"lead-nation", required_argument, NULL, OPT_LEAD},
	{"start", required_argument, NULL, OPT_START},
	{"end", required_argument, NULL, OPT_END},
	{"remarks", required_argument, NULL, OPT_REMARKS},
	{"coords", required_argument, NULL, OPT_COORDS},
	{"lat", required_argument, NULL, OPT_LAT},
	{"lon", required_argument, NULL, OPT_LON},
	{"reason", required_argument, NULL, OPT_REASON},
	{"text", required_argument, NULL, OPT_TEXT},
	{"json", no_argument, NULL, OPT_JSON},
	{"status", required_argument, NULL, OPT_STATUS},
	{"lang", required_argument, NULL, OPT_LANG},
	{"section", required_argument, NULL, OPT_SECTION},
	{"buffer", required_argument, NULL, OPT_BUFFER},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0}
};

struct args {
	const char *dir, *code, *type, *nations, *audience, *from, *to;
	const char *route, *area, *objective, *nation, *unit, *leader;
	const char *strength, *seq, *lead, *start, *end, *remarks, *coords;
	const char *lat, *lon, *reason, *text, *status, *lang;
	const char *section, *buffer;
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
		case OPT_CODE: a->code = optarg; break;
		case OPT_TYPE: a->type = optarg; break;
		case OPT_NATIONS: a->nations = optarg; break;
		case OPT_AUDIENCE: a->audience = optarg; break;
		case OPT_FROM: a->from = optarg; break;
		case OPT_TO: a->to = optarg; break;
		case OPT_ROUTE: a->route = optarg; break;
		case OPT_AREA: a->area = optarg; break;
		case OPT_OBJECTIVE: a->objective = optarg; break;
		case OPT_NATION: a->nation = optarg; break;
		case OPT_UNIT: a->unit = optarg; break;
		case OPT_LEADER: a->leader = optarg; break;
		case OPT_STRENGTH: a->strength = optarg; break;
		case OPT_SEQ: a->seq = optarg; break;
		case OPT_LEAD: a->lead = optarg; break;
		case OPT_START: a->start = optarg; break;
		case OPT_END: a->end = optarg; break;
		case OPT_REMARKS: a->remarks = optarg; break;
		case OPT_COORDS: a->coords = optarg; break;
		case OPT_LAT: a->lat = optarg; break;
		case OPT_LON: a->lon = optarg; break;
		case OPT_REASON: a->reason = optarg; break;
		case OPT_TEXT: a->text = optarg; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_STATUS: a->status = optarg; break;
		case OPT_LANG: a->lang = optarg; break;
		case OPT_SECTION: a->section = optarg; break;
		case OPT_BUFFER: a->buffer = optarg; break;
		case 'h':
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(CLI_OK);
		default:
			return cli_bad_option(argv, "patrol");
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

static int
parse_id(const char *s, uint8_t id[16])
{
	if (s == NULL)
		return cli_usage_error("a patrol id is required (diboli patrol "
		    "list shows them)");
	if (util_uuid_parse(s, id) != 0)
		return cli_error("id: \"%.60s\" is not a patrol id (like "
		    "0195224a-3c00-7d1e-8f00-0123456789ab)", s);
	return CLI_OK;
}

/* ---- input from flags ---- */

/*
** The geometry of a --route or --area: inline JSON or a file, a
** geometry or the only feature of a Feature(Collection). want is
** "LineString" or "Polygon". A new reference in *out.
*/
static int
load_geometry(const char *arg, const char *flag, const char *want,
    json_t **out, struct dib_diag *d)
{
	const char *p = arg, *type;
	char *text = NULL;
	size_t len;
	json_t *j = NULL, *g;
	int rc;

	*out = NULL;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '{')
		rc = util_json_parse(arg, strlen(arg), flag, &j, d);
	else if ((rc = util_read_file(arg, GEOJSON_MAX, &text, &len, d)) ==
	    0)
		rc = util_json_parse(text, len, strcmp(arg, "-") ? arg : "stdin",
		    &j, d);
	free(text);
	if (rc != 0) {
		snprintf(d->field, sizeof d->field, "%s", flag);
		return rc;
	}
	g = j;
	type = json_string_value(json_object_get(g, "type"));
	if (type && strcmp(type, "FeatureCollection") == 0) {
		json_t *f = json_object_get(g, "features");

		if (json_array_size(f) != 1) {
			json_decref(j);
			return dib_fail(d, DIB_EINVAL, flag, "a FeatureCollection "
			    "must hold exactly one feature, got %zu",
			    json_array_size(f));
		}
		g = json_array_get(f, 0);
		type = json_string_value(json_object_get(g, "type"));
	}
	if (type && strcmp(type, "Feature") == 0) {
		g = json_object_get(g, "geometry");
		type = json_string_value(json_object_get(g, "type"));
	}
	if (type == NULL || strcmp(type, want) != 0) {
		rc = dib_fail(d, DIB_EINVAL, flag, "must be a GeoJSON %s, got "
		    "%s", want, type ? type : "no geometry");
		json_decref(j);
		return rc;
	}
	*out = json_incref(g);
	json_decref(j);
	return DIB_OK;
}

/* "SN,ML" as ["SN", "ML"]. */
static json_t *
code_list(const char *s)
{
	json_t *a = json_array();
	const char *p = s;

	while (a != NULL && *p) {
		size_t n = strcspn(p, ",");
		const char *e = p + n;

		while (*p == ' ')
			p++;
		while (e > p && e[-1] == ' ')
			e--;
		json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
		p += n;
		if (*p == ',')
			p++;
	}
	return a;
}

static int
parse_int(const char *s, const char *field, json_t **out,
    struct dib_diag *d)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0')
		return dib_fail(d, DIB_EINVAL, field, "must be a whole number, "
		    "got \"%.20s\"", s);
	*out = json_integer(v);
	return DIB_OK;
}

static int
plan_input(const struct args *a, json_t *in, struct dib_diag *d)
{
	json_t *g = NULL;
	int rc;

	if (a->route && a->area)
		return dib_fail(d, DIB_EUSAGE, "route", "give --route or "
		    "--area, not both");
	if (a->code)
		json_object_set_new(in, "code", json_string(a->code));
	if (a->type)
		json_object_set_new(in, "patrol_type", json_string(a->type));
	if (a->objective)
		json_object_set_new(in, "objective", json_string(a->objective));
	if (a->from)
		json_object_set_new(in, "window_start", json_string(a->from));
	if (a->to)
		json_object_set_new(in, "window_end", json_string(a->to));
	if (a->nations)
		json_object_set_new(in, "nations", code_list(a->nations));
	if (a->audience)
		json_object_set_new(in, "audience", json_string(a->audience));
	if (a->route || a->area) {
		if ((rc = load_geometry(a->route ? a->route : a->area,
		    a->route ? "route" : "area", a->route ? "LineString" :
		    "Polygon", &g, d)) != 0)
			return rc;
		json_object_set_new(in, "geometry", g);
	}
	return DIB_OK;
}

static int
unit_input(const struct args *a, json_t *in, struct dib_diag *d)
{
	json_t *v;
	int rc;

	if (a->nation)
		json_object_set_new(in, "nation", json_string(a->nation));
	if (a->unit)
		json_object_set_new(in, "unit", json_string(a->unit));
	if (a->leader)
		json_object_set_new(in, "leader", json_string(a->leader));
	if (a->strength) {
		if ((rc = parse_int(a->strength, "strength", &v, d)) != 0)
			return rc;
		json_object_set_new(in, "strength", v);
	}
	return DIB_OK;
}

static int
leg_input(const struct args *a, json_t *in, struct dib_diag *d)
{
	json_t *v;
	int rc;

	if (a->seq) {
		if ((rc = parse_int(a->seq, "seq", &v, d)) != 0)
			return rc;
		json_object_set_new(in, "seq", v);
	}
	if (a->lead)
		json_object_set_new(in, "lead_nation", json_string(a->lead));
	if (a->start)
		json_object_set_new(in, "start", json_string(a->start));
	if (a->end)
		json_object_set_new(in, "end", json_string(a->end));
	if (a->remarks)
		json_object_set_new(in, "remarks", json_string(a->remarks));
	if (a->coords && (a->lat || a->lon))
		return dib_fail(d, DIB_EUSAGE, "coords", "give --coords or "
		    "--lat/--lon, not both");
	if (a->coords)
		json_object_set_new(in, "location", json_string(a->coords));
	if (a->lat || a->lon) {
		double lat, lon;
		char *e1 = NULL, *e2 = NULL;

		if (!a->lat || !a->lon)
			return dib_fail(d, DIB_EUSAGE, a->lat ? "lon" : "lat",
			    "--lat and --lon go together");
		lat = strtod(a->lat, &e1);
		lon = strtod(a->lon, &e2);
		if (*a->lat == '\0' || *e1 != '\0' || *a->lon == '\0' ||
		    *e2 != '\0' || !isfinite(lat) || !isfinite(lon))
			return dib_fail(d, DIB_EINVAL, "lat", "--lat and --lon "
			    "are decimal degrees");
		json_object_set_new(in, "geometry", json_pack("{s:s, s:[f,f]}",
		    "type", "Point", "coordinates", lon, lat));
	}
	return DIB_OK;
}

/* ---- writes ---- */

enum write_kind { W_CREATE, W_UPDATE, W_UNIT, W_LEG, W_DEBRIEF, W_ACT };

struct write_job {
	struct node *n;
	int kind;                       /* enum write_kind */
	int verb;                       /* W_ACT: enum patrol_verb */
	uint8_t patrol[16];
	const json_t *in;
	const char *reason;
	uint8_t id[16];                 /* the new record */
	char target[80];
	char detail[300];
};

static int
do_write(struct store *s, void *arg, struct dib_diag *d)
{
	struct write_job *j = arg;
	char txt[37];
	int rc;

	(void)s;
	switch (j->kind) {
	case W_CREATE:
		rc = patrol_create(j->n, j->in, NULL, j->id, d);
		if (rc == 0)
			memcpy(j->patrol, j->id, 16);
		break;
	case W_UPDATE:
		rc = patrol_update(j->n, j->patrol, j->in, NULL, j->id, d);
		break;
	case W_UNIT:
		rc = patrol_add_unit(j->n, j->patrol, j->in, NULL, j->id, d);
		break;
	case W_LEG:
		rc = patrol_add_leg(j->n, j->patrol, j->in, NULL, j->id, d);
		break;
	case W_DEBRIEF:
		rc = patrol_add_debrief(j->n, j->patrol, j->in, NULL, j->id, d);
		break;
	default:
		rc = patrol_act(j->n, j->patrol, j->verb, j->reason, NULL, j->id,
		    d);
	}
	if (rc != 0)
		return rc;
	snprintf(j->target, sizeof j->target, "patrol:%s",
	    util_uuid_format(j->patrol, txt));
	snprintf(j->detail, sizeof j->detail, "record=%s%s%.200s",
	    util_uuid_format(j->id, txt), j->reason ? " reason=" : "",
	    j->reason ? j->reason : "");
	return DIB_OK;
}

static const char *
lang_of(const struct args *a)
{
	return a->lang ? a->lang : "fr";
}

/* After a write: the patrol's status, for a person, on stderr. */
static void
say_status(struct node *n, const uint8_t patrol[16], const char *lang)
{
	struct dib_diag d;
	json_t *p = NULL;

	if (patrol_get(n, patrol, &p, &d) != 0)
		return;
	fprintf(stderr, strcmp(lang, "fr") == 0 ? "patrouille %s : %s\n" :
	    "patrol %s: %s\n", json_string_value(json_object_get(p, "code")),
	    patrol_status_label(patrol_status_parse(json_string_value(
	    json_object_get(p, "status"))), lang));
	json_decref(p);
}

static int
cmd_write(struct node *n, const char *verb, const char *sub,
    const struct args *a)
{
	struct dib_diag d = {0};
	struct write_job j;
	json_t *in = json_object();
	char action[40], txt[37];
	int rc = CLI_OK;

	memset(&j, 0, sizeof j);
	j.n = n;
	j.in = in;
	if (strcmp(verb, "create") == 0) {
		j.kind = W_CREATE;
		if (a->id)
			rc = cli_usage_error("create takes no positional "
			    "argument");
		else if (!a->route && !a->area)
			rc = cli_usage_error("give the route (--route GEOJSON) "
			    "or the area (--area GEOJSON)");
	} else if ((rc = parse_id(a->id, j.patrol)) != CLI_OK) {
		json_decref(in);
		return rc;
	} else if (strcmp(verb, "update") == 0) {
		j.kind = W_UPDATE;
	} else if (strcmp(verb, "unit") == 0) {
		j.kind = W_UNIT;
	} else if (strcmp(verb, "leg") == 0) {
		j.kind = W_LEG;
	} else if (strcmp(verb, "debrief") == 0) {
		j.kind = W_DEBRIEF;
		if (a->text == NULL)
			rc = cli_usage_error("--text is required: the debrief");
		else
			json_object_set_new(in, "text", json_string(a->text));
	} else {
		j.kind = W_ACT;
		j.verb = patrol_verb_parse(verb);
		j.reason = a->reason;
		if ((j.verb == PATROL_REJECT || j.verb == PATROL_ABORT) &&
		    (a->reason == NULL || *a->reason == '\0'))
			rc = cli_usage_error("--reason is required: say why "
			    "(%s)", verb);
	}
	if (rc != CLI_OK) {
		json_decref(in);
		return rc;
	}
	if ((j.kind == W_CREATE || j.kind == W_UPDATE) &&
	    plan_input(a, in, &d) != 0)
		goto fail;
	if (j.kind == W_UNIT && unit_input(a, in, &d) != 0)
		goto fail;
	if (j.kind == W_LEG && leg_input(a, in, &d) != 0)
		goto fail;
	snprintf(action, sizeof action, "patrols.%s", sub ? sub : verb);
	if (j.kind == W_CREATE)
		snprintf(j.target, sizeof j.target, "patrol:new");
	else
		snprintf(j.target, sizeof j.target, "patrol:%s",
		    util_uuid_format(j.patrol, txt));
	if (cli_audited(n->store, do_write, &j, action, j.target, j.detail,
	    &d) != 0) {
		json_decref(in);
		return cli_diag(&d);
	}
	printf("%s\n", util_uuid_format(j.kind == W_CREATE ? j.patrol : j.id,
	    txt));
	fflush(stdout);
	say_status(n, j.patrol, lang_of(a));
	json_decref(in);
	return CLI_OK;
fail:
	json_decref(in);
	return cli_diag(&d);
}

/* ---- show ---- */

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

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static const char *
enum_label(struct node *n, const char *cat, const char *key,
    const char *value, const char *lang)
{
	const struct model_category *c = model_find(n->model, cat);
	const char *l = c && value ? model_enum_label(c, key, value, lang) :
	    NULL;

	return l ? l : value ? value : "?";
}

static const char *
status_label(const json_t *p, const char *lang)
{
	const char *l = patrol_status_label(patrol_status_parse(str(p,
	    "status")), lang);

	return l ? l : str(p, "status");
}

static void
print_nations(const json_t *a)
{
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		printf("%s%s", i ? "," : "", json_string_value(
		    json_array_get(a, i)));
}

static void
print_geometry(const json_t *g, int fr)
{
	const char *type = str(g, "type");
	const json_t *c = json_object_get(g, "coordinates");
	size_t pts = strcmp(type, "Polygon") == 0 ?
	    json_array_size(json_array_get(c, 0)) : json_array_size(c);

	if (strcmp(type, "LineString") == 0)
		line(fr ? "Itinéraire" : "Route", fr ? "ligne de %zu points" :
		    "line of %zu points", pts);
	else if (strcmp(type, "Polygon") == 0)
		line(fr ? "Zone" : "Area", fr ? "polygone de %zu sommets" :
		    "polygon of %zu vertices", pts);
	else
		line(fr ? "Géométrie" : "Geometry", "%s", type);
}

static void
print_patrol(struct node *n, const json_t *p, const char *lang)
{
	int fr = strcmp(lang, "fr") == 0;
	const json_t *o = json_object_get(p, "origin"), *ap, *v, *units;
	const char *key;
	size_t i;

	line(fr ? "Patrouille" : "Patrol", "%s — %s", str(p, "code"),
	    str(p, "id"));
	line("Type", "%s", enum_label(n, PATROL_CAT_PLAN, "patrol_type",
	    str(p, "patrol_type"), lang));
	line(fr ? "Statut" : "Status", "%s", status_label(p, lang));
	line(fr ? "Fenêtre" : "Window", "%s → %s", str(p, "window_start"),
	    str(p, "window_end"));
	cli_label("Nations", 14);
	print_nations(json_object_get(p, "nations"));
	putchar('\n');
	cli_label("Audience", 14);
	print_nations(json_object_get(p, "audience"));
	putchar('\n');
	if (o != NULL)
		line(fr ? "Origine" : "Origin", "%s — %s (%.8s)", str(o,
		    "nation"), str(o, "name"), str(o, "node"));
	if (json_object_get(p, "objective"))
		line(fr ? "Objectif" : "Objective", "%s", str(p, "objective"));
	print_geometry(json_object_get(p, "geometry"), fr);
	line(fr ? "Version" : "Version", fr ? "%s (%lld version(s))" :
	    "%s (%lld version(s))", str(p, "plan_version"),
	    (long long)json_integer_value(json_object_get(p, "versions")));
	printf("%s\n", fr ? "Approbations" : "Approvals");
	json_object_foreach(json_object_get(p, "approvals"), key, ap) {
		if (json_is_true(json_object_get(ap, "rejected")))
			printf("  %s  %s %s : %s\n", key, fr ? "rejet le" :
			    "rejected on", str(ap, "rejected_at"), str(ap,
			    "reason"));
		else if (json_is_true(json_object_get(ap, "approved")))
			printf("  %s  %s %s\n", key, fr ? "approuvé le" :
			    "approved on", str(ap, "at"));
		else
			printf("  %s  %s\n", key, fr ? "en attente" : "pending");
	}
	units = json_object_get(p, "units");
	printf("%s\n", fr ? "Unités" : "Units");
	json_object_foreach((json_t *)units, key, v) {
		if (json_array_size(v) == 0)
			printf("  %s  %s\n", key, fr ? "(aucune déclarée)" :
			    "(none declared)");
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *u = json_array_get(v, i);

			printf("  %s  %s", key, str(u, "unit"));
			if (json_object_get(u, "leader"))
				printf(fr ? " — chef : %s" : " — leader: %s",
				    str(u, "leader"));
			if (json_object_get(u, "strength"))
				printf(fr ? ", effectif %lld" : ", strength %lld",
				    (long long)json_integer_value(
				    json_object_get(u, "strength")));
			putchar('\n');
		}
	}
	v = json_object_get(p, "legs");
	if (json_array_size(v) > 0)
		printf("%s\n", fr ? "Étapes" : "Legs");
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *l = json_array_get(v, i);

		printf("  %lld  %s  %s", (long long)json_integer_value(
		    json_object_get(l, "seq")), str(l, "lead_nation"),
		    json_object_get(l, "mgrs") ? str(l, "mgrs") : "-");
		if (json_object_get(l, "start") || json_object_get(l, "end"))
			printf("  %s → %s", str(l, "start"), str(l, "end"));
		if (json_object_get(l, "remarks"))
			printf("  %s", str(l, "remarks"));
		putchar('\n');
	}
	v = json_object_get(p, "actions");
	printf("%s\n", fr ? "Décisions" : "Decisions");
	if (json_array_size(v) == 0)
		printf("  %s\n", fr ? "(aucune)" : "(none)");
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *x = json_array_get(v, i);

		printf("  %s  %s  %s", str(x, "at"), str(x, "nation"),
		    enum_label(n, PATROL_CAT_ACTION, "action", str(x, "action"),
		    lang));
		if (json_object_get(x, "reason"))
			printf(" — %s", str(x, "reason"));
		if (!json_is_true(json_object_get(x, "counts")))
			printf(fr ? "  (sans effet : autre version ou nation "
			    "non participante)" : "  (no effect: another "
			    "version or a non-participating nation)");
		putchar('\n');
	}
	v = json_object_get(p, "debriefs");
	if (json_array_size(v) > 0)
		printf("%s\n", fr ? "Comptes rendus" : "Debriefs");
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *x = json_array_get(v, i);

		printf("  %s  %s  %s\n", str(x, "nation"), str(x, "at"),
		    str(x, "text"));
	}
	line("Observations", "%lld",
	    (long long)json_integer_value(json_object_get(p, "observations")));
}

static int
cmd_show(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	uint8_t id[16];
	json_t *p = NULL;
	int rc;

	if ((rc = parse_id(a->id, id)) != CLI_OK)
		return rc;
	if (patrol_get(n, id, &p, &d) != 0)
		return cli_diag(&d);
	if (a->json) {
		json_dumpf(p, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		putchar('\n');
	} else {
		print_patrol(n, p, lang_of(a));
	}
	json_decref(p);
	return CLI_OK;
}

/* ---- summary ---- */

static double
num_of(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* x with dec decimals, a decimal comma and thin spaces in thousands in
** French ("12 345,6"), plain in English ("12,345.6"). */
static const char *
fmt_num(double x, int dec, int fr, char *out, size_t n)
{
	char raw[64], *dot;
	size_t len, ip, o = 0, i;

	snprintf(raw, sizeof raw, "%.*f", dec, x);
	dot = strchr(raw, '.');
	ip = dot ? (size_t)(dot - raw) : strlen(raw);
	len = strlen(raw);
	for (i = 0; i < len && o + 4 < n; i++) {
		size_t left = ip - i;

		if (i > 0 && i < ip && raw[i - 1] != '-' && left % 3 == 0) {
			const char *sep = fr ? "\u202f" : ",";

			memcpy(out + o, sep, strlen(sep));
			o += strlen(sep);
		}
		out[o++] = raw[i] == '.' && fr ? ',' : raw[i];
	}
	out[o] = '\0';
	return out;
}

/* "2 h 05 min" */
static const char *
fmt_dur(double s, char *out, size_t n)
{
	long m = (long)(s / 60 + 0.5);

	if (m >= 60)
		snprintf(out, n, "%ld h %02ld min", m / 60, m % 60);
	else
		snprintf(out, n, "%ld min", m);
	return out;
}

static void
print_summary(const json_t *p, const char *lang)
{
	int fr = strcmp(lang, "fr") == 0;
	const json_t *v, *x, *dv;
	const char *key;
	char a[64], b[64], c[64];
	size_t i;

	line(fr ? "Patrouille" : "Patrol", "%s — %s", str(p, "code"),
	    str(p, "patrol"));
	line(fr ? "Statut" : "Status", "%s", status_label(p, lang));
	line(fr ? "Distance" : "Distance", "%s km", fmt_num(num_of(p,
	    "distance_m") / 1000, 2, fr, a, sizeof a));
	json_object_foreach((json_t *)json_object_get(p, "nations"), key, x) {
		char e[64];

		printf("  %s  %s km, %s %s, %s %s, %s points\n", key,
		    fmt_num(num_of(x, "distance_m") / 1000, 2, fr, a, sizeof a),
		    fr ? "en mouvement" : "moving", fmt_dur(num_of(x, "moving_s"),
		    b, sizeof b), fr ? "en tout" : "in all", fmt_dur(num_of(x,
		    "total_s"), c, sizeof c), fmt_num(num_of(x, "points"), 0, fr,
		    e, sizeof e));
	}
	line(fr ? "Temps" : "Time", fr ? "en mouvement %s, en tout %s" :
	    "moving %s, in all %s", fmt_dur(num_of(p, "moving_s"), a, sizeof a),
	    fmt_dur(num_of(p, "total_s"), b, sizeof b));
	if (json_is_string(json_object_get(p, "t_start")))
		line(fr ? "Traces" : "Tracks", "%s → %s", str(p, "t_start"),
		    str(p, "t_end"));
	line("Points", fr ? "%s (%lld trace(s), %lld enregistrement(s))" :
	    "%s (%lld track(s), %lld record(s))", fmt_num(num_of(p, "points"),
	    0, fr, a, sizeof a), (long long)json_integer_value(
	    json_object_get(p, "tracks")), (long long)json_integer_value(
	    json_object_get(p, "pieces")));
	dv = json_object_get(p, "deviation");
	if (json_is_object(dv) && strcmp(str(dv, "plan"), "route") == 0)
		line(fr ? "Itinéraire" : "Route", fr ? "écart moyen %s m, "
		    "maximal %s m" : "mean deviation %s m, largest %s m",
		    fmt_num(num_of(dv, "mean_m"), 0, fr, a, sizeof a),
		    fmt_num(num_of(dv, "max_m"), 0, fr, b, sizeof b));
	else if (json_is_object(dv))
		line(fr ? "Zone" : "Area", fr ? "%s %% des points dans la zone "
		    "prévue" : "%s%% of the points inside the planned area",
		    fmt_num(num_of(dv, "share_inside") * 100, 1, fr, a,
		    sizeof a));
	v = json_object_get(p, "sections");
	cli_label(fr ? "Tronçons" : "Sections", 14);
	printf(fr ? "à moins de %s m\n" : "within %s m\n", fmt_num(num_of(p,
	    "buffer_m"), 0, fr, a, sizeof a));
	if (json_array_size(v) == 0)
		printf("  %s\n", fr ? "(aucun)" : "(none)");
	for (i = 0; i < json_array_size(v); i++) {
		x = json_array_get(v, i);
		printf(fr ? "  %s %s : %s km de trace, au plus près %s m\n" :
		    "  %s %s: %s km of track, closest %s m\n", str(x, "id"),
		    str(x, fr ? "name_fr" : "name_en"), fmt_num(num_of(x,
		    "length_within_m") / 1000, 2, fr, a, sizeof a),
		    fmt_num(num_of(x, "closest_m"), 0, fr, b, sizeof b));
	}
	v = json_object_get(p, "observations_by_category");
	line("Observations", "%lld", (long long)json_integer_value(
	    json_object_get(p, "observations")));
	for (i = 0; i < json_array_size(v); i++) {
		x = json_array_get(v, i);
		printf("  %s  %lld\n", str(x, fr ? "label_fr" : "label_en"),
		    (long long)json_integer_value(json_object_get(x, "count")));
	}
	x = json_object_get(p, "cleaning");
	line(fr ? "Nettoyage" : "Cleaning", fr ? "%lld hors d'ordre, %lld "
	    "doublon(s), %lld saut(s) impossible(s), %lld interruption(s) du "
	    "GPS, %lld point(s) sans heure" : "%lld out of order, %lld "
	    "duplicate(s), %lld impossible jump(s), %lld GPS gap(s), %lld "
	    "point(s) without time", (long long)num_of(x, "out_of_order"),
	    (long long)num_of(x, "duplicates"), (long long)num_of(x, "spikes"),
	    (long long)num_of(x, "gaps"), (long long)num_of(x, "no_time"));
	v = json_object_get(p, "debriefs");
	printf("%s\n", fr ? "Comptes rendus" : "Debriefs");
	if (json_array_size(v) == 0)
		printf("  %s\n", fr ? "(aucun)" : "(none)");
	for (i = 0; i < json_array_size(v); i++) {
		x = json_array_get(v, i);
		printf("  %s  %s  %s\n", str(x, "nation"), str(x, "at"),
		    str(x, "text"));
	}
}

static int
cmd_summary(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct patrol_summary_opts o;
	uint8_t id[16];
	json_t *p = NULL;
	int rc;

	if ((rc = parse_id(a->id, id)) != CLI_OK)
		return rc;
	memset(&o, 0, sizeof o);
	if (a->buffer && patrol_buffer_parse(a->buffer, "buffer", &o.buffer_m,
	    &d) != 0)
		return cli_diag(&d);
	if (patrol_summary(n, id, &o, &p, &d) != 0)
		return cli_diag(&d);
	if (a->json) {
		json_dumpf(p, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		putchar('\n');
	} else {
		print_summary(p, lang_of(a));
	}
	json_decref(p);
	return CLI_OK;
}

/* ---- list ---- */

static int
cmd_list(struct node *n, const struct args *a)
{
	struct dib_diag d = {0};
	struct patrol_filter f;
	const char *lang = lang_of(a);
	int fr = strcmp(lang, "fr") == 0;
	json_t *out = NULL, *list;
	size_t i;

	if (a->id)
		return cli_usage_error("list takes no positional argument");
	if (patrol_filter_parse(&f, a->from, a->to, a->status, a->nation,
	    a->section, a->buffer, &d) != 0)
		return cli_diag(&d);
	if (patrol_list(n, &f, &out, &d) != 0)
		return cli_diag(&d);
	list = json_object_get(out, "patrols");
	if (a->json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		putchar('\n');
		json_decref(out);
		return CLI_OK;
	}
	cli_label("ID", 38);
	cli_label("CODE", 10);
	cli_label(fr ? "DÉBUT PRÉVU" : "PLANNED START", 22);
	cli_label("NATIONS", 9);
	cli_label(fr ? "STATUT" : "STATUS", 12);
	printf("%s\n", "TYPE");
	for (i = 0; i < json_array_size(list); i++) {
		const json_t *p = json_array_get(list, i);
		char nat[64] = "";
		const json_t *na = json_object_get(p, "nations");
		size_t k, len = 0;

		for (k = 0; k < json_array_size(na) && len + 4 < sizeof nat;
		    k++)
			len += (size_t)snprintf(nat + len, sizeof nat - len,
			    "%s%s", k ? "," : "", json_string_value(
			    json_array_get(na, k)));
		cli_label(str(p, "id"), 38);
		cli_label(str(p, "code"), 10);
		cli_label(str(p, "window_start"), 22);
		cli_label(nat, 9);
		cli_label(status_label(p, lang), 12);
		printf("%s\n", enum_label(n, PATROL_CAT_PLAN, "patrol_type",
		    str(p, "patrol_type"), lang));
	}
	if (fflush(stdout) == 0)
		fprintf(stderr, fr ? "%zu patrouille(s)\n" : "%zu patrol(s)\n",
		    json_array_size(list));
	json_decref(out);
	return CLI_OK;
}

int
cli_patrol(int argc, char **argv)
{
	static const char *const verbs[] = {"create", "update", "unit", "leg",
	    "propose", "approve", "reject", "start", "complete", "abort",
	    "debrief", "show", "summary", "list", NULL};
	struct dib_diag d = {0};
	struct node *n = NULL;
	struct args a;
	const char *verb, *sub = NULL;
	int rc, i, shift = 1;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	for (i = 0; verbs[i] && strcmp(verbs[i], verb) != 0; i++)
		;
	if (verbs[i] == NULL)
		return cli_usage_error("unknown verb \"patrol %s\" (create, "
		    "update, unit add, leg add, propose, approve, reject, start, "
		    "complete, abort, debrief, show, summary, list)", verb);
	if (strcmp(verb, "unit") == 0 || strcmp(verb, "leg") == 0) {
		if (argc < 3 || strcmp(argv[2], "add") != 0)
			return cli_usage_error("\"patrol %s\" takes the verb add: "
			    "diboli patrol %s add ID ...", verb, verb);
		sub = verb;
		shift = 2;
	}
	if ((rc = parse_args(argc - shift, argv + shift, &a)) != CLI_OK)
		return rc;
	if (node_open(a.dir, &n, &d) != 0)
		return cli_diag(&d);
	if (strcmp(verb, "show") == 0)
		rc = cmd_show(n, &a);
	else if (strcmp(verb, "summary") == 0)
		rc = cmd_summary(n, &a);
	else if (strcmp(verb, "list") == 0)
		rc = cmd_list(n, &a);
	else
		rc = cmd_write(n, verb, sub, &a);
	node_close(n);
	return rc;
}
