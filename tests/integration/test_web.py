"""The node's web side, on the real `diboli serve`: the UI's page and
assets (Content-Security-Policy and the other headers, gzip twins, ETags
and 304, hashed names cached for good, no inline script, a first load
under 500 KB), the routing of paths outside the API, gzip of the API's
JSON, a record's history, the offline tiles of an MBTiles file (a tiny
one made here: auth, TMS rows, bad paths, a bad file), and the
server-sent events (an event per commit, local or by sync; replay after
Last-Event-ID; the limit on streams; a stop that does not hang on open
streams)."""
import gzip
import http.client
import json
import os
import re
import socket
import sqlite3
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403
from server import Api, Server, add_user, create_token, new_node  # noqa: E402

import requests  # noqa: E402

API = "/api/v1"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
FIRST_LOAD_MAX = 500 * 1024


def sight(i=0, when="2025-02-21T08:00:00Z", audience="SN"):
    return {"category": "security.armed_group.sighting",
            "observed_at": when, "audience": audience,
            "geometry": {"type": "Point", "coordinates": [-12.217, 14.467]},
            "attributes": {"strength": i, "direction": "NE"}}


def raw_get(url, path, headers=None):
    """GET without any decoding: (status, headers, body bytes)."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


# ---------------------------------------------------------------------------
# 1. The UI's files.

def test_page_and_assets():
    with TempDir() as tmp:
        d = new_node(tmp)
        with Server(d) as srv:
            st, h, body = raw_get(srv.url, "/")
            assert st == 200, (st, body[:200])
            assert h["content-type"] == "text/html; charset=utf-8", h
            assert h["content-security-policy"] == CSP, h
            assert h["x-content-type-options"] == "nosniff"
            assert h["referrer-policy"] == "no-referrer"
            assert h["cache-control"] == "no-cache", h
            assert re.fullmatch(r'"[0-9a-f]{32}"', h["etag"]), h
            page = body.decode()
            # No inline script, style or handler: the CSP would refuse it.
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), page
            assert not re.search(r"\sstyle=|\son[a-z]+=|<style", page), page
            refs = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page)
            assert any(r.endswith(".js") for r in refs), refs
            assert any(r.endswith(".css") for r in refs), refs
            assert any("countries-" in r for r in refs), refs
            # The page again: 304 on its ETag, gzip when asked.
            st, h2, body2 = raw_get(srv.url, "/", {"If-None-Match":
                                                   h["etag"]})
            assert st == 304 and body2 == b"", (st, body2)
            st, hz, zbody = raw_get(srv.url, "/", {"Accept-Encoding":
                                                   "gzip, deflate, br"})
            assert hz.get("content-encoding") == "gzip", hz
            assert gzip.decompress(zbody) == body
            assert hz["etag"] != h["etag"] and hz["vary"] == \
                "Accept-Encoding", hz
            st, hq, _ = raw_get(srv.url, "/", {"Accept-Encoding":
                                               "gzip;q=0, identity"})
            assert "content-encoding" not in hq, hq
            first = len(zbody)
            for ref in refs:
                st, ha, plain = raw_get(srv.url, ref)
                assert st == 200, (ref, st)
                assert ha["cache-control"] == \
                    "public, max-age=31536000, immutable", (ref, ha)
                assert ha["content-security-policy"] == CSP
                want = {".js": "text/javascript; charset=utf-8",
                        ".css": "text/css; charset=utf-8",
                        ".json": "application/json; charset=utf-8",
                        ".svg": "image/svg+xml"}[os.path.splitext(ref)[1]]
                assert ha["content-type"] == want, (ref, ha)
                st, hz, z = raw_get(srv.url, ref, {"Accept-Encoding":
                                                   "gzip"})
                if hz.get("content-encoding") == "gzip":
                    assert gzip.decompress(z) == plain, ref
                first += len(z)
                st, _, _ = raw_get(srv.url, ref, {"If-None-Match":
                                                  ha["etag"]})
                assert st == 304, (ref, st)
            # The hashed names are the content's.
            js = [r for r in refs if r.endswith(".js")][0]
            assert re.search(r"/app-[A-Z0-9]{8}\.js$", js), js
            print(f"     first load of the shell: {first} bytes gzip")
            assert first < FIRST_LOAD_MAX, first
            # The CSS's images (Leaflet's) are served too.
            st, _, css = raw_get(srv.url, [r for r in refs
                                           if r.endswith(".css")][0])
            for img in set(re.findall(rb"url\((/assets/[^)]+\.png)\)", css)):
                st, hi, _ = raw_get(srv.url, img.decode())
                assert st == 200 and hi["content-type"] == "image/png", img

            # Everything else outside /api and /sync: 404 (JSON), and
            # only GET and HEAD.
            for path in ("/index.html", "/nope", "/assets/", "/assets/nope.js",
                         "/assets/../index.html", "/assets/%2e%2e/index.html",
                         "/favicon.ico", "/map", "//", "/ASSETS/x"):
                st, hh, b = raw_get(srv.url, path)
                assert st == 404, (path, st)
                assert json.loads(b)["error"]["code"] == "not_found", path
            r = requests.post(srv.url + "/", data=b"x")
            assert r.status_code == 405 and r.headers["Allow"] == \
                "GET, HEAD", (r.status_code, r.headers)
            r = requests.head(srv.url + "/")
            assert r.status_code == 200 and r.content == b""
            # The API is still the API.
            assert requests.get(srv.url + API + "/health").json() == \
                {"status": "ok"}
            assert srv.alive()


# ---------------------------------------------------------------------------
# 2. gzip of the API, and a record's history.

def test_api_gzip_and_history():
    with TempDir() as tmp:
        d = new_node(tmp)
        add_user(d, "admin", "admin")
        users = {"admin": create_token(d, "admin")}
        with Server(d) as srv:
            a = Api(srv.url, token=users["admin"])
            r = a.post(API + "/records", {"records": [sight(i) for i in
                                                      range(300)]})
            assert r.status_code == 201, r.text
            ids = r.json()["ids"]
            h = {"Authorization": f"Bearer {users['admin']}"}
            st, hz, z = raw_get(srv.url, API + "/records?limit=300",
                                {**h, "Accept-Encoding": "gzip"})
            assert st == 200 and hz["content-encoding"] == "gzip", hz
            assert hz["content-type"] == "application/geo+json", hz
            st, hp, plain = raw_get(srv.url, API + "/records?limit=300", h)
            assert "content-encoding" not in hp, hp
            assert json.loads(gzip.decompress(z)) ["features"] == \
                json.loads(plain)["features"]
            print(f"     300 features: {len(plain)} bytes, {len(z)} gzip")
            assert len(z) * 5 < len(plain), (len(z), len(plain))
            # Small answers stay plain.
            st, hs, _ = raw_get(srv.url, API + "/health",
                                {"Accept-Encoding": "gzip"})
            assert "content-encoding" not in hs, hs

            # History: three versions, then a retraction.
            v1 = ids[0]
            v2 = a.post(f"{API}/records/{v1}/supersede",
                        sight(1, "2025-02-21T09:00:00Z")).json()["id"]
            v3 = a.post(f"{API}/records/{v2}/supersede",
                        sight(2, "2025-02-21T10:00:00Z", "SN,ML")).json()["id"]
            r = a.post(f"{API}/records/{v3}/retract", {"reason": "doublon"})
            assert r.status_code == 201, r.text
            for rid in (v1, v2, v3):
                p = a.get(f"{API}/records/{rid}").json()["properties"]
                hist = p["history"]
                assert [x["id"] for x in hist] == [v1, v2, v3], hist
                assert [x["status"] for x in hist] == \
                    ["superseded", "superseded", "retracted"], hist
                assert hist[2]["reason"] == "doublon", hist
                assert hist[2]["audience"] == ["ML", "SN"], hist
                assert [x["observed_at"] for x in hist] == [
                    "2025-02-21T08:00:00Z", "2025-02-21T09:00:00Z",
                    "2025-02-21T10:00:00Z"], hist
            alone = a.get(f"{API}/records/{ids[1]}").json()["properties"]
            assert [x["id"] for x in alone["history"]] == [ids[1]]


# ---------------------------------------------------------------------------
# 3. Offline tiles.

def make_mbtiles(path, fmt="png"):
    """A tiny MBTiles file: zooms 0 and 1; each tile's bytes name its XYZ
    place, stored at its TMS row."""
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE metadata (name TEXT, value TEXT);"
                     "CREATE TABLE tiles (zoom_level INTEGER, tile_column "
                     "INTEGER, tile_row INTEGER, tile_data BLOB);"
                     "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, "
                     "tile_column, tile_row);")
    meta = {"name": "Essai <b>Kidira</b>", "format": fmt, "minzoom": "0",
            "maxzoom": "1", "bounds": "-13,12,-11,15",
            "attribution": "Carte d'essai (synthétique)"}
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    for z in (0, 1):
        for x in range(1 << z):
            for y in range(1 << z):
                data = b"\x89PNG\r\n\x1a\n" + f"tile {z}/{x}/{y}".encode()
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                           (z, x, (1 << z) - 1 - y, data))
    db.commit()
    db.close()


def test_tiles():
    with TempDir() as tmp:
        d = new_node(tmp)
        add_user(d, "viewer", "viewer")
        tok = create_token(d, "viewer")
        mb = os.path.join(tmp, "essai.mbtiles")
        make_mbtiles(mb)
        h = {"Authorization": f"Bearer {tok}"}
        with Server(d, "--tiles", mb) as srv:
            node = Api(srv.url, token=tok).get(API + "/node").json()
            assert node["tiles"] == {
                "url": "/tiles/{z}/{x}/{y}.png", "format": "png",
                "minzoom": 0, "maxzoom": 1, "name": "Essai <b>Kidira</b>",
                "attribution": "Carte d'essai (synthétique)",
                "bounds": [-13, 12, -11, 15]}, node["tiles"]
            # Readers only.
            st, _, b = raw_get(srv.url, "/tiles/0/0/0.png")
            assert st == 401, (st, b)
            for z, x, y in ((0, 0, 0), (1, 0, 0), (1, 1, 0), (1, 0, 1),
                            (1, 1, 1)):
                st, ht, b = raw_get(srv.url, f"/tiles/{z}/{x}/{y}.png", h)
                assert st == 200, (z, x, y, st, b)
                assert ht["content-type"] == "image/png", ht
                assert b.endswith(f"tile {z}/{x}/{y}".encode()), (z, x, y, b)
                assert "private" in ht["cache-control"], ht
            for bad in ("2/0/0.png", "1/2/0.png", "1/0/2.png", "0/0/0.jpg",
                        "01/0/0.png", "0/0/0", "0/0/0.png/x", "-1/0/0.png",
                        "0/0.png", "a/b/c.png", "99999999999/0/0.png",
                        "0/0/0.png.gz"):
                st, _, b = raw_get(srv.url, "/tiles/" + bad, h)
                assert st == 404, (bad, st, b)
                assert json.loads(b)["error"]["code"] == "not_found", bad
        # No --tiles: no tiles, and the node says none.
        with Server(d) as srv:
            node = Api(srv.url, token=tok).get(API + "/node").json()
            assert "tiles" not in node, node
            st, _, b = raw_get(srv.url, "/tiles/0/0/0.png", h)
            assert st == 404 and b"--tiles" in b, (st, b)
        # A file that is not MBTiles, or none at all: serve refuses.
        junk = os.path.join(tmp, "junk.mbtiles")
        with open(junk, "w") as f:
            f.write("not sqlite")
        r = fails(1, "serve", "--dir", d, "--listen", "127.0.0.1:0",
                  "--tiles", junk, must="junk.mbtiles")
        assert "MBTiles" in r.err or "tiles" in r.err, r
        fails(1, "serve", "--dir", d, "--listen", "127.0.0.1:0",
              "--tiles", os.path.join(tmp, "absent.mbtiles"),
              must="absent.mbtiles")
        other = os.path.join(tmp, "other.mbtiles")
        make_mbtiles(other, fmt="tiff")
        fails(1, "serve", "--dir", d, "--listen", "127.0.0.1:0",
              "--tiles", other, must="tiff")


# ---------------------------------------------------------------------------
# 4. Server-sent events.

class Stream:
    """GET /api/v1/events on a socket of its own; lines as they come."""

    def __init__(self, url, token, last=None, accept="text/event-stream"):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port),
                                             timeout=10)
        extra = f"Last-Event-ID: {last}\r\n" if last else ""
        self.sock.sendall((f"GET {API}/events HTTP/1.1\r\nHost: x\r\n"
                           f"Authorization: Bearer {token}\r\n"
                           f"Accept: {accept}\r\n{extra}\r\n").encode())
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.head = head.decode()

    def _until(self, sep, timeout=10):
        t0 = time.monotonic()
        while sep not in self.buf:
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"nothing after {timeout} s: "
                                     f"{self.buf[-300:]!r}")
            self.sock.settimeout(max(0.1, timeout - (time.monotonic() - t0)))
            try:
                got = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not got:
                raise AssertionError(f"stream closed: {self.buf[-300:]!r}")
            self.buf += got
        out, self.buf = self.buf.split(sep, 1)
        return out

    def event(self, timeout=10):
        """The next event (chunk framing ignored): {field: value}; comments
        and the retry line are skipped."""
        while True:
            block = self._until(b"\n\n", timeout).decode()
            ev = {}
            for line in block.splitlines():
                # The chunk sizes of the chunked encoding come as lines.
                if re.fullmatch(r"[0-9a-fA-F]+\r?", line) or not line.strip():
                    continue
                if line.startswith(":"):
                    continue
                k, _, v = line.partition(": ")
                ev[k.strip()] = v.rstrip("\r")
            if "event" in ev:
                return ev

    def rest(self, timeout=10):
        """Everything until the server closes the stream."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            self.sock.settimeout(0.5)
            try:
                got = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not got:
                return self.buf
            self.buf += got
        raise AssertionError("the stream did not end")

    def close(self):
        self.sock.close()


