/*
** Training of the zstd dictionary that bundles compress with
** (data/bundle.dict): record bodies exactly as they are stored and
** shipped, made by the deterministic demo generator for both nations.
*/
#include "fed/bundle.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zdict.h>

#include "demo/demo.h"
#include "log/record.h"
#include "model/model.h"
#include "util/util.h"

/*
** About 23,500 records, 8.6 MB: zstd advises samples of about a hundred
** times the dictionary size, and a year of days gives every date and
** season of the generator a chance to appear.
*/
#define TRAIN_DAYS 365
#define TRAIN_PER_DAY 33
#define TRAIN_SEED 20250220

/* One stream per nation (seeds TRAIN_SEED and TRAIN_SEED + 1); the
** measurements of docs/bundle.md use other seeds, held out. */
static const char *const train_nations[] = {"SN", "ML"};

int
bundle_train_dict(const char *out_path, size_t dict_size,
    struct dib_diag *d)
{
	struct model *m = NULL;
	struct demo_gen *g = NULL;
	unsigned char *samples = NULL, *dict = NULL;
	size_t *sizes = NULL, nsamples = 0, cap = 0, used = 0, scap = 0;
	size_t i, dlen;
	int rc;

	if (dict_size < 1024 || dict_size > 1024 * 1024)
		return dib_fail(d, DIB_EINVAL, "dict_size",
		    "must be from 1 KB to 1 MB, got %zu", dict_size);
	if ((rc = model_load_default(&m, d)) != 0)
		return rc;
	for (i = 0; i < sizeof train_nations / sizeof train_nations[0];
	    i++) {
		const char *nation = train_nations[i];
		json_t *j;

		g = demo_gen_new(m, nation, TRAIN_SEED + i, TRAIN_DAYS,
		    TRAIN_PER_DAY);
		if (g == NULL) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			goto out;
		}
		while ((j = demo_gen_next(g)) != NULL) {
			struct record r;
			uint8_t id[16];

			demo_gen_id(g, id);
			rc = record_from_json(m, j, nation, id, &r, d);
			json_decref(j);
			if (rc != 0)
				goto out;
			if (nsamples == cap) {
				size_t *ns;

				cap = cap ? 2 * cap : 4096;
				if ((ns = realloc(sizes, cap *
				    sizeof *sizes)) == NULL) {
					record_clear(&r);
					rc = dib_fail(d, DIB_ENOMEM, "",
					    "out of memory");
					goto out;
				}
				sizes = ns;
			}
			if (used + r.body_len > scap) {
				unsigned char *nb;

				scap = scap ? 2 * scap : 1024 * 1024;
				while (used + r.body_len > scap)
					scap *= 2;
				if ((nb = realloc(samples, scap)) == NULL) {
					record_clear(&r);
					rc = dib_fail(d, DIB_ENOMEM, "",
					    "out of memory");
					goto out;
				}
				samples = nb;
			}
			memcpy(samples + used, r.body, r.body_len);
			used += r.body_len;
			sizes[nsamples++] = r.body_len;
			record_clear(&r);
		}
		demo_gen_free(g);
		g = NULL;
	}
	if ((dict = malloc(dict_size)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	/* The default trainer (fastCover, fixed parameters, one thread) is
	 * deterministic, and the dictionary id it gives is a hash of the
	 * content: the same records always give the same file. */
	dlen = ZDICT_trainFromBuffer(dict, dict_size, samples, sizes,
	    (unsigned)nsamples);
	if (ZDICT_isError(dlen)) {
		rc = dib_fail(d, DIB_EINVAL, "dict_size",
		    "training failed on %zu records: %s", nsamples,
		    ZDICT_getErrorName(dlen));
		goto out;
	}
	rc = util_write_file(out_path, dict, dlen, 0644, d);
out:
	demo_gen_free(g);
	model_free(m);
	free(samples);
	free(sizes);
	free(dict);
	return rc;
}
