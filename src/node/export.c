/*
** Exports of records: the CSV layout shared by the CLI and the API.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "node/node.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/util.h"

const char node_csv_header[] = "id,observed_at,category,precedence,lat,lon,"
    "mgrs,audience,origin_nation,attributes\n";

/* RFC 4180: quote when needed, double the quotes. */
static int
field(struct buf *b, const char *s)
{
	int rc = 0;

	if (s == NULL)
		return 0;
	if (strpbrk(s, ",\"\n\r") == NULL)
		return buf_adds(b, s);
	rc |= buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			rc |= buf_addc(b, '"');
		rc |= buf_addc(b, *s);
	}
	return rc | buf_addc(b, '"');
}

char *
node_audience_text(const json_t *rec, char *out, size_t n)
{
	const json_t *aud = json_object_get(rec, "audience");
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < json_array_size(aud) && len + 4 < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "," : "",
		    json_string_value(json_array_get(aud, i)));
	return out;
}

int
node_csv_row(const json_t *j, struct buf *b)
{
	const json_t *g = json_object_get(j, "geometry");
	const json_t *c = json_object_get(g, "coordinates");
	const char *type = json_string_value(json_object_get(g, "type"));
	char *attrs;
	int rc = 0;

	rc |= field(b, json_string_value(json_object_get(j, "id")));
	rc |= buf_addc(b, ',');
	rc |= field(b, json_string_value(json_object_get(j, "observed_at")));
	rc |= buf_addc(b, ',');
	rc |= field(b, json_string_value(json_object_get(j, "category")));
	rc |= buf_addc(b, ',');
	rc |= field(b, json_string_value(json_object_get(j, "precedence")));
	if (type != NULL && strcmp(type, "Point") == 0)
		rc |= buf_printf(b, ",%.7f,%.7f,",
		    json_number_value(json_array_get(c, 1)),
		    json_number_value(json_array_get(c, 0)));
	else
		rc |= buf_adds(b, ",,,");
	rc |= field(b, json_string_value(json_object_get(j, "mgrs")));
	rc |= buf_addc(b, ',');
	{
		char a[64];

		rc |= field(b, node_audience_text(j, a, sizeof a));
	}
	rc |= buf_addc(b, ',');
	rc |= field(b, json_string_value(json_object_get(json_object_get(j,
	    "origin"), "nation")));
	rc |= buf_addc(b, ',');
	attrs = json_dumps(json_object_get(j, "attributes"), JSON_COMPACT |
	    JSON_REAL_PRECISION(15));
	rc |= field(b, attrs ? attrs : "{}");
	free(attrs);
	return rc | buf_addc(b, '\n');
}

/* ---- GeoJSON features straight from the stored bytes ---- */

/*
** Length of the JSON value at p (p < end), or 0 if malformed. Stored
** records were checked when they entered, so this only has to find the
** value's end: strings with their escapes, nested objects and arrays.
*/
static size_t
value_len(const char *p, const char *end)
{
	const char *q = p;
	int depth = 0;

	do {
		if (q >= end)
			return 0;
		switch (*q) {
		case '"':
			for (q++; q < end && *q != '"'; q++)
				if (*q == '\\')
					q++;
			if (q >= end)
				return 0;
			q++;
			break;
		case '{':
		case '[':
			depth++;
			q++;
			break;
		case '}':
		case ']':
			depth--;
			q++;
			break;
		default:
			/* A number, true, false, null, or a separator inside
			 * an object or array. */
			if (depth == 0) {
				while (q < end && *q != ',' && *q != '}' &&
				    *q != ']')
					q++;
				return (size_t)(q - p);
			}
			q++;
		}
	} while (depth > 0);
	return (size_t)(q - p);
}

