/*
** What the benchmarks share: a monotonic clock and the results they print
** and write to bench/results/latest.json.
*/
#ifndef DIB_BENCH_COMMON_H
#define DIB_BENCH_COMMON_H

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
