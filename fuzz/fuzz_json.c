/*
** Fuzz target of util/json: any bytes are accepted or rejected as jansson's
** json_loadb does, to the same value, and an accepted value comes back
** unchanged from json_dumps and a second parse.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/json.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define JFLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

/*
** The one difference in acceptance besides depth: jansson fails on an
** integer outside int64, where we give a real. Then jansson must accept
** the input once it reads every integer as a real.
*/
static int
big_integer(const uint8_t *data, size_t size, const json_error_t *je)
{
	json_t *j;

	if (json_error_code(je) != json_error_numeric_overflow ||
	    strncmp(je->text, "too big ", 8) != 0)
		return 0;
	if ((j = json_loadb((const char *)data, size,
	    JFLAGS | JSON_DECODE_INT_AS_REAL, NULL)) == NULL)
		return 0;
	json_decref(j);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dib_diag d = {0};
	json_error_t je;
	json_t *ours = NULL, *theirs = NULL, *again = NULL;
	char *text = NULL;
	int rc, nul;

	rc = util_json_parse((const char *)data, size, "json", &ours, &d);
	if (rc != DIB_OK) {
		/* Diagnostics end up in JSON error bodies: valid UTF-8. */
		if (ours != NULL || d.msg[0] == '\0' ||
		    !util_utf8_valid(d.msg, strlen(d.msg)) ||
		    (rc != DIB_EINVAL && rc != DIB_ETOOBIG))
			abort();
	}

	/*
	** No verdict past depth 64, where jansson goes on to 2048, nor with a
	** NUL byte, which JSON never allows but jansson's lexer skips when it
	** ends a number or a word.
	*/
	nul = size > 0 && memchr(data, '\0', size) != NULL;
	if (nul && rc == DIB_OK)
		abort();
	if (rc != DIB_ETOOBIG && !nul) {
		theirs = json_loadb((const char *)data, size, JFLAGS, &je);
		if (rc != DIB_OK && theirs != NULL)
			abort();
		if (rc == DIB_OK && theirs == NULL &&
		    !big_integer(data, size, &je))
			abort();
		if (rc == DIB_OK && theirs != NULL &&
		    !json_equal(ours, theirs))
			abort();
	}

	if (rc == DIB_OK) {
		if ((text = json_dumps(ours, JSON_COMPACT |
		    JSON_ENCODE_ANY)) == NULL)
			abort();
		if (util_json_parse(text, strlen(text), "json", &again,
		    &d) != DIB_OK || !json_equal(ours, again))
			abort();
	}
	free(text);
	json_decref(again);
	json_decref(theirs);
	json_decref(ours);
	return 0;
}
