/*
** An offline base map: the tiles of an MBTiles file (SQLite, given by the
** node's administrator with diboli serve --tiles) served read-only as
** GET /tiles/{z}/{x}/{y}.{ext}, XYZ numbering as Leaflet asks for it
** (MBTiles rows count from the south: TMS).
*/
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct tiles {
	sqlite3 *db;            /* read-only, serialized: any thread */
	char format[8];         /* png, jpg, webp or pbf: tile URLs end so */
	const char *type;       /* the tiles' Content-Type */
	char name[128];
	char attribution[512];
	int minzoom, maxzoom;
	double bounds[4];       /* W, S, E, N */
	int has_bounds;
};

/* One metadata value into out (empty when absent). */
static void
meta(sqlite3 *db, const char *key, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT value FROM metadata WHERE name = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st,
		    0));
	sqlite3_finalize(st);
}

static void
zoom_range(struct tiles *t)
{
	sqlite3_stmt *st = NULL;
	char v[32];

	t->minzoom = 0;
	t->maxzoom = 22;
	if (sqlite3_prepare_v2(t->db, "SELECT min(zoom_level), "
	    "max(zoom_level) FROM tiles", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		t->minzoom = sqlite3_column_int(st, 0);
		t->maxzoom = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	/* The metadata, when it says so, wins over the scan. */
	meta(t->db, "minzoom", v, sizeof v);
	if (v[0] != '\0')
		t->minzoom = (int)strtol(v, NULL, 10);
	meta(t->db, "maxzoom", v, sizeof v);
	if (v[0] != '\0')
		t->maxzoom = (int)strtol(v, NULL, 10);
	if (t->minzoom < 0)
		t->minzoom = 0;
	if (t->maxzoom > 30)
		t->maxzoom = 30;
}

int
http_tiles_open(struct server *s, const char *path, struct dib_diag *d)
{
	struct tiles *t;
	sqlite3_stmt *st = NULL;
	char v[128];
	int rc;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "tiles", "out of memory");
	if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = dib_fail(d, DIB_EIO, "tiles", "cannot open %s: %s", path,
		    t->db ? sqlite3_errmsg(t->db) : "out of memory");
		goto fail;
	}
	if (sqlite3_prepare_v2(t->db, "SELECT zoom_level, tile_column, "
	    "tile_row, tile_data FROM tiles LIMIT 1", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = dib_fail(d, DIB_EINVAL, "tiles", "%s is not an MBTiles "
		    "file (no tiles table: %s)", path, sqlite3_errmsg(t->db));
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	meta(t->db, "format", t->format, sizeof t->format);
	if (t->format[0] == '\0')
		snprintf(t->format, sizeof t->format, "png");
	if (strcmp(t->format, "jpeg") == 0)
		snprintf(t->format, sizeof t->format, "jpg");
	if (strcmp(t->format, "png") != 0 && strcmp(t->format, "jpg") != 0 &&
	    strcmp(t->format, "webp") != 0 && strcmp(t->format, "pbf") != 0) {
		rc = dib_fail(d, DIB_EINVAL, "tiles", "%s: tile format \"%s\" "
		    "is not png, jpg, webp or pbf", path, t->format);
		goto fail;
	}
	t->type = strcmp(t->format, "png") == 0 ? "image/png" :
	    strcmp(t->format, "jpg") == 0 ? "image/jpeg" :
	    strcmp(t->format, "webp") == 0 ? "image/webp" :
	    "application/vnd.mapbox-vector-tile";
	meta(t->db, "name", t->name, sizeof t->name);
	meta(t->db, "attribution", t->attribution, sizeof t->attribution);
	meta(t->db, "bounds", v, sizeof v);
	if (sscanf(v, "%lf,%lf,%lf,%lf", &t->bounds[0], &t->bounds[1],
	    &t->bounds[2], &t->bounds[3]) == 4 && t->bounds[0] < t->bounds[2] &&
	    t->bounds[1] < t->bounds[3])
		t->has_bounds = 1;
	zoom_range(t);
	s->tiles = t;
	return DIB_OK;
fail:
	sqlite3_close(t->db);
	free(t);
	return rc;
}

void
http_tiles_close(struct server *s)
{
	if (s->tiles == NULL)
		return;
	sqlite3_close(s->tiles->db);
	free(s->tiles);
	s->tiles = NULL;
}

json_t *
http_tiles_info(struct server *s)
{
	struct tiles *t = s->tiles;
	json_t *j;
	char url[64];

	if (t == NULL)
		return NULL;
	snprintf(url, sizeof url, "/tiles/{z}/{x}/{y}.%s", t->format);
	j = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s}", "url", url, "format",
	    t->format, "minzoom", t->minzoom, "maxzoom", t->maxzoom, "name",
	    t->name, "attribution", t->attribution);
	if (j != NULL && t->has_bounds)
		json_object_set_new(j, "bounds", json_pack("[f, f, f, f]",
		    t->bounds[0], t->bounds[1], t->bounds[2], t->bounds[3]));
	return j;
}

