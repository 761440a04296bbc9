"""Border-section integration tests: two certified nodes (SN Zone
militaire n°4, ML Région militaire n°4) with real servers. SN's commander
raises Kidira–Diboli (SEC-02) to high through the API; after `diboli sync`
ML's board shows SN's side high and ML's commander finds the notice in
/api/v1/notifications; ML answers with its own level and both nodes show
the same section and history. Roles (a reporter may not set a level, a
viewer reads the board but not the notices), validation (422 naming the
field, 404 for an unknown section, 400 for bad parameters), incidents
near a section, the CLI (set, list, show, audit) and the demo seeding."""
import datetime
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403
from server import Api, Server, add_user, create_token  # noqa: E402
from pair import Pair, check_error, show  # noqa: E402

from pair import API, ML_NAME, SN_NAME  # noqa: E402

# The users of each node (login = role).
ROLES = {"SN": ("viewer", "reporter", "commander"),
         "ML": ("viewer", "commander", "admin")}
# Near the Kidira–Diboli bridge, on the Senegalese bank.
KIDIRA = [-12.214, 14.462]


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def board(api, query=""):
    r = api.get(f"{API}/sections{query}")
    assert r.status_code == 200, show(r)
    return r.json()


def section_of(b, sid):
    found = [s for s in b["sections"] if s["id"] == sid]
    assert len(found) == 1, b
    return found[0]


def set_level(api, sid, level, reason, status=201, **kw):
    body = {"level": level, "reason": reason}
    body.update(kw)
    r = api.post(f"{API}/sections/{sid}/status", body)
    assert r.status_code == status, show(r)
    return r.json()