def test_events():
    with TempDir() as tmp:
        d = new_node(tmp)
        for r in ("viewer", "reporter"):
            add_user(d, r, r)
        view = create_token(d, "viewer")
        rep = create_token(d, "reporter")
        # Streams hold no thread: eight open on a pool of two, and the
        # API still answers at once.
        with Server(d, "--threads", "2") as srv:
            many = [Stream(srv.url, view) for _ in range(8)]
            assert all(x.status == 200 for x in many)
            for x in many:
                x._until(b"\n\n")         # the first bytes came
            t0 = time.monotonic()
            for _ in range(20):
                r = requests.get(srv.url + API + "/health", timeout=5)
                assert r.status_code == 200
            assert time.monotonic() - t0 < 2, time.monotonic() - t0
            rid = Api(srv.url, token=rep).post(API + "/records",
                                               sight(0)).json()["id"]
            for x in many:
                assert json.loads(x.event()["data"])["ids"] == [rid]
                x.close()
        with Server(d, "--max-streams", "3") as srv:
            a = Api(srv.url, token=rep)
            # Not a stream request, or nobody: refused.
            r = requests.get(srv.url + API + "/events",
                             headers={"Authorization": f"Bearer {view}"})
            assert r.status_code == 400 and r.json()["error"]["field"] == \
                "Accept", r.text
            r = requests.get(srv.url + API + "/events",
                             headers={"Accept": "text/event-stream"})
            assert r.status_code == 401, r.text

            s = Stream(srv.url, view)
            assert s.status == 200, s.head
            assert "text/event-stream" in s.head, s.head
            # One record: one event naming it.
            rid = a.post(API + "/records", sight(1)).json()["id"]
            ev = s.event()
            assert ev["event"] == "records", ev
            data = json.loads(ev["data"])
            assert data == {"count": 1, "ids": [rid], "complete": True}, data
            first_id = ev["id"]
            assert re.fullmatch(r"\d+-1", first_id), first_id
            # A bulk of 150: counted, the first 100 named.
            r = a.post(API + "/records", {"records": [sight(i) for i in
                                                      range(150)]})
            bulk = r.json()["ids"]
            data = json.loads(s.event()["data"])
            assert data["count"] == 150 and data["complete"] is False, data
            assert data["ids"] == bulk[:100], data["ids"][:3]
            # A refused write makes no event; a retraction does.
            r = a.post(API + "/records", {"category": "nope",
                                          "observed_at": "2025-01-01T00:00:00Z"})
            assert r.status_code == 422
            # Missed events come back after Last-Event-ID...
            third = a.post(API + "/records", sight(3)).json()["id"]
            ev3 = s.event()
            assert json.loads(ev3["data"])["ids"] == [third], ev3
            s2 = Stream(srv.url, view, last=first_id)
            got = [json.loads(s2.event()["data"]) for _ in range(2)]
            assert got[0]["count"] == 150 and got[1]["ids"] == [third], got
            # ...or a reset when they are of another run.
            s3 = Stream(srv.url, view, last="12-7")
            assert s3.event()["event"] == "reset"
            # At most 3 streams.
            r = requests.get(srv.url + API + "/events", headers={
                "Authorization": f"Bearer {view}",
                "Accept": "text/event-stream"}, timeout=5)
            assert r.status_code == 503 and r.json()["error"]["code"] == \
                "unavailable", r.text
            # A stream whose client went away frees its place once a
            # write to it fails (the next events, or keep-alives).
            s3.close()
            t0 = time.monotonic()
            while time.monotonic() - t0 < 20:
                a.post(API + "/records", sight(4))
                s.event(), s2.event()
                r = requests.get(srv.url + API + "/events", headers={
                    "Authorization": f"Bearer {view}",
                    "Accept": "text/event-stream"}, timeout=5, stream=True)
                if r.status_code == 200:
                    r.close()
                    break
                time.sleep(0.2)
            else:
                raise AssertionError("a closed stream kept its place")
            # A stop with open streams ends them and exits at once.
            t0 = time.monotonic()
            srv.proc.send_signal(15)
            rest = s.rest(timeout=10)
            rc = srv.proc.wait(timeout=10)
            took = time.monotonic() - t0
            assert rc == 0 and took < 5, (rc, took, srv.stderr())
            assert rest.endswith(b"0\r\n\r\n"), rest[-40:]
            s.close()
            s2.close()


