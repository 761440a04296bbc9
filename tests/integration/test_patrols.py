"""Joint patrol integration tests: two certified nodes (SN Zone militaire
n°4, ML Région militaire n°4) with real servers. SN plans and proposes
through the API, ML approves through its own API after `diboli sync`, SN
sees the patrol approved after syncing back, and both nodes derive the
same status and approvals from the same records. Roles (a reporter may
not approve), double approval, reasons, transitions (start before
approval: 409), approvals of an old plan version, the CLI, and the demo
seeding of joint patrols on a pair of nodes; GPS tracks from both sides
(API and `diboli import gpx`), bad GPX, the debrief computed identically
on both nodes, the exports and the calendar by border section."""
import json
import os
import resource
import sys
import time
import uuid
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403
from server import Api, Server, add_user, create_token  # noqa: E402
from pair import Pair, check_error, show  # noqa: E402

from pair import API, ML_NAME, SN_NAME  # noqa: E402

# The users of each node (login = role).
ROLES = {"SN": ("reporter", "analyst", "commander", "admin"),
         "ML": ("reporter", "commander")}
# Along the Falémé from Kidira south (the Senegalese bank).
ROUTE = {"type": "LineString",
         "coordinates": [[-12.247, 14.499], [-12.232, 14.434],
                         [-12.128, 14.325], [-12.046, 14.266],
                         [-12.017, 14.104]]}


def plan(code="JP-101", **kw):
    p = {"code": code, "patrol_type": "vehicle",
         "objective": "Reconnaissance de la rive gauche de la Falémé",
         "window_start": "2025-03-10T06:00:00Z",
         "window_end": "2025-03-10T18:00:00Z",
         "nations": ["SN", "ML"], "geometry": ROUTE}
    p.update(kw)
    return p


def post_ok(api, path, body=None, status=201):
    r = api.post(path, body)
    assert r.status_code == status, show(r)
    return r.json()


def get_patrol(api, pid):
    r = api.get(f"{API}/patrols/{pid}")
    assert r.status_code == 200, show(r)
    return r.json()


def cli_show(d, pid):
    return json.loads(ok("patrol", "show", pid, "--dir", d, "--json").out)