def test_raise_crosses_to_partner():
    with TempDir() as tmp:
        f = Pair(tmp, ROLES)
        try:
            sn_cmd = f.api("SN", "commander")
            sn_rep = f.api("SN", "reporter")
            sn_view = f.api("SN", "viewer")
            ml_cmd = f.api("ML", "commander")
            ml_view = f.api("ML", "viewer")

            # An empty board: 13 sections, no level on either side.
            b = board(sn_view)
            assert [s["id"] for s in b["sections"]] == \
                [f"SEC-{i:02d}" for i in range(1, 14)], b
            assert b["nations"] == ["ML", "SN"], b
            assert b["buffer_m"] == 5000 and b["window_days"] == 30, b
            s2 = section_of(b, "SEC-02")
            assert s2["name_fr"] == "Kidira–Diboli", s2
            assert s2["levels"] == {"ML": None, "SN": None}, s2
            assert s2["incidents"] == {"count": 0, "latest": []}, s2

            # Who may set a level: commanders (and admins), not a
            # reporter nor a viewer (403, audited as denied).
            for api in (sn_rep, sn_view):
                check_error(api.post(f"{API}/sections/SEC-02/status", {
                    "level": "high", "reason": "essai"}), 403, "forbidden")
            # Validation: 422 naming the field, 404 for a section the
            # node does not know, 415 for a body that is not JSON.
            check_error(sn_cmd.post(f"{API}/sections/SEC-02/status", {
                "level": "severe", "reason": "x"}), 422, "invalid", "level")
            check_error(sn_cmd.post(f"{API}/sections/SEC-02/status", {
                "reason": "x"}), 422, "invalid", "level")
            check_error(sn_cmd.post(f"{API}/sections/SEC-02/status", {
                "level": "high"}), 422, "invalid", "reason")
            check_error(sn_cmd.post(f"{API}/sections/SEC-02/status", {
                "level": "high", "reason": "  "}), 422, "invalid", "reason")
            check_error(sn_cmd.post(f"{API}/sections/SEC-02/status", {
                "level": "high", "reason": "x", "nation": "ML"}), 422,
                "invalid", "nation")
            check_error(sn_cmd.post(f"{API}/sections/SEC-02/status", {
                "level": "high", "reason": "x", "audience": "ML"}), 422,
                "invalid", "audience")
            check_error(sn_cmd.post(f"{API}/sections/SEC-99/status", {
                "level": "high", "reason": "x"}), 404, "not_found",
                "section")
            check_error(sn_cmd.post(f"{API}/sections/SEC-02/status",
                                    ["high"]), 422, "invalid")
            check_error(sn_cmd.req("POST", f"{API}/sections/SEC-02/status",
                                   data=b"level=high", headers={
                                       "Content-Type": "text/plain"}),
                        415)
            assert section_of(board(sn_view), "SEC-02")["levels"]["SN"] \
                is None

            # SN's commander raises SEC-02 to high: one notice for ML.
            r = sn_cmd.post(f"{API}/sections/SEC-02/status", {
                "level": "high", "reason": "Attaques contre les postes de "
                "Diboli ; contrôle de tous les véhicules au pont."})
            assert r.status_code == 201, show(r)
            w = r.json()
            assert r.headers["Location"] == f"{API}/sections/SEC-02"
            assert w["level"] == "high" and w["previous"] is None, w
            assert w["nation"] == "SN" and w["audience"] == "ML,SN", w
            assert len(w["notices"]) == 1, w
            assert w["notices"][0]["for_nation"] == "ML", w
            sid, nid = w["id"], w["notices"][0]["id"]
            assert uuid.UUID(sid) and uuid.UUID(nid)
            lv = section_of(board(sn_view), "SEC-02")["levels"]
            assert lv["SN"]["level"] == "high" and lv["SN"]["record"] == \
                sid, lv
            assert lv["SN"]["node"] == SN_NAME and lv["ML"] is None, lv
            # The same level again is no raise: no notice.
            assert set_level(sn_cmd, "SEC-02", "high", "Inchangé")[
                "notices"] == []

            # ML knows nothing before sync; then SN's side is high there.
            assert section_of(board(ml_view), "SEC-02")["levels"]["SN"] \
                is None
            r = ml_cmd.get(f"{API}/notifications")
            assert r.status_code == 200 and r.json() == {
                "notifications": []}, show(r)
            f.sync()
            lv = section_of(board(ml_view), "SEC-02")["levels"]
            assert lv["SN"]["level"] == "high", lv
            assert lv["ML"] is None, lv
            # ML's commanders see the notice; a viewer may not (the
            # notices are for those who set the levels).
            r = ml_cmd.get(f"{API}/notifications")
            assert r.status_code == 200, show(r)
            notes = r.json()["notifications"]
            assert [n["id"] for n in notes] == [nid], notes
            n = notes[0]
            assert n["section"] == "SEC-02" and n["level"] == "high", n
            assert n["nation"] == "SN" and n["status_id"] == sid, n
            assert n["name_fr"] == "Kidira–Diboli" and n["node"] == \
                SN_NAME, n
            assert "Le Sénégal a relevé" in n["message"], n
            assert "Senegal raised" in n["message"], n
            assert n["current"]["level"] == "high", n
            # Seen or not is each user's, in every browser: ML's
            # commander marks it; ML's admin has still not seen it.
            assert n["seen"] is False, n
            ml_adm = f.api("ML", "admin")
            r = ml_cmd.post(f"{API}/notifications/seen", {"ids": [nid]})
            assert r.status_code == 200, show(r)
            assert r.json() == {"marked": 1, "new": 1}, show(r)
            assert ml_cmd.get(f"{API}/notifications").json()[
                "notifications"][0]["seen"] is True
            assert ml_adm.get(f"{API}/notifications").json()[
                "notifications"][0]["seen"] is False
            r = ml_cmd.post(f"{API}/notifications/seen", {"ids": [nid]})
            assert r.json() == {"marked": 1, "new": 0}, show(r)
            seen = f"{API}/notifications/seen"
            check_error(ml_cmd.post(seen, {"ids": ["x"]}), 422, "invalid",
                        "ids[0]")
            check_error(ml_cmd.post(seen, {"ids": [nid, 3]}), 422,
                        "invalid", "ids[1]")
            check_error(ml_cmd.post(seen, {"ids": []}), 422, "invalid",
                        "ids")
            check_error(ml_cmd.post(seen, {"ids": nid}), 422, "invalid",
                        "ids")
            check_error(ml_cmd.post(seen, {"ids": [nid], "all": True}), 422,
                        "invalid", "all")
            check_error(ml_cmd.post(seen, {"ids": [nid] * 501}), 413,
                        "too_big", "ids")
            check_error(ml_view.post(seen, {"ids": [nid]}), 403,
                        "forbidden")
            assert ml_adm.get(f"{API}/notifications").json()[
                "notifications"][0]["seen"] is False
            check_error(ml_view.get(f"{API}/notifications"), 403,
                        "forbidden")
            check_error(ml_cmd.get(f"{API}/notifications?limit=3"), 400,
                        "bad_request", "limit")
            # SN's own raise is not a notice to SN.
            r = sn_cmd.get(f"{API}/notifications")
            assert r.json()["notifications"] == [], show(r)

            # ML answers for its side: critical, FLASH to SN.
            w = set_level(ml_cmd, "SEC-02", "critical", "Postes de police "
                          "et de douane de Diboli attaqués ; pont fermé.")
            assert [x["for_nation"] for x in w["notices"]] == ["SN"], w
            f.sync()
            notes = sn_cmd.get(f"{API}/notifications").json()[
                "notifications"]
            assert len(notes) == 1 and notes[0]["level"] == "critical", \
                notes
            # SN lowers: no notice; the history keeps everything.
            assert set_level(sn_cmd, "SEC-02", "medium", "Accalmie")[
                "notices"] == []
            f.sync()
            a = sn_view.get(f"{API}/sections/SEC-02")
            b2 = ml_view.get(f"{API}/sections/SEC-02")
            assert a.status_code == b2.status_code == 200, (show(a),
                                                           show(b2))
            a, b2 = a.json(), b2.json()
            for x in (a, b2):
                del x["at"], x["from"]   # each node's own clock
            assert a == b2, (a, b2)
            assert a["levels"]["SN"]["level"] == "medium", a
            assert a["levels"]["ML"]["level"] == "critical", a
            hist = a["history"]
            assert [(h["nation"], h["level"], h["previous"]) for h in
                    hist] == [("SN", "medium", "high"),
                              ("ML", "critical", None),
                              ("SN", "high", "high"),
                              ("SN", "high", None)], hist
            assert hist[3]["notices"] == [{"id": nid, "for_nation": "ML"}]
            assert a["geometry"]["type"] == "LineString", a
            assert a["from_km"] < a["to_km"], a

            # Reads: unknown section 404, bad parameters 400.
            check_error(sn_view.get(f"{API}/sections/SEC-99"), 404,
                        "not_found", "section")
            check_error(sn_view.get(f"{API}/sections?at=hier"), 400,
                        "bad_request", "at")
            check_error(sn_view.get(f"{API}/sections?buffer_m=-5"), 400,
                        "bad_request", "buffer_m")
            check_error(sn_view.get(f"{API}/sections?buffer_m=1e9"), 400,
                        "bad_request", "buffer_m")
            check_error(sn_view.get(f"{API}/sections?bbox=1,2,3,4"), 400,
                        "bad_request", "bbox")
            check_error(Api(f.sns.url).get(f"{API}/sections"), 401)
            # The board as it was: before any level, nothing.
            old = board(sn_view, "?at=2025-07-02T00:00:00Z&buffer_m=2000")
            assert old["at"] == "2025-07-02T00:00:00Z", old
            assert old["from"] == "2025-06-02T00:00:00Z", old
            assert old["buffer_m"] == 2000, old
            assert section_of(old, "SEC-02")["levels"] == {
                "ML": None, "SN": None}, old

            # An incident near Kidira counts for SEC-02; a corridor
            # observation there does not.
            now = datetime.datetime.now(datetime.timezone.utc)
            r = sn_rep.post(API + "/records", {
                "category": "security.smuggling.fuel",
                "observed_at": iso(now - datetime.timedelta(days=2)),
                "geometry": {"type": "Point", "coordinates": KIDIRA},
                "attributes": {"seized": True}, "audience": "ML,SN"})
            assert r.status_code == 201, show(r)
            inc = r.json()["id"]
            r = sn_rep.post(API + "/records", {
                "category": "corridor.checkpoint_stop",
                "observed_at": iso(now - datetime.timedelta(days=1)),
                "geometry": {"type": "Point", "coordinates": KIDIRA},
                "attributes": {"agency": "police"}, "audience": "ML,SN"})
            assert r.status_code == 201, show(r)
            s2 = section_of(board(sn_view), "SEC-02")
            assert s2["incidents"]["count"] == 1, s2
            x = s2["incidents"]["latest"][0]
            assert x["id"] == inc and x["nation"] == "SN", x
            assert x["category"] == "security.smuggling.fuel", x
            assert x["precedence"] == "PRIORITY", x
            assert section_of(board(sn_view), "SEC-09")["incidents"][
                "count"] == 0
            f.sync()
            assert section_of(board(ml_view), "SEC-02")["incidents"][
                "count"] == 1

            # Every level set is audited on the node that set it; the
            # generic record route refuses the domain's categories.
            rows = json.loads(ok("audit", "list", "--dir", f.sn, "--json",
                                 "--limit", "500").out)
            rows = rows if isinstance(rows, list) else rows.get(
                "events", [])
            acts = [(x["action"], x["result"]) for x in rows]
            assert acts.count(("sections.status", "ok")) == 3, acts
            assert any(x["action"] == "sections.status" and
                       "notice=ML:" + nid in x["detail"] for x in rows), rows
            check_error(sn_cmd.post(API + "/records", {
                "category": "section.status",
                "observed_at": iso(now), "audience": "ML,SN",
                "attributes": {"section": "SEC-02", "level": "low",
                               "reason": "contourné"}}), 403, "forbidden",
                "category")
            for d in (f.sn, f.ml):
                assert "ok:" in ok("log", "verify", "--dir", d).out
        finally:
            f.close()