int
node_feature(struct node *n, int64_t log, int64_t seq, const char *status,
    struct node_logcache *lc, struct buf *b)
{
	sqlite3_stmt *st = store_stmt(n->store, ST_ENTRY_GET);
	const char *body, *end, *p, *geom = NULL, *id = NULL;
	size_t geomlen = 0, idlen = 0, i;
	int first = 1, rc = 0;
	const char *extra = NULL;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, STORE_ENTRY_KEY(log, seq));
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	body = (const char *)sqlite3_column_blob(st, 0);
	end = body + sqlite3_column_bytes(st, 0);
	/* The log's audience and origin, once per log per request. */
	for (i = 0; i < lc->n; i++)
		if (lc->log[i] == log)
			extra = lc->text[i];
	if (extra == NULL && lc->n < NODE_LOGCACHE) {
		sqlite3_stmt *ls = store_stmt(n->store, ST_LOG_INFO);
		struct buf e;
		char hex[65];

		buf_init(&e, 4096);
		sqlite3_bind_int64(ls, 1, log);
		if (sqlite3_step(ls) == SQLITE_ROW) {
			const char *a = (const char *)sqlite3_column_text(ls, 3);

			buf_adds(&e, ",\"audience\":[");
			for (i = 0; a && a[i] && a[i + 1]; i += 3) {
				buf_printf(&e, "%s\"%.2s\"", i ? "," : "", a + i);
				if (a[i + 2] == '\0')
					break;
			}
			util_hex(sqlite3_column_blob(ls, 0), 32, hex);
			buf_printf(&e, "],\"origin\":{\"node\":\"%s\",\"nation\":",
			    hex);
			buf_add_json_string(&e, (const char *)
			    sqlite3_column_text(ls, 1));
			buf_adds(&e, ",\"name\":");
			buf_add_json_string(&e, (const char *)
			    sqlite3_column_text(ls, 2));
			buf_addc(&e, '}');
		}
		sqlite3_reset(ls);
		lc->log[lc->n] = log;
		lc->text[lc->n] = buf_detach(&e, NULL);
		extra = lc->text[lc->n++];
	}
	/* Find "id" and "geometry" among the top-level members. */
	for (p = body + 1; p < end && *p != '}';) {
		const char *key = p + 1, *val;
		size_t klen, vlen;

		if (*p != '"')
			goto bad;
		for (p++; p < end && *p != '"'; p++)
			if (*p == '\\')
				p++;
		klen = (size_t)(p - key);
		p += 2;                 /* closing quote and colon */
		val = p;
		if (p >= end || (vlen = value_len(p, end)) == 0)
			goto bad;
		if (klen == 8 && memcmp(key, "geometry", 8) == 0) {
			geom = val;
			geomlen = vlen;
		} else if (klen == 2 && memcmp(key, "id", 2) == 0) {
			id = val;
			idlen = vlen;
		}
		p += vlen;
		if (p < end && *p == ',')
			p++;
	}
	if (id == NULL)
		goto bad;
	rc |= buf_adds(b, "{\"type\":\"Feature\",\"id\":");
	rc |= buf_add(b, id, idlen);
	rc |= buf_adds(b, ",\"geometry\":");
	rc |= geom ? buf_add(b, geom, geomlen) : buf_adds(b, "null");
	rc |= buf_adds(b, ",\"properties\":{");
	/* Every member but the geometry, as stored. */
	for (p = body + 1; p < end && *p != '}';) {
		const char *start = p;
		size_t vlen;

		for (p++; p < end && *p != '"'; p++)
			if (*p == '\\')
				p++;
		p += 2;
		vlen = value_len(p, end);
		p += vlen;
		if (geom == NULL || p - vlen != geom) {
			if (!first)
				rc |= buf_addc(b, ',');
			rc |= buf_add(b, start, (size_t)(p - start));
			first = 0;
		}
		if (p < end && *p == ',')
			p++;
	}
	if (extra != NULL)
		rc |= buf_adds(b, extra);
	rc |= buf_printf(b, ",\"seq\":%lld,\"status\":\"%s\"", (long long)seq,
	    status);
	/* MGRS of a point, as the record sheet shows it. */
	if (geom != NULL && memmem(geom, geomlen, "\"Point\"", 7) != NULL) {
		const char *c = memmem(geom, geomlen, "[", 1);
		char num[64], *e1, mgrs[32];
		double lon, lat;
		size_t l = (size_t)(geom + geomlen - c);

		if (c != NULL && l < sizeof num) {
			memcpy(num, c + 1, l - 1);
			num[l - 1] = '\0';
			lon = strtod(num, &e1);
			if (*e1 == ',') {
				lat = strtod(e1 + 1, NULL);
				if (geo_mgrs_format(lat, lon, 5, mgrs,
				    sizeof mgrs, NULL) == 0)
					rc |= buf_printf(b, ",\"mgrs\":\"%s\"",
					    mgrs);
			}
		}
	}
	rc |= buf_adds(b, "}}");
	sqlite3_reset(st);
	return rc;
bad:
	sqlite3_reset(st);
	return -1;
}

void
node_logcache_clear(struct node_logcache *lc)
{
	size_t i;

	for (i = 0; i < lc->n; i++)
		free(lc->text[i]);
	lc->n = 0;
}