def test_joint_lifecycle():
    with TempDir() as tmp:
        f = Pair(tmp, ROLES)
        try:
            sn_cmd = f.api("SN", "commander")
            sn_rep = f.api("SN", "reporter")
            ml_cmd = f.api("ML", "commander")
            ml_rep = f.api("ML", "reporter")

            # Validation names the field (422); the node's nation must
            # take part; an unknown field is refused.
            check_error(sn_cmd.post(API + "/patrols", plan(
                window_end="2025-03-10T05:00:00Z")), 422, "invalid",
                "window_end")
            check_error(sn_cmd.post(API + "/patrols", plan(nations=["ML"])),
                        422, "invalid", "nations")
            bad = plan()
            del bad["code"]
            check_error(sn_cmd.post(API + "/patrols", bad), 422, "invalid",
                        "code")
            check_error(sn_cmd.post(API + "/patrols", plan(leader="x")),
                        422, "invalid", "leader")
            check_error(sn_cmd.post(API + "/patrols", plan(geometry={
                "type": "Point", "coordinates": [-12.2, 14.4]})), 422,
                "invalid", "geometry")

            # SN creates (a commander), SN's reporter adds a unit.
            r = sn_cmd.post(API + "/patrols", plan())
            assert r.status_code == 201, show(r)
            pid = r.json()["id"]
            assert r.headers["Location"] == f"{API}/patrols/{pid}"
            p = r.json()["patrol"]
            assert p["status"] == "draft" and p["id"] == pid, p
            assert p["audience"] == ["ML", "SN"], p
            assert p["approvals"] == {
                "ML": {"approved": False, "at": None, "record": None,
                       "rejected": False},
                "SN": {"approved": False, "at": None, "record": None,
                       "rejected": False}}, p
            r = sn_rep.post(f"{API}/patrols/{pid}/units", {
                "unit": "Brigade de gendarmerie de Kidira",
                "leader": "Adjudant-chef", "strength": 12})
            assert r.status_code == 201, show(r)
            check_error(sn_rep.post(f"{API}/patrols/{pid}/units", {
                "nation": "ML", "unit": "Police de Diboli"}), 422,
                "invalid", "nation")
            assert post_ok(sn_rep, f"{API}/patrols/{pid}/legs", {
                "seq": 1, "lead_nation": "SN", "location": "14.434 -12.232",
                "start": "2025-03-10T06:00:00Z",
                "end": "2025-03-10T12:00:00Z"})["patrol"]["legs"][0][
                "mgrs"]

            # Not yet proposed: approving and starting are refused.
            e = check_error(sn_cmd.post(f"{API}/patrols/{pid}/approve"),
                            409, "conflict", "status")
            assert "draft" in e["message"], e
            # Proposing needs "create" only: SN's reporter proposes.
            p = post_ok(sn_rep, f"{API}/patrols/{pid}/propose")["patrol"]
            assert p["status"] == "proposed", p
            check_error(sn_rep.post(f"{API}/patrols/{pid}/propose"), 409,
                        "conflict")
            # A reporter may not approve (nor reject): 403.
            check_error(sn_rep.post(f"{API}/patrols/{pid}/approve"), 403,
                        "forbidden")
            check_error(sn_rep.post(f"{API}/patrols/{pid}/reject",
                                    {"reason": "non"}), 403, "forbidden")
            # Start before approval: 409 naming the status.
            e = check_error(sn_cmd.post(f"{API}/patrols/{pid}/start"), 409,
                            "conflict", "status")
            assert "proposed" in e["message"], e
            # Reject needs a reason: 422.
            check_error(sn_cmd.post(f"{API}/patrols/{pid}/reject"), 422,
                        "invalid", "reason")
            check_error(sn_cmd.post(f"{API}/patrols/{pid}/reject",
                                    {"reason": ""}), 422, "invalid",
                        "reason")
            check_error(sn_cmd.post(f"{API}/patrols/{pid}/reject",
                                    {"why": "x"}), 422, "invalid", "why")
            # SN's commander approves; approving twice does not make the
            # joint patrol approved: it is still ML's call.
            p = post_ok(sn_cmd, f"{API}/patrols/{pid}/approve")["patrol"]
            assert p["status"] == "proposed", p
            assert p["approvals"]["SN"]["approved"] is True, p
            assert p["approvals"]["ML"]["approved"] is False, p
            e = check_error(sn_cmd.post(f"{API}/patrols/{pid}/approve"),
                            409, "conflict")
            assert "already approved" in e["message"], e
            p = get_patrol(sn_cmd, pid)
            assert p["status"] == "proposed", p
            assert [a["action"] for a in p["actions"]] == ["propose",
                                                           "approve"], p

            # Unknown and malformed ids.
            check_error(sn_cmd.get(f"{API}/patrols/{uuid.uuid4()}"), 404,
                        "not_found")
            check_error(sn_cmd.post(f"{API}/patrols/{uuid.uuid4()}/start"),
                        404, "not_found")
            check_error(sn_cmd.get(f"{API}/patrols/xyz"), 400)

            # ML knows nothing until sync.
            check_error(ml_cmd.get(f"{API}/patrols/{pid}"), 404,
                        "not_found")
            f.sync()
            p = get_patrol(ml_cmd, pid)
            assert p["status"] == "proposed", p
            # ML's reporter cannot approve; ML's commander does, for ML:
            # its node signs as ML.
            check_error(ml_rep.post(f"{API}/patrols/{pid}/approve"), 403,
                        "forbidden")
            assert post_ok(ml_rep, f"{API}/patrols/{pid}/units", {
                "unit": "Commissariat de police de Diboli",
                "leader": "Faucon 2", "strength": 8})
            p = post_ok(ml_cmd, f"{API}/patrols/{pid}/approve")["patrol"]
            assert p["status"] == "approved", p
            assert p["actions"][-1]["nation"] == "ML", p
            # ML cannot change SN's plan.
            check_error(ml_cmd.req("PATCH", f"{API}/patrols/{pid}",
                                   json_body={"objective": "autre"}), 403)

            # Back to SN: approved there too, the same on both nodes.
            assert get_patrol(sn_cmd, pid)["status"] == "proposed"
            f.sync()
            a, b = get_patrol(sn_cmd, pid), get_patrol(ml_cmd, pid)
            assert a["status"] == b["status"] == "approved", (a, b)
            assert a["approvals"] == b["approvals"], (a, b)
            assert a == b, (a, b)
            ca, cb = cli_show(f.sn, pid), cli_show(f.ml, pid)
            assert ca["status"] == cb["status"] == "approved"
            assert ca["approvals"] == cb["approvals"]
            assert sorted(ca["units"]) == ["ML", "SN"] and \
                len(ca["units"]["ML"]) == len(ca["units"]["SN"]) == 1, ca

            # SN changes the plan (an analyst: "change"): approvals were
            # for the old version, so it is proposed again everywhere.
            check_error(sn_rep.req("PATCH", f"{API}/patrols/{pid}",
                                   json_body={"objective": "x"}), 403)
            r = f.api("SN", "analyst").req(
                "PATCH", f"{API}/patrols/{pid}",
                json_body={"window_end": "2025-03-10T20:00:00Z"})
            assert r.status_code == 201, show(r)
            p = r.json()["patrol"]
            assert p["status"] == "proposed" and p["versions"] == 2, p
            assert p["plan_version"] == r.json()["id"] != pid, p
            assert p["window_end"] == "2025-03-10T20:00:00Z", p
            assert p["approvals"]["SN"]["approved"] is False, p
            f.sync()
            assert get_patrol(ml_cmd, pid)["status"] == "proposed"
            post_ok(ml_cmd, f"{API}/patrols/{pid}/approve")
            post_ok(sn_cmd, f"{API}/patrols/{pid}/approve")
            f.sync()
            for api in (sn_cmd, ml_cmd):
                assert get_patrol(api, pid)["status"] == "approved"

            # Underway, an observation, debriefs, completed.
            check_error(sn_cmd.post(f"{API}/patrols/{pid}/debrief",
                                    {"text": "RAS"}), 409, "conflict")
            p = post_ok(sn_rep, f"{API}/patrols/{pid}/start")["patrol"]
            assert p["status"] == "underway", p
            r = sn_rep.post(API + "/records", {
                "category": "environment.dredge_sighting",
                "observed_at": "2025-03-10T09:30:00Z", "audience": "ML,SN",
                "geometry": {"type": "Point",
                             "coordinates": [-12.128, 14.325]},
                "attributes": {"dredges": 4, "bank": "river"},
                "patrol": pid})
            assert r.status_code == 201, show(r)
            post_ok(sn_rep, f"{API}/patrols/{pid}/complete")
            post_ok(sn_rep, f"{API}/patrols/{pid}/debrief",
                    {"text": "Itinéraire parcouru ; quatre dragues vues."})
            f.sync()
            post_ok(ml_rep, f"{API}/patrols/{pid}/debrief",
                    {"text": "Relève au point convenu, sans incident."})
            f.sync()
            a, b = cli_show(f.sn, pid), cli_show(f.ml, pid)
            assert a["status"] == b["status"] == "completed", (a, b)
            assert a["approvals"] == b["approvals"]
            assert a["observations"] == b["observations"] == 1, a
            assert sorted(x["nation"] for x in a["debriefs"]) == ["ML",
                                                                  "SN"]
            check_error(sn_cmd.post(f"{API}/patrols/{pid}/abort",
                                    {"reason": "trop tard"}), 409,
                        "conflict")

            # Lists and their filters.
            r = sn_cmd.get(f"{API}/patrols?status=completed&nation=ML")
            assert r.status_code == 200, show(r)
            assert [x["id"] for x in r.json()["patrols"]] == [pid]
            assert r.json()["patrols"][0]["units"] == 2
            r = sn_cmd.get(f"{API}/patrols?from=2025-03-11T00:00:00Z")
            assert r.status_code == 200 and r.json()["patrols"] == [], \
                show(r)
            r = sn_cmd.get(f"{API}/patrols?to=2025-03-10T06:00:00Z")
            assert len(r.json()["patrols"]) == 1, show(r)
            check_error(sn_cmd.get(f"{API}/patrols?status=done"), 400)
            check_error(sn_cmd.get(f"{API}/patrols?section=S01"), 400)
            check_error(Api(f.sns.url).get(f"{API}/patrols"), 401)

            # Every write is audited on the node that made it.
            rows = json.loads(ok("audit", "list", "--dir", f.sn,
                                 "--json", "--limit", "500").out)
            rows = rows if isinstance(rows, list) else rows.get(
                "events", [])
            acts = [x["action"] for x in rows if x["result"] == "ok" and
                    x["action"].startswith("patrols.")]
            for want in ("patrols.create", "patrols.unit", "patrols.leg",
                         "patrols.propose", "patrols.approve",
                         "patrols.update", "patrols.start",
                         "patrols.complete", "patrols.debrief"):
                assert want in acts, (want, acts)
            assert acts.count("patrols.approve") == 2, acts
            for d in (f.sn, f.ml):
                assert "ok:" in ok("log", "verify", "--dir", d).out
        finally:
            f.close()


