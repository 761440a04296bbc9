"""Joint patrol integration tests: two certified nodes (SN Zone militaire
n°4, ML Région militaire n°4) with real servers. SN plans and proposes
through the API, ML approves through its own API after `diboli sync`, SN
sees the patrol approved after syncing back, and both nodes derive the
same status and approvals from the same records. Roles (a reporter may
not approve), double approval, reasons, transitions (start before
approval: 409), approvals of an old plan version, the CLI, and the demo
seeding of joint patrols on a pair of nodes."""
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403
from server import Api, Server, add_user, create_token  # noqa: E402

API = "/api/v1"
SN_NAME = "Zone militaire n°4 — PC Tambacounda"
ML_NAME = "Région militaire n°4 — PC Kayes"
# Along the Falémé from Kidira south (the Senegalese bank).
ROUTE = {"type": "LineString",
         "coordinates": [[-12.247, 14.499], [-12.232, 14.434],
                         [-12.128, 14.325], [-12.046, 14.266],
                         [-12.017, 14.104]]}


def show(r):
    return f"{r.status_code} {r.text[:600]!r}"


def check_error(r, status, code=None, field=None):
    assert r.status_code == status, f"want {status}, got {show(r)}"
    e = r.json().get("error")
    assert isinstance(e, dict) and e.get("message"), show(r)
    if code is not None:
        assert e["code"] == code, show(r)
    if field is not None:
        assert e["field"] == field, show(r)
    return e


def plan(code="JP-101", **kw):
    p = {"code": code, "patrol_type": "vehicle",
         "objective": "Reconnaissance de la rive gauche de la Falémé",
         "window_start": "2025-03-10T06:00:00Z",
         "window_end": "2025-03-10T18:00:00Z",
         "nations": ["SN", "ML"], "geometry": ROUTE}
    p.update(kw)
    return p


class Pair:
    """SN and ML nodes, certified by their nation keys, each pinning the
    other's; users on both; ML's server reachable from SN (peer ML with
    a URL), SN known to ML without URL (SN calls in)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.sns = self.mls = None
        try:
            self.setup()
        except BaseException:
            self.close()
            raise

    def setup(self):
        t = self.tmp
        for nat in ("sn", "ml"):
            ok("nation", "keygen", "--nation", nat.upper(), "--out",
               os.path.join(t, nat))
        self.sn = os.path.join(t, "sn-node")
        self.ml = os.path.join(t, "ml-node")
        ok("init", "--dir", self.sn, "--nation", "SN", "--name", SN_NAME,
           "--nation-key", os.path.join(t, "sn.key"))
        ok("init", "--dir", self.ml, "--nation", "ML", "--name", ML_NAME,
           "--nation-key", os.path.join(t, "ml.key"))
        ok("peer", "add", "--dir", self.ml, "--name", "SN-ZM4", "--nation",
           "SN", "--nation-pub", os.path.join(t, "sn.pub"))
        self.tok = {}
        for d, nat, roles in ((self.sn, "SN", ("reporter", "analyst",
                                                "commander", "admin")),
                              (self.ml, "ML", ("reporter", "commander"))):
            for role in roles:
                add_user(d, role, role)
                self.tok[(nat, role)] = create_token(d, role)
        self.mls = Server(self.ml).start()
        self.sns = Server(self.sn).start()
        ok("peer", "add", "--dir", self.sn, "--name", "ML-RM4", "--nation",
           "ML", "--nation-pub", os.path.join(t, "ml.pub"), "--url",
           self.mls.url)

    def api(self, nat, role):
        return Api((self.sns if nat == "SN" else self.mls).url,
                   token=self.tok[(nat, role)])

    def sync(self):
        """SN pulls from and pushes to ML (the CLI, like an operator)."""
        return ok("sync", "--dir", self.sn, "--peer", "ML-RM4")

    def close(self):
        for s in (self.sns, self.mls):
            if s is not None:
                s.kill()


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
        f = Pair(tmp)
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
        f = Pair(tmp)
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
        fails(2, "patrol", "list", "--dir", d, "--status", "fini")
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
        f = Pair(tmp)
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


if __name__ == "__main__":
    main([test_joint_lifecycle, test_reject_then_amend, test_cli,
          test_generic_routes_cannot_forge_decisions,
          test_demo_patrols])