def test_cli():
    with TempDir() as tmp:
        d = os.path.join(tmp, "sn")
        ok("init", "--dir", d, "--nation", "SN", "--name", SN_NAME)
        r = ok("section", "set", "--dir", d, "--section", "SEC-02",
               "--level", "medium", "--reason", "Contrebande de carburant")
        lines = r.out.split()
        assert len(lines) == 2, r
        sid, nid = lines
        assert uuid.UUID(sid) and uuid.UUID(nid), r
        assert "aucun → moyen" in r.err and "ML" in r.err, r
        # French level names are accepted; a lowering prints one id.
        r = ok("section", "set", "--dir", d, "--section", "SEC-02",
               "--level", "élevé", "--reason", "Attaque du poste")
        assert len(r.out.split()) == 2, r
        r = ok("section", "set", "--dir", d, "--section", "SEC-02",
               "--level", "low", "--reason", "Calme", "--audience", "SN")
        assert len(r.out.split()) == 1, r
        fails(1, "section", "set", "--dir", d, "--section", "SEC-02",
              "--level", "huge", "--reason", "x", must="level")
        fails(1, "section", "set", "--dir", d, "--section", "SEC-42",
              "--level", "low", "--reason", "x", must="section")
        fails(1, "section", "set", "--dir", d, "--section", "SEC-02",
              "--level", "low", "--reason", "x", "--audience", "ML",
              must="audience")
        fails(2, "section", "set", "--dir", d, "--section", "SEC-02",
              "--level", "low")
        fails(2, "section", "set", "--dir", d, "--level", "low",
              "--reason", "x")
        fails(2, "section", "frobnicate", "--dir", d)
        fails(2, "section", "list", "--dir", d, "--lang", "de")
        fails(1, "section", "list", "--dir", d, "--buffer-m", "-3",
              must="buffer-m")
        fails(1, "section", "list", "--dir", d, "--at", "hier", must="at")
        fails(1, "section", "show", "SEC-99", "--dir", d, must="section")
        fails(2, "section", "show", "--dir", d)

        out = ok("section", "list", "--dir", d).out
        assert out.startswith("TRONÇON  NOM"), out
        head = out.splitlines()[0].split()
        assert head.index("SN") < head.index("ML"), head
        row = [x for x in out.splitlines() if x.startswith("SEC-02")][0]
        assert "Kidira–Diboli" in row and "faible" in row, row
        assert "Avis reçus (0)" in out, out
        out = ok("section", "list", "--dir", d, "--lang", "en").out
        assert out.startswith("SECTION  NAME"), out
        assert "Notices received (0)" in out, out
        j = json.loads(ok("section", "list", "--dir", d, "--json", "--at",
                          "2025-07-02T00:00:00Z", "--buffer-m",
                          "2500").out)
        assert j["buffer_m"] == 2500 and j["notifications"] == [], j
        assert len(j["sections"]) == 13, j
        j = json.loads(ok("section", "show", "SEC-02", "--dir", d,
                          "--json").out)
        assert [h["level"] for h in j["history"]] == ["low", "high",
                                                     "medium"], j
        assert j["history"][0]["audience"] == ["SN"], j
        assert j["history"][2]["notices"] == [{"id": nid,
                                               "for_nation": "ML"}], j
        assert j["history"][2]["record"] == sid, j
        out = ok("section", "show", "SEC-02", "--dir", d).out
        assert "Historique (3)" in out and "moyen → élevé" in out, out
        assert "[avis : ML]" in out, out

        # The command line's writes are audited, failures too.
        rows = json.loads(ok("audit", "list", "--dir", d, "--json").out)
        rows = rows if isinstance(rows, list) else rows.get("events", [])
        acts = [(x["action"], x["result"]) for x in rows]
        assert acts.count(("sections.status", "ok")) == 3, acts
        assert ("sections.status", "failed") in acts, acts
        assert any(x["target"] == "section:SEC-02" and "record=" + sid in
                   x["detail"] for x in rows), rows