def test_reject_then_amend():
    with TempDir() as tmp:
        f = Pair(tmp, ROLES)
        try:
            sn_cmd = f.api("SN", "commander")
            ml_cmd = f.api("ML", "commander")
            pid = post_ok(sn_cmd, API + "/patrols", plan("JP-102",
                          patrol_type="boat"))["id"]
            post_ok(sn_cmd, f"{API}/patrols/{pid}/propose")
            post_ok(sn_cmd, f"{API}/patrols/{pid}/approve")
            f.sync()
            p = post_ok(ml_cmd, f"{API}/patrols/{pid}/reject", {
                "reason": "Fenêtre en conflit avec une opération de la "
                          "RM4"})["patrol"]
            assert p["status"] == "rejected", p
            assert p["approvals"]["ML"]["rejected"] is True, p
            check_error(ml_cmd.post(f"{API}/patrols/{pid}/approve"), 409)
            f.sync()
            assert get_patrol(sn_cmd, pid)["status"] == "rejected"
            check_error(sn_cmd.post(f"{API}/patrols/{pid}/start"), 409)
            # The answer to a rejection is a new version of the plan.
            r = sn_cmd.req("PATCH", f"{API}/patrols/{pid}", json_body={
                "window_start": "2025-03-11T06:00:00Z",
                "window_end": "2025-03-11T18:00:00Z"})
            assert r.status_code == 201, show(r)
            assert r.json()["patrol"]["status"] == "proposed"
            post_ok(sn_cmd, f"{API}/patrols/{pid}/approve")
            f.sync()
            post_ok(ml_cmd, f"{API}/patrols/{pid}/approve")
            f.sync()
            a, b = get_patrol(sn_cmd, pid), get_patrol(ml_cmd, pid)
            assert a == b and a["status"] == "approved", (a, b)
            # Aborting needs a reason, then ends it for both.
            check_error(ml_cmd.post(f"{API}/patrols/{pid}/abort"), 422,
                        "invalid", "reason")
            post_ok(ml_cmd, f"{API}/patrols/{pid}/abort",
                    {"reason": "Crue de la Falémé"})
            f.sync()
            p = get_patrol(sn_cmd, pid)
            assert p["status"] == "aborted", p
            assert p["actions"][-1]["reason"] == "Crue de la Falémé", p
            assert p["actions"][-1]["nation"] == "ML", p
        finally:
            f.close()


