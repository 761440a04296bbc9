/*
** Unit tests of the data model: the default model's content, loading and
** its rejections, extensions, attribute validation and conversion.
*/
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "model/model.h"

/* Test JSON is written with single quotes; this makes it JSON. */
static char *
dq(const char *s)
{
	char *p = strdup(s), *q;

	assert_non_null(p);
	for (q = p; *q != '\0'; q++)
		if (*q == '\'')
			*q = '"';
	return p;
}

static json_t *
J(const char *text)
{
	json_error_t e;
	char *s = dq(text);
	json_t *j = json_loads(s, JSON_DECODE_ANY, &e);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", s, e.text);
	free(s);
	return j;
}

static int
load_default(void **state)
{
	struct model *m = NULL;
	struct dib_diag d;

	dib_diag_clear(&d);
	if (model_load_default(&m, &d) != 0) {
		fprintf(stderr, "default model: %s: %s\n", d.field, d.msg);
		return -1;
	}
	*state = m;
	return 0;
}

static int
free_default(void **state)
{
	model_free(*state);
	return 0;
}

static const struct model_category *
cat(void **state, const char *id)
{
	const struct model_category *c = model_find(*state, id);

	if (c == NULL)
		fail_msg("no category %s", id);
	return c;
}

/* A diagnostic is one line of valid UTF-8 that JSON can carry. */
static void
assert_clean_diag(const struct dib_diag *d)
{
	json_t *s = json_string(d->msg);

	assert_non_null(s);
	json_decref(s);
	assert_null(strchr(d->msg, '\n'));
	assert_non_null((s = json_string(d->field)));
	json_decref(s);
}

static void
ok_attrs(const struct model_category *c, const char *text)
{
	struct dib_diag d;
	json_t *j = J(text);

	dib_diag_clear(&d);
	if (model_validate_attributes(c, j, &d) != 0)
		fail_msg("%s: %s: %s", text, d.field, d.msg);
	json_decref(j);
}

static void
bad_json_attrs(const struct model_category *c, json_t *j, const char *field,
    const char *msg)
{
	struct dib_diag d;

	dib_diag_clear(&d);
	assert_int_equal(model_validate_attributes(c, j, &d), DIB_EINVAL);
	assert_int_equal(d.code, DIB_EINVAL);
	if (strcmp(d.field, field) != 0)
		fail_msg("want field %s, got %s: %s", field, d.field, d.msg);
	if (msg != NULL && strstr(d.msg, msg) == NULL)
		fail_msg("want \"%s\" in \"%s\"", msg, d.msg);
	assert_clean_diag(&d);
}

static void
bad_attrs(const struct model_category *c, const char *text,
    const char *field, const char *msg)
{
	json_t *j = J(text);

	bad_json_attrs(c, j, field, msg);
	json_decref(j);
}

/* Every category the issue asks for is there, as a leaf. */
static void
test_default_categories(void **state)
{
	static const char *const ids[] = {
		"security.armed_group.sighting", "security.armed_attack",
		"security.explosive_device", "security.kidnapping",
		"security.smuggling.fuel", "security.smuggling.arms",
		"security.smuggling.drugs", "security.smuggling.gold",
		"security.smuggling.cattle", "security.illegal_checkpoint",
		"security.cattle_theft", "security.population_displacement",
		"security.suspicious_activity", "corridor.checkpoint_stop",
		"corridor.crossing_wait", "corridor.transit_count",
		"corridor.road_condition", "environment.water.sample",
		"environment.dredge_sighting", "environment.mining_site",
		"environment.fish_kill", "humanitarian.medical_outreach.day",
		"cooperation.agreement", "cooperation.meeting",
		"cooperation.commitment", NULL};
	const struct model *m = *state;
	const struct model_category *c;
	const char *fr, *en;
	int i;

	assert_string_equal(model_version(m), "2025.1");
	assert_true(model_has_language(m, "fr"));
	assert_true(model_has_language(m, "en"));
	assert_false(model_has_language(m, "de"));
	assert_true(model_category_count(m) >= 30);
	for (i = 0; ids[i] != NULL; i++) {
		c = cat(state, ids[i]);
		assert_true(model_category_is_leaf(c));
		assert_string_equal(model_category_id(c), ids[i]);
		fr = model_category_label(c, "fr");
		en = model_category_label(c, "en");
		assert_non_null(fr);
		assert_non_null(en);
		assert_true(fr != en);
		assert_non_null(model_category_kind(c));
	}
	for (i = 0; i < 5; i++) {
		static const char *const groups[] = {"security",
		    "security.smuggling", "corridor", "environment.water",
		    "humanitarian.medical_outreach"};

		assert_false(model_category_is_leaf(cat(state, groups[i])));
	}
	assert_null(model_find(m, "security.nope"));
	assert_null(model_find(m, ""));
	assert_null(model_find(m, NULL));
	assert_null(model_find(NULL, "security"));
}

static void
test_labels(void **state)
{
	const struct model *m = *state;
	const struct model_category *c = cat(state, "security.armed_attack");
	const struct model_category *w = cat(state,
	    "environment.water.sample");

	assert_string_equal(model_category_label(c, "fr"), "Attaque armée");
	assert_string_equal(model_category_label(c, "en"), "Armed attack");
	assert_string_equal(model_category_label(c, NULL), "Attaque armée");
	assert_string_equal(model_category_label(c, "de"), "Attaque armée");
	assert_string_equal(model_attr_label(c, "target_type", "en"),
	    "Target");
	assert_string_equal(model_enum_label(c, "target_type", "customs",
	    "fr"), "Douane");
	assert_string_equal(model_enum_label(c, "target_type", "customs",
	    "en"), "Customs");
	assert_null(model_enum_label(c, "target_type", "bakers", "fr"));
	assert_null(model_enum_label(c, "nope", "customs", "fr"));
	assert_null(model_attr_label(c, "nope", "fr"));
	assert_string_equal(model_attr_unit(w, "mercury_ugl"), "µg/L");
	assert_string_equal(model_attr_unit(w, "turbidity_ntu"), "NTU");
	assert_null(model_attr_unit(w, "ph"));
	assert_null(model_attr_unit(w, "nope"));
	assert_string_equal(model_attr_unit(cat(state,
	    "corridor.checkpoint_stop"), "payment_xof"), "XOF");
	assert_non_null(strstr(model_notice(m, "fr"),
	    "Ne saisissez aucune donnée personnelle"));
	assert_non_null(strstr(model_notice(m, "en"),
	    "Do not enter personal data"));
	assert_non_null(strstr(model_attr_description(cat(state,
	    "security.smuggling.gold"), "remarks", "en"),
	    "Do not enter personal data"));
	assert_non_null(strstr(model_category_description(cat(state,
	    "humanitarian.medical_outreach.day"), "en"),
	    "no patient identity"));
}