def test_events_of_sync():
    """Records that arrive by sync make an event on the receiving node."""
    with TempDir() as tmp:
        sn_key, sn_pub = (os.path.join(tmp, "sn.key"),
                          os.path.join(tmp, "sn.pub"))
        ml_key, ml_pub = (os.path.join(tmp, "ml.key"),
                          os.path.join(tmp, "ml.pub"))
        ok("nation", "keygen", "--nation", "SN", "--out",
           os.path.join(tmp, "sn"))
        ok("nation", "keygen", "--nation", "ML", "--out",
           os.path.join(tmp, "ml"))
        sn = os.path.join(tmp, "sn-node")
        ml = os.path.join(tmp, "ml-node")
        ok("init", "--dir", sn, "--nation", "SN", "--name", "PC essai SN",
           "--nation-key", sn_key)
        ok("init", "--dir", ml, "--nation", "ML", "--name", "PC essai ML",
           "--nation-key", ml_key)
        add_user(sn, "reporter", "reporter")
        add_user(ml, "viewer", "viewer")
        rep = create_token(sn, "reporter")
        view = create_token(ml, "viewer")
        ok("peer", "add", "--dir", ml, "--name", "SN-ZM4", "--nation", "SN",
           "--nation-pub", sn_pub)
        with Server(ml) as mls:
            ok("peer", "add", "--dir", sn, "--name", "ML-RM4", "--nation",
               "ML", "--nation-pub", ml_pub, "--url", mls.url)
            with Server(sn) as sns:
                s = Stream(mls.url, view)
                rid = Api(sns.url, token=rep).post(
                    API + "/records", sight(7, audience="SN,ML")).json()["id"]
                ev = s.event(timeout=30)
                assert json.loads(ev["data"])["ids"] == [rid], ev
                s.close()


if __name__ == "__main__":
    main([test_page_and_assets, test_api_gzip_and_history, test_tiles,
          test_events, test_events_of_sync])
