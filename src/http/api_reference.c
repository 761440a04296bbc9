/*
** The reference geography over HTTP: GET /api/v1/reference lists the
** layers, GET /api/v1/reference/{layer} serves one as GeoJSON, the node's
** own file (DIR/reference/<layer>.geojson) when it has one, else the
** embedded copy. The layers themselves are in src/geo/reference.c.
*/
#include <stdio.h>
#include <string.h>

#include "geo/reference.h"
#include "http/http_int.h"

#define GEOJSON "application/geo+json"

/* A layer that failed to load: 404 when there is none, else the node's
** file (or the build) is at fault. */
static enum MHD_Result
reply_layer_error(struct req *r, int rc, const struct dib_diag *d)
{
	if (rc == DIB_ENOTFOUND)
		return http_reply_error(r, 404, "not_found", d->field, "%s",
		    d->msg);
	if (rc == DIB_ENOMEM)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	return http_reply_error(r, 500, dib_code_name(rc), d->field, "%s",
	    d->msg);
}

enum MHD_Result
http_reference_list(struct req *r, const char *id)
{
	json_t *list = json_array(), *e;
	size_t i;

	(void)id;
	if (list == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	for (i = 0; ref_layer_names[i] != NULL; i++) {
		struct ref_layer *l = NULL;
		struct dib_diag d;
		char href[64];
		int rc;

		dib_diag_clear(&d);
		snprintf(href, sizeof href, "/api/v1/reference/%s",
		    ref_layer_names[i]);
		rc = ref_layer_load(r->srv->conf.dir, ref_layer_names[i], &l,
		    &d);
		if (rc == DIB_OK)
			e = json_pack("{s:s, s:I, s:s, s:s}", "name", l->name,
			    "features", (json_int_t)l->count, "source",
			    ref_source_name(l->source), "href", href);
		else
			/* One broken layer does not hide the others. */
			e = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "name",
			    ref_layer_names[i], "href", href, "error", "code",
			    dib_code_name(rc), "message", d.msg, "field",
			    d.field);
		ref_layer_free(l);
		if (e == NULL || json_array_append_new(list, e) != 0) {
			json_decref(list);
			return http_reply_error(r, 503, "no_memory", "",
			    "out of memory");
		}
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "layers", list),
	    NULL);
}

enum MHD_Result
http_reference_layer(struct req *r, const char *id)
{
	struct ref_layer *l = NULL;
	struct dib_diag d;
	enum MHD_Result ret;
	int rc;

	dib_diag_clear(&d);
	if (!ref_layer_known(id))
		return http_reply_error(r, 404, "not_found", "layer", "no "
		    "reference layer \"%.64s\"; known: boundary, sections, "
		    "places, corridor", id);
	if ((rc = ref_layer_load(r->srv->conf.dir, id, &l, &d)) != DIB_OK)
		return reply_layer_error(r, rc, &d);
	/* The stored bytes, as validated: no parse and re-encode. */
	ret = http_reply_text(r, 200, GEOJSON, l->text, l->len);
	ref_layer_free(l);
	return ret;
}
