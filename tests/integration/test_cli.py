"""CLI integration tests: the real diboli binary on temporary nodes.
Every bad input gets one clear line naming the field, exit 1 (2 for
usage), and changes nothing."""
import csv
import io
import json
import os
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403

NAME = "Zone militaire n°4 — PC Tambacounda"


def new_node(tmp, nation="SN", name=NAME, sub="node"):
    d = os.path.join(tmp, sub)
    ok("init", "--dir", d, "--nation", nation, "--name", name)
    return d


def counts(d):
    return ok("node", "show", "--dir", d, "--json").json()["counts"]


def add(d, *args):
    return ok("record", "add", "--dir", d, *args).out.strip()


SIGHT = ["--category", "security.armed_group.sighting",
         "--at", "2025-02-21T08:00:00Z"]


def test_init_and_show():
    with TempDir() as tmp:
        d = new_node(tmp)
        key = os.path.join(d, "node.key")
        assert oct(os.stat(key).st_mode & 0o777) == "0o600"
        info = ok("node", "show", "--dir", d, "--json").json()
        assert info["nation"] == "SN" and info["name"] == NAME
        assert len(info["node"]) == 64
        assert info["counts"]["records"] == 0
        text = ok("node", "show", "--dir", d).out
        assert "Senegal" in text and NAME in text
        fails(1, "init", "--dir", d, "--nation", "SN", "--name", "x",
              must="already holds a node")
        fails(1, "init", "--dir", os.path.join(tmp, "x"), "--nation", "XX",
              "--name", "x", must="nation")
        fails(1, "init", "--dir", os.path.join(tmp, "y"), "--nation",
              "Senegal", "--name", "x", must="nation")
        assert not os.path.exists(os.path.join(tmp, "y", "diboli.db"))
        fails(2, "init", "--dir", os.path.join(tmp, "z"))
        fails(1, "node", "show", "--dir", os.path.join(tmp, "none"),
              must="no node")


def test_add_every_notation():
    with TempDir() as tmp:
        d = new_node(tmp)
        ids = [
            add(d, *SIGHT, "--lat", "14.467", "--lon", "-12.217",
                "--attr", "strength=12", "--attr", "direction=NE"),
            add(d, *SIGHT, "--mgrs", "28PFA4410522578"),
            add(d, *SIGHT, "--coords", "14°28'N 12°13'W"),
            add(d, *SIGHT, "--coords", "28N 800025 1601197"),
            add(d, "--category", "security.suspicious_activity", "--at",
                "2025-02-21T09:00:00+01:00", "--geometry",
                '{"type":"Point","coordinates":[-12.2,14.47]}',
                "--audience", "SN,ML"),
        ]
        assert len(set(ids)) == 5
        r = ok("record", "get", "--dir", d, ids[1], "--json").json()
        assert r["mgrs"] == "28PFA4410522578"
        lon, lat = r["geometry"]["coordinates"]
        assert abs(lat - 13.769) < 1e-5 and abs(lon + 13.667) < 1e-5
        r = ok("record", "get", "--dir", d, ids[2], "--json").json()
        lon, lat = r["geometry"]["coordinates"]
        assert abs(lat - (14 + 28 / 60)) < 1e-7
        r = ok("record", "get", "--dir", d, ids[4], "--json").json()
        assert r["observed_at"] == "2025-02-21T08:00:00Z"
        assert r["audience"] == ["ML", "SN"]
        sheet = ok("record", "get", "--dir", d, ids[0]).out
        assert "Observation d'un groupe armé" in sheet
        assert "Nord-Est" in sheet and "MGRS" in sheet
        sheet = ok("record", "get", "--dir", d, ids[0], "--lang", "en").out
        assert "Armed group sighting" in sheet
        assert counts(d)["records"] == 5


