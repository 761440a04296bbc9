/*
** A stand-in for libFuzzer when it is not linked: replays every file of
** the corpus directories given, then feeds -runs=N deterministic mutations
** of them (byte flips, inserts, truncations, splices) to the target, so
** that "make check" exercises each parser of outside input under ASan.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXIN (64 * 1024)

struct input {
	uint8_t *data;
	size_t len;
};

static struct input *inputs;
static size_t ninputs, capinputs;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
add_input(const uint8_t *d, size_t n)
{
	if (ninputs == capinputs) {
		capinputs = capinputs ? 2 * capinputs : 64;
		inputs = realloc(inputs, capinputs * sizeof *inputs);
		if (inputs == NULL)
			abort();
	}
	inputs[ninputs].data = malloc(n ? n : 1);
	if (inputs[ninputs].data == NULL)
		abort();
	memcpy(inputs[ninputs].data, d, n);
	inputs[ninputs].len = n;
	ninputs++;
}

static void
run_one(const uint8_t *d, size_t n)
{
	/* Copy to an exact-size heap buffer so ASan sees any overread. */
	uint8_t *copy = malloc(n ? n : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, d, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static void
load_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	static uint8_t buf[MAXIN];

	if (dir == NULL) {
		fprintf(stderr, "fuzz driver: cannot open corpus %s\n", path);
		exit(1);
	}
	while ((de = readdir(dir)) != NULL) {
		char file[4096];
		FILE *f;
		size_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof file, "%s/%s", path, de->d_name);
		if ((f = fopen(file, "rb")) == NULL)
			continue;
		n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		add_input(buf, n);
		run_one(buf, n);
	}
	closedir(dir);
}

static size_t
mutate(uint8_t *buf, size_t len, size_t cap)
{
	int k, rounds = 1 + (int)(next() % 4);

	for (k = 0; k < rounds; k++) {
		size_t pos = len ? next() % len : 0;

		switch (next() % 6) {
		case 0: /* flip a bit */
			if (len)
				buf[pos] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1: /* random byte */
			if (len)
				buf[pos] = (uint8_t)next();
			break;
		case 2: /* insert an interesting byte */
			if (len < cap) {
				static const char interesting[] =
				    "\"{}[],:-.0123456789eE\\ \x00\xff";
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = (uint8_t)interesting[next() %
				    (sizeof interesting - 1)];
				len++;
			}
			break;
		case 3: /* truncate */
			len = pos;
			break;
		case 4: /* delete a run */
			if (len) {
				size_t run = 1 + next() % 8;
				if (pos + run > len)
					run = len - pos;
				memmove(buf + pos, buf + pos + run,
				    len - pos - run);
				len -= run;
			}
			break;
		case 5: /* splice another input in */
			if (ninputs) {
				const struct input *o = &inputs[next() %
				    ninputs];
				size_t from = o->len ? next() % o->len : 0;
				size_t run = o->len - from;
				if (pos + run > cap)
					run = cap - pos;
				memcpy(buf + pos, o->data + from, run);
				if (pos + run > len)
					len = pos + run;
			}
			break;
		}
	}
	return len;
}

int
main(int argc, char **argv)
{
	long runs = 1000;
	int i;
	static uint8_t buf[MAXIN];

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-runs=", 6) == 0)
			runs = strtol(argv[i] + 6, NULL, 10);
		else if (strncmp(argv[i], "-seed=", 6) == 0)
			rng = strtoull(argv[i] + 6, NULL, 10) | 1;
		else if (argv[i][0] != '-')
			load_dir(argv[i]);
	}
	if (ninputs == 0)
		add_input((const uint8_t *)"", 0);
	for (long r = 0; r < runs; r++) {
		const struct input *in = &inputs[next() % ninputs];
		size_t len = in->len < MAXIN ? in->len : MAXIN;

		memcpy(buf, in->data, len);
		len = mutate(buf, len, MAXIN);
		run_one(buf, len);
	}
	printf("fuzz driver: %zu corpus inputs, %ld mutations, no crash\n",
	    ninputs, runs);
	return 0;
}
