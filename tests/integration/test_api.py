"""HTTP API integration tests: the real `diboli serve` on a free loopback
port with its own temporary node. Authentication and sessions, records
(single, bulk, paging, supersede, retract, CSV), the permission matrix of
every route of the routes table for every role, bad input of every kind
(always a 4xx with a JSON error, never a 5xx, the server still up), and
durability across kill -9 and SIGTERM."""
import csv
import datetime as dt
import http.client
import io
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403
from server import (ROLES, Api, Server, add_user, create_token,  # noqa: E402
                    log_verify, make_users, new_node, revoke_tokens)

import requests  # noqa: E402

API = "/api/v1"
HERE = os.path.dirname(os.path.abspath(__file__))
API_C = os.path.join(HERE, "..", "..", "src", "http", "api.c")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")
CSV_HEADER = ["id", "observed_at", "category", "precedence", "lat", "lon",
              "mgrs", "audience", "origin_nation", "attributes"]
BASE_T = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)


def at(minutes):
    """RFC 3339 UTC, minutes after 2025-03-01T00:00:00Z."""
    t = BASE_T + dt.timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_t(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc)


def sight(i=0, lat=14.467, lon=-12.217, when=None, **attrs):
    """A valid armed group sighting."""
    a = {"strength": i % 10000, "direction": "NE"}
    a.update(attrs)
    return {"category": "security.armed_group.sighting",
            "observed_at": when or "2025-02-21T08:00:00Z",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "attributes": a}


SIGHT = {"category": "security.armed_group.sighting",
         "observed_at": "2025-02-21T08:00:00Z",
         "location": "14.467 -12.217",
         "attributes": {"strength": 12, "direction": "NE"}}


def show(r):
    if r is None:
        return "no response"
    return f"{r.status_code} {r.headers.get('Content-Type')} {r.text[:300]!r}"


def check_error(r, status, code=None, field=None):
    """A JSON error {"error": {"code", "message", "field"}} with status
    (an int or a set); field, if given, must equal the error's field."""
    want = status if isinstance(status, (set, frozenset)) else {status}
    assert r.status_code in want, f"want {sorted(want)}, got {show(r)}"
    assert r.headers.get("Content-Type", "").startswith(
        "application/json"), show(r)
    e = r.json().get("error")
    assert isinstance(e, dict), show(r)
    for k in ("code", "message", "field"):
        assert isinstance(e.get(k), str), f"error.{k} missing: {show(r)}"
    assert e["message"], show(r)
    if code is not None:
        assert e["code"] == code, f"want code {code}: {show(r)}"
    if field is not None:
        assert e["field"] == field, f"want field {field!r}: {show(r)}"
    return e


def counts(api):
    r = api.get(API + "/node")
    assert r.status_code == 200, show(r)
    return r.json()["counts"]


def post_ok(api, recs):
    """Post records (a list: bulk) and return their ids."""
    r = api.post(API + "/records", {"records": recs})
    assert r.status_code == 201, show(r)
    ids = r.json()["ids"]
    assert len(ids) == len(recs)
    return ids


# ---------------------------------------------------------------------------
# 1. Basics: health, login, cookie, session, logout, bearer, revoked token.

def test_basics():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["viewer", "reporter"])
        second = create_token(d, "reporter")
        with Server(d) as srv:
            anon = Api(srv.url)
            r = anon.get(API + "/health")
            assert r.status_code == 200, show(r)
            assert r.headers["Content-Type"].startswith("application/json")
            assert r.json()["status"] == "ok"
            assert r.headers.get("X-Content-Type-Options") == "nosniff"

            # A wrong password and an unknown login answer alike.
            wrong = anon.post(API + "/session", {
                "login": "reporter", "password": "pas-le-bon-mot-de-passe"})
            unknown = anon.post(API + "/session", {
                "login": "personne", "password": "pas-le-bon-mot-de-passe"})
            e1 = check_error(wrong, 401, "unauthenticated")
            e2 = check_error(unknown, 401, "unauthenticated")
            assert e1 == e2, (e1, e2)
            assert "Set-Cookie" not in wrong.headers
            assert "Set-Cookie" not in unknown.headers

            # Login: the cookie and its attributes.
            s = Api.login(srv.url, "reporter", users["reporter"][0])
            lr = s.login_response
            assert lr.headers["Content-Type"].startswith("application/json")
            sc = lr.headers["Set-Cookie"]
            attrs = [a.strip() for a in sc.split(";")]
            low = [a.lower() for a in attrs]
            assert attrs[0].startswith("diboli_session="), sc
            assert "httponly" in low, sc
            assert "samesite=strict" in low, sc
            assert "path=/" in low, sc
            assert "secure" not in low, sc  # plain HTTP on loopback
            body = lr.json()
            assert body["csrf"] and body["csrf"] != s.cookie
            assert body["user"]["login"] == "reporter"
            assert body["user"]["role"] == "reporter"
            exp = body["expires_at"]
            assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
                            exp), exp
            assert s.cookie not in lr.text  # the token is only in the cookie

            # A second login is a second session, with its own tokens.
            s2 = Api.login(srv.url, "reporter", users["reporter"][0])
            assert s2.cookie != s.cookie and s2.csrf != s.csrf
            r = s2.req("HEAD", API + "/session")
            assert r.status_code == 200 and r.content == b"", show(r)

            # GET /session
            r = s.get(API + "/session")
            assert r.status_code == 200, show(r)
            who = r.json()
            assert who["login"] == "reporter" and who["role"] == "reporter"
            assert who["csrf"] == s.csrf
            # A write with the cookie and its CSRF token.
            r = s.post(API + "/records", SIGHT)
            assert r.status_code == 201, show(r)

            # Logout: 204, the cookie is cleared and no longer works.
            r = s.delete(API + "/session")
            assert r.status_code == 204, show(r)
            assert r.content == b""
            sc = r.headers.get("Set-Cookie", "")
            assert sc.startswith("diboli_session=;") or \
                sc.startswith("diboli_session=\"\";"), sc
            assert "max-age=0" in sc.lower(), sc
            for path in ("/session", "/node", "/records"):
                r = s.get(API + path)
                check_error(r, 401, "unauthenticated")
                # The stale cookie is cleared; a challenge is given.
                assert "max-age=0" in r.headers.get("Set-Cookie",
                                                    "").lower(), r.headers
                assert r.headers.get("WWW-Authenticate", "").startswith(
                    "Bearer"), r.headers
            # Open routes ignore a stale cookie: it never locks anyone out.
            assert s.get(API + "/health").status_code == 200
            assert s.delete(API + "/session").status_code == 204
            r = s.post(API + "/session", {"login": "reporter",
                                          "password": users["reporter"][0]})
            assert r.status_code == 200, show(r)
            check_error(s.post(API + "/records", SIGHT), 401,
                        "unauthenticated")

            # A bearer token.
            b = Api(srv.url, token=users["viewer"][1])
            r = b.get(API + "/session")
            assert r.status_code == 200, show(r)
            assert r.json()["login"] == "viewer"
            assert r.json()["role"] == "viewer"
            assert r.json()["csrf"] == ""
            assert b.get(API + "/node").status_code == 200
            # A bearer write needs no CSRF token.
            rb = Api(srv.url, token=users["reporter"][1])
            r = rb.post(API + "/records", SIGHT)
            assert r.status_code == 201, show(r)

            # Revoked: 401 at once; the other tokens still work.
            revoke_tokens(d, "viewer")
            check_error(b.get(API + "/session"), 401, "unauthenticated")
            check_error(b.get(API + "/node"), 401, "unauthenticated")
            r = Api(srv.url, token=second).get(API + "/session")
            assert r.status_code == 200 and r.json()["login"] == "reporter"

            # Credentials that are not credentials.
            for h in ({"Authorization": "Bearer " + "A" * 43},
                      {"Authorization": "Basic cmVwb3J0ZXI6eA=="},
                      {"Authorization": "Bearer"},
                      {"Cookie": "diboli_session=" + "B" * 43}):
                check_error(anon.get(API + "/node", headers=h), 401,
                            "unauthenticated")
                assert anon.get(API + "/health",
                                headers=h).status_code == 200
            # No credentials at all on a protected route.
            check_error(anon.get(API + "/node"), 401, "unauthenticated")

            # Throttle: 5 failures of a login are free; the next attempt
            # within 1 s is refused (429), even with the right password;
            # after the wait the right password opens a session.
            add_user(d, "lent", "viewer", "le-bon-mot-de-passe")
            for i in range(5):
                check_error(anon.post(API + "/session", {
                    "login": "lent", "password": f"mauvais-{i:06d}"}), 401,
                    "unauthenticated")
            t5 = time.monotonic()
            check_error(anon.post(API + "/session", {
                "login": "lent", "password": "le-bon-mot-de-passe"}), 429,
                "throttled")
            time.sleep(max(0.0, 1.2 - (time.monotonic() - t5)))
            r = anon.post(API + "/session", {
                "login": "lent", "password": "le-bon-mot-de-passe"})
            assert r.status_code == 200, show(r)
            rc, took = srv.stop()
            assert rc == 0, (rc, srv.stderr())