def test_json_input_and_bulk():
    with TempDir() as tmp:
        d = new_node(tmp)
        one = {"category": "environment.water.sample",
               "observed_at": "2025-03-02T10:00:00Z",
               "location": "14.45 -12.21",
               "attributes": {"mercury_ugl": 7.5, "ph": 7.1,
                              "turbidity_ntu": 120}}
        rid = ok("record", "add", "--dir", d, "--json", "-",
                 input=json.dumps(one)).out.strip()
        assert len(rid) == 36
        path = os.path.join(tmp, "bulk.json")
        many = [dict(one, observed_at=f"2025-03-02T10:{i:02d}:00Z")
                for i in range(50)]
        many[37] = dict(many[37], attributes={"ph": 15})
        with open(path, "w") as f:
            json.dump({"records": many}, f)
        fails(1, "record", "add", "--dir", d, "--json", path,
              must="records[37].attributes.ph")
        assert counts(d)["records"] == 1
        many[37] = one
        with open(path, "w") as f:
            json.dump(many, f)
        out = ok("record", "add", "--dir", d, "--json", path).out.split()
        assert len(out) == 50
        c = counts(d)
        assert c["records"] == 51 and c["blocks"] == 2
        fails(1, "record", "add", "--dir", d, "--json", "-", input="{oops",
              must="stdin: line 1, column 2")
        fails(2, "record", "add", "--dir", d, "--json", path,
              "--category", "x")


def test_ndjson_large_import():
    """NDJSON of more records than one block: all in one transaction, and
    one bad line anywhere writes nothing and names the line."""
    with TempDir() as tmp:
        d = new_node(tmp)
        rec = {"category": "corridor.transit_count",
               "observed_at": "2025-03-02T10:00:00Z",
               "location": "14.45 -12.21",
               "attributes": {"trucks": 12, "period_hours": 2}}
        lines = [json.dumps(dict(rec, observed_at=f"2025-03-02T10:{i % 60:02d}:00Z"))
                 for i in range(23000)]
        bad = list(lines)
        bad[21000] = json.dumps(dict(rec, attributes={"trucks": -1,
                                                      "period_hours": 2}))
        path = os.path.join(tmp, "in.ndjson")
        with open(path, "w") as f:
            f.write("\n".join(bad[:500]) + "\n\n" + "\n".join(bad[500:]))
        fails(1, "record", "add", "--dir", d, "--json", path,
              must="line 21002: attributes.trucks")
        assert counts(d)["records"] == 0
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        out = ok("record", "add", "--dir", d, "--json", path).out.split()
        assert len(out) == 23000 and len(set(out)) == 23000
        c = counts(d)
        assert c["records"] == 23000 and c["blocks"] == 3
        assert "23000 records" in ok("log", "verify", "--dir", d).out


def test_bad_input_changes_nothing():
    with TempDir() as tmp:
        d = new_node(tmp)
        base = ["record", "add", "--dir", d]
        cases = [
            (SIGHT + ["--lat", "91", "--lon", "-12"], "lat"),
            (SIGHT + ["--lat", "14", "--lon", "-181"], "lon"),
            (SIGHT + ["--lat", "quatorze", "--lon", "-12"], "lat"),
            (["--category", "security.nope", "--at", "2025-02-21T08:00:00Z",
              "--lat", "14", "--lon", "-12"], "category"),
            (SIGHT + ["--lat", "14", "--lon", "-12", "--attr", "colour=red"],
             "attributes.colour"),
            (SIGHT + ["--lat", "14", "--lon", "-12", "--attr",
                      "strength=beaucoup"], "attributes.strength"),
            (SIGHT + ["--lat", "14", "--lon", "-12", "--audience", "SN,XX"],
             "audience"),
            (["--category", "security.armed_group.sighting", "--at",
              "21/02/2025 08:00", "--lat", "14", "--lon", "-12"],
             "observed_at"),
            (["--category", "security.armed_group.sighting", "--at",
              "2025-02-30T08:00:00Z", "--lat", "14", "--lon", "-12"],
             "observed_at"),
            (SIGHT + ["--lat", "14", "--lon", "-12", "--attr",
                      "remarks=" + "x" * 5000], "attributes.remarks"),
            (SIGHT + ["--mgrs", "28PZZ123"], "mgrs"),
            (SIGHT, "geometry"),
            (SIGHT + ["--lat", "14", "--lon", "-12", "--audience", "ML"],
             "audience"),
        ]
        for args, field in cases:
            r = fails(1, *base, *args)
            lines = [l for l in r.err.splitlines() if l.strip()]
            assert len(lines) == 1, r
            assert field in lines[0], (field, r)
        assert counts(d)["records"] == 0
        fails(2, *base, "--bogus")
        fails(2, "record", "frobnicate", "--dir", d)
        fails(2, "record", "add")
        fails(1, "record", "get", "--dir", d, "not-an-id", must="id")
        fails(1, "record", "get", "--dir", d,
              "0195224a-3c00-7d1e-8f00-0123456789ab", must="no record")


