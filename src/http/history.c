/*
** The history of a record for GET /api/v1/records/{id}: every version of
** it this node holds, oldest first, walked through the supersede links
** (each version names the one it replaces; the store names the one that
** replaced it).
*/
#include "http/http_int.h"

#include <string.h>

#include "node/node.h"
#include "util/util.h"

#define HISTORY_MAX 100 /* versions walked each way */

/* The summary of one version, from its full record. */
static json_t *
version_of(json_t *rec)
{
	static const char *const keys[] = {"id", "status", "observed_at",
	    "category", "precedence", "audience", "reason", "retracted_at",
	    "retracted_by", NULL};
	json_t *v = json_object(), *x;
	int i;

	for (i = 0; keys[i] != NULL; i++)
		if ((x = json_object_get(rec, keys[i])) != NULL)
			json_object_set(v, keys[i], x);
	return v;
}

/* The record with the id held in member key of rec, or NULL. */
static json_t *
linked(struct node *n, json_t *rec, const char *key)
{
	const char *id = json_string_value(json_object_get(rec, key));
	struct dib_diag d;
	uint8_t uid[16];
	json_t *j = NULL;

	if (id == NULL || util_uuid_parse(id, uid) != 0 ||
	    node_get(n, uid, &j, &d) != 0)
		return NULL;
	return j;
}

void
http_history_add(struct node *n, json_t *rec)
{
	json_t *h = json_array(), *cur, *next;
	int i;

	if (h == NULL)
		return;
	/* Back to the first version... */
	json_array_append_new(h, version_of(rec));
	cur = json_incref(rec);
	for (i = 0; i < HISTORY_MAX; i++) {
		if ((next = linked(n, cur, "supersedes")) == NULL)
			break;
		json_array_insert_new(h, 0, version_of(next));
		json_decref(cur);
		cur = next;
	}
	json_decref(cur);
	/* ...and on to the last. */
	cur = json_incref(rec);
	for (i = 0; i < HISTORY_MAX; i++) {
		if ((next = linked(n, cur, "superseded_by")) == NULL)
			break;
		json_array_append_new(h, version_of(next));
		json_decref(cur);
		cur = next;
	}
	json_decref(cur);
	json_object_set_new(rec, "history", h);
}
