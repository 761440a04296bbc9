/*
** Fuzz target of nation public keys given as text (the admin API's
** nation_pub and encrypt_to): cert_nation_pub_parse must reject, or give a
** known nation and the key whose hex the text holds, and never read
** outside the bytes given (they are copied to an exact-size buffer, with
** no NUL after them).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fed/cert.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dib_diag d;
	char nation[3], hex[65];
	uint8_t pk[32];
	char *text;
	int rc;

	if ((text = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	rc = cert_nation_pub_parse(text, size, "nation_pub", nation, pk, &d);
	if (rc != 0) {
		if (rc != DIB_EINVAL || nation[0] != '\0' ||
		    strcmp(d.field, "nation_pub") != 0)
			abort();
	} else {
		/* "diboli-nation-pub/1 ML <hex>" after any blanks: the
		 * nation and the key are those the text names. */
		size_t lead = 0;

		while (lead < size && strchr(" \t\r\n", text[lead]) != NULL &&
		    text[lead] != '\0')
			lead++;

		util_hex(pk, 32, hex);
		if (!util_nation_valid(nation) || lead + 87 > size ||
		    memcmp(text + lead, "diboli-nation-pub/1 ", 20) != 0 ||
		    memcmp(text + lead + 20, nation, 2) != 0 ||
		    strncasecmp(text + lead + 23, hex, 64) != 0)
			abort();
	}
	free(text);
	return 0;
}