def test_list_formats():
    with TempDir() as tmp:
        d = new_node(tmp)
        for i in range(1, 8):
            add(d, "--category", "corridor.checkpoint_stop", "--at",
                f"2025-03-0{i}T10:00:00Z", "--lat", str(14.4 + i * 0.01),
                "--lon", "-12.3", "--attr", "agency=police",
                "--attr", f"payment_xof={i * 500}")
        add(d, *SIGHT, "--lat", "12.6", "--lon", "-11.4")
        gj = json.loads(ok("record", "list", "--dir", d, "--format",
                           "geojson").out)
        assert gj["type"] == "FeatureCollection"
        assert gj["numberReturned"] == 8 and len(gj["features"]) == 8
        f0 = gj["features"][0]
        assert f0["type"] == "Feature" and f0["geometry"]["type"] == "Point"
        assert f0["properties"]["category"] == "corridor.checkpoint_stop"
        rows = list(csv.DictReader(io.StringIO(ok(
            "record", "list", "--dir", d, "--format", "csv",
            "--bbox", "-12.4,14.42,-12.2,14.455").out)))
        assert [r["observed_at"][:10] for r in rows] == [
            "2025-03-05", "2025-03-04", "2025-03-03", "2025-03-02"]
        assert json.loads(rows[0]["attributes"])["payment_xof"] == 2500
        rows = list(csv.DictReader(io.StringIO(ok(
            "record", "list", "--dir", d, "--format", "csv", "--from",
            "2025-03-03T00:00:00Z", "--to", "2025-03-05T23:59:59Z").out)))
        assert len(rows) == 3
        add(d, *SIGHT, "--lat", "12.61", "--lon", "-11.41", "--attr",
            "remarks=Pirogues aperçues près du gué de Satadougou, n°4 "
            "« l’équipe »")
        rows = list(csv.DictReader(io.StringIO(ok(
            "record", "list", "--dir", d, "--format", "csv", "--text",
            "apercues GUE").out)))
        assert len(rows) == 1 and "Satadougou" in rows[0]["attributes"]
        assert ok("record", "list", "--dir", d, "--format", "csv",
                  "--text", "pirogues absentes").out.count("\n") == 1
        for q in ["n°4", "«équipe»", "l’équipe", "\"gué\" OR x*", "AND"]:
            r = ok("record", "list", "--dir", d, "--format", "csv",
                   "--text", q)
            assert r.out.count("\n") in (1, 2), (q, r)
        t = ok("record", "list", "--dir", d, "--category", "security").out
        assert "Observation d'un groupe armé" in t
        assert "Arrêt" not in t
        fails(1, "record", "list", "--dir", d, "--bbox", "1,2,3", must="bbox")
        fails(1, "record", "list", "--dir", d, "--bbox", "10,2,3,4",
              must="bbox")
        fails(1, "record", "list", "--dir", d, "--from", "demain",
              must="from")
        fails(1, "record", "list", "--dir", d, "--limit", "0", must="limit")
        fails(2, "record", "list", "--dir", d, "--format", "xml")