def test_cli():
    with TempDir() as tmp:
        d = os.path.join(tmp, "sn")
        ok("init", "--dir", d, "--nation", "SN", "--name", SN_NAME)
        route = os.path.join(tmp, "route.geojson")
        with open(route, "w") as fh:
            json.dump({"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {}, "geometry": ROUTE}]},
                fh)
        base = ["--dir", d, "--code", "JP-201", "--type", "boat",
                "--nations", "SN,ML", "--from", "2025-03-12T06:00:00Z",
                "--to", "2025-03-12T16:00:00Z"]
        pid = ok("patrol", "create", *base, "--route", route,
                 "--objective", "Patrouille fluviale").out.strip()
        assert uuid.UUID(pid), pid
        inline = ok("patrol", "create", *base, "--area",
                    '{"type":"Polygon","coordinates":[[[-12.3,14.4],'
                    '[-12.1,14.4],[-12.1,14.6],[-12.3,14.4]]]}').out.strip()
        fails(1, "patrol", "create", *base, "--route",
              '{"type":"Point","coordinates":[-12.2,14.4]}',
              must="LineString")
        fails(2, "patrol", "create", *base[:2], "--code", "X")
        fails(1, "patrol", "create", "--dir", d, "--code", "JP-202",
              "--type", "boat", "--nations", "SN,ML", "--from",
              "2025-03-12T06:00:00Z", "--to", "2025-03-12T05:00:00Z",
              "--route", route, must="window_end")
        ok("patrol", "unit", "add", pid, "--dir", d, "--unit",
           "Section fluviale", "--leader", "Sergent-chef", "--strength", "9")
        fails(1, "patrol", "unit", "add", pid, "--dir", d, "--unit", "X",
              "--nation", "ML", must="nation")
        ok("patrol", "leg", "add", pid, "--dir", d, "--seq", "1",
           "--lead-nation", "SN", "--lat", "14.43", "--lon", "-12.23")
        ok("patrol", "propose", pid, "--dir", d)
        r = ok("patrol", "approve", pid, "--dir", d)
        assert "proposée" in r.err, r
        fails(1, "patrol", "approve", pid, "--dir", d,
              must="already approved")
        fails(1, "patrol", "start", pid, "--dir", d, must="proposed")
        fails(2, "patrol", "reject", pid, "--dir", d, must="--reason")
        fails(1, "patrol", "show", str(uuid.uuid4()), "--dir", d,
              must="no patrol")
        fails(2, "patrol", "frobnicate", pid, "--dir", d)
        j = json.loads(ok("patrol", "show", pid, "--dir", d, "--json").out)
        assert j["status"] == "proposed" and j["code"] == "JP-201", j
        assert j["approvals"]["SN"]["approved"] is True
        assert j["units"]["SN"][0]["strength"] == 9, j
        out = ok("patrol", "show", pid, "--dir", d).out
        assert "Statut        proposée" in out and "Embarcation" in out, out
        out = ok("patrol", "show", pid, "--dir", d, "--lang", "en").out
        assert "Status        proposed" in out, out
        lst = json.loads(ok("patrol", "list", "--dir", d, "--json").out)
        assert {p["id"] for p in lst["patrols"]} == {pid, inline}
        lst = json.loads(ok("patrol", "list", "--dir", d, "--json",
                            "--status", "draft").out)
        assert [p["id"] for p in lst["patrols"]] == [inline]
        r = ok("patrol", "list", "--dir", d)
        assert "JP-201" in r.out and "2 patrouille(s)" in r.err, r
        fails(1, "patrol", "list", "--dir", d, "--status", "fini",
              must="status")
        # The CLI's writes are audited.
        rows = json.loads(ok("audit", "list", "--dir", d, "--json").out)
        rows = rows if isinstance(rows, list) else rows.get("events", [])
        acts = [(x["action"], x["result"]) for x in rows]
        assert ("patrols.create", "ok") in acts, acts
        assert ("patrols.approve", "ok") in acts, acts
        assert ("patrols.approve", "failed") in acts, acts
        assert ("patrols.unit", "ok") in acts, acts


def test_demo_patrols():
    with TempDir() as tmp:
        f = None
        for nat in ("sn", "ml"):
            ok("nation", "keygen", "--nation", nat.upper(), "--out",
               os.path.join(tmp, nat))
        sn, ml = os.path.join(tmp, "sn"), os.path.join(tmp, "ml")
        ok("init", "--dir", sn, "--nation", "SN", "--name", SN_NAME,
           "--nation-key", os.path.join(tmp, "sn.key"))
        ok("init", "--dir", ml, "--nation", "ML", "--name", ML_NAME,
           "--nation-key", os.path.join(tmp, "ml.key"))
        # Not pinned yet: ML refuses SN's blocks, nothing is left behind.
        fails(1, "demo", "patrols", "--dir", sn, "--partner", ml,
              must="pin")
        ok("nation", "pin", "--dir", sn, "--nation-pub",
           os.path.join(tmp, "ml.pub"))
        ok("nation", "pin", "--dir", ml, "--nation-pub",
           os.path.join(tmp, "sn.pub"))
        fails(2, "demo", "patrols", "--dir", sn)
        fails(1, "demo", "patrols", "--dir", ml, "--partner", sn)
        r = ok("demo", "patrols", "--dir", sn, "--partner", ml)
        assert "records of joint patrols" in r.out, r
        a = json.loads(ok("patrol", "list", "--dir", sn, "--json").out)
        b = json.loads(ok("patrol", "list", "--dir", ml, "--json").out)
        assert a == b, "the two nodes derive different patrols"
        st = [p["status"] for p in a["patrols"]]
        assert st.count("completed") >= 8, st
        assert st.count("underway") == 1 and st.count("aborted") == 1, st
        assert st.count("proposed") == 1, st
        waiting = [p for p in a["patrols"] if p["status"] == "proposed"][0]
        assert waiting["approvals"]["SN"]["approved"] is True
        assert waiting["approvals"]["ML"]["approved"] is False
        for p in a["patrols"]:
            assert p["nations"] == ["ML", "SN"], p
            assert p["geometry"]["type"] == "LineString", p
            assert p["window_start"] >= "2025-02-20", p
            if p["status"] in ("completed", "aborted"):
                assert p["debriefs"] == 2 and p["observations"] >= 1, p
        types = {p["patrol_type"] for p in a["patrols"]}
        assert {"vehicle", "boat"} <= types, types
        # Tracks from both sides on completed and underway patrols: the
        # same debrief on both nodes, with something for cleaning to do.
        cleaned = {"duplicates": 0, "gaps": 0, "spikes": 0,
                   "out_of_order": 0}
        for p in a["patrols"]:
            sa, sb = cli_summary(sn, p["id"]), cli_summary(ml, p["id"])
            assert sa == sb, (sa, sb)
            if p["status"] not in ("completed", "underway"):
                assert sa["tracks"] == 0, sa
                continue
            assert sa["nations"]["SN"]["tracks"] == 1, sa
            assert sa["nations"]["ML"]["tracks"] == 1, sa
            assert sa["distance_m"] > 5000 and sa["sections"], sa
            assert sa["deviation"]["plan"] == "route", sa
            for k in cleaned:
                cleaned[k] += sa["cleaning"][k]
        assert all(v > 0 for v in cleaned.values()), cleaned
        one = cli_show(ml, a["patrols"][-1]["id"])
        assert one["code"] == "JP-001" and one["status"] == "completed"
        assert len(one["legs"]) == 2 and one["units"]["ML"], one
        for d in (sn, ml):
            assert "ok:" in ok("log", "verify", "--dir", d).out
        fails(1, "demo", "patrols", "--dir", sn, "--partner", ml,
              must="already")
        assert f is None


def test_generic_routes_cannot_forge_decisions():
    """An approval written through the generic record paths would skip the
    commander role and the transition checks: they refuse every patrol
    category, and the patrol stays proposed."""
    with TempDir() as tmp:
        f = Pair(tmp, ROLES)
        try:
            sn_cmd = f.api("SN", "commander")
            rep = f.api("SN", "reporter")
            pid = post_ok(sn_cmd, API + "/patrols", plan("JP-109"))["id"]
            post_ok(sn_cmd, f"{API}/patrols/{pid}/propose")
            p = get_patrol(sn_cmd, pid)
            version = p.get("version") or p.get("plan", {}).get("id") or pid
            forged = {"category": "patrol.action",
                      "observed_at": "2025-03-10T07:00:00Z",
                      "patrol": pid, "audience": "ML,SN",
                      "attributes": {"action": "approve",
                                     "plan_version": version}}
            for api in (rep, sn_cmd):
                check_error(api.post(API + "/records", forged), 403,
                            "forbidden", "category")
                check_error(api.post(API + "/records",
                                     {"records": [forged]}), 403,
                            "forbidden", "records[0].category")
            path = os.path.join(tmp, "forged.json")
            with open(path, "w") as fh:
                json.dump(forged, fh)
            fails(1, "record", "add", "--dir", f.sn, "--json", path,
                  must="diboli patrol")
            # Nor may a decision be withdrawn behind the domain's back.
            acts = [a for a in get_patrol(sn_cmd, pid)["actions"]]
            assert acts and acts[0].get("id"), acts
            fails(1, "record", "retract", "--dir", f.sn, acts[0]["id"],
                  "--reason", "essai", must="diboli patrol")
            assert get_patrol(sn_cmd, pid)["status"] == "proposed"
        finally:
            f.close()


# ---- GPS tracks and the computed debrief ----

GPX_DIR = os.path.join(SRC, "tests", "fixtures", "gpx")
# Geodesic lengths of the fixtures by GeographicLib's GeodSolve
# (tests/unit/test_track.c says how).
KIDIRA_M = 2299.880547
FALEME_M = 2786.787396
GPX_TYPE = {"Content-Type": "application/gpx+xml"}


def fixture(name):
    with open(os.path.join(GPX_DIR, name), "rb") as fh:
        return fh.read()


def close_to(got, want, rel=1e-3):
    return abs(got - want) / want < rel


def summary(api, pid, query=""):
    r = api.get(f"{API}/patrols/{pid}/summary{query}")
    assert r.status_code == 200, show(r)
    return r.json()


def geojson_walk(n=40, lon=-12.2135, lat=14.4635, t0=1740042000):
    """A Feature as togeojson writes a GPX track: coordTimes beside the
    coordinates."""
    coords, times = [], []
    for i in range(n):
        coords.append([round(lon + i * 0.00012, 7),
                       round(lat - i * 0.0001, 7), 27.0])
        times.append(time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                   time.gmtime(t0 + 10 * i)))
    return {"type": "Feature", "properties": {"name": "téléphone",
                                              "coordTimes": times},
            "geometry": {"type": "LineString", "coordinates": coords}}