def test_demo_sections():
    with TempDir() as tmp:
        for nat in ("sn", "ml"):
            ok("nation", "keygen", "--nation", nat.upper(), "--out",
               os.path.join(tmp, nat))
        sn, ml = os.path.join(tmp, "sn"), os.path.join(tmp, "ml")
        ok("init", "--dir", sn, "--nation", "SN", "--name", SN_NAME,
           "--nation-key", os.path.join(tmp, "sn.key"))
        ok("init", "--dir", ml, "--nation", "ML", "--name", ML_NAME,
           "--nation-key", os.path.join(tmp, "ml.key"))
        # Not pinned yet: refused before anything is written.
        fails(1, "demo", "sections", "--dir", sn, "--partner", ml,
              must="pin")
        ok("nation", "pin", "--dir", sn, "--nation-pub",
           os.path.join(tmp, "ml.pub"))
        ok("nation", "pin", "--dir", ml, "--nation-pub",
           os.path.join(tmp, "sn.pub"))
        fails(2, "demo", "sections", "--dir", sn)
        fails(1, "demo", "sections", "--dir", ml, "--partner", sn)
        r = ok("demo", "sections", "--dir", sn, "--partner", ml)
        assert "records of border-section levels" in r.out, r
        at = ["--at", "2025-07-02T00:00:00Z"]
        a = json.loads(ok("section", "list", "--dir", sn, "--json",
                          *at).out)
        b = json.loads(ok("section", "list", "--dir", ml, "--json",
                          *at).out)
        assert [s["levels"] for s in a["sections"]] == \
            [s["levels"] for s in b["sections"]], "different levels"
        s2 = section_of(a, "SEC-02")["levels"]
        assert s2["ML"]["level"] == "critical", s2
        assert s2["SN"]["level"] == "high", s2
        for s in a["sections"]:
            assert s["levels"]["SN"] and s["levels"]["ML"], s
        # Each side's raises reached the other's commanders.
        assert a["notifications"] and b["notifications"]
        assert {n["nation"] for n in a["notifications"]} == {"ML"}
        assert {n["nation"] for n in b["notifications"]} == {"SN"}
        assert any(n["section"] == "SEC-02" and n["level"] == "critical"
                   for n in a["notifications"]), a["notifications"]
        h = json.loads(ok("section", "show", "SEC-02", "--dir", ml,
                          "--json").out)["history"]
        assert h[-1]["set_at"].startswith("2025-02-20"), h
        assert {x["nation"] for x in h} == {"SN", "ML"}, h
        for d in (sn, ml):
            assert "ok:" in ok("log", "verify", "--dir", d).out
        fails(1, "demo", "sections", "--dir", sn, "--partner", ml,
              must="already")