def test_supersede_retract():
    with TempDir() as tmp:
        d = new_node(tmp)
        a = add(d, *SIGHT, "--lat", "14.467", "--lon", "-12.217",
                "--attr", "strength=12", "--audience", "SN,ML")
        b = ok("record", "supersede", "--dir", d, a, "--attr",
               "strength=15").out.strip()
        old = ok("record", "get", "--dir", d, a, "--json").json()
        new = ok("record", "get", "--dir", d, b, "--json").json()
        assert old["status"] == "superseded" and old["superseded_by"] == b
        assert new["supersedes"] == a and new["attributes"]["strength"] == 15
        assert new["geometry"] == old["geometry"]
        assert new["audience"] == ["ML", "SN"]
        fails(1, "record", "supersede", "--dir", d, b, "--audience", "SN",
              must="cannot be recalled")
        fails(1, "record", "supersede", "--dir", d, a, "--attr",
              "strength=1", must="already superseded")
        fails(2, "record", "retract", "--dir", d, b)
        ok("record", "retract", "--dir", d, b, "--reason", "Doublon")
        gone = ok("record", "get", "--dir", d, b, "--json").json()
        assert gone["status"] == "retracted" and gone["reason"] == "Doublon"
        out = ok("record", "list", "--dir", d, "--format", "csv").out
        assert out.count("\n") == 1  # header only
        v = ok("log", "verify", "--dir", d).out
        assert "3 records" in v and "0 current" in v


def test_tamper_database_file():
    with TempDir() as tmp:
        d = new_node(tmp)
        for i in range(30):
            add(d, *SIGHT, "--lat", "14.467", "--lon", "-12.217",
                "--attr", f"remarks=CANARI-{i:04d}")
        assert "ok:" in ok("log", "verify", "--dir", d).out
        db = os.path.join(d, "diboli.db")
        assert not os.path.exists(db + "-wal") or \
            os.path.getsize(db + "-wal") == 0
        with open(db, "r+b") as f:
            data = f.read()
            pos = data.find(b"CANARI-0017")
            assert pos > 0
            f.seek(pos + 10)
            f.write(b"8")
        r = fails(1, "log", "verify", "--dir", d)
        assert "records hash mismatch" in r.err, r
        assert "block 18 (seq 18-18)" in r.err, r
        assert "FAILED" in r.err


def test_model_load_extension():
    with TempDir() as tmp:
        d = new_node(tmp)
        ext = os.path.join(tmp, "ext.json")
        with open(ext, "w") as f:
            json.dump({"format": "diboli-model/1", "extends": "default",
                       "version": "sn-zone4.1", "categories": [{
                           "id": "security.piracy",
                           "label": {"fr": "Piraterie fluviale",
                                     "en": "River piracy"},
                           "attributes": [{"key": "boats",
                                           "type": "integer", "min": 0,
                                           "label": {"fr": "Pirogues",
                                                     "en": "Boats"}}]}]}, f)
        fails(1, "record", "add", "--dir", d, "--category",
              "security.piracy", "--at", "2025-03-01T00:00:00Z",
              "--lat", "14.4", "--lon", "-12.2", must="unknown category")
        assert "2025.1+sn-zone4.1" in ok("model", "load", "--dir", d,
                                         ext).out
        rid = add(d, "--category", "security.piracy", "--at",
                  "2025-03-01T00:00:00Z", "--lat", "14.4", "--lon", "-12.2",
                  "--attr", "boats=3")
        assert "Piraterie fluviale" in ok("record", "get", "--dir", d,
                                          rid).out
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"format": "diboli-model/1", "version": "x", '
                    '"languages": ["fr"], "categories": [{"id": 3}]}')
        fails(1, "model", "load", "--dir", d, bad, must="categories[0]")
        # The bad file changed nothing: the extension is still in force.
        assert "Pirogues" in ok("record", "get", "--dir", d, rid).out
        # Back to a model without the category: the record is kept.
        os.remove(os.path.join(d, "model.json"))
        sheet = ok("record", "get", "--dir", d, rid).out
        assert "security.piracy" in sheet and "inconnue" in sheet