/* "z/x/y.ext": strict decimal numbers, y and x inside the zoom. */
static int
parse_tile(const char *p, const char *ext, int *z, long *x, long *y)
{
	long v[3];
	int i;

	for (i = 0; i < 3; i++) {
		char *end;

		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' &&
		    p[1] <= '9'))
			return -1;
		v[i] = strtol(p, &end, 10);
		if (end - p > 10)
			return -1;
		p = end;
		if (i < 2 && *p++ != '/')
			return -1;
	}
	if (*p++ != '.' || strcmp(p, ext) != 0)
		return -1;
	if (v[0] < 0 || v[0] > 30 || v[1] >= (1L << v[0]) ||
	    v[2] >= (1L << v[0]))
		return -1;
	*z = (int)v[0];
	*x = v[1];
	*y = v[2];
	return 0;
}

enum MHD_Result
http_tiles_get(struct req *r, const char *path)
{
	struct tiles *t = r->srv->tiles;
	struct MHD_Response *resp;
	sqlite3_stmt *st = NULL;
	const unsigned char *data;
	enum MHD_Result ret;
	long x, y;
	int z, n, gz;

	if (t == NULL)
		return http_reply_error(r, 404, "not_found", "", "this node serves "
		    "no tiles (diboli serve --tiles FILE.mbtiles)");
	if (parse_tile(path, t->format, &z, &x, &y) != 0)
		return http_reply_error(r, 404, "not_found", "", "no such tile: "
		    "%.60s (want /tiles/Z/X/Y.%s)", path, t->format);
	if (sqlite3_prepare_v2(t->db, "SELECT tile_data FROM tiles WHERE "
	    "zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3", -1, &st,
	    NULL) != SQLITE_OK)
		return http_reply_error(r, 500, "database", "", "tiles: %s",
		    sqlite3_errmsg(t->db));
	sqlite3_bind_int(st, 1, z);
	sqlite3_bind_int64(st, 2, x);
	sqlite3_bind_int64(st, 3, (1L << z) - 1 - y);   /* TMS rows */
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (n = sqlite3_column_bytes(st, 0)) <= 0) {
		sqlite3_finalize(st);
		return http_reply_error(r, 404, "not_found", "", "no tile %d/%ld/"
		    "%ld in this file", z, x, y);
	}
	data = sqlite3_column_blob(st, 0);
	/* Vector tiles are usually stored gzipped: say so. */
	gz = data != NULL && n >= 2 && data[0] == 0x1f && data[1] == 0x8b;
	resp = MHD_create_response_from_buffer((size_t)n, (void *)data,
	    MHD_RESPMEM_MUST_COPY);
	sqlite3_finalize(st);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", t->type);
	if (gz && strcmp(t->format, "pbf") == 0)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* A tile does not change while the node serves the same file; the
	 * browser keeps it for a day (private: behind a login). */
	MHD_add_response_header(resp, "Cache-Control", "private, "
	    "max-age=86400");
	r->sent = (size_t)n;
	r->status = 200;
	ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}
