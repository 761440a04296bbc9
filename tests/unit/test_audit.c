/*
** Unit tests of audit/: append and verify, the row hash, triggers that
** refuse edits, tampering found (a field changed, a row deleted, rows
** reordered) with the triggers dropped, listing and paging.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "audit/audit.h"
#include "store/store.h"

#define T0 1740124800000LL      /* 2025-02-21T08:00:00Z */

static int
setup(void **state)
{
	struct store *s = NULL;
	struct dib_diag d;

	if (store_open(":memory:", 1, &s, &d) != 0 ||
	    audit_schema(s, &d) != 0 || audit_schema(s, &d) != 0)
		return -1;
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

/* n rows: actor cli:awa or user:bob, action user.add or token.create. */
static void
fill(struct store *s, int n)
{
	struct dib_diag d;
	char target[32];
	int i;

	for (i = 1; i <= n; i++) {
		snprintf(target, sizeof target, "user:u%d", i);
		assert_int_equal(audit_append(s, T0 + i * 1000, i % 2 ?
		    "cli:awa" : "user:bob", i % 3 ? "10.0.0.1" : NULL, i % 2 ?
		    "user.add" : "token.create", target, i == 5 ? "failed" :
		    "ok", "role=analyst name=\"Aïssatou Ndiaye\"", &d), 0);
	}
}

static int
verify(struct store *s, struct audit_report *rep, struct dib_diag *d)
{
	dib_diag_clear(d);
	return audit_verify(s, rep, d);
}

static void
sql(struct store *s, const char *text)
{
	struct dib_diag d;

	if (store_exec(s, text, &d) != 0)
		fail_msg("%s: %s", text, d.msg);
}

static void
drop_triggers(struct store *s)
{
	sql(s, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; "
	    "DROP TRIGGER audit_append_only");
}

static void
test_append_verify(void **state)
{
	struct store *s = *state;
	struct audit_report rep;
	struct dib_diag d;
	uint8_t head[32];
	sqlite3_stmt *st;

	assert_int_equal(verify(s, &rep, &d), 0);
	assert_int_equal(rep.rows, 0);
	assert_true(sodium_is_zero(rep.head, 32));
	fill(s, 10);
	assert_int_equal(verify(s, &rep, &d), 0);
	assert_int_equal(rep.rows, 10);
	assert_int_equal(sqlite3_prepare_v2(s->db, "SELECT hash FROM audit "
	    "WHERE seq = 10", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memcpy(head, sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
	assert_memory_equal(rep.head, head, 32);
	assert_int_equal(store_count(s, "SELECT count(*) FROM audit WHERE "
	    "addr = ''"), 3);
}

static void
put32(crypto_generichash_state *h, const char *text)
{
	uint32_t n = (uint32_t)strlen(text);
	uint8_t b[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16),
	    (uint8_t)(n >> 8), (uint8_t)n};

	crypto_generichash_update(h, b, 4);
	crypto_generichash_update(h, (const unsigned char *)text, n);
}

static void
put64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	crypto_generichash_update(h, b, 8);
}

/* The documented encoding, computed here independently. */
static void
test_row_hash_encoding(void **state)
{
	struct store *s = *state;
	crypto_generichash_state h;
	uint8_t zero[32] = {0}, want1[32], want2[32];
	struct dib_diag d;
	sqlite3_stmt *st;

	assert_int_equal(audit_append(s, T0, "cli:awa", "", "user.add",
	    "user:bob", "ok", "role=viewer", &d), 0);
	assert_int_equal(audit_append(s, T0 + 1, "user:bob", "::1",
	    "session.login", "", "denied", "", &d), 0);
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, zero, 32);
	put64(&h, 1);
	put64(&h, (uint64_t)T0);
	put32(&h, "cli:awa");
	put32(&h, "");
	put32(&h, "user.add");
	put32(&h, "user:bob");
	put32(&h, "ok");
	put32(&h, "role=viewer");
	crypto_generichash_final(&h, want1, 32);
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, want1, 32);
	put64(&h, 2);
	put64(&h, (uint64_t)T0 + 1);
	put32(&h, "user:bob");
	put32(&h, "::1");
	put32(&h, "session.login");
	put32(&h, "");
	put32(&h, "denied");
	put32(&h, "");
	crypto_generichash_final(&h, want2, 32);

	assert_int_equal(sqlite3_prepare_v2(s->db, "SELECT prev, hash FROM "
	    "audit ORDER BY seq", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_memory_equal(sqlite3_column_blob(st, 0), zero, 32);
	assert_memory_equal(sqlite3_column_blob(st, 1), want1, 32);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_memory_equal(sqlite3_column_blob(st, 0), want1, 32);
	assert_memory_equal(sqlite3_column_blob(st, 1), want2, 32);
	sqlite3_finalize(st);
}

static void
test_append_rejects(void **state)
{
	struct store *s = *state;
	struct dib_diag d;
	char big[2100];

	assert_int_equal(audit_append(s, T0, "", "", "x", "", "ok", "", &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "actor");
	assert_int_equal(audit_append(s, T0, NULL, "", "x", "", "ok", "", &d),
	    DIB_EINVAL);
	assert_int_equal(audit_append(s, T0, "a", "", "", "", "ok", "", &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "action");
	assert_int_equal(audit_append(s, T0, "a", "", "x", "", "maybe", "",
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "result");
	assert_int_equal(audit_append(s, T0, "a", "", "x", "", NULL, "", &d),
	    DIB_EINVAL);
	assert_int_equal(audit_append(s, T0, "a", "", "x", "\xc3", "ok", "",
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "target");
	assert_int_equal(audit_append(s, T0, "a\nb", "", "x", "", "ok", "",
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "actor");
	memset(big, 'x', 201);
	big[201] = '\0';
	assert_int_equal(audit_append(s, T0, "a", "", "x", big, "ok", "", &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "target");
	assert_int_equal(audit_append(s, T0, "a", "", "x", "", "ok", big, &d),
	    0);
	memset(big, 'x', 2001);
	big[2001] = '\0';
	assert_int_equal(audit_append(s, T0, "a", "", "x", "", "ok", big, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "detail");
	/* Tab and newline are fine in detail only. */
	assert_int_equal(audit_append(s, T0, "a", "", "x", "", "ok",
	    "line 1\n\tline 2", &d), 0);
	assert_int_equal(store_count(s, "SELECT count(*) FROM audit"), 2);
}

static void
test_clip(void **state)
{
	char out[8];

	(void)state;
	assert_string_equal(audit_clip(out, sizeof out, NULL), "");
	assert_string_equal(audit_clip(out, sizeof out, "abc"), "abc");
	assert_string_equal(audit_clip(out, sizeof out, "abcdefghij"),
	    "abcdefg");
	/* Not inside a character: "ééé" + "é" would need 8 bytes. */
	assert_string_equal(audit_clip(out, sizeof out, "ééééé"), "ééé");
	assert_string_equal(audit_clip(out, sizeof out, "a\nb\x01"), "a?b?");
	assert_string_equal(audit_clip(out, sizeof out, "\xff\xc3(x"),
	    "?\?(x");
	assert_string_equal(audit_clip(out, sizeof out, "\xed\xa0\x80z"),
	    "???z");
	assert_string_equal(audit_clip(out, sizeof out, "ab\xe2\x82"),
	    "ab??");
	/* In place. */
	snprintf(out, sizeof out, "x\xffé\ty");
	assert_string_equal(audit_clip(out, sizeof out, out), "x?é?y");
}

/* Inside a caller's transaction: rolled back with it; a failure inside
** one leaves the caller's transaction usable. */
static void
test_transaction(void **state)
{
	struct store *s = *state;
	struct audit_report rep;
	struct dib_diag d;

	fill(s, 2);
	assert_int_equal(store_begin(s, &d), 0);
	assert_int_equal(audit_append(s, T0, "a", "", "x", "", "ok", "", &d),
	    0);
	store_rollback(s);
	assert_int_equal(store_count(s, "SELECT count(*) FROM audit"), 2);
	assert_int_equal(store_begin(s, &d), 0);
	assert_int_equal(audit_append(s, T0, "a", "", "x", "", "ok", "", &d),
	    0);
	assert_int_equal(audit_append(s, T0, "a", "", "x", "", "??", "", &d),
	    DIB_EINVAL);
	assert_int_equal(audit_append(s, T0, "a", "", "y", "", "ok", "", &d),
	    0);
	assert_int_equal(store_commit(s, &d), 0);
	assert_int_equal(store_count(s, "SELECT count(*) FROM audit"), 4);
	assert_int_equal(verify(s, &rep, &d), 0);
	assert_int_equal(rep.rows, 4);
}

static void
test_triggers(void **state)
{
	struct store *s = *state;
	struct dib_diag d;

	fill(s, 3);
	assert_int_equal(store_exec(s, "UPDATE audit SET result = 'ok' WHERE "
	    "seq = 2", &d), DIB_EDB);
	assert_non_null(strstr(d.msg, "cannot be changed"));
	assert_int_equal(store_exec(s, "DELETE FROM audit WHERE seq = 3", &d),
	    DIB_EDB);
	assert_non_null(strstr(d.msg, "cannot be deleted"));
	assert_int_equal(store_exec(s, "DELETE FROM audit", &d), DIB_EDB);
	/* REPLACE would delete without the delete trigger. */
	assert_int_equal(store_exec(s, "INSERT OR REPLACE INTO audit SELECT "
	    "seq, at, actor, addr, action, target, 'denied', detail, prev, "
	    "hash FROM audit WHERE seq = 2", &d), DIB_EDB);
	assert_int_equal(store_exec(s, "INSERT INTO audit(seq, at, actor, "
	    "action, result, prev, hash) VALUES(1, 0, 'a', 'b', 'ok', x'', "
	    "x'')", &d), DIB_EDB);
	assert_int_equal(store_count(s, "SELECT count(*) FROM audit"), 3);
	assert_int_equal(store_count(s, "SELECT count(*) FROM audit WHERE "
	    "result = 'ok'"), 3);
}

static void
test_tamper_field(void **state)
{
	struct store *s = *state;
	struct audit_report rep;
	struct dib_diag d;

	fill(s, 20);
	drop_triggers(s);
	sql(s, "UPDATE audit SET result = 'ok' WHERE seq = 5");
	assert_int_equal(verify(s, &rep, &d), DIB_ETAMPER);
	assert_string_equal(d.msg, "audit row 5: hash does not match its "
	    "content");
	assert_int_equal(rep.rows, 4);
	sql(s, "UPDATE audit SET result = 'failed' WHERE seq = 5");
	assert_int_equal(verify(s, &rep, &d), 0);
	sql(s, "UPDATE audit SET at = at + 1 WHERE seq = 17");
	assert_int_equal(verify(s, &rep, &d), DIB_ETAMPER);
	assert_string_equal(d.msg, "audit row 17: hash does not match its "
	    "content");
	sql(s, "UPDATE audit SET at = at - 1 WHERE seq = 17");
	sql(s, "UPDATE audit SET detail = detail || ' ' WHERE seq = 20");
	assert_int_equal(verify(s, &rep, &d), DIB_ETAMPER);
	assert_non_null(strstr(d.msg, "audit row 20:"));
	sql(s, "UPDATE audit SET detail = rtrim(detail) WHERE seq = 20");
	/* An edit with its hash overwritten too is still named. */
	sql(s, "UPDATE audit SET actor = 'cli:x', hash = zeroblob(32) "
	    "WHERE seq = 8");
	assert_int_equal(verify(s, &rep, &d), DIB_ETAMPER);
	assert_non_null(strstr(d.msg, "audit row 8:"));
}

static void
test_tamper_delete(void **state)
{
	struct store *s = *state;
	struct audit_report rep;
	struct dib_diag d;

	fill(s, 20);
	drop_triggers(s);
	sql(s, "DELETE FROM audit WHERE seq = 12");
	assert_int_equal(verify(s, &rep, &d), DIB_ETAMPER);
	assert_string_equal(d.msg, "audit row 13: chain broken (rows missing "
	    "or reordered)");
	assert_int_equal(rep.rows, 11);
}

static void
test_tamper_delete_first(void **state)
{
	struct store *s = *state;
	struct audit_report rep;
	struct dib_diag d;

	fill(s, 5);
	drop_triggers(s);
	sql(s, "DELETE FROM audit WHERE seq = 1");
	assert_int_equal(verify(s, &rep, &d), DIB_ETAMPER);
	assert_string_equal(d.msg, "audit row 2: chain broken (rows missing "
	    "or reordered)");
	/* Renumbered to hide the gap: the hash covers seq. */
	sql(s, "UPDATE audit SET seq = seq - 1");
	assert_int_equal(verify(s, &rep, &d), DIB_ETAMPER);
	assert_non_null(strstr(d.msg, "audit row 1:"));
}

static void
test_tamper_reorder(void **state)
{
	struct store *s = *state;
	struct audit_report rep;
	struct dib_diag d;

	fill(s, 10);
	drop_triggers(s);
	/* Swap rows 6 and 7 whole, seq included. */
	sql(s, "UPDATE audit SET seq = -6 WHERE seq = 6;"
	    "UPDATE audit SET seq = 6 WHERE seq = 7;"
	    "UPDATE audit SET seq = 7 WHERE seq = -6");
	assert_int_equal(verify(s, &rep, &d), DIB_ETAMPER);
	assert_string_equal(d.msg, "audit row 6: chain broken (rows missing "
	    "or reordered)");
	assert_int_equal(rep.rows, 5);
}

static void
test_list(void **state)
{
	struct store *s = *state;
	struct audit_query q;
	struct dib_diag d;
	json_t *rows, *r;

	fill(s, 30);
	memset(&q, 0, sizeof q);
	assert_int_equal(audit_list(s, &q, &rows, &d), 0);
	assert_int_equal(json_array_size(rows), 30);
	r = json_array_get(rows, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "seq")), 30);
	assert_string_equal(json_string_value(json_object_get(r, "at")),
	    "2025-02-21T08:00:30Z");
	assert_string_equal(json_string_value(json_object_get(r, "actor")),
	    "user:bob");
	assert_string_equal(json_string_value(json_object_get(r, "addr")), "");
	assert_string_equal(json_string_value(json_object_get(r, "action")),
	    "token.create");
	assert_string_equal(json_string_value(json_object_get(r, "target")),
	    "user:u30");
	assert_string_equal(json_string_value(json_object_get(r, "result")),
	    "ok");
	assert_string_equal(json_string_value(json_object_get(r, "detail")),
	    "role=analyst name=\"Aïssatou Ndiaye\"");
	assert_int_equal(json_object_size(r), 8);
	json_decref(rows);

	q.limit = 5;
	assert_int_equal(audit_list(s, &q, &rows, &d), 0);
	assert_int_equal(json_array_size(rows), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    rows, 4), "seq")), 26);
	json_decref(rows);

	/* Paging forward. */
	q.after_seq = 26;
	assert_int_equal(audit_list(s, &q, &rows, &d), 0);
	assert_int_equal(json_array_size(rows), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    rows, 0), "seq")), 27);
	json_decref(rows);

	memset(&q, 0, sizeof q);
	q.actor = "cli:awa";
	q.action = "user.add";
	q.has_from = 1;
	q.from = T0 + 10000;
	q.has_to = 1;
	q.to = T0 + 20000;
	assert_int_equal(audit_list(s, &q, &rows, &d), 0);
	/* Odd seqs 11..19. */
	assert_int_equal(json_array_size(rows), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    rows, 0), "seq")), 19);
	json_decref(rows);

	q.actor = "nobody";
	assert_int_equal(audit_list(s, &q, &rows, &d), 0);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);

	memset(&q, 0, sizeof q);
	q.limit = AUDIT_LIST_MAX + 1;
	assert_int_equal(audit_list(s, &q, &rows, &d), DIB_EINVAL);
	assert_null(rows);
	assert_string_equal(d.field, "limit");
}

/* Text made invalid in the file still lists as valid JSON. */
static void
test_list_damaged(void **state)
{
	struct store *s = *state;
	struct audit_query q;
	struct dib_diag d;
	json_t *rows;

	fill(s, 2);
	drop_triggers(s);
	sql(s, "UPDATE audit SET actor = CAST(x'61ff62' AS TEXT) WHERE "
	    "seq = 2");
	memset(&q, 0, sizeof q);
	assert_int_equal(audit_list(s, &q, &rows, &d), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    rows, 0), "actor")), "a?b");
	json_decref(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_verify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_row_hash_encoding, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_append_rejects, setup,
		    teardown),
		cmocka_unit_test(test_clip),
		cmocka_unit_test_setup_teardown(test_transaction, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_field, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_reorder, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_damaged, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
