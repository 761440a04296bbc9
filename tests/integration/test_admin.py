"""The administrators' HTTP API on the real `diboli serve`: users, bearer
tokens, peers and pinned nation keys, sync now, bundle files (export,
import, summary). Each route as admin with exact results; as every other
role (403) and as nobody (401); CSRF on cookie writes; bad input naming
the field; the last active admin protected; a token shown once, working,
then revoked; a peer's .pub text pinning its nation key; a bundle carried
from one certified node to another over the API and converging; an
encrypted bundle refused (the nation key never goes through a browser);
a forced sync run that does not wait for the backoff."""
import base64
import datetime as dt
import hashlib
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403
from server import (ROLES, TOKEN_RE, Api, Server, add_user,  # noqa: E402
                    create_token, make_users)

API = "/api/v1"
OCTETS = "application/octet-stream"
NOT_IN_BROWSER = ("encrypted bundles are imported with the command line "
                  "where the nation key is (diboli bundle import --key)")
PW = "une phrase de passe assez longue"
FILE_RE = re.compile(r'attachment; filename="diboli-SN-to-ML-\d{8}T\d{4}Z'
                     r'\.bundle"')

# Every route of this API, with a body that an admin may send.
ROUTES = [
    ("GET", "/users", None), ("POST", "/users", {}),
    ("PATCH", "/users/viewer", {"name": "x"}),
    ("GET", "/tokens", None), ("POST", "/tokens", {}),
    ("DELETE", "/tokens/999", None),
    ("GET", "/peers", None), ("POST", "/peers", {}),
    ("DELETE", "/peers/none", None), ("GET", "/nations", None),
    ("POST", "/sync/run", {}), ("GET", "/sync/summary", None),
    ("POST", "/bundles/export", {}), ("POST", "/bundles/import", {}),
]


def show(r):
    return f"{r.status_code} {r.headers.get('Content-Type')} {r.text[:400]!r}"


def check_error(r, status, code=None, field=None, text=None):
    assert r.status_code == status, f"want {status}, got {show(r)}"
    assert r.headers["Content-Type"].startswith("application/json"), show(r)
    e = r.json()["error"]
    assert set(e) == {"code", "message", "field"} and e["message"], show(r)
    if code is not None:
        assert e["code"] == code, f"want code {code}: {show(r)}"
    if field is not None:
        assert e["field"] == field, f"want field {field!r}: {show(r)}"
    if text is not None:
        assert text in e["message"], f"want {text!r}: {show(r)}"
    return e


def keygen(tmp, nation, base=None):
    prefix = os.path.join(tmp, base or nation.lower())
    ok("nation", "keygen", "--nation", nation, "--out", prefix)
    return prefix + ".key", prefix + ".pub"


def pub_text(pub):
    with open(pub) as f:
        return f.read()


def fingerprint(pub):
    """cert_fingerprint: the first 8 bytes of BLAKE2b-256 of the key."""
    pk = bytes.fromhex(pub_text(pub).split()[2])
    return hashlib.blake2b(pk, digest_size=32).digest()[:8].hex()


def node(tmp, sub, nation, name, key=None):
    d = os.path.join(tmp, sub)
    args = ["init", "--dir", d, "--nation", nation, "--name", name]
    if key:
        args += ["--nation-key", key]
    ok(*args)
    return d


def events(adm, action):
    r = adm.get(API + "/audit", params={"action": action, "limit": "1000"})
    assert r.status_code == 200, show(r)
    return r.json()["events"]


def point(lat, lon):
    return {"type": "Point", "coordinates": [lon, lat]}


def records(tag, audience, n, day=3):
    return [{"category": "corridor.checkpoint_stop",
             "observed_at": f"2025-03-{day:02d}T{8 + i % 10:02d}:15:00Z",
             "geometry": point(14.46 + i / 1000, -12.21), "audience":
             audience, "attributes": {"agency": "police", "minutes": 5 + i,
                                      "remarks": f"{tag}-{i}"}}
            for i in range(n)]


def post_records(api, recs):
    r = api.post(API + "/records", {"records": recs})
    assert r.status_code == 201, show(r)
    return r.json()["ids"]


def record_ids(api):
    r = api.get(API + "/records", params={"limit": "10000"})
    assert r.status_code == 200, show(r)
    return {f["id"] for f in r.json()["features"]}


# ---------------------------------------------------------------------------

