/*
** Fuzz target of the model: load the bytes as a model file (and check
** that it survives a round trip through model_to_json), and validate them
** as an attributes object against every category of the default model.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Diagnostics end up in JSON error bodies: they must be valid UTF-8. */
static void
check_diag(const struct dib_diag *d)
{
	json_t *s;

	if ((s = json_string(d->msg)) == NULL)
		abort();
	json_decref(s);
	if ((s = json_string(d->field)) == NULL)
		abort();
	json_decref(s);
}

static void
walk(const struct model *m)
{
	const struct model_category *c;
	const char *key;
	double min, max;
	size_t i, j, k;

	for (i = 0; (c = model_category_at(m, i)) != NULL; i++) {
		if (model_find(m, model_category_id(c)) != c ||
		    model_category_label(c, "en") == NULL)
			abort();
		for (j = 0; (key = model_attr_key_at(c, j)) != NULL; j++) {
			if (model_attr_label(c, key, NULL) == NULL)
				abort();
			(void)model_attr_range(c, key, &min, &max);
			for (k = 0; k < model_enum_count(c, key); k++)
				if (model_enum_label(c, key,
				    model_enum_id_at(c, key, k), "en") == NULL)
					abort();
		}
	}
}

static void
round_trip(const struct model *m)
{
	struct model *m2 = NULL;
	json_t *j1, *j2 = NULL, *jl;
	char *text;

	walk(m);
	if ((j1 = model_to_json(m, NULL)) == NULL ||
	    (text = json_dumps(j1, JSON_COMPACT)) == NULL)
		abort();
	if (model_load(text, strlen(text), &m2, NULL) != 0 ||
	    (j2 = model_to_json(m2, NULL)) == NULL || !json_equal(j1, j2))
		abort();
	if ((jl = model_to_json(m, "en")) == NULL)
		abort();
	json_decref(jl);
	json_decref(j1);
	json_decref(j2);
	free(text);
	model_free(m2);
}

static void
validate(const struct model *def, const uint8_t *data, size_t size)
{
	const struct model_category *c;
	struct dib_diag d;
	const char *key;
	json_t *j, *v, *out;
	size_t i;

	j = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, NULL);
	if (j == NULL)
		return;
	for (i = 0; (c = model_category_at(def, i)) != NULL; i++) {
		dib_diag_clear(&d);
		if (model_validate_attributes(c, j, &d) != 0)
			check_diag(&d);
		if (!json_is_object(j))
			continue;
		json_object_foreach(j, key, v) {
			if (!json_is_string(v))
				continue;
			out = NULL;
			dib_diag_clear(&d);
			if (model_attr_from_text(c, key, json_string_value(v),
			    &out, &d) != 0)
				check_diag(&d);
			json_decref(out);
			dib_diag_clear(&d);
			if (model_check_geometry(c, json_string_value(v),
			    &d) != 0)
				check_diag(&d);
		}
	}
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model *def;
	struct model *m = NULL;
	struct dib_diag d;

	if (def == NULL && model_load_default(&def, NULL) != 0)
		abort();
	dib_diag_clear(&d);
	if (model_load((const char *)data, size, &m, &d) == 0)
		round_trip(m);
	else
		check_diag(&d);
	model_free(m);
	validate(def, data, size);
	return 0;
}
