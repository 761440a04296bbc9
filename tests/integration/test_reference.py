"""Reference geography over HTTP, against the real `diboli serve`: the list
of layers, each layer as GeoJSON (the exact bytes of data/reference/),
an unknown layer (404 naming the known ones), no login (401), every role
may read, and the node's own files: an override is served at once instead
of the built-in copy, a malformed one is refused with a message naming
the file and the problem (never replaced silently), the other layers
still answer, and removing it brings the built-in copy back."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from dib import SRC, TempDir, main  # noqa: E402
from server import ROLES, Api, Server, make_users, new_node  # noqa: E402

API = "/api/v1"
LAYERS = ["boundary", "sections", "places", "corridor"]
GEOJSON = "application/geo+json"
NOT_EMBEDDED = ("data/reference/*.geojson are not embedded in this build: "
                "add them to embed_files in CMakeLists.txt")


def show(r):
    return f"{r.status_code} {r.headers.get('Content-Type')} {r.text[:400]!r}"


def source_bytes(layer):
    with open(os.path.join(SRC, "data", "reference", f"{layer}.geojson"),
              "rb") as f:
        return f.read()


def check_error(r, status, code, field=None):
    assert r.status_code == status, show(r)
    assert r.headers.get("Content-Type", "").startswith(
        "application/json"), show(r)
    e = r.json()["error"]
    assert e["code"] == code, show(r)
    assert isinstance(e["message"], str) and e["message"], show(r)
    if field is not None:
        assert e["field"] == field, show(r)
    return e


def listing(api):
    r = api.get(API + "/reference")
    assert r.status_code == 200, show(r)
    assert r.headers["Content-Type"].startswith("application/json"), show(r)
    layers = r.json()["layers"]
    assert [x["name"] for x in layers] == LAYERS, layers
    for x in layers:
        assert x["href"] == f"{API}/reference/{x['name']}", x
    return {x["name"]: x for x in layers}


def put(d, layer, text):
    os.makedirs(os.path.join(d, "reference"), exist_ok=True)
    path = os.path.join(d, "reference", f"{layer}.geojson")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def test_layers():
    with TempDir() as tmp:
        d = new_node(tmp)
        tok = make_users(d, ["viewer"])["viewer"][1]
        with Server(d) as srv:
            api = Api(srv.url, token=tok)
            got = listing(api)
            missing = [n for n, x in got.items() if "error" in x]
            assert not missing, f"{NOT_EMBEDDED}: {got}"
            for name in LAYERS:
                x = got[name]
                assert x["source"] == "embedded", (NOT_EMBEDDED, x)
                r = api.get(f"{API}/reference/{name}")
                assert r.status_code == 200, show(r)
                assert r.headers["Content-Type"] == GEOJSON, show(r)
                # The built-in copy is the repository's file, byte for byte.
                assert r.content == source_bytes(name), \
                    f"{name}: the binary embeds another version of " \
                    f"data/reference/{name}.geojson: rebuild"
                fc = r.json()
                assert fc["type"] == "FeatureCollection"
                assert len(fc["features"]) == x["features"], (name, x)
                ids = [f["id"] for f in fc["features"]]
                assert len(set(ids)) == len(ids), name
                for f in fc["features"]:
                    p = f["properties"]
                    assert p["name_fr"] and p["name_en"] and p["kind"], f
                    for c in ([f["geometry"]["coordinates"]]
                              if f["geometry"]["type"] == "Point"
                              else f["geometry"]["coordinates"]):
                        assert -180 <= c[0] <= 180 and -90 <= c[1] <= 90
                        # 6 decimals at most.
                        assert all(round(v, 6) == v for v in c), c
                h = api.req("HEAD", f"{API}/reference/{name}")
                assert h.status_code == 200 and h.content == b"", show(h)
            secs = api.get(f"{API}/reference/sections").json()["features"]
            assert [f["id"] for f in secs] == \
                [f"SEC-{i:02d}" for i in range(1, 14)]
            for a, b in zip(secs, secs[1:]):
                assert a["geometry"]["coordinates"][-1] == \
                    b["geometry"]["coordinates"][0], (a["id"], b["id"])
                assert a["properties"]["to_km"] == \
                    b["properties"]["from_km"]
            print("     layers: " + ", ".join(
                f"{n} ({got[n]['features']} features)" for n in LAYERS))


def test_not_found_and_auth():
    with TempDir() as tmp:
        d = new_node(tmp)
        users = make_users(d)
        with Server(d) as srv:
            api = Api(srv.url, token=users["viewer"][1])
            for bad in ("rivers", "Sections", "sections.geojson", "..",
                        "%C3%A9", "places%2Fx"):
                e = check_error(api.get(f"{API}/reference/{bad}"), 404,
                                "not_found")
                if bad not in ("..", "places%2Fx"):
                    assert "boundary, sections, places, corridor" in \
                        e["message"], e
            for path in (f"{API}/reference/", f"{API}/reference/sections/x",
                         f"{API}/reference/sections/"):
                check_error(api.get(path), 404, "not_found")
            e = check_error(api.post(f"{API}/reference", {}), 405,
                            "method_not_allowed")
            # Not logged in: 401 on both, whatever the layer.
            anon = Api(srv.url)
            for path in (f"{API}/reference", f"{API}/reference/sections",
                         f"{API}/reference/rivers"):
                r = anon.get(path)
                check_error(r, 401, "unauthenticated")
                assert r.headers.get("WWW-Authenticate"), show(r)
            check_error(Api(srv.url, token="x" * 43).get(
                f"{API}/reference"), 401, "unauthenticated")
            # Every role reads, with a token or a session.
            for role in ROLES:
                pw, tok = users[role]
                for a in (Api(srv.url, token=tok),
                          Api.login(srv.url, role, pw)):
                    assert a.get(f"{API}/reference").status_code == 200
                    r = a.get(f"{API}/reference/places")
                    assert r.status_code == 200, (role, show(r))
            assert srv.alive()


TWO = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "N-01", "properties": {
        "seq": 1, "name_fr": "Amont (relevé du nœud)",
        "name_en": "Upstream (node survey)"},
     "geometry": {"type": "LineString", "coordinates": [
         [-12.2635, 14.7756], [-12.2203, 14.3906]]}},
    {"type": "Feature", "id": "N-02", "properties": {
        "seq": 2, "name_fr": "Aval", "name_en": "Downstream"},
     "geometry": {"type": "LineString", "coordinates": [
         [-12.2203, 14.3906], [-11.3887, 12.4032]]}}]}


def test_node_override():
    with TempDir() as tmp:
        d = new_node(tmp)
        tok = make_users(d, ["viewer"])["viewer"][1]
        with Server(d) as srv:
            api = Api(srv.url, token=tok)
            before = listing(api)
            # A node file replaces the layer at once (no restart).
            text = json.dumps(TWO, ensure_ascii=False, indent=1) + "\n"
            put(d, "sections", text)
            r = api.get(f"{API}/reference/sections")
            assert r.status_code == 200, show(r)
            assert r.headers["Content-Type"] == GEOJSON
            assert r.content == text.encode(), show(r)
            got = listing(api)
            assert got["sections"]["source"] == "node", got
            assert got["sections"]["features"] == 2, got
            for n in ("boundary", "places", "corridor"):
                assert got[n] == before[n], (got[n], before[n])
            # A malformed node file is refused, naming the file, the
            # member and the problem; the other layers still answer.
            bad = json.loads(json.dumps(TWO))
            bad["features"][1]["geometry"] = {
                "type": "Point", "coordinates": [-12.2, 14.4]}
            put(d, "sections", json.dumps(bad))
            e = check_error(api.get(f"{API}/reference/sections"), 500,
                            "invalid", "features[1].geometry.type")
            assert "reference/sections.geojson" in e["message"], e
            assert "LineString" in e["message"], e
            put(d, "places", "{\"type\": \"FeatureCollection\", "
                "\"features\": [")
            e = check_error(api.get(f"{API}/reference/places"), 500,
                            "invalid")
            assert e["message"].startswith("reference/places.geojson: "
                                           "line 1"), e
            put(d, "corridor", json.dumps({
                "type": "FeatureCollection", "features": [{
                    "type": "Feature", "properties": {"kind": "x"},
                    "geometry": {"type": "Point",
                                 "coordinates": [-12, 14]}}]}))
            check_error(api.get(f"{API}/reference/corridor"), 500,
                        "invalid", "features[0].id")
            got = listing(api)
            for n in ("sections", "places", "corridor"):
                assert got[n]["error"]["code"] == "invalid", got[n]
                assert "source" not in got[n], got[n]
            assert got["boundary"] == before["boundary"], got
            r = api.get(f"{API}/reference/boundary")
            assert r.status_code == 200, show(r)
            # Removing the files brings the built-in copies back.
            for n in ("sections", "places", "corridor"):
                os.remove(os.path.join(d, "reference", f"{n}.geojson"))
            assert listing(api) == before
            assert api.get(f"{API}/reference/sections").content == \
                source_bytes("sections")
            assert srv.alive()


if __name__ == "__main__":
    main([test_layers, test_not_found_and_auth, test_node_override])