# ---------------------------------------------------------------------------
# 2. Records.

def test_records_create_get_bulk():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["analyst"])
        with Server(d) as srv:
            a = Api(srv.url, token=users["analyst"][1])
            r = a.post(API + "/records", SIGHT)
            assert r.status_code == 201, show(r)
            rid = r.json()["id"]
            assert UUID_RE.match(rid), rid
            assert r.json()["ids"] == [rid]
            loc = r.headers.get("Location", "")
            assert loc.endswith(f"{API}/records/{rid}"), loc
            path = urllib.parse.urlsplit(loc).path

            r = a.get(path)
            assert r.status_code == 200, show(r)
            assert r.headers["Content-Type"].startswith(
                "application/geo+json"), r.headers
            f = r.json()
            assert f["type"] == "Feature" and f["id"] == rid
            assert f["geometry"]["type"] == "Point"
            lon, lat = f["geometry"]["coordinates"]
            assert abs(lon + 12.217) < 1e-6 and abs(lat - 14.467) < 1e-6
            p = f["properties"]
            assert p["category"] == "security.armed_group.sighting"
            assert p["observed_at"] == "2025-02-21T08:00:00Z"
            assert p["attributes"] == {"strength": 12, "direction": "NE"}
            assert p["status"] == "current"
            assert p.get("mgrs", "").startswith("28P"), p
            assert "geometry" not in p

            # A bulk of 1,000.
            before = counts(a)
            recs = [sight(i, 14.0 + i / 10000, -12.3, at(i)) for i in
                    range(1000)]
            r = a.post(API + "/records", {"records": recs})
            assert r.status_code == 201, show(r)
            ids = r.json()["ids"]
            assert len(ids) == 1000 and len(set(ids)) == 1000
            assert all(UUID_RE.match(i) for i in ids)
            assert "Location" not in r.headers
            after = counts(a)
            assert after["records"] == before["records"] + 1000
            assert after["current"] == before["current"] + 1000
            # The ids are in the order of the records.
            for k in (0, 499, 999):
                f = a.get(f"{API}/records/{ids[k]}").json()
                assert f["properties"]["attributes"]["strength"] == k
                assert f["properties"]["observed_at"] == at(k)

            # Exactly 10,000: the most one request takes.
            r = a.post(API + "/records", {"records": [SIGHT] * 10000})
            assert r.status_code == 201, show(r)
            assert len(set(r.json()["ids"])) == 10000
            # A chunked body (no Content-Length).
            data = json.dumps(SIGHT).encode()
            r = a.req("POST", API + "/records", data=iter(
                [data[:10], data[10:]]), headers={
                    "Content-Type": "application/json; charset=utf-8"})
            assert r.status_code == 201, show(r)

            # One bad record in a bulk: 422 naming it, nothing written.
            for bad, field in (
                    (dict(sight(37), attributes={"strength": "beaucoup"}),
                     "records[37].attributes.strength"),
                    (dict(sight(37), attributes={"colour": "red"}),
                     "records[37].attributes.colour"),
                    (dict(sight(37), observed_at="2025-02-30T08:00:00Z"),
                     "records[37].observed_at"),
                    (dict(sight(37), location="91 -12"),
                     "records[37].location")):
                many = [sight(i, when=at(i)) for i in range(100)]
                many[37] = bad
                before = counts(a)
                r = a.post(API + "/records", {"records": many})
                e = check_error(r, 422, "invalid")
                assert e["field"].startswith(field), (field, e)
                assert counts(a) == before
            # The records after the bad one were not written either.
            r = a.get(API + "/records", params={
                "datetime": f"{at(38)}/{at(99)}",
                "bbox": "-12.22,14.46,-12.21,14.47"})
            assert r.status_code == 200, show(r)
            assert r.json()["numberReturned"] == 0, r.text[:500]
            rc, _ = srv.stop()
            assert rc == 0
        v = log_verify(d)
        assert v.rc == 0, v