def test_roles_and_csrf():
    """Every admin route: 401 for nobody, 403 for each other role (bearer
    and session), 403 csrf for an admin session without its token; the
    admin passes authorisation (never 401/403, never 5xx)."""
    with TempDir() as tmp:
        d = node(tmp, "sn", "SN", "PC Kidira")
        users = make_users(d)
        with Server(d) as srv:
            clients = [("nobody", Api(srv.url))]
            for role in ROLES:
                clients.append((role, Api(srv.url, token=users[role][1])))
                clients.append((role + "/session",
                                Api.login(srv.url, role, users[role][0])))
            fails = []
            for method, path, body in ROUTES:
                for who, api in clients:
                    r = api.req(method, API + path, json_body=body)
                    try:
                        if who == "nobody":
                            check_error(r, 401, "unauthenticated")
                        elif not who.startswith("admin"):
                            check_error(r, 403, "forbidden")
                        else:
                            assert r.status_code < 500 and \
                                r.status_code not in (401, 403), show(r)
                    except AssertionError as e:
                        fails.append(f"{method} {path} as {who}: {e}")
                if method != "GET":
                    adm = clients[-1][1]
                    for bad in (None, "x" * 43):
                        r = adm.req(method, API + path, json_body=body,
                                    csrf=False, headers=None if bad is None
                                    else {"X-CSRF-Token": bad})
                        try:
                            check_error(r, 403, "csrf", "X-CSRF-Token")
                        except AssertionError as e:
                            fails.append(f"{method} {path} without CSRF: "
                                         f"{e}")
            assert not fails, "\n".join(fails)
            # Denials are audited.
            adm = Api(srv.url, token=users["admin"][1])
            denied = [e for e in events(adm, "authz")
                      if e["target"] == API + "/users"]
            assert len(denied) == 4 * 2 * 2, denied