def test_bad_node_file():
    """A node's own sections file that does not validate is the node's
    fault: every route that needs the sections answers 500 naming the
    file, never 400 as if the request were wrong."""
    with TempDir() as tmp:
        d = os.path.join(tmp, "sn")
        ok("init", "--dir", d, "--nation", "SN", "--name", SN_NAME)
        add_user(d, "cdt", "commander")
        tok = create_token(d, "cdt")
        os.mkdir(os.path.join(d, "reference"))
        with open(os.path.join(d, "reference", "sections.geojson"),
                  "w") as f:
            f.write('{"type": "FeatureCollection", "features": [{"type": '
                    '"Feature", "properties": {}, "geometry": null}]}')
        with Server(d) as srv:
            a = Api(srv.url, token=tok)
            for path in ("/sections", "/sections/SEC-02",
                         "/patrols?section=SEC-02"):
                r = a.get(API + path)
                assert r.status_code == 500, (path, show(r))
                assert "sections.geojson" in r.json()["error"]["message"], \
                    (path, show(r))
            # What does not need them still works.
            r = a.get(API + "/patrols")
            assert r.status_code == 200, show(r)


if __name__ == "__main__":
    main([test_raise_crosses_to_partner, test_cli, test_demo_sections,
          test_bad_node_file])
