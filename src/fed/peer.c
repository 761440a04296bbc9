/*
** The peers table: the nodes this one exchanges logs with, and how the
** last exchange with each went. Sync updates the state columns; this
** file adds, removes and reads peers.
*/
#include "fed/peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/util.h"

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

int
peer_name_check(const char *name, struct dib_diag *d)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0)
		return dib_fail(d, DIB_EINVAL, "name", "is required, e.g. "
		    "ML-RM4");
	if (n > PEER_NAME_MAX)
		return dib_fail(d, DIB_EINVAL, "name", "is longer than %d "
		    "characters", PEER_NAME_MAX);
	if (!is_alnum((unsigned char)name[0]))
		return dib_fail(d, DIB_EINVAL, "name", "must start with a "
		    "letter or a digit, got \"%.64s\"", name);
	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)name[i]) && name[i] != '.' &&
		    name[i] != '_' && name[i] != '-')
			return dib_fail(d, DIB_EINVAL, "name", "may hold only "
			    "letters, digits, '.', '_' and '-' (e.g. ML-RM4), "
			    "got \"%.64s\"", name);
	return DIB_OK;
}

/*
** Check url and copy it to out without trailing slashes: http:// or
** https://, a host, an optional port 1-65535, no user or password (nodes
** authenticate with their keys, and the url is shown and audited), only
** printable ASCII without spaces.
*/
static int
check_url(const char *url, char *out, size_t outlen, struct dib_diag *d)
{
	size_t n = strlen(url), i, skip, alen;
	const char *auth, *colon;

	if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return dib_fail(d, DIB_EINVAL, "url", "must start with http:// "
		    "or https://, got \"%.80s\"", url);
	if (n >= outlen)
		return dib_fail(d, DIB_EINVAL, "url", "is longer than %zu "
		    "characters", outlen - 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return dib_fail(d, DIB_EINVAL, "url", "must not hold "
			    "spaces, control or non-ASCII characters");
	auth = url + skip;
	alen = strcspn(auth, "/?#");
	if (alen == 0)
		return dib_fail(d, DIB_EINVAL, "url", "names no host, e.g. "
		    "http://10.4.0.2:8080");
	if (memchr(auth, '@', alen) != NULL)
		return dib_fail(d, DIB_EINVAL, "url", "must not carry a user "
		    "or password: nodes authenticate with their keys");
	/* The port follows the last ':' after any "[v6 address]". */
	colon = NULL;
	for (i = alen; i > 0; i--) {
		if (auth[i - 1] == ']')
			break;
		if (auth[i - 1] == ':') {
			colon = auth + i - 1;
			break;
		}
	}
	if (colon == auth)
		return dib_fail(d, DIB_EINVAL, "url", "names no host, e.g. "
		    "http://10.4.0.2:8080");
	if (colon != NULL) {
		const char *p = colon + 1, *end = auth + alen;
		long port = 0;

		if (p == end || end - p > 5)
			return dib_fail(d, DIB_EINVAL, "url", "has a bad port");
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return dib_fail(d, DIB_EINVAL, "url",
				    "has a bad port");
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			return dib_fail(d, DIB_EINVAL, "url", "port must be "
			    "1 to 65535, got %ld", port);
	}
	memcpy(out, url, n + 1);
	/* Sync appends paths to it. */
	while (n > skip + alen && out[n - 1] == '/')
		out[--n] = '\0';
	return DIB_OK;
}

int
peer_add(struct store *s, const char *name, const char *nation,
    const char *url, struct dib_diag *d)
{
	char nat[3], u[PEER_URL_MAX + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = peer_name_check(name, d)) != 0)
		return rc;
	if (nation == NULL || strlen(nation) != 2)
		return dib_fail(d, DIB_EINVAL, "nation", "must be an ISO "
		    "3166-1 alpha-2 code like SN or ML, got \"%.20s\"",
		    nation ? nation : "");
	if (util_nation_norm(nation, nat) != 0)
		return dib_fail(d, DIB_EINVAL, "nation", "unknown nation "
		    "\"%s\" (ISO 3166-1 alpha-2, e.g. SN, ML, MR, GN)", nation);
	u[0] = '\0';
	if (url != NULL && *url != '\0' &&
	    (rc = check_url(url, u, sizeof u, d)) != 0)
		return rc;
	/* Names differing only in case would be the same peer to a person. */
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM peers WHERE name = ?1 "
	    "COLLATE NOCASE", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "peers");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rc = dib_fail(d, DIB_EEXIST, "name", "a peer named %s already "
		    "exists (diboli peer list)", (const char *)
		    sqlite3_column_text(st, 0));
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = store_dberr(s, d, "peers");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO peers(name, nation, url, "
	    "added) VALUES(?1, ?2, ?3, ?4)", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "peers");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, nat, -1, SQLITE_STATIC);
	if (u[0] != '\0')
		sqlite3_bind_text(st, 3, u, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, util_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = (sqlite3_extended_errcode(s->db) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY) ? dib_fail(d, DIB_EEXIST,
		    "name", "a peer named %s already exists", name) :
		    store_dberr(s, d, "peers");
	sqlite3_finalize(st);
	return rc;
}