def test_users():
    with TempDir() as tmp:
        d = node(tmp, "sn", "SN", "PC Kidira")
        users = make_users(d, ["viewer", "admin"])
        with Server(d) as srv:
            adm = Api(srv.url, token=users["admin"][1])
            s = Api.login(srv.url, "admin", users["admin"][0])
            r = adm.get(API + "/users")
            assert r.status_code == 200, show(r)
            got = r.json()["users"]
            assert [u["login"] for u in got] == ["admin", "viewer"], got
            for u in got:
                assert set(u) == {"login", "name", "role", "disabled",
                                  "created_at", "updated_at",
                                  "last_login"}, u
                assert u["role"] == u["login"] and u["disabled"] is False
                assert u["name"] == ""
                assert re.match(r"\d{4}-\d\d-\d\dT", u["created_at"]), u
            assert got[0]["last_login"] is not None   # the session above
            assert got[1]["last_login"] is None
            assert "argon2" not in r.text and "pwhash" not in r.text

            # Add, with the rules of diboli user add.
            body = {"login": "awa.diallo", "role": "analyst",
                    "name": "Awa Diallo", "password": PW}
            r = s.post(API + "/users", body)
            assert r.status_code == 201, show(r)
            assert r.headers["Location"] == API + "/users/awa.diallo"
            u = r.json()
            assert (u["login"], u["name"], u["role"], u["disabled"],
                    u["last_login"]) == ("awa.diallo", "Awa Diallo",
                                         "analyst", False, None), u
            awa = Api.login(srv.url, "awa.diallo", PW)
            assert awa.get(API + "/session").json()["role"] == "analyst"
            check_error(adm.post(API + "/users", body), 409, "exists",
                        "login", "already exists")
            for bad, field in [
                    ({"login": "bob", "role": "viewer", "password": "court"},
                     "password"),
                    ({"login": "bob", "role": "viewer"}, "password"),
                    ({"login": "bob.sn.ml.gn", "role": "viewer",
                      "password": "BOB.SN.ML.GN"}, "password"),
                    ({"login": "Bob Smith", "role": "viewer",
                      "password": PW}, "login"),
                    ({"role": "viewer", "password": PW}, "login"),
                    ({"login": "bob", "role": "general", "password": PW},
                     "role"),
                    ({"login": "bob", "password": PW}, "role"),
                    ({"login": "bob", "role": "viewer", "password": PW,
                      "name": "a\u0001b"}, "name"),
                    ({"login": "bob", "role": "viewer", "password": PW,
                      "name": 12}, "name"),
                    ({"login": "bob", "role": "viewer", "password": PW,
                      "admin": True}, "admin")]:
                check_error(adm.post(API + "/users", bad), 422, "invalid",
                            field)
            check_error(adm.req("POST", API + "/users", data=b"{",
                                headers={"Content-Type":
                                         "application/json"}), 400,
                        "bad_request", "body")
            check_error(adm.req("POST", API + "/users", data=b"login=x"),
                        415, "unsupported_media_type", "Content-Type")
            logins = [u["login"] for u in adm.get(API + "/users").json()[
                "users"]]
            assert logins == ["admin", "awa.diallo", "viewer"], logins

            # A token of awa's, to see it stop and start again.
            r = adm.post(API + "/tokens", {"login": "awa.diallo"})
            assert r.status_code == 201, show(r)
            awa_tok = Api(srv.url, token=r.json()["token"])
            assert awa_tok.get(API + "/session").status_code == 200

            # Change: role and name at once; it holds at once.
            r = s.req("PATCH", API + "/users/awa.diallo",
                      json_body={"role": "commander", "name": "Awa D."})
            assert r.status_code == 200, show(r)
            assert (r.json()["role"], r.json()["name"]) == ("commander",
                                                            "Awa D.")
            assert awa.get(API + "/session").json()["role"] == "commander"
            for bad, status, field in [
                    ({}, 422, ""), ({"disabled": "yes"}, 422, "disabled"),
                    ({"role": "chef"}, 422, "role"),
                    ({"password": "court"}, 422, "password"),
                    ({"login": "x"}, 422, "login")]:
                check_error(adm.req("PATCH", API + "/users/awa.diallo",
                                    json_body=bad), status, field=field)
            check_error(adm.req("PATCH", API + "/users/personne",
                                json_body={"role": "viewer"}), 404,
                        "not_found", "login")
            # Disabled: the session ends and the token stops working.
            r = adm.req("PATCH", API + "/users/awa.diallo",
                        json_body={"disabled": True})
            assert r.status_code == 200 and r.json()["disabled"], show(r)
            check_error(awa.get(API + "/session"), 401, "unauthenticated")
            check_error(awa_tok.get(API + "/session"), 401,
                        "unauthenticated")
            check_error(Api(srv.url).post(API + "/session", {
                "login": "awa.diallo", "password": PW}), 401)
            r = adm.req("PATCH", API + "/users/awa.diallo",
                        json_body={"disabled": False})
            assert r.status_code == 200 and not r.json()["disabled"]
            assert awa_tok.get(API + "/session").status_code == 200
            # A new password: the old one fails, sessions end.
            awa = Api.login(srv.url, "awa.diallo", PW)
            new = PW + " et encore"
            r = adm.req("PATCH", API + "/users/awa.diallo",
                        json_body={"password": new})
            assert r.status_code == 200, show(r)
            check_error(awa.get(API + "/session"), 401)
            check_error(Api(srv.url).post(API + "/session", {
                "login": "awa.diallo", "password": PW}), 401)
            Api.login(srv.url, "awa.diallo", new)

            # Audited: who, what, never the password.
            rows = [e for e in events(adm, "user.add")
                    if e["actor"] == "admin"]
            ok_rows = [e for e in rows if e["result"] == "ok"]
            assert len(ok_rows) == 1, rows
            assert (ok_rows[0]["actor"], ok_rows[0]["target"],
                    ok_rows[0]["detail"]) == (
                "admin", "user:awa.diallo",
                'role=analyst name="Awa Diallo"'), ok_rows
            failed = [e for e in rows if e["result"] == "failed"]
            assert len(failed) == 11, failed
            assert any("at least 12" in e["detail"] for e in failed)
            upd = events(adm, "user.update")
            assert [e["detail"] for e in upd if e["result"] == "ok"] == [
                'role=analyst->commander name="Awa D."'], upd
            assert [e["target"] for e in events(adm, "user.disable")] == [
                "user:awa.diallo"]
            assert len(events(adm, "user.enable")) == 1
            assert len(events(adm, "user.passwd")) == 1
            everything = adm.get(API + "/audit",
                                 params={"limit": "10000"}).text
            assert PW not in everything and "court" not in everything


def test_last_admin():
    with TempDir() as tmp:
        d = node(tmp, "sn", "SN", "PC Kidira")
        users = make_users(d, ["viewer", "admin"])
        with Server(d) as srv:
            adm = Api.login(srv.url, "admin", users["admin"][0])
            for body, field in [({"disabled": True}, "disabled"),
                                ({"role": "commander"}, "role"),
                                ({"role": "viewer", "disabled": True},
                                 "disabled")]:
                check_error(adm.req("PATCH", API + "/users/admin",
                                    json_body=body), 409, "conflict",
                            field, "last active admin")
            assert adm.get(API + "/session").json()["role"] == "admin"
            # A disabled admin does not count.
            r = adm.post(API + "/users", {"login": "chef", "role": "admin",
                                          "password": PW})
            assert r.status_code == 201, show(r)
            r = adm.req("PATCH", API + "/users/chef",
                        json_body={"disabled": True})
            assert r.status_code == 200, show(r)
            check_error(adm.req("PATCH", API + "/users/admin",
                                json_body={"role": "viewer"}), 409,
                        "conflict", "role")
            r = adm.req("PATCH", API + "/users/chef",
                        json_body={"disabled": False})
            assert r.status_code == 200, show(r)
            # Another active admin: now it may step down, and is a viewer.
            r = adm.req("PATCH", API + "/users/admin",
                        json_body={"role": "viewer"})
            assert r.status_code == 200 and r.json()["role"] == "viewer"
            check_error(adm.get(API + "/users"), 403, "forbidden")
            chef = Api.login(srv.url, "chef", PW)
            check_error(chef.req("PATCH", API + "/users/chef",
                                 json_body={"disabled": True}), 409,
                        "conflict", "disabled")
            refused = [e for e in events(Api(srv.url, token=create_token(
                d, "chef")), "user.update") if e["result"] == "failed"]
            assert len(refused) == 5, refused