def test_list_paging():
    """bbox + datetime + category with limit and cursor over ~250
    records: each visited exactly once, in order, though records are
    inserted between and during the pages."""
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["reporter"])
        rng = random.Random(7)
        with Server(d) as srv:
            a = Api(srv.url, token=users["reporter"][1])
            W, S, E, N = -12.5, 14.0, -12.0, 14.5
            window = (at(0), at(5 * 1440 - 1))
            match = []
            for i in range(248):
                lat = round(rng.uniform(S + 0.001, N - 0.001), 6)
                lon = round(rng.uniform(W + 0.001, E - 0.001), 6)
                # Pairs share a time: ties are broken by id.
                match.append(sight(i, lat, lon, at((i // 2) * 55 + 1)))
            # On the edges: inclusive.
            match.append(sight(900, 14.25, W, at(100)))
            match.append(sight(901, N, -12.25, at(100)))
            noise = []
            for i in range(30):
                noise.append(sight(i, 14.2, -11.5, at(i * 60)))   # east
                noise.append(sight(i, 13.5, -12.2, at(i * 60)))   # south
                noise.append(sight(i, 14.2, -12.2,                # before
                                   "2025-02-20T10:00:00Z"))
                noise.append(sight(i, 14.2, -12.2, at(6 * 1440 + i)))
                noise.append({"category": "corridor.transit_count",
                              "observed_at": at(i * 60),
                              "location": "14.2 -12.2",
                              "attributes": {"trucks": i,
                                             "period_hours": 2}})
            ids = post_ok(a, match[:120]) + post_ok(a, noise) + \
                post_ok(a, match[120:])
            want = set(ids[:120] + ids[120 + len(noise):])
            assert len(want) == 250
            params = {"bbox": f"{W},{S},{E},{N}",
                      "datetime": f"{window[0]}/{window[1]}",
                      "category": "security", "limit": "40"}

            # Writers during the paging: matching records, older and
            # newer than any cursor.
            stop = threading.Event()
            inserted, werr = [], []

            def writer():
                w = Api(srv.url, token=users["reporter"][1])
                k = 0
                while not stop.is_set():
                    k += 1
                    recs = [sight(k, rng.uniform(14.1, 14.4),
                                  rng.uniform(-12.4, -12.1),
                                  at(rng.randrange(0, 5 * 1440)))
                            for _ in range(5)]
                    r = w.post(API + "/records", {"records": recs})
                    if r.status_code != 201:
                        werr.append(show(r))
                        return
                    inserted.extend(r.json()["ids"])
                    time.sleep(0.005)

            t = threading.Thread(target=writer)
            t.start()
            seen, order, pages = [], [], 0
            url = srv.url + API + "/records"
            try:
                r = a.s.get(url, params=params, headers=a.headers({}),
                            timeout=30)
                while True:
                    assert r.status_code == 200, show(r)
                    assert r.headers["Content-Type"].startswith(
                        "application/geo+json")
                    fc = r.json()
                    pages += 1
                    assert fc["type"] == "FeatureCollection"
                    assert fc["numberReturned"] == len(fc["features"])
                    assert len(fc["features"]) <= 40
                    for f in fc["features"]:
                        p = f["properties"]
                        lon, lat = f["geometry"]["coordinates"]
                        assert W <= lon <= E and S <= lat <= N, f
                        assert window[0] <= p["observed_at"] <= window[1]
                        assert p["category"].startswith("security."), p
                        seen.append(f["id"])
                        order.append((p["observed_at"], f["id"]))
                    nxt = [l for l in fc.get("links", [])
                           if l.get("rel") == "next"]
                    if not nxt:
                        break
                    assert pages < 100, "paging does not end"
                    # One more matching record between the pages, newer
                    # and older than the cursor.
                    post_ok(a, [sight(1, 14.3, -12.3, at(3 * 1440)),
                                sight(2, 14.3, -12.3, at(10))])
                    href = nxt[0]["href"]
                    r = a.s.get(urllib.parse.urljoin(srv.url, href),
                                headers=a.headers({}), timeout=30)
            finally:
                stop.set()
                t.join()
            assert not werr, werr
            assert len(inserted) > 0
            assert pages >= 7, pages
            dup = {i for i in seen if seen.count(i) > 1}
            assert not dup, f"visited twice: {sorted(dup)[:5]}"
            missing = want - set(seen)
            assert not missing, f"{len(missing)} never visited"
            # Newest first, ties by id descending, across all pages.
            assert order == sorted(order, reverse=True), "out of order"
            assert len(set(order)) == len(order)

            # Now that nothing is written: one page holds everything.
            r = a.get(API + "/records", params=dict(params, limit="10000"))
            allnow = [f["id"] for f in r.json()["features"]]
            assert set(want) <= set(allnow)
            assert "next" not in [l["rel"] for l in r.json()["links"]]
            # limit 1: exactly one and a next link
            r = a.get(API + "/records", params=dict(params, limit="1"))
            fc = r.json()
            assert fc["numberReturned"] == 1
            assert [l["rel"] for l in fc["links"]] == ["next"]

            # The next link keeps the query as asked, whatever its
            # characters ('+' of an offset, spaces, '&').
            q = {"datetime": "2025-03-01T01:00:00+01:00/"
                             "2025-03-06T00:00:00+01:00",
                 "category": "security", "limit": "3"}
            r = a.get(API + "/records", params=q)
            assert r.status_code == 200, show(r)
            href = [l for l in r.json()["links"] if l["rel"] == "next"][0][
                "href"]
            got = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
            assert got.get("datetime") == [q["datetime"]], href
            r = a.s.get(urllib.parse.urljoin(srv.url, href),
                        headers=a.headers({}), timeout=30)
            assert r.status_code == 200, f"next link {href}: {show(r)}"


def test_supersede_retract():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["analyst"])
        with Server(d) as srv:
            a = Api(srv.url, token=users["analyst"][1])
            A = post_ok(a, [dict(sight(12), audience=["SN", "ML"])])[0]
            r = a.post(f"{API}/records/{A}/supersede",
                       dict(sight(15), audience=["SN", "ML"]))
            assert r.status_code == 201, show(r)
            B = r.json()["id"]
            assert UUID_RE.match(B) and B != A
            assert r.headers.get("Location", "").endswith(
                f"{API}/records/{B}"), r.headers
            old = a.get(f"{API}/records/{A}").json()["properties"]
            new = a.get(f"{API}/records/{B}").json()["properties"]
            assert old["status"] == "superseded", old
            assert old["superseded_by"] == B, old
            assert new["status"] == "current" and new["supersedes"] == A
            assert new["attributes"]["strength"] == 15
            assert new["audience"] == ["ML", "SN"]
            # Twice: the old one is no longer current.
            check_error(a.post(f"{API}/records/{A}/supersede", sight(16)),
                        409, "conflict")
            check_error(a.post(f"{API}/records/{A}/retract",
                               {"reason": "x"}), 409, "conflict")
            # Narrowing the audience is refused; "supersedes" is the
            # server's to set.
            check_error(a.post(f"{API}/records/{B}/supersede",
                               dict(sight(17), audience=["SN"])), 422,
                        "invalid", "audience")
            check_error(a.post(f"{API}/records/{B}/supersede",
                               dict(sight(17), supersedes=A)), 422,
                        "invalid", "supersedes")
            assert counts(a)["records"] == 2

            # Eight analysts supersede the same record at once: one wins.
            X = post_ok(a, [sight(30)])[0]
            got, lock = [], threading.Lock()

            def race(k):
                c = Api(srv.url, token=users["analyst"][1])
                rr = c.post(f"{API}/records/{X}/supersede", sight(40 + k))
                with lock:
                    got.append(rr.status_code)
            ts = [threading.Thread(target=race, args=(k,)) for k in range(8)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            assert sorted(got) == [201] + [409] * 7, got
            assert counts(a)["records"] == 4

            r = a.post(f"{API}/records/{B}/retract",
                       {"reason": "Doublon du rapport 12"})
            assert r.status_code == 201, show(r)
            C = r.json()["id"]
            assert UUID_RE.match(C) and C not in (A, B)
            assert r.headers.get("Location", "").endswith(
                f"{API}/records/{C}"), r.headers
            gone = a.get(f"{API}/records/{B}").json()["properties"]
            assert gone["status"] == "retracted", gone
            assert gone["reason"] == "Doublon du rapport 12", gone
            check_error(a.post(f"{API}/records/{B}/retract",
                               {"reason": "encore"}), 409, "conflict")
            check_error(a.post(f"{API}/records/{B}/supersede", sight(1)),
                        409, "conflict")
            # A retraction cannot be changed either.
            check_error(a.post(f"{API}/records/{C}/retract",
                               {"reason": "x"}), 409, "conflict")
            check_error(a.post(f"{API}/records/{C}/supersede", sight(1)),
                        409, "conflict")
            r = a.get(API + "/records", params={"limit": "10000"})
            listed = {f["id"] for f in r.json()["features"]}
            assert not listed & {A, B, X}, listed
            c = counts(a)
            assert c["superseded"] == 2 and c["retracted"] == 1, c
            assert c["current"] == 1, c
            rc, _ = srv.stop()
            assert rc == 0
        assert log_verify(d).rc == 0


def test_csv_export():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["analyst"])
        with Server(d) as srv:
            a = Api(srv.url, token=users["analyst"][1])
            recs = [sight(i, 14.0 + i / 1000, -12.3, at(i * 7),
                          remarks=f'note "{i}", avec virgule; é') for i in
                    range(300)]
            recs.append({"category": "environment.water.sample",
                         "observed_at": at(5), "location": "14.45 -12.21",
                         "attributes": {"ph": 7.1, "mercury_ugl": 7.5}})
            ids = post_ok(a, recs)
            # One retracted: not exported.
            r = a.post(f"{API}/records/{ids[0]}/retract", {"reason": "test"})
            assert r.status_code == 201, show(r)
            r = a.get(API + "/records.csv")
            assert r.status_code == 200, show(r)
            assert r.headers["Content-Type"].startswith("text/csv"), \
                r.headers
            assert "attachment" in r.headers.get("Content-Disposition", "")
            text = r.content.decode("utf-8")
            rows = list(csv.reader(io.StringIO(text, newline="")))
            assert rows[0] == CSV_HEADER, rows[0]
            body = rows[1:]
            assert len(body) == 300, len(body)
            got = {row[0] for row in body}
            assert got == set(ids[1:]), "the export is not the current set"
            for row in body:
                assert len(row) == len(CSV_HEADER), row
                rec = dict(zip(CSV_HEADER, row))
                assert UUID_RE.match(rec["id"])
                parse_t(rec["observed_at"])
                float(rec["lat"]), float(rec["lon"])
                assert rec["origin_nation"] == "SN"
                assert "SN" in rec["audience"]
                attrs = json.loads(rec["attributes"])
                assert isinstance(attrs, dict)
                if rec["category"] == "security.armed_group.sighting":
                    i = attrs["strength"]
                    assert attrs["remarks"] == f'note "{i}", avec virgule; é'
                    assert rec["mgrs"].startswith("28P")
            # Filters apply to the export as to the list.
            q = {"bbox": "-12.4,14.1,-12.2,14.2", "category": "security"}
            r = a.get(API + "/records.csv", params=q)
            assert r.status_code == 200, show(r)
            sub = list(csv.DictReader(io.StringIO(r.text, newline="")))
            lst = a.get(API + "/records", params=dict(q, limit="10000"))
            assert {x["id"] for x in sub} == \
                {f["id"] for f in lst.json()["features"]}
            assert 50 < len(sub) < 150, len(sub)
            # Full text and limit.
            r = a.get(API + "/records.csv", params={"q": "virgule"})
            assert r.status_code == 200, show(r)
            words = {x["id"] for x in csv.DictReader(io.StringIO(
                r.text, newline=""))}
            assert words == set(ids[1:300]), len(words)
            lst = a.get(API + "/records", params={"q": "virgule",
                                                  "limit": "10000"})
            assert {f["id"] for f in lst.json()["features"]} == words
            r = a.get(API + "/records.csv", params={"limit": "7"})
            assert r.status_code == 200, show(r)
            assert len(list(csv.reader(io.StringIO(r.text, newline="")))) \
                == 8, r.text
            check_error(a.get(API + "/records.csv",
                              params={"bbox": "1,2,3"}), 400, field="bbox")
            check_error(a.get(API + "/records.csv",
                              params={"cursor": "1_" + "0" * 32}), 400,
                        field="cursor")


# ---------------------------------------------------------------------------
# 3. The permission matrix, from the routes table of src/http/api.c.

ROUTE_RE = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*API\s*"([^"]*)"\s*,\s*(\w+)\s*,'
                      r'\s*(\w+)\s*\}')
PERMS_MD = os.path.join(HERE, "..", "..", "docs", "permissions.md")


