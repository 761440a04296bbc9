/*
** Exports of records: the CSV layout shared by the CLI and the API.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "util/buf.h"

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

int
node_csv_row(const json_t *j, struct buf *b)
{
	const json_t *g = json_object_get(j, "geometry");
	const json_t *c = json_object_get(g, "coordinates");
	const json_t *aud = json_object_get(j, "audience");
	const char *type = json_string_value(json_object_get(g, "type"));
	char *attrs;
	size_t i;
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
		char a[64] = "";
		size_t len = 0;

		for (i = 0; i < json_array_size(aud) && len + 4 < sizeof a; i++)
			len += (size_t)snprintf(a + len, sizeof a - len, "%s%s",
			    i ? "," : "", json_string_value(json_array_get(aud,
			    i)));
		rc |= field(b, a);
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