def test_tokens():
    with TempDir() as tmp:
        d = node(tmp, "sn", "SN", "PC Kidira")
        users = make_users(d, ["reporter", "admin"])
        with Server(d) as srv:
            adm = Api.login(srv.url, "admin", users["admin"][0])
            r = adm.get(API + "/tokens")
            assert r.status_code == 200, show(r)
            before = r.json()["tokens"]
            assert [(t["id"], t["login"], t["state"]) for t in before] == [
                (1, "reporter", "active"), (2, "admin", "active")], before
            r = adm.post(API + "/tokens", {"login": "reporter",
                                           "label": "script de saisie",
                                           "expires_days": 30})
            assert r.status_code == 201, show(r)
            t = r.json()
            assert set(t) == {"id", "token", "login", "label",
                              "created_at", "expires_at"}, t
            assert (t["id"], t["login"], t["label"]) == (
                3, "reporter", "script de saisie"), t
            assert r.headers["Location"] == API + "/tokens/3"
            assert TOKEN_RE.fullmatch(t["token"]), t
            assert t["expires_at"] > t["created_at"]
            tok = Api(srv.url, token=t["token"])
            r = tok.get(API + "/session")
            assert r.status_code == 200 and r.json()["login"] == "reporter"
            assert tok.post(API + "/records", records("T", "SN", 1)[
                0]).status_code == 201
            # Shown once: never again.
            r = adm.get(API + "/tokens")
            assert t["token"] not in r.text
            got = r.json()["tokens"][2]
            assert set(got) == {"id", "login", "label", "created_at",
                                "expires_at", "revoked_at", "last_used_at",
                                "state"}, got
            assert (got["id"], got["label"], got["state"],
                    got["revoked_at"]) == (3, "script de saisie", "active",
                                           None), got
            assert got["expires_at"] == t["expires_at"]
            assert got["last_used_at"] is not None
            audit = adm.get(API + "/audit", params={"limit": "10000"}).text
            assert t["token"] not in audit
            rows = events(adm, "token.create")
            assert rows[0]["target"] == "token:3" and rows[0]["detail"] \
                .startswith('user=reporter label="script de saisie" '
                            'expires=2'), rows

            for body, field in [
                    ({}, "login"), ({"login": "personne"}, "login"),
                    ({"login": "reporter", "expires_days": -1},
                     "expires_days"),
                    ({"login": "reporter", "expires_days": 3651},
                     "expires_days"),
                    ({"login": "reporter", "expires_days": "30"},
                     "expires_days"),
                    ({"login": "reporter", "label": "x" * 201}, "label"),
                    ({"login": "reporter", "label": "a\nb"}, "label"),
                    ({"login": "reporter", "user": "x"}, "user")]:
                check_error(adm.post(API + "/tokens", body), 422,
                            "invalid", field)
            r = adm.post(API + "/tokens", {"login": "admin"})
            assert r.status_code == 201 and r.json()["expires_at"] is None

            # Revoke: 204, then the token is refused.
            r = adm.delete(API + "/tokens/3")
            assert r.status_code == 204 and r.content == b"", show(r)
            check_error(tok.get(API + "/session"), 401, "unauthenticated",
                        text="revoked")
            check_error(adm.delete(API + "/tokens/3"), 409, "conflict",
                        "id", "already revoked")
            check_error(adm.delete(API + "/tokens/99"), 404, "not_found",
                        "id")
            for bad in ("abc", "0", "-1", "01"):
                check_error(adm.delete(API + "/tokens/" + bad), 400,
                            "bad_request", "id")
            states = {t["id"]: t["state"] for t in
                      adm.get(API + "/tokens").json()["tokens"]}
            assert states == {1: "active", 2: "active", 3: "revoked",
                              4: "active"}, states
            assert [e["target"] for e in events(adm, "token.revoke")] == [
                "token:99", "token:3", "token:3"]
            # A disabled user gets no token.
            adm.req("PATCH", API + "/users/reporter",
                    json_body={"disabled": True})
            check_error(adm.post(API + "/tokens", {"login": "reporter"}),
                        409, "conflict", "login", "disabled")