int
peer_remove(struct store *s, const char *name, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK;

	if (name == NULL || *name == '\0')
		return dib_fail(d, DIB_EINVAL, "name", "is required");
	if (sqlite3_prepare_v2(s->db, "DELETE FROM peers WHERE name = ?1", -1,
	    &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "peers");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, d, "peers");
	else if (sqlite3_changes(s->db) == 0)
		rc = dib_fail(d, DIB_ENOTFOUND, "name", "no peer named %.64s "
		    "(diboli peer list)", name);
	sqlite3_finalize(st);
	return rc;
}

static const char peer_cols[] = "SELECT name, nation, coalesce(url, ''), "
    "node, added, coalesce(last_at, 0), coalesce(last_ok, -1), "
    "coalesce(last_result, ''), fails, next_at, coalesce(wait_in, -1), "
    "coalesce(wait_out, -1) FROM peers";

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t ? t : "";
}

static void
row_peer(sqlite3_stmt *st, struct peer *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", col_text(st, 0));
	snprintf(p->nation, sizeof p->nation, "%s", col_text(st, 1));
	snprintf(p->url, sizeof p->url, "%s", col_text(st, 2));
	if (sqlite3_column_bytes(st, 3) == 32) {
		memcpy(p->node_pk, sqlite3_column_blob(st, 3), 32);
		p->has_node = 1;
	}
	p->added = sqlite3_column_int64(st, 4);
	p->last_at = sqlite3_column_int64(st, 5);
	p->last_ok = sqlite3_column_int(st, 6);
	snprintf(p->last_result, sizeof p->last_result, "%s",
	    col_text(st, 7));
	p->fails = sqlite3_column_int64(st, 8);
	p->next_at = sqlite3_column_int64(st, 9);
	p->wait_in = sqlite3_column_int64(st, 10);
	p->wait_out = sqlite3_column_int64(st, 11);
}

int
peer_get(struct store *s, const char *name, struct peer *out,
    struct dib_diag *d)
{
	char sql[sizeof peer_cols + 32];
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK, step;

	memset(out, 0, sizeof *out);
	snprintf(sql, sizeof sql, "%s WHERE name = ?1", peer_cols);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "peers");
	sqlite3_bind_text(st, 1, name ? name : "", -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		row_peer(st, out);
	else if (step == SQLITE_DONE)
		rc = dib_fail(d, DIB_ENOTFOUND, "name", "no peer named %.64s "
		    "(diboli peer list)", name ? name : "");
	else
		rc = store_dberr(s, d, "peers");
	sqlite3_finalize(st);
	return rc;
}

int
peer_list(struct store *s, struct peer **out, size_t *n, struct dib_diag *d)
{
	char sql[sizeof peer_cols + 32];
	sqlite3_stmt *st = NULL;
	struct peer *v = NULL, *nv;
	size_t cap = 0, len = 0;
	int rc = DIB_OK, step;

	*out = NULL;
	*n = 0;
	snprintf(sql, sizeof sql, "%s ORDER BY name", peer_cols);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "peers");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "",
				    "out of memory");
				goto out;
			}
			v = nv;
		}
		row_peer(st, &v[len++]);
	}
	if (step != SQLITE_DONE) {
		rc = store_dberr(s, d, "peers");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
out:
	sqlite3_finalize(st);
	free(v);
	return rc;
}
