/*
** The clock and the results file shared by the benchmarks.
*/
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "demo/demo.h"

#define MAX_RESULTS 32

static struct {
	const char *name, *unit, *baseline_name;
	double value, baseline_value;
} results[MAX_RESULTS];
static int nresults;

void
bench_make_texts(const struct model *m, size_t n, int days, char ***texts,
    size_t **lens)
{
	struct demo_gen *g = demo_gen_new(m, "SN", 7, days,
	    (int)(n / days + 1));
	size_t i;

	*texts = calloc(n, sizeof **texts);
	*lens = calloc(n, sizeof **lens);
	if (*texts == NULL || *lens == NULL || g == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		json_t *j = demo_gen_next(g);

		if (j == NULL) {
			demo_gen_free(g);
			g = demo_gen_new(m, "SN", 7 + i, days,
			    (int)(n / days + 1));
			j = demo_gen_next(g);
		}
		if (j == NULL || ((*texts)[i] = json_dumps(j,
		    BENCH_JSON_FLAGS)) == NULL) {
			fprintf(stderr, "bench: cannot make record %zu\n", i);
			exit(1);
		}
		(*lens)[i] = strlen((*texts)[i]);
		json_decref(j);
	}
	demo_gen_free(g);
}

double
bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
bench_result(const char *name, double value, const char *unit,
    const char *baseline_name, double baseline_value)
{
	if (nresults == MAX_RESULTS)
		return;
	results[nresults].name = name;
	results[nresults].value = value;
	results[nresults].unit = unit;
	results[nresults].baseline_name = baseline_name;
	results[nresults].baseline_value = baseline_value;
	nresults++;
}

void
bench_results_write(const char *path, int merge)
{
	json_t *old = merge ? json_load_file(path, 0, NULL) : NULL;
	json_t *out = json_array(), *v;
	size_t i;
	int k;

	json_array_foreach(old, i, v) {
		const char *name = json_string_value(json_object_get(v,
		    "name"));
		int ours = 0;

		for (k = 0; k < nresults; k++)
			if (name != NULL && strcmp(name, results[k].name) == 0)
				ours = 1;
		if (!ours)
			json_array_append(out, v);
	}
	json_decref(old);
	for (k = 0; k < nresults; k++)
		json_array_append_new(out, json_pack("{s:s, s:f, s:s, s:s, s:f, "
		    "s:f}", "name", results[k].name, "value", results[k].value,
		    "unit", results[k].unit, "baseline_name",
		    results[k].baseline_name, "baseline_value",
		    results[k].baseline_value, "ratio",
		    results[k].baseline_value != 0 ? results[k].value /
		    results[k].baseline_value : 0.0));
	if (json_dump_file(out, path, JSON_INDENT(2) | JSON_REAL_PRECISION(6))
	    != 0)
		fprintf(stderr, "bench: cannot write %s\n", path);
	json_decref(out);
}