def perm_min():
    """The least role holding each permission, from the matrix of
    docs/permissions.md ("| `read` | ... | ✓ | ✓ | ✓ | ✓ | ✓ |")."""
    out = {}
    with open(PERMS_MD, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\| `(\w+)` \|[^|]*\|(.*)\|\s*$", line)
            if not m:
                continue
            cells = [c.strip() for c in m.group(2).split("|")]
            assert len(cells) == len(ROLES), line
            least = cells.index("✓")
            # Each role holds every permission of the one before.
            assert all(c == "✓" for c in cells[least:]), line
            out["AUTH_" + m.group(1).upper()] = ROLES[least]
    # What the brief says, as a check on the parsing.
    for perm, role in (("AUTH_READ", "viewer"), ("AUTH_CREATE", "reporter"),
                       ("AUTH_CHANGE", "analyst"),
                       ("AUTH_EXPORT", "analyst"), ("AUTH_AUDIT", "admin")):
        assert out.get(perm) == role, (perm, out)
    return out


PERM_MIN = perm_min()


def parse_routes():
    with open(API_C) as f:
        text = f.read()
    start = text.index("routes[] = {")
    end = text.index("};", start)
    routes = [(m, API + p, fn, perm) for m, p, fn, perm in
              ROUTE_RE.findall(text[start:end])]
    assert len(routes) >= 15, routes
    return routes


def test_permission_matrix():
    routes = parse_routes()
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d)
        with Server(d) as srv:
            root = Api(srv.url, token=users["admin"][1])
            pool = post_ok(root, [sight(i, when=at(i)) for i in range(120)])
            fixed = pool.pop()
            clients = [("nobody", None, Api(srv.url))]
            for role in ROLES:
                pw, tok = users[role]
                clients.append((role, "bearer", Api(srv.url, token=tok)))
                clients.append((role, "session",
                                Api.login(srv.url, role, pw)))
            fails, calls = [], 0

            def request(api, method, path, role, csrf=True, headers=None):
                rid = pool.pop() if path.endswith(("/supersede",
                                                   "/retract")) else fixed
                p = path.replace("*", rid)
                body = None
                if method in ("POST", "PUT", "PATCH"):
                    if path == API + "/session":
                        body = {"login": "viewer",
                                "password": users["viewer"][0]}
                    elif path == API + "/records":
                        body = sight(3)
                    elif path.endswith("/supersede"):
                        body = sight(4)
                    elif path.endswith("/retract"):
                        body = {"reason": f"essai {role}"}
                    else:
                        body = {}
                return api.req(method, p, json_body=body, csrf=csrf,
                               headers=headers), rid

            for method, path, fn, perm in routes:
                assert perm == "NOAUTH" or perm in PERM_MIN, \
                    f"{method} {path}: permission {perm} not in PERM_MIN"
                least = None if perm == "NOAUTH" else \
                    ROLES.index(PERM_MIN[perm])
                known = fn in ("h_health", "h_openapi", "h_login",
                               "h_logout", "h_whoami", "h_node", "h_model",
                               "h_metrics", "h_list", "h_create", "h_csv",
                               "h_get", "h_supersede", "h_retract",
                               "h_audit")
                for role, mode, api in clients:
                    use = api
                    if fn == "h_logout" and mode == "session":
                        # Logging out ends the session: use a fresh one.
                        use = Api.login(srv.url, role, users[role][0])
                    r, rid = request(use, method, path, role)
                    calls += 1
                    what = f"{method} {path} as {role} ({mode})"
                    try:
                        if least is None or (role != "nobody" and
                                             ROLES.index(role) >= least):
                            if known:
                                assert 200 <= r.status_code < 300, show(r)
                            else:
                                assert r.status_code < 500 and \
                                    r.status_code not in (401, 403), show(r)
                            if fn == "h_supersede" or fn == "h_retract":
                                st = root.get(f"{API}/records/{rid}").json()[
                                    "properties"]["status"]
                                assert st in ("superseded", "retracted"), st
                        elif role == "nobody":
                            check_error(r, 401, "unauthenticated")
                        else:
                            check_error(r, 403, "forbidden")
                            if fn in ("h_supersede", "h_retract"):
                                st = root.get(f"{API}/records/{rid}").json()[
                                    "properties"]["status"]
                                assert st == "current", st
                    except AssertionError as e:
                        fails.append(f"{what}: {e}")

            # Cookie writes without (or with a wrong) CSRF token: 403
            # "csrf", for every role allowed to write, on every non-GET
            # protected route; nothing written.
            before = counts(root)
            for method, path, fn, perm in routes:
                if method == "GET" or perm == "NOAUTH":
                    continue
                for role, mode, api in clients:
                    if mode != "session" or \
                            ROLES.index(role) < ROLES.index(PERM_MIN[perm]):
                        continue
                    other = api.csrf[:-1] + ("B" if api.csrf[-1] == "A"
                                             else "A")
                    # Another session's CSRF token is no good either.
                    theirs = [c.csrf for rl, m, c in clients
                              if m == "session" and c is not api][0]
                    for bad in (None, "x" * 43, other, "", theirs):
                        r, rid = request(api, method, path, role, csrf=False,
                                         headers=None if bad is None else
                                         {"X-CSRF-Token": bad})
                        calls += 1
                        try:
                            check_error(r, 403, "csrf", "X-CSRF-Token")
                        except AssertionError as e:
                            fails.append(f"{method} {path} as {role} (session"
                                         f", csrf={bad!r}): {e}")
            after = counts(root)
            if after != before:
                fails.append(f"CSRF-less writes changed the node: {before} "
                             f"-> {after}")
            # The sessions survived all that.
            for role, mode, api in clients:
                if mode == "session":
                    r = api.get(API + "/session")
                    if r.status_code != 200:
                        fails.append(f"session of {role} lost: {show(r)}")
            print(f"     {len(routes)} routes x {len(clients)} clients: "
                  f"{calls} calls")
            assert not fails, "\n".join(fails)


# ---------------------------------------------------------------------------
# 4. Bad input: a 4xx with a JSON error, never a 5xx, the server up.

class Raw:
    """An answer read from a raw socket (None status: closed)."""

    def __init__(self, status, headers, body):
        self.status_code, self.headers, self.content = status, headers, body
        self.text = body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


def raw(url, data, timeout=10):
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    chunks = []
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            chunks.append(b)
    finally:
        s.close()
    resp = b"".join(chunks)
    if not resp:
        return Raw(None, {}, b"")
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip()] = v.strip()
    return Raw(int(lines[0].split(" ")[1]), headers, body)