static void
test_precedence(void **state)
{
	static const struct {
		const char *id;
		int prec;
	} want[] = {
		{"security.armed_attack", MODEL_FLASH},
		{"security.kidnapping", MODEL_FLASH},
		{"security.explosive_device", MODEL_IMMEDIATE},
		{"security.armed_group.sighting", MODEL_IMMEDIATE},
		{"security.smuggling.fuel", MODEL_PRIORITY},
		{"security.smuggling.arms", MODEL_IMMEDIATE},
		{"environment.water.sample", MODEL_ROUTINE},
		{"corridor.checkpoint_stop", MODEL_ROUTINE},
		{"cooperation.agreement", MODEL_ROUTINE},
	};
	size_t i;

	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_int_equal(model_category_precedence(cat(state,
		    want[i].id)), want[i].prec);
	assert_string_equal(model_prec_name(MODEL_FLASH), "FLASH");
	assert_string_equal(model_prec_name(MODEL_ROUTINE), "ROUTINE");
	assert_null(model_prec_name(4));
	assert_null(model_prec_name(-1));
	assert_int_equal(model_prec_parse("IMMEDIATE"), MODEL_IMMEDIATE);
	assert_int_equal(model_prec_parse("priority"), MODEL_PRIORITY);
	assert_int_equal(model_prec_parse("URGENT"), -1);
	assert_int_equal(model_prec_parse(""), -1);
	assert_int_equal(model_prec_parse(NULL), -1);
	assert_string_equal(model_category_kind(cat(state,
	    "security.armed_attack")), "incident");
	assert_string_equal(model_category_kind(cat(state,
	    "environment.water.sample")), "sample");
	assert_string_equal(model_category_kind(cat(state,
	    "humanitarian.medical_outreach.day")), "aggregate");
}

static void
test_inheritance(void **state)
{
	const struct model_category *fuel = cat(state,
	    "security.smuggling.fuel");
	const struct model_category *sm = cat(state, "security.smuggling");
	const struct model_category *sec = cat(state, "security");

	assert_ptr_equal(model_category_parent(fuel), sm);
	assert_ptr_equal(model_category_parent(sm), sec);
	assert_null(model_category_parent(sec));
	assert_int_equal(model_category_depth(fuel), 2);
	/* Ancestors' attributes first, in model order. */
	assert_string_equal(model_attr_key_at(fuel, 0), "source");
	assert_ptr_equal(model_attr_owner(fuel, "source"), sec);
	assert_ptr_equal(model_attr_owner(fuel, "seized"), sm);
	assert_ptr_equal(model_attr_owner(fuel, "quantity"), fuel);
	assert_null(model_attr_owner(fuel, "nope"));
	assert_int_equal(model_attr_count(fuel), model_attr_count(sm) + 2);
	assert_null(model_attr_key_at(fuel, model_attr_count(fuel)));
	assert_int_equal(model_attr_type(fuel, "seized"), MODEL_BOOLEAN);
	assert_int_equal(model_attr_type(fuel, "nope"), -1);
	assert_string_equal(model_attr_unit(fuel, "quantity"), "L");
	assert_string_equal(model_attr_unit(cat(state,
	    "security.smuggling.gold"), "quantity"), "g");
	assert_int_equal(model_category_geometry(cat(state,
	    "environment.water.sample")), MODEL_GEOM_POINT);
	assert_int_equal(model_category_geometry(cat(state,
	    "cooperation.agreement")), MODEL_GEOM_OPTIONAL_POINT);
}

static void
test_attr_accessors(void **state)
{
	const struct model_category *w = cat(state,
	    "environment.water.sample");
	const struct model_category *a = cat(state, "security.armed_attack");
	double min = -1, max = -1;

	assert_int_equal(model_attr_range(w, "ph", &min, &max), 3);
	assert_true(min == 0 && max == 14);
	assert_int_equal(model_attr_range(w, "mercury_ugl", &min, &max), 1);
	assert_int_equal(model_attr_range(w, "station_id", &min, &max), 0);
	assert_int_equal(model_attr_max_length(w, "station_id"), 32);
	assert_int_equal(model_attr_max_length(w, "remarks"), 2000);
	assert_int_equal(model_attr_max_length(w, "ph"), 0);
	assert_true(model_attr_required(a, "target_type"));
	assert_false(model_attr_required(a, "killed"));
	assert_false(model_attr_required(a, "nope"));
	assert_int_equal(model_enum_count(a, "target_type"), 9);
	assert_string_equal(model_enum_id_at(a, "target_type", 0),
	    "military_post");
	assert_null(model_enum_id_at(a, "target_type", 9));
	assert_int_equal(model_enum_count(a, "killed"), 0);
	assert_string_equal(model_type_name(MODEL_MULTI_ENUM), "multi_enum");
	assert_null(model_type_name(99));
	assert_string_equal(model_geom_name(MODEL_GEOM_OPTIONAL_POINT),
	    "optional-point");
	assert_null(model_geom_name(-1));
}

/* Tree order: every category comes after its parent, one level down. */
static void
test_tree_order(void **state)
{
	const struct model *m = *state;
	const struct model_category *c, *p;
	size_t i, j, n = model_category_count(m);

	assert_string_equal(model_category_id(model_category_at(m, 0)),
	    "security");
	assert_null(model_category_at(m, n));
	for (i = 0; i < n; i++) {
		c = model_category_at(m, i);
		assert_ptr_equal(model_find(m, model_category_id(c)), c);
		if ((p = model_category_parent(c)) == NULL) {
			assert_int_equal(model_category_depth(c), 0);
			continue;
		}
		assert_int_equal(model_category_depth(c),
		    model_category_depth(p) + 1);
		for (j = 0; j < i && model_category_at(m, j) != p; j++)
			;
		assert_true(j < i);
	}
}

/* What diboli does not hold: no attribute asks for a person. */
static void
test_no_personal_data(void **state)
{
	static const char *const banned[] = {"name", "nom", "phone",
	    "passport", "birth", "email", "photo", "face", "biometric",
	    "address", "patient", NULL};
	const struct model *m = *state;
	const struct model_category *c;
	const char *key;
	size_t i, j;
	int k;

	for (i = 0; (c = model_category_at(m, i)) != NULL; i++)
		for (j = 0; (key = model_attr_key_at(c, j)) != NULL; j++)
			for (k = 0; banned[k] != NULL; k++)
				if (strstr(key, banned[k]) != NULL)
					fail_msg("%s.%s looks personal",
					    model_category_id(c), key);
	/* Medical outreach: counts and enums only, no free text. */
	c = cat(state, "humanitarian.medical_outreach.day");
	for (j = 0; (key = model_attr_key_at(c, j)) != NULL; j++)
		assert_int_not_equal(model_attr_type(c, key), MODEL_TEXT);
	for (j = 0; j < 6; j++) {
		static const char *const counts[] = {"consultations_male",
		    "consultations_female", "consultations_under5",
		    "consultations_5_14", "consultations_15_49",
		    "consultations_50plus"};

		assert_int_equal(model_attr_type(c, counts[j]),
		    MODEL_INTEGER);
	}
	assert_int_equal(model_attr_type(c, "conditions"), MODEL_MULTI_ENUM);
}

static void
geom_ok(void **state, const char *id, const char *type)
{
	struct dib_diag d;

	dib_diag_clear(&d);
	if (model_check_geometry(cat(state, id), type, &d) != 0)
		fail_msg("%s with %s: %s", id, type ? type : "none", d.msg);
}