def test_tracks_two_nodes():
    """SN proposes, ML approves via sync, both see it approved; tracks
    from both sides (GPX 1.1, GPX 1.0, GeoJSON with coordTimes); bad GPX
    writes nothing; the debrief is the same document on both nodes, its
    distance the fixtures' geodesic lengths."""
    with TempDir() as tmp:
        f = Pair(tmp, ROLES)
        try:
            add_user(f.sn, "viewer", "viewer")
            f.tok[("SN", "viewer")] = create_token(f.sn, "viewer")
            sn_cmd, sn_rep = f.api("SN", "commander"), f.api("SN", "reporter")
            sn_view, sn_ana = f.api("SN", "viewer"), f.api("SN", "analyst")
            ml_cmd, ml_rep = f.api("ML", "commander"), f.api("ML", "reporter")
            pid = post_ok(sn_cmd, API + "/patrols", plan("JP-120",
                          patrol_type="foot", window_start=
                          "2025-02-20T06:00:00Z", window_end=
                          "2025-02-21T18:00:00Z"))["id"]
            track = f"{API}/patrols/{pid}/track"
            post_ok(sn_cmd, f"{API}/patrols/{pid}/propose")
            post_ok(sn_cmd, f"{API}/patrols/{pid}/approve")
            f.sync()
            post_ok(ml_cmd, f"{API}/patrols/{pid}/approve")
            f.sync()
            for api in (sn_cmd, ml_cmd):
                assert get_patrol(api, pid)["status"] == "approved"

            # Not underway yet: 409 naming the status.
            e = check_error(sn_rep.req("POST", track, data=fixture(
                "kidira_foot_1_1.gpx"), headers=GPX_TYPE), 409, "conflict",
                "status")
            assert "approved" in e["message"], e
            post_ok(sn_rep, f"{API}/patrols/{pid}/start")
            # A viewer may not add a track; a reporter may.
            check_error(sn_view.req("POST", track, data=fixture(
                "kidira_foot_1_1.gpx"), headers=GPX_TYPE), 403, "forbidden")
            r = sn_rep.req("POST", track, data=fixture("kidira_foot_1_1.gpx"),
                           headers=GPX_TYPE)
            assert r.status_code == 201, show(r)
            up = r.json()
            assert r.headers["Location"] == f"{API}/patrols/{pid}/tracks"
            assert up["points"] == 55 and len(up["pieces"]) == 2, up
            assert up["track_id"] == up["pieces"][0], up
            assert up["report"]["segments"] == 2, up
            assert up["report"]["points_in"] == 55, up
            assert up["rules"]["max_speed_ms"] == 4, up  # foot
            assert close_to(up["length_m"], KIDIRA_M), up
            # GeoJSON with togeojson's coordTimes, through the API.
            r = sn_rep.post(track, geojson_walk())
            assert r.status_code == 201, show(r)
            js = r.json()
            assert js["points"] == 40 and js["t_start"] == \
                "2025-02-20T09:00:00Z", js
            check_error(sn_rep.post(track, {"type": "Point",
                                            "coordinates": [-12.2, 14.4]}),
                        422, "invalid")
            bad = geojson_walk()
            bad["properties"]["coordTimes"][3] = "mardi"
            check_error(sn_rep.post(track, bad), 422, "invalid",
                        "properties.coordTimes[3]")
            check_error(sn_rep.req("POST", track, data=b"lat,lon\n1,2\n",
                                   headers={"Content-Type": "text/csv"}),
                        415, "unsupported_media_type")
            check_error(sn_rep.req("POST", track + "?max_speed=vite",
                                   data=fixture("kidira_foot_1_1.gpx"),
                                   headers=GPX_TYPE), 400, "bad_request",
                        "max_speed")
            # Bad GPX: clear errors, nothing written.
            before = summary(sn_cmd, pid)
            laughs = (b'<?xml version="1.0"?>\n<!DOCTYPE gpx [\n'
                      b' <!ENTITY a "aaaaaaaaaa">\n' +
                      b"".join(b' <!ENTITY a%d "%s">\n' % (
                          i, (b"&a;" if i == 1 else b"&a%d;" % (i - 1)) * 10)
                          for i in range(1, 10)) +
                      b']>\n<gpx xmlns="http://www.topografix.com/GPX/1/1" '
                      b'version="1.1"><trk><name>&a9;</name><trkseg>'
                      b'<trkpt lat="14.4" lon="-12.2"/></trkseg></trk>'
                      b'</gpx>\n')
            for body, ctype, must in (
                    (fixture("malformed.gpx"), "application/gpx+xml",
                     "malformed"),
                    (laughs, "application/xml", "DOCTYPE"),
                    (fixture("xxe.gpx"), "text/xml", "DOCTYPE"),
                    (fixture("out_of_range.gpx"), "application/gpx+xml",
                     "lat"),
                    (b"<gpx version='1.1'><wpt lat='14.4' lon='-12.2'/>"
                     b"</gpx>", "application/gpx+xml", "no track point")):
                e = check_error(sn_rep.req("POST", track, data=body,
                                           headers={"Content-Type": ctype}),
                                422, "invalid")
                assert must in e["message"], (must, e)
            after = summary(sn_cmd, pid)
            assert after == before, "a refused upload changed the debrief"
            assert "root:" not in json.dumps(after)
            f.sync()
            # ML's side: a GPX 1.0 file from ML's reporter, on ML's node.
            r = ml_rep.req("POST", track, data=fixture(
                "faleme_pirogue_1_0.gpx"), headers={
                "Content-Type": "application/xml; charset=utf-8"})
            assert r.status_code == 201, show(r)
            assert r.json()["report"]["no_time"] == 1, r.json()
            r = ml_rep.post(API + "/records", {
                "category": "environment.dredge_sighting",
                "observed_at": "2025-02-21T01:30:00Z", "audience": "ML,SN",
                "geometry": {"type": "Point",
                             "coordinates": [-12.204, 14.45]},
                "attributes": {"dredges": 3, "bank": "river"},
                "patrol": pid})
            assert r.status_code == 201, show(r)
            post_ok(ml_rep, f"{API}/patrols/{pid}/debrief",
                    {"text": "Relève au gué ; trois dragues en amont."})
            f.sync()
            post_ok(sn_rep, f"{API}/patrols/{pid}/complete")
            post_ok(sn_rep, f"{API}/patrols/{pid}/debrief",
                    {"text": "Itinéraire parcouru à pied, RAS."})
            # A completed patrol still takes a track uploaded late.
            f.sync()

            # The debrief: the same document on both nodes.
            a, b = summary(sn_view, pid), summary(ml_cmd, pid)
            assert a == b, (a, b)
            assert a["status"] == "completed" and a["code"] == "JP-120", a
            assert a["tracks"] == 3 and a["points"] == 55 + 40 + 60, a
            assert close_to(a["nations"]["ML"]["distance_m"], FALEME_M), a
            assert close_to(a["nations"]["SN"]["distance_m"],
                            KIDIRA_M + js["length_m"]), a
            assert close_to(a["distance_m"],
                            KIDIRA_M + FALEME_M + js["length_m"]), a
            assert a["nations"]["SN"]["tracks"] == 2, a
            assert abs(a["nations"]["SN"]["moving_s"] -
                       (53 * 30 + 39 * 10)) < 60, a
            assert a["cleaning"]["no_time"] == 1, a
            assert [s["id"] for s in a["sections"]] == ["SEC-02"], a
            sec = a["sections"][0]
            assert sec["name_fr"] == "Kidira–Diboli", sec
            assert sec["points_within"] > 0 and sec["closest_m"] < 2000
            assert a["deviation"]["plan"] == "route", a
            assert a["observations"] == 1, a
            assert a["observations_by_category"] == [{
                "category": "environment.dredge_sighting",
                "label_fr": a["observations_by_category"][0]["label_fr"],
                "label_en": a["observations_by_category"][0]["label_en"],
                "count": 1}], a
            assert [d["nation"] for d in a["debriefs"]] == ["ML", "SN"], a
            assert summary(sn_cmd, pid, "?buffer=100")["buffer_m"] == 100
            check_error(sn_cmd.get(f"{API}/patrols/{pid}/summary?buffer=-1"),
                        400, "bad_request", "buffer")
            check_error(sn_cmd.get(f"{API}/patrols/{uuid.uuid4()}/summary"),
                        404, "not_found")
            # The command line computes the same document.
            assert cli_summary(f.sn, pid) == a
            out = ok("patrol", "summary", pid, "--dir", f.ml).out
            assert "Distance" in out and "Kidira–Diboli" in out, out
            assert "Comptes rendus" in out, out

            # The map: one feature per upload, simplified for the zoom.
            r = sn_view.get(f"{API}/patrols/{pid}/tracks?zoom=12")
            assert r.status_code == 200, show(r)
            assert r.headers["Content-Type"].startswith(
                "application/geo+json"), r.headers
            fc = r.json()
            assert fc["type"] == "FeatureCollection", fc
            props = [x["properties"] for x in fc["features"]]
            assert sorted(p["nation"] for p in props) == ["ML", "SN", "SN"]
            assert sum(p["points"] for p in props) == 155, props
            assert all(p["vertices"] <= p["points"] for p in props), props
            check_error(sn_view.get(f"{API}/patrols/{pid}/tracks?zoom=x"),
                        400, "bad_request", "zoom")
            # GPX 1.1 of every point: an export (analyst and up).
            check_error(sn_view.get(f"{API}/patrols/{pid}/tracks.gpx"), 403,
                        "forbidden")
            r = sn_ana.get(f"{API}/patrols/{pid}/tracks.gpx")
            assert r.status_code == 200, show(r)
            assert r.headers["Content-Type"].startswith(
                "application/gpx+xml"), r.headers
            root = ET.fromstring(r.content)
            ns = {"g": "http://www.topografix.com/GPX/1/1"}
            assert len(root.findall("g:trk", ns)) == 3
            assert len(root.findall(".//g:trkpt", ns)) == 155

            # The calendar by border section.
            r = sn_cmd.get(f"{API}/patrols?section=SEC-02")
            assert [x["id"] for x in r.json()["patrols"]] == [pid], show(r)
            r = sn_cmd.get(f"{API}/patrols?section=SEC-13&status=completed")
            assert r.status_code == 200 and r.json()["patrols"] == [], \
                show(r)
            r = sn_cmd.get(f"{API}/patrols?section=SEC-02&buffer=500&"
                           f"from=2025-02-20T00:00:00Z&to=2025-02-22T00:00:00Z")
            assert [x["id"] for x in r.json()["patrols"]] == [pid], show(r)
            e = check_error(sn_cmd.get(f"{API}/patrols?section=SEC-99"), 400,
                            "bad_request", "section")
            assert "SEC-01" in e["message"], e
            check_error(sn_cmd.get(f"{API}/patrols?buffer=500"), 400,
                        "bad_request", "buffer")

            # Audited; the points stay out of full-text search.
            rows = json.loads(ok("audit", "list", "--dir", f.sn, "--json",
                                 "--limit", "500").out)
            rows = rows if isinstance(rows, list) else rows.get("events", [])
            acts = [(x["action"], x["result"]) for x in rows]
            assert ("patrols.track", "ok") in acts, acts
            assert ("patrols.track", "failed") in acts, acts
            piece = up["pieces"][0]
            rec = sn_cmd.get(f"{API}/records/{piece}").json()
            text = rec["properties"]["attributes"]["points"]
            word = "".join(c for c in text[:12] if c.isalnum())
            for api in (sn_cmd, ml_cmd):
                r = api.get(f"{API}/records?q={word}")
                assert r.status_code == 200, show(r)
                assert r.json()["features"] == [], (word, r.json())
            for d in (f.sn, f.ml):
                assert "ok:" in ok("log", "verify", "--dir", d).out
        finally:
            f.close()