def test_peers_and_nations():
    with TempDir() as tmp:
        sn_key, sn_pub = keygen(tmp, "SN")
        ml_key, ml_pub = keygen(tmp, "ML")
        _, ml2_pub = keygen(tmp, "ML", "ml-new")
        d = node(tmp, "sn", "SN", "PC Tambacounda", sn_key)
        users = make_users(d, ["admin"])
        with Server(d) as srv:
            adm = Api.login(srv.url, "admin", users["admin"][0])
            r = adm.get(API + "/nations")
            assert r.status_code == 200, show(r)
            n = r.json()["nations"]
            assert [(x["nation"], x["name"], x["fingerprint"], x["own"])
                    for x in n] == [("SN", "Senegal", fingerprint(sn_pub),
                                     True)], n
            assert adm.get(API + "/peers").json() == {"peers": []}

            r = adm.post(API + "/peers", {
                "name": "ML-HQ", "nation": "ml",
                "url": "http://192.0.2.20:8440/",
                "nation_pub": pub_text(ml_pub)})
            assert r.status_code == 201, show(r)
            assert r.headers["Location"] == API + "/peers/ML-HQ"
            p = r.json()
            assert (p["name"], p["nation"], p["url"], p["nation_key"],
                    p["last_exchange"], p["ok"], p["waiting_in"]) == (
                "ML-HQ", "ML", "http://192.0.2.20:8440",
                fingerprint(ml_pub), None, None, None), p
            n = adm.get(API + "/nations").json()["nations"]
            assert [(x["nation"], x["fingerprint"], x["own"]) for x in n] \
                == [("ML", fingerprint(ml_pub), False),
                    ("SN", fingerprint(sn_pub), True)], n
            assert n[0]["key"] == pub_text(ml_pub).split()[2]
            # The nation pinned already: no key needed; a peer without URL.
            r = adm.post(API + "/peers", {"name": "ML-RM4", "nation": "ML"})
            assert r.status_code == 201 and r.json()["url"] is None

            # Another key for ML: refused, naming both, unless replace.
            body = {"name": "ML-Kayes", "nation": "ML",
                    "nation_pub": pub_text(ml2_pub)}
            e = check_error(adm.post(API + "/peers", body), 409, "conflict",
                            "nation_pub")
            assert fingerprint(ml_pub) in e["message"] and \
                fingerprint(ml2_pub) in e["message"], e
            assert '"replace": true' in e["message"], e
            for bad, field in [
                    ({"name": "SN-Post", "nation": "MR"}, "nation_pub"),
                    ({"name": "X1", "nation": "ML",
                      "nation_pub": pub_text(sn_pub)}, "nation_pub"),
                    ({"name": "X2", "nation": "ML",
                      "nation_pub": "diboli-nation-pub/1 ML zz"},
                     "nation_pub"),
                    ({"name": "-x", "nation": "ML"}, "name"),
                    ({"nation": "ML"}, "name"),
                    ({"name": "X3", "nation": "XX"}, "nation"),
                    ({"name": "X4", "nation": "ML", "url": "ftp://h"},
                     "url"),
                    ({"name": "X5", "nation": "ML", "replace": True},
                     "replace"),
                    ({"name": "X6", "nation": "ML", "key": "x"}, "key")]:
                check_error(adm.post(API + "/peers", bad), 422, "invalid",
                            field)
            # A private key pasted by mistake: named, never echoed.
            with open(ml_key) as f:
                secret = f.read()
            e = check_error(adm.post(API + "/peers", {
                "name": "X7", "nation": "ML", "nation_pub": secret}), 422,
                "invalid", "nation_pub", "private key")
            assert secret.split()[2] not in str(e)
            check_error(adm.post(API + "/peers", {"name": "ml-hq",
                                                  "nation": "ML"}),
                        409, "exists", "name")
            body["replace"] = True
            r = adm.post(API + "/peers", body)
            assert r.status_code == 201, show(r)
            assert r.json()["nation_key"] == fingerprint(ml2_pub)
            n = adm.get(API + "/nations").json()["nations"]
            assert n[0]["fingerprint"] == fingerprint(ml2_pub), n

            peers = adm.get(API + "/peers").json()["peers"]
            assert [p["name"] for p in peers] == ["ML-HQ", "ML-Kayes",
                                                  "ML-RM4"], peers
            assert {p["nation_key"] for p in peers} == {fingerprint(
                ml2_pub)}
            r = adm.delete(API + "/peers/ML-RM4")
            assert r.status_code == 204, show(r)
            check_error(adm.delete(API + "/peers/ML-RM4"), 404, "not_found")
            assert [p["name"] for p in adm.get(API + "/peers").json()[
                "peers"]] == ["ML-HQ", "ML-Kayes"]
            # The CLI sees the same.
            cli = ok("peer", "list", "--dir", d, "--json").json()
            assert [p["name"] for p in cli] == ["ML-HQ", "ML-Kayes"]

            pins = events(adm, "nation.pin")
            assert [e["detail"] for e in pins] == [
                f"key={fingerprint(ml2_pub)} replaces="
                f"{fingerprint(ml_pub)}", f"key={fingerprint(ml_pub)}"], pins
            adds = [e for e in events(adm, "peer.add") if e["result"] ==
                    "ok"]
            assert [e["target"] for e in adds] == [
                "peer:ML-Kayes", "peer:ML-RM4", "peer:ML-HQ"], adds
            assert adds[2]["detail"] == (
                f"nation=ML url=http://192.0.2.20:8440 key="
                f"{fingerprint(ml_pub)} pinned"), adds
            assert secret.split()[2] not in adm.get(
                API + "/audit", params={"limit": "10000"}).text
            assert [e["target"] for e in events(adm, "peer.remove")] == [
                "peer:ML-RM4", "peer:ML-RM4"]