def test_bad_input():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["reporter", "analyst", "admin"])
        with Server(d, "--max-body", "65536") as srv:
            rep = Api(srv.url, token=users["reporter"][1])
            ana = Api(srv.url, token=users["analyst"][1])
            adm = Api(srv.url, token=users["admin"][1])
            rid = post_ok(rep, [sight(1)])[0]
            nobody = "0195224a-3c00-7d1e-8f00-0123456789ab"
            cases = []   # (label, thunk, statuses, field or None)

            def add(label, thunk, statuses, field=None, json_err=True):
                if isinstance(statuses, int):
                    statuses = {statuses}
                cases.append((label, thunk, statuses, field, json_err))

            def body(data, ctype="application/json", api=rep,
                     path=API + "/records"):
                if isinstance(data, str):
                    data = data.encode("utf-8")
                return lambda: api.req("POST", path, data=data,
                                       headers={"Content-Type": ctype})

            def rec(**kw):
                r = dict(SIGHT)
                r.update(kw)
                return body(json.dumps(r))

            def attrs(**kw):
                return body(json.dumps(dict(SIGHT, attributes=dict(
                    SIGHT["attributes"], **kw))))

            def listq(q, api=rep, path=API + "/records"):
                return lambda: api.s.get(srv.url + path + "?" + q,
                                         headers=api.headers({}), timeout=30)

            # Broken JSON: 400, field "body".
            valid = json.dumps(SIGHT)
            for label, text in [
                    ("truncated", valid[:40]),
                    ("trailing comma in object", '{"category": "x",}'),
                    ("trailing comma in array",
                     '{"records": [' + valid + ',]}'),
                    ("single quotes", valid.replace('"', "'")),
                    ("NaN", '{"category": NaN}'),
                    ("Infinity", '{"category": Infinity}'),
                    ("-Infinity", '{"attributes": {"strength": -Infinity}}'),
                    ("block comment", "/* c */" + valid),
                    ("line comment", "// c\n" + valid),
                    ("comment inside", valid[:1] + "/*x*/" + valid[1:]),
                    ("BOM", "\ufeff" + valid),
                    ("empty", ""),
                    ("whitespace", "  \n\t "),
                    ("two values", valid + " " + valid),
                    ("unquoted key", '{category: "x"}'),
                    ("leading zero", '{"a": 012}'),
                    ("hex number", '{"a": 0x12}'),
                    ("plus sign", '{"a": +1}'),
                    ("bare fraction", '{"a": .5}'),
                    ("number beyond double", '{"a": 1e999}'),
                    ("raw newline in string", '{"category": "a\nb"}'),
                    ("bad escape", '{"category": "\\x41"}'),
                    ("lone surrogate", '{"category": "\\ud800"}'),
                    ("escaped NUL", '{"category": "a\\u0000b"}'),
                    ("duplicate key", '{"category": "a", "category": "b"}'),
                    ("missing colon", '{"category" "x"}'),
                    ("unterminated string", '{"category": "x'),
                    ("bare word", "tru"),
                    ("only an open bracket", "["),
            ]:
                add(f"JSON: {label}", body(text), 400, "body")
            for label, data in [
                    ("invalid UTF-8 byte", b'{"category": "\xff"}'),
                    ("overlong UTF-8", b'{"category": "\xc0\xaf"}'),
                    ("UTF-8 surrogate", b'{"category": "\xed\xa0\x80"}'),
                    ("truncated UTF-8", b'{"category": "\xc3"}'),
                    ("Latin-1 text", b'{"category": "d\xe9p\xf4t"}'),
                    ("invalid UTF-8 in a key", b'{"\xfe": 1}'),
                    ("raw NUL in a string", b'{"category": "a\x00b"}'),
                    ("NUL after the value", valid.encode() + b"\x00"),
                    ("NUL alone", b"\x00"),
                    ("UTF-16", valid.encode("utf-16")),
            ]:
                add(f"bytes: {label}", body(data), 400, "body")

            # Wrong types and values in every field: 422 naming it.
            for label, thunk, field in [
                    ("category number", rec(category=5), "category"),
                    ("category null", rec(category=None), "category"),
                    ("category list", rec(category=["security"]),
                     "category"),
                    ("category unknown", rec(category="security.nope"),
                     "category"),
                    ("category group", rec(category="security"),
                     "category"),
                    ("observed_at number", rec(observed_at=5),
                     "observed_at"),
                    ("observed_at words", rec(observed_at="hier soir"),
                     "observed_at"),
                    ("observed_at Feb 30",
                     rec(observed_at="2025-02-30T08:00:00Z"), "observed_at"),
                    ("observed_at no zone",
                     rec(observed_at="2025-02-21T08:00:00"), "observed_at"),
                    ("observed_at future",
                     rec(observed_at="2099-01-01T00:00:00Z"), "observed_at"),
                    ("geometry string", body(json.dumps(dict(
                        sight(1), geometry="POINT(1 2)"))), "geometry"),
                    ("geometry coordinates string", body(json.dumps(dict(
                        sight(1), geometry={"type": "Point",
                                            "coordinates": "x"}))),
                     "geometry"),
                    ("geometry type Circle", body(json.dumps(dict(
                        sight(1), geometry={"type": "Circle",
                                            "coordinates": [1, 2]}))),
                     "geometry"),
                    ("location number", rec(location=12), "location"),
                    ("location list", rec(location=[14, -12]), "location"),
                    ("location and geometry", body(json.dumps(dict(
                        sight(1), location="14 -12"))), "location"),
                    ("attributes list", rec(attributes=[]), "attributes"),
                    ("attributes string", rec(attributes="x"),
                     "attributes"),
                    ("audience number", rec(audience=5), "audience"),
                    ("audience object", rec(audience={"SN": 1}),
                     "audience"),
                    ("audience list of numbers", rec(audience=[5]),
                     "audience"),
                    ("audience unknown nation", rec(audience=["SN", "XX"]),
                     "audience"),
                    ("audience without the node's nation",
                     rec(audience=["ML"]), "audience"),
                    ("precedence number", rec(precedence=3), "precedence"),
                    ("precedence unknown", rec(precedence="URGENT"),
                     "precedence"),
                    ("patrol number", rec(patrol=5), "patrol"),
                    ("patrol not an id", rec(patrol="patrouille-7"),
                     "patrol"),
                    ("supersedes boolean", rec(supersedes=True),
                     "supersedes"),
                    ("integer as text", attrs(strength="douze"),
                     "attributes.strength"),
                    ("integer as fraction", attrs(strength=1.5),
                     "attributes.strength"),
                    ("integer below min", attrs(strength=-1),
                     "attributes.strength"),
                    ("integer above max", attrs(strength=10001),
                     "attributes.strength"),
                    ("integer as boolean", attrs(strength=True),
                     "attributes.strength"),
                    ("enum as number", attrs(direction=5),
                     "attributes.direction"),
                    ("enum unknown", attrs(direction="UP"),
                     "attributes.direction"),
                    ("multi_enum as string", attrs(weapons_seen="rpg"),
                     "attributes.weapons_seen"),
                    ("multi_enum unknown", attrs(weapons_seen=["laser"]),
                     "attributes.weapons_seen"),
                    ("text as number", attrs(remarks=7),
                     "attributes.remarks"),
                    ("text too long", attrs(remarks="x" * 2001),
                     "attributes.remarks"),
                    ("inherited enum as boolean", attrs(source=True),
                     "attributes.source"),
                    ("number as text", body(json.dumps({
                        "category": "environment.water.sample",
                        "observed_at": "2025-03-02T10:00:00Z",
                        "location": "14.45 -12.21",
                        "attributes": {"ph": "neutre"}})),
                     "attributes.ph"),
                    ("number out of range", body(json.dumps({
                        "category": "environment.water.sample",
                        "observed_at": "2025-03-02T10:00:00Z",
                        "location": "14.45 -12.21",
                        "attributes": {"ph": 15}})), "attributes.ph"),
                    ("boolean as text", body(json.dumps({
                        "category": "security.kidnapping",
                        "observed_at": "2025-03-02T10:00:00Z",
                        "location": "14.45 -12.21",
                        "attributes": {"persons": 2, "armed": "oui"}})),
                     "attributes.armed"),
                    ("required attribute missing", body(json.dumps({
                        "category": "security.kidnapping",
                        "observed_at": "2025-03-02T10:00:00Z",
                        "location": "14.45 -12.21", "attributes": {}})),
                     "attributes.persons"),
                    ("missing category", body(json.dumps({
                        k: v for k, v in SIGHT.items() if k != "category"})),
                     "category"),
                    ("missing observed_at", body(json.dumps({
                        k: v for k, v in SIGHT.items()
                        if k != "observed_at"})), "observed_at"),
                    ("missing location", body(json.dumps({
                        k: v for k, v in SIGHT.items()
                        if k != "location"})), "geometry"),
                    ("unknown top-level field", rec(colour="red"),
                     "colour"),
                    ("client-chosen id", rec(id=nobody), "id"),
                    ("unknown attribute", attrs(colour="red"),
                     "attributes.colour"),
                    ("lat 91", rec(location="91 -12"), "location"),
                    ("lon -181", rec(location="14 -181"), "location"),
                    ("geometry lon -181", body(json.dumps(sight(1, 14,
                                                                 -181))),
                     "geometry"),
                    ("geometry lat 95", body(json.dumps(sight(1, 95, 0))),
                     "geometry"),
                    ("geometry lon 1e308", body(json.dumps(sight(1, 14,
                                                                 1e308))),
                     "geometry"),
                    ("geometry one number", body(json.dumps(dict(
                        sight(1), geometry={"type": "Point",
                                            "coordinates": [1]}))),
                     "geometry"),
                    ("bad MGRS letters", rec(location="28PZZ123"),
                     "location"),
                    ("bad MGRS zone", rec(location="99XAA1234512345"),
                     "location"),
                    ("MGRS odd digits", rec(location="28PFA4410522"),
                     "location"),
                    ("empty location", rec(location=""), "location"),
                    ("location words", rec(location="près du fleuve"),
                     "location"),
            ]:
                # "startswith": the field may be more precise
                # ("geometry.coordinates").
                add(f"record: {label}", thunk, 422, ("^", field))

            # Shapes of the body.
            add("bulk empty", body('{"records": []}'), 422, "records")
            add("bulk with another member",
                body(json.dumps({"records": [SIGHT], "x": 1})), 422)
            add("top-level list", body(json.dumps([SIGHT])), 422)
            add("top-level string", body('"record"'), 422)
            add("top-level null", body("null"), 422)
            add("bulk of numbers", body('{"records": [1]}'), 422,
                "records[0]")
            add("bulk record 5 bad", body(json.dumps({"records": [
                SIGHT] * 5 + [dict(SIGHT, category=3)]})), 422,
                "records[5].category")
            add("10,001 records", body('{"records": [' +
                                       ",".join(["{}"] * 10001) + "]}"),
                413, "records")
            add("10,000 empty records",
                body('{"records": [' + ",".join(["{}"] * 10000) + "]}"),
                422, ("^", "records[0]"))
            big = json.dumps(dict(SIGHT, attributes={"remarks": "x" * 100}))
            big = '{"records": [' + ",".join([big] * 700) + "]}"
            assert len(big) > 65536
            add("body over --max-body", body(big), 413, "body")

            def chunked():
                def gen():
                    for i in range(0, len(big), 4096):
                        yield big[i:i + 4096].encode()
                return rep.req("POST", API + "/records", data=gen(),
                               headers={"Content-Type": "application/json"})
            add("chunked body over --max-body", chunked, 413, "body")
            add("deep nesting: arrays", body("[" * 1000 + "]" * 1000),
                {400, 413, 422})
            add("deep nesting: objects",
                body('{"a":' * 1000 + "1" + "}" * 1000), {400, 413, 422})
            add("deep nesting in a record", body(json.dumps(dict(
                SIGHT, attributes={"remarks": "x"}))[:-2] + ', "x": ' +
                "[" * 1000 + "]" * 1000 + "}}"), {400, 413, 422})

            # Content-Type: 415.
            for ctype in ("text/plain", None, "multipart/form-data; "
                          "boundary=x", "application/x-www-form-urlencoded",
                          "application/jsonp", "application/json-seq",
                          "application/geo+json", "json"):
                add(f"Content-Type {ctype}", lambda c=ctype: rep.req(
                    "POST", API + "/records", data=valid.encode(),
                    headers={"Content-Type": c}), 415, "Content-Type")
            add("Content-Type text/plain on retract", body(
                '{"reason": "x"}', "text/plain", ana,
                f"{API}/records/{rid}/retract"), 415, "Content-Type")
            add("Content-Type text/plain on login", body(
                '{"login": "a", "password": "b"}', "text/plain", rep,
                API + "/session"), 415, "Content-Type")

            # Query parameters of the list: 400 naming the parameter.
            for q, field in [
                    ("bbox=1,2,3", "bbox"),
                    ("bbox=10,2,3,4", "bbox"),              # W > E
                    ("bbox=1,4,3,2", "bbox"),               # S > N
                    ("bbox=a,b,c,d", "bbox"),
                    ("bbox=200,0,210,10", "bbox"),
                    ("bbox=-10,-95,10,10", "bbox"),
                    ("bbox=1,2,3,4,5", "bbox"),
                    ("bbox=", "bbox"),
                    ("bbox=1,2,3,4x", "bbox"),
                    ("bbox=nan,0,1,1", "bbox"),
                    ("bbox=-inf,0,1,1", "bbox"),
                    ("datetime=2025-03-02T00:00:00Z/2025-03-01T00:00:00Z",
                     "datetime"),
                    ("datetime=../..", "datetime"),
                    ("datetime=/", "datetime"),
                    ("datetime=" + "9" * 100 + "/..", "datetime"),
                    ("colour=red", "colour"),
                    ("limit=0", "limit"),
                    ("limit=-1", "limit"),
                    ("limit=10001", "limit"),
                    ("limit=abc", "limit"),
                    ("limit=", "limit"),
                    ("limit=1.5", "limit"),
                    ("limit=99999999999999999999", "limit"),
                    ("cursor=dGhpcyBpcyBub3Q", "cursor"),
                    ("cursor=abc_" + "0" * 32, "cursor"),
                    ("cursor=123_" + "0" * 31, "cursor"),
                    ("cursor=123_" + "0" * 33, "cursor"),
                    ("cursor=123_" + "A" * 32, "cursor"),
                    ("cursor=123_" + "0" * 32 + "x", "cursor"),
                    ("cursor=123-" + "0" * 32, "cursor"),
                    ("cursor=", "cursor"),
                    ("category=%FF", "category"),
                    ("bbox=%FF,1,2,3", "bbox"),
                                        ("limit=%FF", "limit"),
                    ("cursor=%FF", "cursor"),
                    ("category=" + "a" * 200, "category"),
                    ("q=%C3%28", "q"),
                    ("q=" + "x" * 201, "q"),
            ]:
                add(f"list ?{q[:50]}", listq(q), 400, field)
            # A time that is not RFC 3339, like any malformed parameter:
            # 400 "bad_request".
            for q in ("datetime=garbage", "datetime=2025-02-30T00:00:00Z",
                      "datetime=2025-13-01T00:00:00Z",
                      "datetime=2025-03-01T00:00:00Z/garbage",
                      "datetime=garbage/..", "datetime=", "datetime=%FF%FE",
                      "datetime=2025-03-01"):
                add(f"list ?{q[:50]}", listq(q), 400, "datetime")
            add("list: parameter name not UTF-8", listq("%FF=1"), 400)
            add("CSV: parameter name not UTF-8", listq(
                "%C3%28=1", ana, API + "/records.csv"), 400)
            add("list: NUL in category", listq("category=security%00x"),
                400, "category")
            add("list: NUL in bbox", listq("bbox=1,2,3,4%00"), 400, "bbox")
            add("CSV: bad bbox", listq("bbox=1,2", ana,
                                       API + "/records.csv"), 400, "bbox")
            add("CSV: a cursor", listq("cursor=123_" + "0" * 32, ana,
                                       API + "/records.csv"), 400, "cursor")
            add("CSV: bad limit", listq("limit=0", ana,
                                        API + "/records.csv"), 400, "limit")
            add("CSV: bad datetime", listq("datetime=x", ana,
                                           API + "/records.csv"), 400,
                "datetime")
            add("CSV: unknown parameter", listq("colour=red", ana,
                                                API + "/records.csv"),
                400, "colour")
            add("model: unknown language", listq("lang=xx", rep,
                                                 API + "/model"), 400,
                "lang")
            add("audit: limit 0", listq("limit=0", adm, API + "/audit"),
                400, "limit")
            add("audit: after -1", listq("after=-1", adm, API + "/audit"),
                400, "after")
            add("audit: datetime garbage", listq("datetime=nope", adm,
                                                 API + "/audit"),
                400, "datetime")
            add("audit: datetime reversed", listq(
                "datetime=2025-03-02T00:00:00Z/2025-03-01T00:00:00Z", adm,
                API + "/audit"), 400, "datetime")

            # Paths, methods, ids.
            for path in (API + "/nope", "/api/v2/health", "/index.html",
                         f"{API}/records/{rid}/nope", API + "/health/",
                         API + "/records/", "/api/v1", "/API/V1/HEALTH"):
                add(f"unknown path {path}", lambda p=path: rep.get(p), 404)
            for method, path, allow in [
                    ("PUT", API + "/records", {"GET", "POST"}),
                    ("DELETE", API + "/records", {"GET", "POST"}),
                    ("DELETE", API + "/health", {"GET"}),
                    ("POST", API + "/node", {"GET"}),
                    ("PATCH", f"{API}/records/{rid}", {"GET"}),
                    ("GET", f"{API}/records/{rid}/supersede", {"POST"}),
                    ("PUT", API + "/session", {"POST", "DELETE", "GET"}),
                    ("OPTIONS", API + "/records", {"GET", "POST"})]:
                def thunk(m=method, p=path, allow=allow):
                    r = rep.req(m, p)
                    got = {x.strip() for x in
                           r.headers.get("Allow", "").split(",") if x.strip()}
                    assert got >= allow, f"Allow {got}, want {allow}"
                    assert m not in got
                    return r
                add(f"{method} {path.replace(rid, 'ID')}", thunk, 405)
            for bad in ("not-an-id", "0195224a3c007d1e8f000123456789ab",
                        "0195224a-3c00-7d1e-8f00-0123456789ag",
                        "0195224a-3c00-7d1e-8f00-0123456789abc",
                        "%FF%FE", "0195224a_3c00_7d1e_8f00_0123456789ab",
                        " 0195224a-3c00-7d1e-8f00-0123456789a"):
                add(f"GET malformed id {bad!r}",
                    lambda b=bad: rep.get(f"{API}/records/{b}"), 400, "id")
            add("GET id of 100 characters", lambda: rep.get(
                f"{API}/records/{'0' * 100}"), 400, "id")
            add("supersede malformed id", lambda: ana.post(
                f"{API}/records/xyz/supersede", SIGHT), 400, "id")
            add("retract malformed id", lambda: ana.post(
                f"{API}/records/xyz/retract", {"reason": "x"}), 400, "id")
            add("GET unknown id", lambda: rep.get(f"{API}/records/{nobody}"),
                404)
            add("supersede unknown id", lambda: ana.post(
                f"{API}/records/{nobody}/supersede", SIGHT), 404)
            add("retract unknown id", lambda: ana.post(
                f"{API}/records/{nobody}/retract", {"reason": "x"}), 404)

            # Bodies of the other writes.
            ret = f"{API}/records/{rid}/retract"
            add("retract without reason", lambda: ana.post(ret, {}), 422,
                "reason")
            add("retract reason number", lambda: ana.post(
                ret, {"reason": 5}), 422, "reason")
            add("retract empty reason", lambda: ana.post(
                ret, {"reason": ""}), 422, "reason")
            add("retract reason with a control character", lambda: ana.post(
                ret, {"reason": "a\u0007b"}), 422, "reason")
            add("retract reason of 1001 characters", lambda: ana.post(
                ret, {"reason": "é" * 1001}), 422, "reason")
            add("retract unknown field", lambda: ana.post(
                ret, {"reason": "x", "by": "me"}), 422, "by")
            add("retract broken JSON", body('{"reason": ', "application/"
                                            "json", ana, ret), 400, "body")
            add("supersede with wrong type", lambda: ana.post(
                f"{API}/records/{rid}/supersede",
                dict(SIGHT, attributes={"strength": "x"})), 422,
                "attributes.strength")
            add("supersede with broken JSON", body("{", "application/json",
                                                   ana, f"{API}/records/"
                                                   f"{rid}/supersede"),
                400, "body")
            anon = Api(srv.url)
            login = API + "/session"
            add("login without password", lambda: anon.post(
                login, {"login": "reporter"}), 422, "password")
            add("login without login", lambda: anon.post(
                login, {"password": "x" * 12}), 422, "login")
            add("login unknown field", lambda: anon.post(login, {
                "login": "a", "password": "b", "otp": 1}), 422, "otp")
            add("login wrong types", lambda: anon.post(
                login, {"login": 5, "password": True}), 422)
            add("login list", lambda: anon.post(login, ["a", "b"]), 422)
            add("login broken JSON", body("{'login'", "application/json",
                                          anon, login), 400, "body")
            add("login invalid UTF-8", body(b'{"login": "\xff", '
                                            b'"password": "x"}',
                                            "application/json", anon,
                                            login), 400, "body")

            # Credentials that are not.
            for h in ("Basic cmVwb3J0ZXI6eA==", "Bearer ", "Bearer " +
                      "x" * 5000, "Bearer \xe9t\xe9", "Token abc"):
                add(f"Authorization {h[:20]!r}", lambda h=h: anon.get(
                    API + "/node", headers={"Authorization": h.encode(
                        "latin-1")}), 401)
            add("cookie of 5000 bytes", lambda: anon.get(
                API + "/node", headers={"Cookie": "diboli_session=" +
                                        "c" * 5000}), 401)

            # Raw requests: headers past --max-header (64 KiB), broken
            # request lines. A 4xx or a closed connection, no crash.
            host = urllib.parse.urlsplit(srv.url).netloc
            for label, data in [
                    ("one header of 70 KiB",
                     f"GET {API}/health HTTP/1.1\r\nHost: {host}\r\n"
                     f"X-Big: {'a' * 70000}\r\nConnection: close\r\n\r\n"),
                    ("3000 headers",
                     f"GET {API}/health HTTP/1.1\r\nHost: {host}\r\n" +
                     "".join(f"X-H{i}: {'b' * 30}\r\n" for i in range(3000))
                     + "Connection: close\r\n\r\n"),
                    ("a URL of 70 KiB",
                     f"GET {API}/records?q={'z' * 70000} HTTP/1.1\r\n"
                     f"Host: {host}\r\nConnection: close\r\n\r\n"),
                    ("NUL in the request line",
                     f"GET {API}/hea\0lth HTTP/1.1\r\nHost: {host}\r\n"
                     "Connection: close\r\n\r\n"),
                    ("garbage request line", "GARBAGE\r\n\r\n"),
                    ("bad Content-Length",
                     f"POST {API}/records HTTP/1.1\r\nHost: {host}\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: -5\r\nConnection: close\r\n\r\n{}"),
                    ("huge Content-Length",
                     f"POST {API}/records HTTP/1.1\r\nHost: {host}\r\n"
                     "Content-Type: application/json\r\nContent-Length: "
                     "99999999999999999999\r\nConnection: close\r\n\r\n{}"),
            ]:
                add(f"raw: {label}", lambda b=data: raw(
                    srv.url, b.encode("latin-1")), {None} |
                    set(range(400, 500)), json_err=False)

            # A body announced past --max-body with Expect: 100-continue
            # is refused at once (413), never invited (100).
            add("raw: Expect: 100-continue past --max-body", lambda: raw(
                srv.url, (f"POST {API}/records HTTP/1.1\r\nHost: {host}\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: 10000000\r\n"
                          "Expect: 100-continue\r\nConnection: close\r\n"
                          "\r\n").encode(), timeout=3), 413, json_err=False)
            # MHD's own answers: an unused header with a NUL may pass; an
            # unknown HTTP version is 505 by RFC 9110. No crash.
            add("raw: NUL in an unused header", lambda: raw(srv.url, (
                f"GET {API}/health HTTP/1.1\r\nHost: {host}\r\n"
                "X-A: a\0b\r\nConnection: close\r\n\r\n").encode()),
                {None, 200} | set(range(400, 500)), json_err=False)
            add("raw: HTTP/9.9", lambda: raw(srv.url, (
                f"GET {API}/health HTTP/9.9\r\nHost: {host}\r\n"
                "Connection: close\r\n\r\n").encode()),
                {None, 400, 505}, json_err=False)

            # Run them all; list every failure.
            fails = []
            before = None
            for label, thunk, statuses, field, json_err in cases:
                try:
                    r = thunk()
                except requests.RequestException as e:
                    fails.append(f"{label}: no answer ({e.__class__.__name__}"
                                 f": {e})")
                    continue
                except AssertionError as e:
                    fails.append(f"{label}: {e}")
                    continue
                try:
                    if r.status_code is not None and \
                            r.status_code not in statuses:
                        assert r.status_code < 500, f"5xx: {show(r)}"
                    assert r.status_code in statuses, \
                        f"want {sorted(s for s in statuses if s)[:4]}" \
                        f"{'...' if len(statuses) > 4 else ''}: {show(r)}"
                    if json_err and r.status_code is not None:
                        e = check_error(r, r.status_code)
                        if isinstance(field, tuple):
                            assert e["field"].startswith(field[1]), \
                                f"want field {field[1]!r}...: {show(r)}"
                        elif field is not None:
                            assert e["field"] == field, \
                                f"want field {field!r}: {show(r)}"
                except AssertionError as e:
                    fails.append(f"{label}: {e}")
                if not srv.alive():
                    fails.append(f"{label}: the server died: "
                                 f"{srv.stderr()}")
                    break
            # A flood of idle half-open connections (past --per-ip), then
            # gone: the server serves again.
            u = urllib.parse.urlsplit(srv.url)
            socks = []
            for i in range(100):
                try:
                    c = socket.create_connection((u.hostname, u.port),
                                                 timeout=2)
                    c.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                    socks.append(c)
                except OSError:
                    break
            for c in socks:
                c.close()
            # Refusing past the limit is right; it must not last. (A
            # liveness check, not a timing one: a loaded machine may take
            # a few seconds to reap 100 closed sockets, and at worst the
            # idle timeout (--timeout, 30 s) drops what it missed; each
            # try waits 5 s at most, so that one connection caught in the
            # reaping does not use up the time of the others.)
            t0, tries, last = time.monotonic(), 0, None
            while time.monotonic() - t0 < 45:
                tries += 1
                try:
                    r = Api(srv.url).get(API + "/health", timeout=5)
                    last = r.status_code
                    if r.status_code == 200:
                        break
                except requests.RequestException as e:
                    last = type(e).__name__
                time.sleep(0.05)
            else:
                fails.append("no answer 45 s after a flood of idle "
                             f"connections was closed ({tries} tries, the "
                             f"last: {last}): {srv.stderr()[-2000:]}")
            print(f"     {len(cases)} malformed requests, "
                  f"{len(fails)} wrong answers")
            # Still up, nothing written by any of them. (Closed sockets of
            # the flood may still count against --per-ip for a moment: a
            # refused connection then is not a failure.)
            r = None
            for _ in range(100):
                try:
                    r = Api(srv.url).get(API + "/health")
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            assert r is not None and r.status_code == 200, show(r)
            c = counts(rep)
            if c["records"] != 1 or c["current"] != 1:
                fails.append(f"bad input wrote records: {c}")
            assert srv.alive()
            rc, _ = srv.stop()
            if rc != 0:
                fails.append(f"exit code {rc} after the bad input")
            assert not fails, "\n".join(fails)
        assert log_verify(d).rc == 0