def cli_summary(d, pid):
    return json.loads(ok("patrol", "summary", pid, "--dir", d,
                         "--json").out)


def national_patrol(d, code="JP-130", ptype="foot"):
    """A national patrol of SN, started on node d; its id."""
    route = json.dumps(ROUTE)
    pid = ok("patrol", "create", "--dir", d, "--code", code, "--type",
             ptype, "--nations", "SN", "--from", "2025-02-20T06:00:00Z",
             "--to", "2025-02-22T18:00:00Z", "--route", route).out.strip()
    for verb in ("propose", "approve", "start"):
        ok("patrol", verb, pid, "--dir", d)
    return pid


def write_big_gpx(path, n):
    """n fixes of a foot patrol at 1 Hz, as a GPS unit writes them."""
    t0 = 1740038400
    with open(path, "w") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx xmlns='
                 '"http://www.topografix.com/GPX/1/1" version="1.1" '
                 'creator="test">\n <trk><name>long</name><trkseg>\n')
        lat, lon = 14.4635, -12.2135
        lines = []
        for i in range(n):
            # South and back north, 1.1 m a second, drifting east.
            k = i % 40000
            k = k if k < 20000 else 40000 - k
            lines.append('  <trkpt lat="%.7f" lon="%.7f"><ele>27.0</ele>'
                         '<time>%s</time></trkpt>\n' % (
                             lat - k * 0.0000100, lon + i * 0.0000001,
                             time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                           time.gmtime(t0 + i))))
            if len(lines) == 50000:
                fh.write("".join(lines))
                lines = []
        fh.write("".join(lines))
        fh.write(" </trkseg></trk>\n</gpx>\n")