static void
geom_bad(void **state, const char *id, const char *type, const char *msg)
{
	struct dib_diag d;

	dib_diag_clear(&d);
	assert_int_equal(model_check_geometry(cat(state, id), type, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "geometry");
	if (strstr(d.msg, msg) == NULL)
		fail_msg("want \"%s\" in \"%s\"", msg, d.msg);
}

static void
test_geometry(void **state)
{
	struct dib_diag d;

	geom_ok(state, "security.armed_attack", "Point");
	geom_bad(state, "security.armed_attack", NULL, "needs a geometry: "
	    "a Point");
	geom_bad(state, "security.armed_attack", "Polygon", "takes a Point, "
	    "got a Polygon");
	geom_ok(state, "cooperation.commitment", NULL);
	geom_bad(state, "cooperation.commitment", "Point", "takes no "
	    "geometry");
	geom_ok(state, "cooperation.agreement", NULL);
	geom_ok(state, "cooperation.agreement", "Point");
	geom_bad(state, "cooperation.agreement", "LineString",
	    "takes a Point or nothing, got a LineString");
	geom_ok(state, "corridor.road_condition", "LineString");
	geom_ok(state, "corridor.road_condition", "Polygon");
	geom_bad(state, "corridor.road_condition", NULL, "needs a geometry");
	geom_ok(state, "environment.mining_site", "Polygon");
	geom_bad(state, "environment.mining_site", "LineString",
	    "a Point or a Polygon");
	geom_bad(state, "security.armed_attack", "MultiPoint",
	    "unsupported geometry type \"MultiPoint\"");
	geom_bad(state, "security.armed_attack", "point", "unsupported");
	assert_int_equal(model_check_geometry(NULL, "Point", &d), DIB_EINVAL);
}

static void
test_validate_ok(void **state)
{
	ok_attrs(cat(state, "environment.water.sample"),
	    "{'station_id':'FAL-KID-01','turbidity_ntu':4.5,"
	    "'mercury_ugl':7,'cyanide_mgl':0.02,'arsenic_ugl':12.5,"
	    "'ph':6.8,'tss_mgl':230,'water_temp_c':29.5,"
	    "'method':'laboratory','remarks':'Eau trouble\\n\\ten aval.'}");
	ok_attrs(cat(state, "environment.water.sample"), "{}");
	ok_attrs(cat(state, "security.armed_attack"),
	    "{'target_type':'customs','killed':0,'wounded':3,"
	    "'ongoing':false,'source':'post','reliability':'confirmed'}");
	ok_attrs(cat(state, "security.armed_group.sighting"),
	    "{'strength':40,'vehicles':4,'motorbikes':25,'direction':'NE',"
	    "'weapons_seen':['small_arms','rpg']}");
	ok_attrs(cat(state, "humanitarian.medical_outreach.day"),
	    "{'team_nationality':'joint','consultations_male':41,"
	    "'consultations_female':57,'consultations_under5':22,"
	    "'consultations_5_14':18,'consultations_15_49':40,"
	    "'consultations_50plus':18,'conditions':['malaria','eye'],"
	    "'referrals':2,'medicines_distributed':310}");
	ok_attrs(cat(state, "cooperation.agreement"),
	    "{'title':'Accords de défense','signed_on':'2025-02-07T10:00:00Z',"
	    "'parties':['SN','ML']}");
	ok_attrs(cat(state, "cooperation.commitment"),
	    "{'text':'Patrouilles conjointes mensuelles',"
	    "'owner':'Zone militaire n°4','status':'open',"
	    "'due':'2025-12-31T23:59:59.5+00:00'}");
	ok_attrs(cat(state, "environment.mining_site"),
	    "{'site_type':'semi_mechanised','chemicals':[],"
	    "'within_500m_band':true,'distance_to_river_m':120}");
	/* NULL is {}, which suits a category without required keys. */
	assert_int_equal(model_validate_attributes(cat(state,
	    "security.suspicious_activity"), NULL, NULL), 0);
}

static void
test_validate_integer(void **state)
{
	const struct model_category *c = cat(state, "security.armed_attack");

	bad_attrs(c, "{'target_type':'police','killed':2.5}",
	    "attributes.killed", "must be an integer from 0 to 10000, "
	    "got 2.5");
	bad_attrs(c, "{'target_type':'police','killed':3.0}",
	    "attributes.killed", "got 3.0");
	bad_attrs(c, "{'target_type':'police','killed':'3'}",
	    "attributes.killed", "got \"3\"");
	bad_attrs(c, "{'target_type':'police','killed':-1}",
	    "attributes.killed", "got -1");
	bad_attrs(c, "{'target_type':'police','wounded':10001}",
	    "attributes.wounded", "got 10001");
	bad_attrs(c, "{'target_type':'police','killed':true}",
	    "attributes.killed", "got true");
	bad_attrs(c, "{'target_type':'police','killed':null}",
	    "attributes.killed", "got null");
	bad_attrs(c, "{'target_type':'police','killed':[1]}",
	    "attributes.killed", "got an array");
	ok_attrs(c, "{'target_type':'police','killed':10000}");
}

static void
test_validate_number(void **state)
{
	const struct model_category *w = cat(state,
	    "environment.water.sample");
	struct dib_diag d;
	char line[600];
	json_t *j;

	bad_attrs(w, "{'mercury_ugl':'abc'}", "attributes.mercury_ugl",
	    NULL);
	j = J("{'mercury_ugl':'abc'}");
	assert_int_equal(model_validate_attributes(w, j, &d), DIB_EINVAL);
	assert_string_equal(dib_diag_str(&d, line, sizeof line),
	    "attributes.mercury_ugl: must be a number >= 0, got \"abc\"");
	json_decref(j);
	bad_attrs(w, "{'mercury_ugl':-0.5}", "attributes.mercury_ugl",
	    "must be a number >= 0, got -0.5");
	bad_attrs(w, "{'ph':14.5}", "attributes.ph",
	    "must be a number from 0 to 14, got 14.5");
	bad_attrs(w, "{'ph':-1}", "attributes.ph", NULL);
	bad_attrs(w, "{'ph':{}}", "attributes.ph", "got an object");
	ok_attrs(w, "{'ph':7}");
	ok_attrs(w, "{'ph':0}");
	ok_attrs(w, "{'ph':14.0}");
	ok_attrs(w, "{'turbidity_ntu':1e3}");
}

static void
test_validate_text(void **state)
{
	const struct model_category *w = cat(state,
	    "environment.water.sample");
	const struct model_category *k = cat(state, "cooperation.commitment");
	char text[200];
	json_t *j;
	int i;

	/* Length counts characters, not bytes: 32 "é" fit in 32. */
	for (i = 0; i < 32; i++)
		memcpy(text + 2 * i, "é", 2);
	text[64] = '\0';
	j = json_pack("{s:s}", "station_id", text);
	assert_int_equal(model_validate_attributes(w, j, NULL), 0);
	json_decref(j);
	memcpy(text + 64, "e", 2);
	j = json_pack("{s:s}", "station_id", text);
	bad_json_attrs(w, j, "attributes.station_id",
	    "must be at most 32 characters, got 33");
	json_decref(j);

	j = json_pack("{s:o}", "remarks", json_stringn_nocheck("ok\xff", 3));
	bad_json_attrs(w, j, "attributes.remarks", "must be valid UTF-8");
	json_decref(j);
	j = json_pack("{s:o}", "remarks", json_stringn_nocheck("\xc3\xa9\xe2"
	    "\x82", 4));
	bad_json_attrs(w, j, "attributes.remarks", "must be valid UTF-8");
	json_decref(j);
	j = json_pack("{s:o}", "remarks", json_stringn_nocheck("\xed\xa0\x80",
	    3));
	bad_json_attrs(w, j, "attributes.remarks", "must be valid UTF-8");
	json_decref(j);
	j = json_pack("{s:o}", "remarks", json_stringn("a\0b", 3));
	bad_json_attrs(w, j, "attributes.remarks", "control characters "
	    "(U+0000 at character 2)");
	json_decref(j);
	bad_attrs(w, "{'remarks':'bell\\u0007'}", "attributes.remarks",
	    "U+0007 at character 5");
	bad_attrs(w, "{'remarks':'a\\r\\nb'}", "attributes.remarks",
	    "U+000D");
	bad_attrs(w, "{'remarks':'c1 \\u0085'}", "attributes.remarks",
	    "U+0085");
	bad_attrs(w, "{'remarks':12}", "attributes.remarks",
	    "must be a text of at most 2000 characters, got 12");
	ok_attrs(w, "{'remarks':''}");
	bad_attrs(k, "{'text':'','owner':'ZM4','status':'open'}",
	    "attributes.text", "may not be empty");
}

static void
test_validate_enums(void **state)
{
	const struct model_category *s = cat(state,
	    "security.armed_group.sighting");
	const struct model_category *a = cat(state, "cooperation.agreement");

	bad_attrs(s, "{'direction':'north'}", "attributes.direction",
	    "must be one of N, NE, E, SE, S, SW, W, NW, stationary, unknown, "
	    "got \"north\"");
	bad_attrs(s, "{'direction':3}", "attributes.direction", "got 3");
	bad_attrs(s, "{'direction':['N']}", "attributes.direction", NULL);
	ok_attrs(s, "{'direction':'stationary'}");
	bad_attrs(s, "{'weapons_seen':'rpg'}", "attributes.weapons_seen",
	    "must be an array of values among small_arms");
	bad_attrs(s, "{'weapons_seen':['rpg','laser']}",
	    "attributes.weapons_seen", "unknown value \"laser\" at [1]");
	bad_attrs(s, "{'weapons_seen':['rpg',1]}", "attributes.weapons_seen",
	    "unknown value 1 at [1]");
	bad_attrs(s, "{'weapons_seen':['rpg','mortar','rpg']}",
	    "attributes.weapons_seen", "value \"rpg\" is listed twice");
	ok_attrs(s, "{'weapons_seen':[]}");
	bad_attrs(a, "{'title':'T','signed_on':'2021-03-01T00:00:00Z',"
	    "'parties':[]}", "attributes.parties", "at least one");
	bad_attrs(s, "{'weapons_seen':true}", "attributes.weapons_seen",
	    NULL);
	bad_attrs(cat(state, "security.explosive_device"),
	    "{'status':'found','cordon':'yes'}", "attributes.cordon",
	    "must be true or false, got \"yes\"");
}

static void
test_validate_datetime(void **state)
{
	static const char *const good[] = {"2025-02-20T08:00:00Z",
	    "2024-02-29T23:59:59.123+01:00", "2025-02-20T08:00:00-00:00",
	    "2000-02-29T00:00:00.123456789Z", "1960-06-20T12:00:00+14:00",
	    NULL};
	static const char *const bad[] = {"2025-02-30T00:00:00Z",
	    "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
	    "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z",
	    "2025-00-10T00:00:00Z", "2025-02-00T00:00:00Z",
	    "2025-02-20 08:00:00Z", "2025-02-20T08:00:00",
	    "2025-02-20T24:00:00Z", "2025-02-20T08:60:00Z",
	    "2025-02-20T08:00:60Z", "2025-02-20t08:00:00z",
	    "2025-02-20T08:00:00.Z", "2025-02-20T08:00:00+0100",
	    "2025-02-20T08:00:00+24:00", "1899-12-31T23:00:00Z",
	    "2025-02-20", "", "2025-02-20T08:00:00.1234567890Z",
	    "2025-02-20T08:00:00ZZ", "+2025-02-20T08:00:00Z",
	    "2025-2-20T08:00:00Z", NULL};
	const struct model_category *k = cat(state, "cooperation.commitment");
	json_t *j;
	int i;

	for (i = 0; good[i] != NULL; i++) {
		j = json_pack("{s:s, s:s, s:s, s:s}", "text", "t", "owner",
		    "o", "status", "open", "due", good[i]);
		if (model_validate_attributes(k, j, NULL) != 0)
			fail_msg("%s refused", good[i]);
		json_decref(j);
	}
	for (i = 0; bad[i] != NULL; i++) {
		j = json_pack("{s:s, s:s, s:s, s:s}", "text", "t", "owner",
		    "o", "status", "open", "due", bad[i]);
		bad_json_attrs(k, j, "attributes.due", "RFC 3339");
		json_decref(j);
	}
	bad_attrs(k, "{'text':'t','owner':'o','status':'open','due':20250220}",
	    "attributes.due", "got 20250220");
}

static void
test_validate_keys(void **state)
{
	const struct model_category *w = cat(state,
	    "environment.water.sample");
	const struct model_category *c = cat(state, "corridor.crossing_wait");
	struct dib_diag d;
	json_t *j;

	bad_attrs(w, "{'colour':'brown'}", "attributes.colour",
	    "unknown attribute for category environment.water.sample");
	bad_attrs(w, "{'a b':'x'}", "attributes", "unknown attribute \"a b\"");
	j = json_object();
	json_object_setn_new_nocheck(j, "ph\0x", 4, json_integer(7));
	bad_json_attrs(w, j, "attributes", "unknown attribute \"ph\\u0000x\"");
	json_decref(j);
	/* Required keys are named in model order. */
	bad_attrs(c, "{'crossing':'kidira_diboli'}", "attributes.direction",
	    "is required");
	bad_attrs(c, "{}", "attributes.crossing", "is required");
	bad_json_attrs(c, NULL, "attributes.crossing", "is required");
	ok_attrs(c, "{'crossing':'satadougou','direction':'ml_sn',"
	    "'waiting_minutes':95,'trucks_queued':12}");
	/* Errors come in the order of the object. */
	bad_attrs(c, "{'waiting_minutes':-5,'bogus':1}",
	    "attributes.waiting_minutes", NULL);
	j = J("[1,2]");
	bad_json_attrs(c, j, "attributes", "must be an object");
	json_decref(j);
	assert_int_equal(model_validate_attributes(NULL, NULL, &d),
	    DIB_EINVAL);
	/* A long, hostile value is cut and escaped in the message. */
	bad_attrs(w, "{'ph':'\\u0001\\u001b[31mxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'}", "attributes.ph",
	    "got \"\\u0001\\u001b[31mxxxx");
}

static void
from_text_ok(const struct model_category *c, const char *key,
    const char *value, const char *want)
{
	struct dib_diag d;
	json_t *v = NULL, *w = J(want);

	dib_diag_clear(&d);
	if (model_attr_from_text(c, key, value, &v, &d) != 0)
		fail_msg("%s=%s: %s: %s", key, value, d.field, d.msg);
	if (!json_equal(v, w))
		fail_msg("%s=%s: want %s", key, value, want);
	if (json_typeof(v) != json_typeof(w))
		fail_msg("%s=%s: want the type of %s", key, value, want);
	json_decref(v);
	json_decref(w);
}

static void
from_text_bad(const struct model_category *c, const char *key,
    const char *value, const char *field, const char *msg)
{
	struct dib_diag d;
	json_t *v = (json_t *)&d;

	dib_diag_clear(&d);
	assert_int_equal(model_attr_from_text(c, key, value, &v, &d),
	    DIB_EINVAL);
	assert_null(v);
	if (strcmp(d.field, field) != 0)
		fail_msg("want field %s, got %s: %s", field, d.field, d.msg);
	if (msg != NULL && strstr(d.msg, msg) == NULL)
		fail_msg("want \"%s\" in \"%s\"", msg, d.msg);
	assert_clean_diag(&d);
}

static void
test_from_text(void **state)
{
	const struct model_category *w = cat(state,
	    "environment.water.sample");
	const struct model_category *s = cat(state,
	    "security.armed_group.sighting");
	const struct model_category *k = cat(state, "cooperation.commitment");
	const struct model_category *e = cat(state,
	    "environment.mining_site");

	from_text_ok(s, "strength", "12", "12");
	from_text_ok(s, "strength", " 12 ", "12");
	from_text_ok(s, "strength", "+12", "12");
	from_text_bad(s, "strength", "12.5", "attributes.strength",
	    "must be an integer from 0 to 10000, got \"12.5\"");
	from_text_bad(s, "strength", "12.0", "attributes.strength", NULL);
	from_text_bad(s, "strength", "abc", "attributes.strength", NULL);
	from_text_bad(s, "strength", "", "attributes.strength", NULL);
	from_text_bad(s, "strength", "-1", "attributes.strength", "got -1");
	from_text_bad(s, "strength", "99999999999999999999999",
	    "attributes.strength", NULL);
	from_text_ok(w, "ph", "7,5", "7.5");
	from_text_ok(w, "ph", "7.25", "7.25");
	from_text_ok(w, "ph", "7", "7");
	from_text_ok(w, "turbidity_ntu", "1e3", "1000.0");
	from_text_bad(w, "ph", "7,5,1", "attributes.ph", NULL);
	from_text_bad(w, "ph", "15", "attributes.ph", "from 0 to 14");
	from_text_bad(w, "ph", "NaN", "attributes.ph", NULL);
	from_text_bad(w, "ph", "+-3", "attributes.ph", NULL);
	from_text_bad(w, "ph", "0x10", "attributes.ph", NULL);
	from_text_ok(e, "active", "oui", "true");
	from_text_ok(e, "active", "NON", "false");
	from_text_ok(e, "active", "yes", "true");
	from_text_ok(e, "active", "no", "false");
	from_text_ok(e, "active", "True", "true");
	from_text_ok(e, "active", "faux", "false");
	from_text_ok(e, "active", "1", "true");
	from_text_ok(e, "active", "0", "false");
	from_text_bad(e, "active", "peut-être", "attributes.active",
	    "must be true or false");
	from_text_ok(e, "site_type", "artisanal", "'artisanal'");
	from_text_bad(e, "site_type", "Artisanal", "attributes.site_type",
	    "one of artisanal, semi_mechanised, industrial");
	from_text_ok(e, "chemicals", "mercury, cyanide",
	    "['mercury','cyanide']");
	from_text_ok(e, "chemicals", "cyanide", "['cyanide']");
	from_text_ok(e, "chemicals", "", "[]");
	from_text_ok(e, "chemicals", "mercury,,", "['mercury']");
	from_text_bad(e, "chemicals", "mercury,mercury", "attributes.chemicals",
	    "listed twice");
	from_text_bad(e, "chemicals", "lead", "attributes.chemicals",
	    "unknown value \"lead\"");
	from_text_ok(k, "due", "2025-12-31T00:00:00Z",
	    "'2025-12-31T00:00:00Z'");
	from_text_bad(k, "due", "2025-02-30T00:00:00Z", "attributes.due",
	    NULL);
	from_text_bad(k, "due", "31/12/2025", "attributes.due", "RFC 3339");
	from_text_ok(k, "owner", " Zone militaire n°4 ",
	    "' Zone militaire n°4 '");
	from_text_bad(k, "owner", "bad \xff", "attributes.owner",
	    "valid UTF-8");
	from_text_bad(k, "owner", "bell\a", "attributes.owner", "U+0007");
	from_text_bad(k, "colour", "red", "attributes.colour",
	    "unknown attribute for category cooperation.commitment");
	from_text_ok(k, "remarks", "", "''");
	from_text_bad(NULL, "remarks", "", "category", NULL);
}

/* Model files: each rejection names its place. */
struct bad_model {
	const char *text;
	int code;
	const char *field;
	const char *msg;
};

#define M(cats) "{'format':'diboli-model/1','version':'t1'," \
	"'languages':['fr','en'],'categories':[" cats "]}"
#define A1(attr) M("{'id':'a','label':{'fr':'A'},'attributes':[" attr "]}")
#define K(x) "{'key':'k','label':{'fr':'K'}," x "}"

static const struct bad_model bad_models[] = {
	{"{", DIB_EINVAL, "", "invalid JSON at line 1"},
	{"{'format':'diboli-model/1','format':'x'}", DIB_EINVAL, "",
	    "duplicate"},
	{"[]", DIB_EINVAL, "", "must be a JSON object"},
	{"{'version':'1','languages':['fr'],'categories':[]}", DIB_EINVAL,
	    "format", "is required"},
	{"{'format':'diboli-model/2'}", DIB_EINVAL, "format",
	    "unsupported format \"diboli-model/2\""},
	{"{'format':'diboli-model/1','languages':['fr'],'categories':[]}",
	    DIB_EINVAL, "version", "is required"},
	{"{'format':'diboli-model/1','version':'a b','languages':['fr']}",
	    DIB_EINVAL, "version", "letters"},
	{"{'format':'diboli-model/1','version':'1','languages':['en'],"
	    "'categories':[]}", DIB_EINVAL, "languages", "must include"},
	{"{'format':'diboli-model/1','version':'1','languages':['fr','FR']}",
	    DIB_EINVAL, "languages[1]", "language code"},
	{"{'format':'diboli-model/1','version':'1','languages':['fr','fr']}",
	    DIB_EINVAL, "languages[1]", "duplicate"},
	{"{'format':'diboli-model/1','version':'1','languages':['fr'],"
	    "'categories':[],'colour':1}", DIB_EINVAL, "colour",
	    "unknown member \"colour\""},
	{M(""), DIB_EINVAL, "categories", "at least one"},
	{M("1"), DIB_EINVAL, "categories[0]", "must be an object"},
	{M("{'label':{'fr':'A'}}"), DIB_EINVAL, "categories[0].id",
	    "is required"},
	{M("{'id':'A','label':{'fr':'A'}}"), DIB_EINVAL, "categories[0].id",
	    "got \"A\""},
	{M("{'id':'a..b','label':{'fr':'A'}}"), DIB_EINVAL,
	    "categories[0].id", NULL},
	{M("{'id':'a.b','label':{'fr':'A'}}"), DIB_EINVAL,
	    "categories[0].id", "one-segment"},
	{M("{'id':'a','label':{'fr':'A'},'children':[{'id':'b.c',"
	    "'label':{'fr':'C'}}]}"), DIB_EINVAL,
	    "categories[0].children[0].id", "must be \"a.\" and one more"},
	{M("{'id':'a','label':{'fr':'A'},'children':[{'id':'a.b.c',"
	    "'label':{'fr':'C'}}]}"), DIB_EINVAL,
	    "categories[0].children[0].id", NULL},
	{M("{'id':'a','label':{'fr':'A'}},{'id':'a','label':{'fr':'A'}}"),
	    DIB_EINVAL, "categories[1].id", "duplicate id \"a\""},
	{M("{'id':'a'}"), DIB_EINVAL, "categories[0].label", "is required"},
	{M("{'id':'a','label':'A'}"), DIB_EINVAL, "categories[0].label",
	    "must be an object"},
	{M("{'id':'a','label':{'en':'A'}}"), DIB_EINVAL,
	    "categories[0].label.fr", "is required"},
	{M("{'id':'a','label':{'fr':'A','de':'A'}}"), DIB_EINVAL,
	    "categories[0].label.de", "unknown language \"de\""},
	{M("{'id':'a','label':{'fr':''}}"), DIB_EINVAL,
	    "categories[0].label.fr", "must not be empty"},
	{M("{'id':'a','label':{'fr':'A\\nB'}}"), DIB_EINVAL,
	    "categories[0].label.fr", "control"},
	{M("{'id':'a','label':{'fr':'A'},'kind':'rumour'}"), DIB_EINVAL,
	    "categories[0].kind", "unknown kind \"rumour\""},
	{M("{'id':'a','label':{'fr':'A'},'precedence':'URGENT'}"), DIB_EINVAL,
	    "categories[0].precedence", "unknown precedence \"URGENT\" "
	    "(expected FLASH, IMMEDIATE, PRIORITY, ROUTINE)"},
	{M("{'id':'a','label':{'fr':'A'},'geometry':'circle'}"), DIB_EINVAL,
	    "categories[0].geometry", "unknown geometry"},
	{M("{'id':'a','label':{'fr':'A'},'childs':[]}"), DIB_EINVAL,
	    "categories[0].childs", "unknown member"},
	{M("{'id':'a','label':{'fr':'A'},'children':{}}"), DIB_EINVAL,
	    "categories[0].children", "must be an array"},
	{M("{'id':'a','label':{'fr':'A'},'attributes':{}}"), DIB_EINVAL,
	    "categories[0].attributes", "must be an array"},
	{A1("{'key':'Bad-Key','type':'integer','label':{'fr':'K'}}"),
	    DIB_EINVAL, "categories[0].attributes[0].key", "got \"Bad-Key\""},
	{A1("{'type':'integer','label':{'fr':'K'}}"), DIB_EINVAL,
	    "categories[0].attributes[0].key", "is required"},
	{A1(K("'type':'flaot'")), DIB_EINVAL,
	    "categories[0].attributes[0].type", "unknown type \"flaot\""},
	{A1("{'key':'k','type':'integer'}"), DIB_EINVAL,
	    "categories[0].attributes[0].label", "is required"},
	{A1(K("'type':'integer','requird':true")), DIB_EINVAL,
	    "categories[0].attributes[0].requird", "unknown member"},
	{A1(K("'type':'integer','required':1")), DIB_EINVAL,
	    "categories[0].attributes[0].required", "true or false"},
	{A1(K("'type':'integer','min':10,'max':5")), DIB_EINVAL,
	    "categories[0].attributes[0].min", "greater than max (10 > 5)"},
	{A1(K("'type':'number','min':1.5,'max':1.25")), DIB_EINVAL,
	    "categories[0].attributes[0].min", NULL},
	{A1(K("'type':'integer','min':0.5")), DIB_EINVAL,
	    "categories[0].attributes[0].min", "must be an integer"},
	{A1(K("'type':'number','max':'5'")), DIB_EINVAL,
	    "categories[0].attributes[0].max", "must be a number"},
	{A1(K("'type':'text','min':0")), DIB_EINVAL,
	    "categories[0].attributes[0].min", "only integer and number"},
	{A1(K("'type':'text','unit':'kg'")), DIB_EINVAL,
	    "categories[0].attributes[0].unit", "only integer and number"},
	{A1(K("'type':'number','unit':''")), DIB_EINVAL,
	    "categories[0].attributes[0].unit", "must not be empty"},
	{A1(K("'type':'text','max_length':0")), DIB_EINVAL,
	    "categories[0].attributes[0].max_length", "from 1 to 20000"},
	{A1(K("'type':'text','max_length':20001")), DIB_EINVAL,
	    "categories[0].attributes[0].max_length", "from 1 to 20000"},
	{A1(K("'type':'integer','max_length':10")), DIB_EINVAL,
	    "categories[0].attributes[0].max_length", "only text"},
	{A1(K("'type':'enum'")), DIB_EINVAL,
	    "categories[0].attributes[0].values", "is required"},
	{A1(K("'type':'multi_enum','values':[]")), DIB_EINVAL,
	    "categories[0].attributes[0].values", "at least one"},
	{A1(K("'type':'enum','values':[{'id':'x','label':{'fr':'X'}},"
	    "{'id':'y','label':{'fr':'Y'}},{'id':'x','label':{'fr':'X'}}]")),
	    DIB_EINVAL, "categories[0].attributes[0].values[2].id",
	    "duplicate value \"x\""},
	{A1(K("'type':'enum','values':[{'id':'a b','label':{'fr':'X'}}]")),
	    DIB_EINVAL, "categories[0].attributes[0].values[0].id",
	    "got \"a b\""},
	{A1(K("'type':'enum','values':[{'id':'x','label':{'fr':'X'},"
	    "'colour':1}]")), DIB_EINVAL,
	    "categories[0].attributes[0].values[0].colour", "unknown member"},
	{A1(K("'type':'enum','values':[{'id':'x'}]")), DIB_EINVAL,
	    "categories[0].attributes[0].values[0].label", "is required"},
	{A1(K("'type':'integer','values':[{'id':'x','label':{'fr':'X'}}]")),
	    DIB_EINVAL, "categories[0].attributes[0].values",
	    "only enum and multi_enum"},
	{A1(K("'type':'integer'") "," K("'type':'text'")), DIB_EINVAL,
	    "categories[0].attributes[1].key",
	    "duplicate key \"k\" (also attributes[0])"},
	{M("{'id':'a','label':{'fr':'A'},'attributes':[" K("'type':'text'")
	    "],'children':[{'id':'a.b','label':{'fr':'B'},'attributes':["
	    K("'type':'integer'") "]}]}"), DIB_EINVAL,
	    "categories[0].children[0].attributes[0].key",
	    "\"k\" is already defined by a"},
	{A1("1"), DIB_EINVAL, "categories[0].attributes[0]",
	    "must be an object"},
	/* The place named as the issue asks. */
	{M("{'id':'a','label':{'fr':'A'}},{'id':'b','label':{'fr':'B'}},"
	    "{'id':'c','label':{'fr':'C'}},{'id':'d','label':{'fr':'D'},"
	    "'attributes':[{'key':'x','type':'integer','label':{'fr':'X'}},"
	    "{'key':'y','type':'integer','label':{'fr':'Y'}},"
	    "{'key':'z','type':'flaot','label':{'fr':'Z'}}]}"), DIB_EINVAL,
	    "categories[3].attributes[2].type", "unknown type \"flaot\" "
	    "(expected integer, number, text, enum, multi_enum, boolean, "
	    "datetime)"},
	/* Extensions. */
	{"{'format':'diboli-model/1','extends':'other','categories':[]}",
	    DIB_EINVAL, "extends", "must be \"default\""},
	{"{'format':'diboli-model/1','extends':'default','languages':['fr'],"
	    "'categories':[]}", DIB_EINVAL, "languages", "unknown member"},
	{"{'format':'diboli-model/1','extends':'default','categories':["
	    "{'id':'security.armed_attack','label':{'fr':'X'}}]}", DIB_EINVAL,
	    "categories[0].id", "already in the default model"},
	{"{'format':'diboli-model/1','extends':'default','categories':["
	    "{'id':'corridor.checkpoint_stop.night','label':{'fr':'X'}}]}",
	    DIB_EINVAL, "categories[0].id", "is a leaf category"},
	{"{'format':'diboli-model/1','extends':'default','categories':["
	    "{'id':'nope.x','label':{'fr':'X'}}]}", DIB_EINVAL,
	    "categories[0].id", "no category \"nope\""},
	{"{'format':'diboli-model/1','extends':'default','categories':["
	    "{'id':'security.piracy','label':{'fr':'X'},'attributes':["
	    "{'key':'source','type':'text','label':{'fr':'S'}}]}]}",
	    DIB_EINVAL, "categories[0].attributes[0].key",
	    "already defined by security"},
	{"{'format':'diboli-model/1','extends':'default','version':"
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',"
	    "'categories':[]}", DIB_EINVAL, "version", "too long"},
};

static void
test_load_rejects(void **state)
{
	struct model *m;
	struct dib_diag d;
	size_t i;
	char *text;

	(void)state;
	for (i = 0; i < sizeof bad_models / sizeof bad_models[0]; i++) {
		const struct bad_model *b = &bad_models[i];

		text = dq(b->text);
		dib_diag_clear(&d);
		m = (struct model *)&d;
		if (model_load(text, strlen(text), &m, &d) != b->code)
			fail_msg("case %zu %s: want code %d, got %d (%s: %s)",
			    i, text, b->code, d.code, d.field, d.msg);
		assert_null(m);
		if (strcmp(d.field, b->field) != 0)
			fail_msg("case %zu %s: want field %s, got %s: %s", i,
			    text, b->field, d.field, d.msg);
		if (b->msg != NULL && strstr(d.msg, b->msg) == NULL)
			fail_msg("case %zu %s: want \"%s\" in \"%s\"", i,
			    text, b->msg, d.msg);
		assert_clean_diag(&d);
		free(text);
	}
	assert_int_equal(model_load(NULL, 0, &m, &d), DIB_EINVAL);
	assert_null(m);
}

/* A generated model text with n roots or a chain of n levels. */
static char *
gen_model(size_t roots, size_t depth, size_t attrs, size_t values)
{
	size_t cap = 1024 + 80 * (roots + depth + attrs + values), o, i;
	char *s = malloc(cap), id[256];

	assert_non_null(s);
	o = (size_t)snprintf(s, cap, "{\"format\":\"diboli-model/1\","
	    "\"version\":\"t\",\"languages\":[\"fr\"],\"categories\":[");
	for (i = 0; i < roots; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s{\"id\":\"c%zu\","
		    "\"label\":{\"fr\":\"C\"}}", i ? "," : "", i);
	if (depth > 0) {
		snprintf(id, sizeof id, "a");
		for (i = 0; i < depth; i++) {
			o += (size_t)snprintf(s + o, cap - o,
			    "%s{\"id\":\"%s\",\"label\":{\"fr\":\"A\"}",
			    i ? ",\"children\":[" : "", id);
			if (strlen(id) + 3 < sizeof id)
				memcpy(id + strlen(id), ".a", 3);
		}
		for (i = 0; i < depth; i++)
			o += (size_t)snprintf(s + o, cap - o, "%s",
			    i + 1 < depth ? "}]" : "}");
	}
	if (attrs > 0 || values > 0) {
		o += (size_t)snprintf(s + o, cap - o, "{\"id\":\"x\",\"label\":"
		    "{\"fr\":\"X\"},\"attributes\":[");
		for (i = 0; i < attrs; i++)
			o += (size_t)snprintf(s + o, cap - o, "%s{\"key\":"
			    "\"k%zu\",\"type\":\"integer\",\"label\":{\"fr\":"
			    "\"K\"}}", i ? "," : "", i);
		if (values > 0) {
			o += (size_t)snprintf(s + o, cap - o, "{\"key\":\"e\","
			    "\"type\":\"enum\",\"label\":{\"fr\":\"E\"},"
			    "\"values\":[");
			for (i = 0; i < values; i++)
				o += (size_t)snprintf(s + o, cap - o,
				    "%s{\"id\":\"v%zu\",\"label\":"
				    "{\"fr\":\"V\"}}", i ? "," : "", i);
			o += (size_t)snprintf(s + o, cap - o, "]}");
		}
		o += (size_t)snprintf(s + o, cap - o, "]}");
	}
	snprintf(s + o, cap - o, "]}");
	assert_true(o + 3 < cap);
	return s;
}

static void
limit_case(size_t roots, size_t depth, size_t attrs, size_t values, int code,
    const char *field)
{
	struct model *m = NULL;
	struct dib_diag d;
	char *s = gen_model(roots, depth, attrs, values);
	int rc;

	dib_diag_clear(&d);
	rc = model_load(s, strlen(s), &m, &d);
	if (rc != code)
		fail_msg("limits %zu/%zu/%zu/%zu: want %d, got %d: %s: %s",
		    roots, depth, attrs, values, code, rc, d.field, d.msg);
	/* Deep paths keep their end. */
	if (code != 0 && (strlen(d.field) < strlen(field) ||
	    strcmp(d.field + strlen(d.field) - strlen(field), field) != 0))
		fail_msg("want field ...%s, got %s: %s", field, d.field,
		    d.msg);
	model_free(m);
	free(s);
}

static void
test_limits(void **state)
{
	(void)state;
	limit_case(MODEL_MAX_CATEGORIES, 0, 0, 0, 0, NULL);
	limit_case(MODEL_MAX_CATEGORIES + 1, 0, 0, 0, DIB_ETOOBIG,
	    "categories[2000].id");
	limit_case(0, MODEL_MAX_DEPTH, 0, 0, 0, NULL);
	limit_case(0, MODEL_MAX_DEPTH + 1, 0, 0, DIB_ETOOBIG,
	    ".children[0].children[0].children[0].children[0].children[0]."
	    "children[0].children");
	limit_case(0, 0, MODEL_MAX_ATTRS, 0, 0, NULL);
	limit_case(0, 0, MODEL_MAX_ATTRS + 1, 0, DIB_ETOOBIG,
	    "categories[0].attributes");
	limit_case(0, 0, 0, MODEL_MAX_VALUES, 0, NULL);
	limit_case(0, 0, 0, MODEL_MAX_VALUES + 1, DIB_ETOOBIG,
	    "categories[0].attributes[0].values");
}

static const char ext_text[] =
    "{'format':'diboli-model/1','extends':'default','version':'sn.1',"
    "'_comment':'a node of Zone militaire 4','categories':["
    "{'id':'security.piracy','label':{'fr':'Piraterie fluviale',"
    "'en':'River piracy'},'kind':'incident','attributes':["
    "{'key':'boats','type':'integer','label':{'fr':'Embarcations'},"
    "'min':0,'required':true}]},"
    "{'id':'logistics','label':{'fr':'Logistique'},'geometry':'none',"
    "'children':[{'id':'logistics.fuel_stock','label':{'fr':'Stock'},"
    "'attributes':[{'key':'litres','type':'number','label':{'fr':'L'},"
    "'unit':'L','min':0}]}]}]}";

static void
test_extension(void **state)
{
	const struct model *def = *state;
	struct model *m = NULL;
	const struct model_category *c, *next;
	struct dib_diag d;
	char *text = dq(ext_text);
	size_t i;

	dib_diag_clear(&d);
	if (model_load(text, strlen(text), &m, &d) != 0)
		fail_msg("%s: %s", d.field, d.msg);
	assert_string_equal(model_version(m), "2025.1+sn.1");
	assert_int_equal(model_category_count(m),
	    model_category_count(def) + 3);
	c = model_find(m, "security.piracy");
	assert_non_null(c);
	assert_true(model_category_is_leaf(c));
	assert_false(model_category_is_leaf(model_find(m, "logistics")));
	assert_string_equal(model_category_kind(c), "incident");
	assert_int_equal(model_category_precedence(c), MODEL_ROUTINE);
	assert_string_equal(model_attr_key_at(c, 0), "source");
	assert_int_equal(model_attr_type(c, "boats"), MODEL_INTEGER);
	assert_string_equal(model_category_label(c, "en"), "River piracy");
	assert_int_equal(model_category_geometry(model_find(m,
	    "logistics.fuel_stock")), MODEL_GEOM_NONE);
	/* Placed last in its parent's subtree. */
	for (i = 0; (c = model_category_at(m, i)) != NULL; i++)
		if (strcmp(model_category_id(c), "security.piracy") == 0)
			break;
	next = model_category_at(m, i + 1);
	assert_string_equal(model_category_id(model_category_at(m, i - 1)),
	    "security.suspicious_activity");
	assert_string_equal(model_category_id(next), "corridor");
	assert_string_equal(model_category_id(model_category_at(m,
	    model_category_count(m) - 1)), "logistics.fuel_stock");
	assert_int_equal(model_validate_attributes(model_find(m,
	    "security.piracy"), NULL, NULL), DIB_EINVAL);
	model_free(m);
	free(text);
}

static void
round_trip(const struct model *m)
{
	struct model *m2 = NULL;
	struct dib_diag d;
	json_t *j1, *j2;
	char *text;

	j1 = model_to_json(m, NULL);
	assert_non_null(j1);
	text = json_dumps(j1, JSON_COMPACT);
	assert_non_null(text);
	dib_diag_clear(&d);
	if (model_load(text, strlen(text), &m2, &d) != 0)
		fail_msg("reload: %s: %s", d.field, d.msg);
	j2 = model_to_json(m2, NULL);
	assert_true(json_equal(j1, j2));
	assert_string_equal(model_version(m2), model_version(m));
	assert_int_equal(model_category_count(m2), model_category_count(m));
	json_decref(j1);
	json_decref(j2);
	free(text);
	model_free(m2);
}

static void
test_to_json(void **state)
{
	const struct model *def = *state;
	struct model *m = NULL;
	json_t *j, *c0, *a;
	char *text = dq(ext_text);

	round_trip(def);
	assert_int_equal(model_load(text, strlen(text), &m, NULL), 0);
	round_trip(m);
	model_free(m);
	free(text);

	j = model_to_json(def, "en");
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "language")),
	    "en");
	assert_non_null(strstr(json_string_value(json_object_get(j,
	    "notice")), "Do not enter personal data"));
	c0 = json_array_get(json_object_get(j, "categories"), 0);
	assert_string_equal(json_string_value(json_object_get(c0, "label")),
	    "Security");
	assert_string_equal(json_string_value(json_object_get(c0,
	    "precedence")), "ROUTINE");
	a = json_array_get(json_object_get(c0, "attributes"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "key")),
	    "source");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(a, "values"), 0), "label")),
	    "Patrol");
	json_decref(j);
	assert_null(model_to_json(NULL, NULL));
}