# ---------------------------------------------------------------------------
# The audit trail of refusals: every failed authentication, denial and
# failed login leaves a row, whatever the path or login looks like.

def test_audit_of_refusals():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["viewer", "analyst", "admin"])
        with Server(d) as srv:
            adm = Api(srv.url, token=users["admin"][1])

            def events():
                r = adm.get(API + "/audit", params={"limit": "10000"})
                assert r.status_code == 200, show(r)
                return r.json()["events"]

            def rows_for(thunk, want):
                n = len(events())
                r = thunk()
                after = events()   # newest first
                return r, [e for e in after[:len(after) - n]
                           if (e["action"], e["result"]) == want]
            anon = Api(srv.url)
            bad = {"Authorization": "Bearer " + "x" * 43}
            viewer = Api(srv.url, token=users["viewer"][1])
            analyst = Api(srv.url, token=users["analyst"][1])
            s = Api.login(srv.url, "analyst", users["analyst"][0])
            fails = []
            for label, thunk, status, want in [
                    ("bad token", lambda: anon.get(API + "/node",
                                                   headers=bad), 401,
                     ("auth", "failed")),
                    ("bad token, path not UTF-8", lambda: anon.get(
                        API + "/records/%FF", headers=bad), 401,
                     ("auth", "failed")),
                    ("role denied", lambda: viewer.post(
                        API + "/records", SIGHT), 403, ("authz", "denied")),
                    ("role denied, path not UTF-8", lambda: viewer.post(
                        API + "/records/%FF%FE/retract", {"reason": "x"}),
                     403, ("authz", "denied")),
                    ("CSRF missing", lambda: s.post(API + "/records", SIGHT,
                                                    csrf=False), 403,
                     ("csrf", "denied")),
                    ("failed login", lambda: anon.post(API + "/session", {
                        "login": "analyst", "password": "x" * 12}), 401,
                     ("session.login", "failed")),
                    ("failed login, login of 300 bytes", lambda: anon.post(
                        API + "/session", {"login": "é" * 150,
                                           "password": "x" * 12}), 401,
                     ("session.login", "failed")),
                    ("failed login, control character", lambda: anon.post(
                        API + "/session", {"login": "ad\u0001min",
                                           "password": "x" * 12}), 401,
                     ("session.login", "failed")),
                    ("record written", lambda: analyst.post(
                        API + "/records", SIGHT), 201,
                     ("records.create", "ok")),
            ]:
                r, rows = rows_for(thunk, want)
                if r.status_code != status:
                    fails.append(f"{label}: want {status}: {show(r)}")
                elif len(rows) != 1:
                    fails.append(f"{label}: {r.status_code}, but "
                                 f"{len(rows)} audit rows {want}")
            assert not fails, "\n".join(fails)