def test_import_export_cli():
    """diboli import gpx (fixtures, bad files, all or nothing, no bar
    without a terminal, a million points), export gpx|geojson."""
    with TempDir() as tmp:
        d = os.path.join(tmp, "sn")
        ok("init", "--dir", d, "--nation", "SN", "--name", SN_NAME)
        pid = national_patrol(d)
        fx = lambda n: os.path.join(GPX_DIR, n)  # noqa: E731
        fails(2, "import", "gpx", "--dir", d, fx("kidira_foot_1_1.gpx"),
              must="--patrol")
        fails(2, "import", "gpx", "--dir", d, "--patrol", pid)
        fails(2, "import", "kml", "--dir", d, "--patrol", pid)
        r = ok("import", "gpx", "--dir", d, "--patrol", pid,
               fx("kidira_foot_1_1.gpx"), fx("faleme_pirogue_1_0.gpx"))
        assert "kidira_foot_1_1.gpx : 55 points" in r.out, r
        assert "nettoyage" in r.out, r
        # No terminal: no progress bar.
        assert "\r" not in r.err and "[#" not in r.err, r
        s = cli_summary(d, pid)
        assert s["tracks"] == 2 and s["points"] == 115, s
        assert close_to(s["distance_m"], KIDIRA_M + FALEME_M), s
        # Missing times: accepted, counted.
        r = ok("import", "gpx", "--dir", d, "--patrol", pid, "--json",
               "--lang", "en", fx("no_time.gpx"))
        got = r.json()["files"][0]
        assert got["report"]["no_time"] == 12 and got["points"] == 12, got
        assert got["t_start"] is None, got
        # Bad files: clear errors naming the file; all or nothing.
        xxe = os.path.join(tmp, "xxe.gpx")
        with open(xxe, "w") as fh:
            fh.write('<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY x '
                     'SYSTEM "file:///etc/passwd">]>\n<gpx version="1.1">'
                     '<trk><name>&x;</name><trkseg><trkpt lat="14.4" '
                     'lon="-12.2"/></trkseg></trk></gpx>\n')
        far = os.path.join(tmp, "far.gpx")
        with open(far, "w") as fh:
            fh.write('<gpx version="1.1"><trk><trkseg>'
                     '<trkpt lat="14.4" lon="-12.2"/>'
                     '<trkpt lat="14.4" lon="-212.2"/>'
                     '</trkseg></trk></gpx>\n')
        before = cli_summary(d, pid)
        for bad, must in ((fx("malformed.gpx"), "malformed"),
                          (fx("billion_laughs.gpx"), "DOCTYPE"),
                          (xxe, "DOCTYPE"), (far, "lon"),
                          (fx("out_of_range.gpx"), "lat"),
                          (os.path.join(tmp, "none.gpx"), "none.gpx")):
            r = fails(1, "import", "gpx", "--dir", d, "--patrol", pid,
                      fx("kidira_foot_1_1.gpx"), bad, must=must)
            assert os.path.basename(bad) in r.err, r
        assert cli_summary(d, pid) == before
        # A million points: accepted within the limits, bounded memory,
        # 2,000 points a record (one shared between neighbours).
        big = os.path.join(tmp, "big.gpx")
        write_big_gpx(big, 1000000)
        t = time.monotonic()
        r = ok("import", "gpx", "--dir", d, "--patrol", pid, "--json", big)
        took = time.monotonic() - t
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        got = r.json()["files"][0]
        print(f"1,000,000-point GPX: {took:.1f} s, peak RSS {rss_mb:.0f} MB, "
              f"{len(got['pieces'])} records")
        assert got["points"] == 1000000, got["report"]
        assert len(got["pieces"]) == 501, len(got["pieces"])
        assert rss_mb < 600, rss_mb
        os.remove(big)
        s = cli_summary(d, pid)
        assert s["points"] == 115 + 12 + 1000000, s
        assert s["pieces"] == 2 + 1 + 1 + 501, s
        # Exports.
        out = os.path.join(tmp, "out.gpx")
        ok("export", "gpx", "--dir", d, "--patrol", pid, "--out", out)
        root = ET.parse(out).getroot()
        ns = {"g": "http://www.topografix.com/GPX/1/1"}
        assert len(root.findall("g:trk", ns)) == 4
        assert len(root.findall(".//g:trkpt", ns)) == 115 + 12 + 1000000
        os.remove(out)
        fc = json.loads(ok("export", "geojson", "--dir", d, "--patrol", pid,
                           "--zoom", "10").out)
        assert len(fc["features"]) == 4, fc
        assert fc["features"][3]["properties"]["points"] == 1000000
        assert fc["features"][3]["properties"]["vertices"] < 5000
        fails(2, "export", "gpx", "--dir", d, "--patrol", pid, "--zoom", "3")
        fails(2, "export", "shp", "--dir", d, "--patrol", pid)
        fails(1, "export", "gpx", "--dir", d, "--patrol", str(uuid.uuid4()),
              must="no patrol")
        assert "ok:" in ok("log", "verify", "--dir", d).out


if __name__ == "__main__":
    main([test_joint_lifecycle, test_reject_then_amend, test_cli,
          test_generic_routes_cannot_forge_decisions,
          test_demo_patrols, test_tracks_two_nodes,
          test_import_export_cli])