static char *
temp_dir(void)
{
	const char *base = getenv("DIBOLI_TEST_TMP");
	char tmpl[4096];
	char *p;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", base, strerror(errno));
	snprintf(tmpl, sizeof tmpl, "%s/test_model.XXXXXX", base);
	if (mkdtemp(tmpl) == NULL)
		fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
	assert_non_null((p = strdup(tmpl)));
	return p;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_load_node(void **state)
{
	const struct model *def = *state;
	struct model *m = NULL;
	struct dib_diag d;
	char *dir = temp_dir(), file[4200], *text;

	snprintf(file, sizeof file, "%s/model.json", dir);
	dib_diag_clear(&d);
	/* No model.json: the default. */
	assert_int_equal(model_load_node(dir, &m, &d), 0);
	assert_int_equal(model_category_count(m), model_category_count(def));
	model_free(m);
	assert_int_equal(model_load_node(NULL, &m, &d), 0);
	model_free(m);

	text = dq(ext_text);
	write_file(file, text);
	free(text);
	assert_int_equal(model_load_node(dir, &m, &d), 0);
	assert_non_null(model_find(m, "logistics.fuel_stock"));
	model_free(m);
	assert_int_equal(model_load_file(file, &m, &d), 0);
	assert_string_equal(model_version(m), "2025.1+sn.1");
	model_free(m);

	text = dq(A1(K("'type':'flaot'")));
	write_file(file, text);
	free(text);
	assert_int_equal(model_load_node(dir, &m, &d), DIB_EINVAL);
	assert_null(m);
	assert_string_equal(d.field, "categories[0].attributes[0].type");

	assert_int_equal(unlink(file), 0);
	assert_int_equal(model_load_file(file, &m, &d), DIB_ENOTFOUND);
	assert_null(m);
	assert_string_equal(d.field, file);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_categories),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_attr_accessors),
		cmocka_unit_test(test_tree_order),
		cmocka_unit_test(test_no_personal_data),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_validate_ok),
		cmocka_unit_test(test_validate_integer),
		cmocka_unit_test(test_validate_number),
		cmocka_unit_test(test_validate_text),
		cmocka_unit_test(test_validate_enums),
		cmocka_unit_test(test_validate_datetime),
		cmocka_unit_test(test_validate_keys),
		cmocka_unit_test(test_from_text),
		cmocka_unit_test(test_load_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_extension),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_load_node),
	};

	return cmocka_run_group_tests(tests, load_default, free_default);
}
