/*
** Fuzz target: record input as a client sends it (JSON -> validation ->
** encoding), stored record bytes as a partner sends them, RFC 3339 times,
** audiences and block headers. None may crash, leak or accept nonsense.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log/log.h"
#include "log/record.h"
#include "model/model.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct model *model;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dib_diag d;
	struct record r, back;
	struct log_header h;
	json_t *j;
	char text[256], aud[UTIL_AUDIENCE_LEN];
	int64_t ms;

	if (model == NULL && model_load_default(&model, &d) != 0)
		abort();
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL) {
		if (record_from_json(model, j, "SN", NULL, &r, &d) == 0) {
			/* What we encode, we must read back alike. */
			if (record_parse_body(r.body, r.body_len, &back, &d) != 0
			    || memcmp(back.id, r.id, 16) != 0 || back.t != r.t ||
			    strcmp(back.category, r.category) != 0 ||
			    back.geom != r.geom)
				abort();
			record_clear(&back);
			record_clear(&r);
		}
		json_decref(j);
	}
	record_parse_body(data, size, &back, &d);
	record_clear(&back);
	log_header_decode(data, size, &h);
	if (size < sizeof text) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (util_time_parse(text, &ms, "t", &d) == 0) {
			char out[40];

			util_time_format(ms, out, sizeof out);
			if (util_time_parse(out, &ms, "t", &d) != 0)
				abort();
		}
		util_audience_parse(text, aud, &d);
	}
	return 0;
}