# ---------------------------------------------------------------------------
# 5, 6. Durability: kill -9 under load, SIGTERM with requests in flight.

def hammer(url, token, stop, nthreads=8, per=50):
    """nthreads threads posting bulks of per records until stop is set or
    the server goes; returns (acked ids, unexpected answers, threads)."""
    acked, odd, lock = [], [], threading.Lock()

    def worker(k):
        api = Api(url, token=token)
        n = 0
        while not stop.is_set():
            n += 1
            recs = [sight(k * 1000 + j, 14.0 + k / 100, -12.0 - j / 1000,
                          at(n % 5000), remarks="Pirogues sur la Falémé")
                    for j in range(per)]
            try:
                r = api.post(API + "/records", {"records": recs},
                             timeout=20)
            except requests.RequestException:
                break
            if r.status_code == 201:
                ids = r.json()["ids"]
                with lock:
                    acked.extend(ids)
                if len(ids) != per:
                    odd.append(f"{len(ids)} ids for {per} records")
            else:
                odd.append(show(r))
                break

    threads = [threading.Thread(target=worker, args=(k,))
               for k in range(nthreads)]
    for t in threads:
        t.start()
    return acked, odd, threads


def check_present(url, token, ids, nthreads=4):
    """GET every id, on keep-alive connections (http.client: several
    times faster than requests); returns [(id, status)] of the missing."""
    missing, lock = [], threading.Lock()
    u = urllib.parse.urlsplit(url)

    def worker(part):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        h = {"Authorization": f"Bearer {token}"}
        for i in part:
            c.request("GET", f"{API}/records/{i}", headers=h)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                with lock:
                    missing.append((i, r.status))
        c.close()

    threads = [threading.Thread(target=worker, args=(ids[k::nthreads],))
               for k in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return missing


def test_kill_under_load():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["reporter", "analyst"])
        tok = users["reporter"][1]
        srv = Server(d)
        try:
            srv.start()
            stop = threading.Event()
            acked, odd, threads = hammer(srv.url, tok, stop)
            time.sleep(2)
            srv.kill()
            stop.set()
            for t in threads:
                t.join(30)
            assert not odd, odd[:5]
            assert len(acked) >= 50, len(acked)
            assert len(set(acked)) == len(acked)
        finally:
            srv.kill()
        with Server(d) as srv:
            missing = check_present(srv.url, tok, acked)
            assert not missing, f"{len(missing)} of {len(acked)} " \
                f"acknowledged records lost: {missing[:5]}"
            c = counts(Api(srv.url, token=tok))
            # A bulk is one transaction: all or nothing.
            assert c["records"] % 50 == 0, c
            assert c["records"] >= len(acked), c
            # The text index (a file of its own, committed after the
            # records) caught up on restart: every record is found.
            r = Api(srv.url, token=users["analyst"][1]).get(
                API + "/records.csv", params={"q": "falemé"})
            assert r.status_code == 200, show(r)
            words = {x["id"] for x in csv.DictReader(io.StringIO(
                r.text, newline=""))}
            assert set(acked) <= words, len(set(acked) - words)
            assert len(words) == c["records"], (len(words), c)
            rc, _ = srv.stop()
            assert rc == 0, srv.stderr()
        v = log_verify(d)
        assert v.rc == 0, v
        v = run("audit", "verify", "--dir", d)
        assert v.rc == 0, v
        print(f"     {len(acked)} acknowledged records kept")