def test_usage():
    assert "usage" in ok("--help").out
    assert "record" in ok("record", "--help").out
    fails(2, "frobnicate")
    fails(2)


def test_demo_seed_deterministic():
    with TempDir() as tmp:
        a = new_node(tmp, sub="a")
        b = new_node(tmp, sub="b", name="Autre nœud")
        ok("demo", "seed", "--dir", a, "--days", "20", "--seed", "3")
        ok("demo", "seed", "--dir", b, "--days", "20", "--seed", "3")
        la = ok("record", "list", "--dir", a, "--format", "csv").out
        lb = ok("record", "list", "--dir", b, "--format", "csv").out
        assert la == lb and la.count("\n") > 150
        cats = {r["category"].split(".")[0] for r in
                csv.DictReader(io.StringIO(la))}
        assert {"security", "corridor", "environment"} <= cats
        assert "ok:" in ok("log", "verify", "--dir", a).out
        fails(1, "demo", "seed", "--dir", a, "--days", "20", "--seed", "3",
              must="already")
        fails(1, "demo", "seed", "--dir", a, "--days", "0")


def test_kill_during_bulk_add():
    """kill -9 in the middle of a large append: all or nothing, and the
    store still verifies."""
    with TempDir() as tmp:
        d = new_node(tmp)
        rec = {"category": "corridor.transit_count",
               "observed_at": "2025-03-02T10:00:00Z",
               "location": "14.45 -12.21",
               "attributes": {"remarks": "x" * 1500}}
        path = os.path.join(tmp, "bulk.json")
        with open(path, "w") as f:
            json.dump([rec] * 10000, f)
        killed = 0
        for delay in (0.05, 0.15, 0.3):
            p = subprocess.Popen([DIBOLI, "record", "add", "--dir", d,
                                  "--json", path], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            try:
                p.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                p.wait()
                killed += 1
            n = counts(d)["records"]
            assert n % 10000 == 0, n
            assert "ok:" in ok("log", "verify", "--dir", d).out


def test_full_disk():
    """A write that fails for lack of space says so, and writes nothing."""
    with TempDir() as tmp:
        d = new_node(tmp)
        add(d, *SIGHT, "--lat", "14", "--lon", "-12")
        size = os.path.getsize(os.path.join(d, "diboli.db"))
        rec = {"category": "corridor.transit_count",
               "observed_at": "2025-03-02T10:00:00Z",
               "location": "14.45 -12.21",
               "attributes": {"remarks": "y" * 1900}}
        path = os.path.join(tmp, "bulk.json")
        with open(path, "w") as f:
            json.dump([rec] * 3000, f)

        def small_disk():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            lim = size + 200 * 1024
            resource.setrlimit(resource.RLIMIT_FSIZE, (lim, lim))

        p = subprocess.run([DIBOLI, "record", "add", "--dir", d, "--json",
                            path], capture_output=True, text=True,
                           preexec_fn=small_disk)
        assert p.returncode == 1, p
        assert p.stderr.count("\n") == 1 and "diboli:" in p.stderr, p.stderr
        assert counts(d)["records"] == 1
        assert "ok:" in ok("log", "verify", "--dir", d).out


if __name__ == "__main__":
    main([test_init_and_show, test_add_every_notation,
          test_json_input_and_bulk, test_ndjson_large_import,
          test_bad_input_changes_nothing,
          test_list_formats, test_supersede_retract, test_tamper_database_file,
          test_model_load_extension, test_usage,
          test_demo_seed_deterministic, test_kill_during_bulk_add,
          test_full_disk])