class Pair:
    """A Senegalese and a Malian node, certified by their nation keys,
    each served with an admin; their nation keys are not pinned across
    yet."""

    def __init__(self, tmp, *extra_ml):
        self.sn_key, self.sn_pub = keygen(tmp, "SN")
        self.ml_key, self.ml_pub = keygen(tmp, "ML")
        self.sn = node(tmp, "sn", "SN", "PC Tambacounda", self.sn_key)
        self.ml = node(tmp, "ml", "ML", "PC Kayes", self.ml_key)
        self.sn_pw = add_user(self.sn, "admin", "admin")
        self.ml_pw = add_user(self.ml, "admin", "admin")
        self.sns = Server(self.sn).start()
        try:
            self.mls = Server(self.ml, *extra_ml).start()
        except BaseException:
            self.sns.kill()
            raise
        self.a = Api.login(self.sns.url, "admin", self.sn_pw)
        self.b = Api.login(self.mls.url, "admin", self.ml_pw)

    def close(self):
        self.sns.kill()
        self.mls.kill()


def export(api, body):
    return api.post(API + "/bundles/export", body)


def import_bundle(api, data):
    return api.req("POST", API + "/bundles/import", data=data,
                   headers={"Content-Type": OCTETS})


def test_bundles():
    with TempDir() as tmp:
        p = Pair(tmp, "--max-body", "65536")
        try:
            a, b = p.a, p.b
            # Each pins the other's key through the API.
            for api, name, nation, pub in ((a, "ML-HQ", "ML", p.ml_pub),
                                           (b, "SN-HQ", "SN", p.sn_pub)):
                r = api.post(API + "/peers", {"name": name, "nation": nation,
                                              "nation_pub": pub_text(pub)})
                assert r.status_code == 201, show(r)
            shared = post_records(a, records("BILAT", "ML,SN", 6))
            national = post_records(a, records("NATIONAL", "SN", 3))
            assert len(shared) == 6 and len(national) == 3

            r = export(a, {"for": "ML"})
            assert r.status_code == 200, show(r)
            assert r.headers["Content-Type"] == OCTETS
            assert FILE_RE.fullmatch(r.headers["Content-Disposition"]), \
                r.headers
            assert (r.headers["X-Diboli-Records"],
                    r.headers["X-Diboli-Blocks"],
                    r.headers["X-Diboli-Waiting-Records"]) == ("6", "1", "0")
            bundle = r.content
            assert bundle[:4] == b"DIBU"
            assert b"NATIONAL" not in bundle
            # The CLI reads it as its own.
            path = os.path.join(tmp, "sn-to-ml.bundle")
            with open(path, "wb") as f:
                f.write(bundle)
            assert "every block checks and is meant for ML" in ok(
                "bundle", "show", "--dir", p.ml, path).out

            r = import_bundle(b, bundle)
            assert r.status_code == 200, show(r)
            assert r.json() == {
                "from": {"name": "PC Tambacounda", "nation": "SN"},
                "applied_blocks": 1, "applied_records": 6, "held": 0,
                "pending": 0, "refused": 0, "forks": 0,
                "result": "1 block(s) (6 record(s)) applied, 0 held "
                          "already, 0 pending a gap, 0 refused, 0 "
                          "equivocation(s)"}, r.json()
            assert record_ids(b) == set(shared)
            r = import_bundle(b, bundle)
            assert r.status_code == 200, show(r)
            assert (r.json()["applied_blocks"], r.json()["held"]) == (0, 1)

            # With the receiver's summary only what it lacks goes.
            r = b.get(API + "/sync/summary")
            assert r.status_code == 200, show(r)
            assert r.headers["Content-Type"] == OCTETS
            assert re.fullmatch(r'attachment; filename="diboli-ML-summary-'
                                r'for-ML-\d{8}T\d{4}Z\.summary"',
                                r.headers["Content-Disposition"]), r.headers
            assert r.headers["X-Diboli-Logs"] == "1"
            summary = r.content
            assert summary[:1] == b"V" and summary[-5:] == b"Z\0\0\0\0"
            # The same bytes as diboli sync summary.
            out = os.path.join(tmp, "ml.summary")
            ok("sync", "summary", "--dir", p.ml, "--for", "ML", "--out", out)
            with open(out, "rb") as f:
                assert f.read() == summary
            # What SN may see of it: the same shared log.
            assert b.get(API + "/sync/summary", params={
                "for": "sn"}).headers["X-Diboli-Logs"] == "1"
            check_error(b.get(API + "/sync/summary", params={"for": "XX"}),
                        400, "bad_request", "for")
            s64 = base64.b64encode(summary).decode()
            r = export(a, {"for": "ML", "summary": s64})
            assert r.status_code == 200, show(r)
            assert r.headers["X-Diboli-Records"] == "0", r.headers
            more = post_records(a, records("MORE", "ML,SN", 4, day=4))
            r = export(a, {"for": "ML", "summary": s64.rstrip("=")})
            assert r.status_code == 200, show(r)
            assert r.headers["X-Diboli-Records"] == "4", r.headers
            r = import_bundle(b, r.content)
            assert r.json()["applied_records"] == 4, show(r)
            assert record_ids(b) == set(shared) | set(more)
            # Converged: what the CLI would hold after a full import too.
            assert "BILAT-" not in "".join(national)

            # A budget leaves the rest for the next bundle.
            r = export(a, {"for": "ML", "budget": 1024})
            assert r.status_code == 200, show(r)
            assert int(r.headers["X-Diboli-Waiting-Records"]) > 0, r.headers

            # Encrypted to ML's key: made, but not imported by a browser.
            r = export(a, {"for": "ML", "encrypt_to": pub_text(p.ml_pub)})
            assert r.status_code == 200, show(r)
            enc = r.content
            check_error(import_bundle(b, enc), 422, "invalid", "bundle",
                        NOT_IN_BROWSER)
            path = os.path.join(tmp, "enc.bundle")
            with open(path, "wb") as f:
                f.write(enc)
            assert "0 block(s) (0 record(s)) applied, 2 held" in ok(
                "bundle", "import", "--dir", p.ml, "--key", p.ml_key,
                path).out

            # Refusals: another nation's bundle, altered bytes, bad bodies.
            r = export(a, {"for": "SN"})
            assert r.status_code == 200, show(r)
            check_error(import_bundle(b, r.content), 422, "forbidden",
                        "bundle", "is a bundle for SN")
            bad = bytearray(bundle)
            bad[len(bad) // 2] ^= 1
            check_error(import_bundle(b, bytes(bad)), 422)
            check_error(import_bundle(b, b"not a bundle"), 422)
            check_error(import_bundle(b, b""), 422, "invalid", "body")
            check_error(b.post(API + "/bundles/import", {}), 415,
                        "unsupported_media_type", "Content-Type")
            e = check_error(import_bundle(b, bundle + b"\0" * 70000), 413,
                            "too_big", "body")
            assert "diboli bundle import" in e["message"], e
            for body, field in [
                    ({}, "for"), ({"for": "XX"}, "for"),
                    ({"for": "ML", "summary": "%%%"}, "summary"),
                    ({"for": "ML", "summary": base64.b64encode(
                        bundle).decode()}, "summary"),
                    ({"for": "ML", "encrypt_to": pub_text(p.sn_pub)},
                     "encrypt_to"),
                    ({"for": "ML", "encrypt_to": "x"}, "encrypt_to"),
                    ({"for": "ML", "budget": 10}, "budget"),
                    ({"for": "ML", "budget": "4M"}, "budget"),
                    ({"for": "ML", "to": "ML"}, "to")]:
                e = check_error(export(a, body), 422, field=None)
                assert e["field"].split(".")[0] == field, (body, e)
            # A node without a certificate cannot sign for others.
            nocert = node(tmp, "nocert", "SN", "Poste sans certificat")
            add_user(nocert, "admin", "admin")
            with Server(nocert) as srv:
                api = Api(srv.url, token=create_token(nocert, "admin"))
                check_error(export(api, {"for": "ML"}), 409, "conflict",
                            text="diboli node certify")

            imp = [e for e in events(b, "bundle.import")
                   if e["actor"] == "admin"]
            okr = [e for e in imp if e["result"] == "ok"]
            assert len(okr) == 3 and okr[0]["target"] == \
                "bundle:PC Tambacounda (SN)", imp
            assert "4 record(s)" in okr[0]["detail"]
            failed = [e["target"] for e in imp if e["result"] == "failed"]
            # Newest first: empty, not a bundle, altered, for SN,
            # encrypted; the sender named once its certificate checked.
            tamba = "bundle:PC Tambacounda (SN)"
            assert failed == ["bundle", "bundle", tamba, "bundle",
                              tamba], failed
            exp = [e for e in events(a, "bundle.export")
                   if e["result"] == "ok"]
            assert exp[-1]["target"] == "nation:ML" and exp[-1][
                "detail"].startswith("6 record(s) in 1 block(s)"), exp
            for d in (p.sn, p.ml):
                assert run("log", "verify", "--dir", d).rc == 0
        finally:
            p.close()


def when(s):
    """An RFC 3339 time of the API as a datetime."""
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def peer_of(api, name):
    r = api.get(API + "/peers")
    assert r.status_code == 200, show(r)
    return [x for x in r.json()["peers"] if x["name"] == name][0]


def test_sync_run():
    with TempDir() as tmp:
        p = Pair(tmp)
        try:
            a, b = p.a, p.b
            post_records(a, records("BILAT", "ML,SN", 3))
            check_error(a.post(API + "/sync/run", {}), 409, "conflict",
                        "peer", "no peer has a URL")
            r = a.post(API + "/peers", {"name": "ML-HQ", "nation": "ML",
                                        "url": p.mls.url,
                                        "nation_pub": pub_text(p.ml_pub)})
            assert r.status_code == 201, show(r)
            r = a.post(API + "/peers", {"name": "ML-Bus", "nation": "ML"})
            assert r.status_code == 201, show(r)
            # ML does not pin SN yet: the background sync fails, and
            # backs off.
            t0 = time.monotonic()
            while True:
                st = peer_of(a, "ML-HQ")
                if st["last_exchange"] is not None:
                    break
                assert time.monotonic() - t0 < 20, st
                time.sleep(0.2)
            assert st["ok"] is False and "403" in st["last_result"], st
            assert st["fails"] == 1 and when(st["next_attempt"]) > \
                when(st["last_exchange"]), st
            # ML pins SN; a forced run goes through before the backoff.
            r = b.post(API + "/peers", {"name": "SN-HQ", "nation": "SN",
                                        "nation_pub": pub_text(p.sn_pub)})
            assert r.status_code == 201, show(r)
            check_error(a.post(API + "/sync/run", {"peer": "nope"}), 404,
                        "not_found", "peer")
            check_error(a.post(API + "/sync/run", {"peer": "ML-Bus"}), 409,
                        "conflict", "peer", "no URL")
            check_error(a.post(API + "/sync/run", {"peer": 3}), 422,
                        "invalid", "peer")
            r = a.post(API + "/sync/run", {"peer": "ML-HQ"})
            assert r.status_code == 202, show(r)
            assert r.json() == {"peers": ["ML-HQ"]}
            t0 = time.monotonic()
            while time.monotonic() - t0 < 25:
                now = peer_of(a, "ML-HQ")
                if now["ok"]:
                    break
                time.sleep(0.2)
            assert now["ok"] is True, now
            # Not the retry after the backoff: the forced run.
            assert when(now["last_exchange"]) < when(st["next_attempt"]), \
                (st, now)
            assert now["fails"] == 0 and now["waiting_out"] == 0, now
            assert len(record_ids(b)) == 3
            # With no peer named: every peer with a URL.
            r = a.req("POST", API + "/sync/run")
            assert r.status_code == 202 and r.json() == {"peers": ["ML-HQ"]}
            rows = events(a, "sync.run")
            assert [(e["target"], e["result"]) for e in rows] == [
                ("peer:*", "ok"), ("peer:ML-HQ", "ok"),
                ("peer:ML-Bus", "failed"), ("peer:nope", "failed"),
                ("peer:*", "failed")], rows
        finally:
            p.close()


if __name__ == "__main__":
    main([test_roles_and_csrf, test_users, test_last_admin, test_tokens,
          test_peers_and_nations, test_bundles, test_sync_run])
