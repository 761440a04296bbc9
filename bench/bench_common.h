/*
** What the benchmarks share: a monotonic clock and the results they print
** and write to bench/results/latest.json.
*/
#ifndef DIB_BENCH_COMMON_H
#define DIB_BENCH_COMMON_H

#include <stddef.h>

struct model;

/*
** How the benchmarks write JSON as clients send it: compact, and numbers
** in at most 15 significant digits, the shortest text of these values
** (JSON.stringify and Python write -11.95559 and 42.66; jansson's default
** of 17 digits writes -11.955590000000001 and 42.659999999999997).
*/
#define BENCH_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/*
** n JSON texts of typical records (demo_gen, SN, over days days), made
** before any timing; *texts and *lens are new arrays.
*/
void bench_make_texts(const struct model *m, size_t n, int days,
    char ***texts, size_t **lens);

/* Seconds on a monotonic clock. */
double bench_now_s(void);

/* Remember one result against its baseline (the ratio is derived). The
** strings must outlive the program's use of the results. */
void bench_result(const char *name, double value, const char *unit,
    const char *baseline_name, double baseline_value);

/*
** Write the results as a JSON list of {name, value, unit, baseline_name,
** baseline_value, ratio} to path. merge: keep the entries of other
** benchmarks already in the file (ours replace theirs by name); else
** start the file anew.
*/
void bench_results_write(const char *path, int merge);

#endif