def test_backup_while_serving():
    """diboli node backup while the server takes bulk writes: the copy is
    the database as of one moment (whole bulks only), verifies, serves,
    and finds its records by their words."""
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["reporter"])
        tok = users["reporter"][1]
        bk = os.path.join(tmp, "copie")
        with Server(d) as srv:
            stop = threading.Event()
            acked, odd, threads = hammer(srv.url, tok, stop, nthreads=3)
            time.sleep(1)
            r = run("node", "backup", "--dir", d, "--out", bk)
            n_during = len(acked)
            time.sleep(0.5)
            stop.set()
            for t in threads:
                t.join(30)
            assert r.rc == 0, r
            assert not odd, odd[:5]
            assert "node.key" in r.err and os.path.isdir(bk), r
            total = counts(Api(srv.url, token=tok))["records"]
        assert oct(os.stat(os.path.join(bk, "node.key")).st_mode & 0o777) \
            == "0o600"
        assert oct(os.stat(os.path.join(bk, "diboli.db")).st_mode & 0o777) \
            == "0o600"
        v = log_verify(bk)
        assert v.rc == 0, v
        with Server(bk) as srv:
            c = counts(Api(srv.url, token=tok))
            # Whole bulks of 50 (one transaction each): nothing
            # half-written.
            assert c["records"] % 50 == 0, c
            assert 0 < c["records"] <= total, (c, total, n_during)
            r = Api(srv.url, token=tok).get(API + "/records",
                                            params={"q": "falémé",
                                                    "limit": "10000"})
            assert r.status_code == 200, show(r)
            # The copy's text index, rebuilt from its records on opening.
            assert r.json()["numberReturned"] == min(c["records"], 10000), \
                (r.json()["numberReturned"], c)
        # Refusals: a directory that holds something, no --out.
        fails(1, "node", "backup", "--dir", d, "--out", bk, must="out")
        fails(2, "node", "backup", "--dir", d)
        fails(2, "node", "show", "--dir", d, "--out", bk, must="--out")


def test_sigterm_in_flight():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d, ["reporter"])
        tok = users["reporter"][1]
        with Server(d) as srv:
            stop = threading.Event()
            acked, odd, threads = hammer(srv.url, tok, stop, nthreads=6)
            time.sleep(1)
            n0 = len(acked)
            rc, took = srv.stop(signal.SIGTERM, timeout=5)
            stop.set()
            for t in threads:
                t.join(30)
            assert rc == 0, (rc, srv.stderr())
            assert took < 5, took
            assert n0 > 0 and not odd, (n0, odd[:5])
            assert "stopping" in srv.stderr(), srv.stderr()
        with Server(d) as srv:
            missing = check_present(srv.url, tok, acked)
            assert not missing, f"{len(missing)} of {len(acked)} lost"
            c = counts(Api(srv.url, token=tok))
            assert c["records"] % 50 == 0 and c["records"] >= len(acked), c
            rc, _ = srv.stop()
            assert rc == 0, (rc, srv.stderr())
        v = log_verify(d)
        assert v.rc == 0, v
        v = run("audit", "verify", "--dir", d)
        assert v.rc == 0, v


if __name__ == "__main__":
    main([test_basics, test_records_create_get_bulk, test_list_paging,
          test_supersede_retract, test_csv_export, test_permission_matrix,
          test_bad_input, test_audit_of_refusals, test_kill_under_load,
          test_backup_while_serving, test_sigterm_in_flight])
