"""Federation integration tests: real diboli nodes of two nations on
loopback, certified by their nation keys, exchanging logs over HTTP
(diboli sync, the background sync of diboli serve) and by bundle files.

Every node ends with exactly the records releasable to its nation, and
nothing national leaves its nation: national-only records carry unique
canary strings that are looked for in every sync body on the link to the
partner, in every bundle for the partner and in every file of the
partner's data directory. Refusals (unpinned nation, no certificate,
forged requests, wrong nation, tampered bundle) fail with exit 1 and a
clear message and change nothing. A kill -9 of the receiving server in
the middle of a large transfer loses nothing once sync resumes."""
import csv
import datetime as dt
import io
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403
from server import Api, Server, add_user, create_token  # noqa: E402

import requests  # noqa: E402

SN_HQ_NAME = "Zone militaire n°4 — PC Tambacounda"
SN_POST_NAME = "Poste frontière de Kidira"
ML_HQ_NAME = "Région militaire n°4 — PC Kayes"
BILAT, TRI = "ML,SN", "ML,MR,SN"
LINE_RE = re.compile(r"^\s*block\s+origin ([0-9a-f]{8})\s+audience (\S+)\s+"
                     r"seq (\d+)-(\d+)\s+\((\d+) record\(s\)\)\s*$")


# ---- nodes and records ----

def keygen(tmp, nation, base=None):
    """A nation key pair: (key path, pub path)."""
    prefix = os.path.join(tmp, base or nation.lower())
    ok("nation", "keygen", "--nation", nation, "--out", prefix)
    return prefix + ".key", prefix + ".pub"


def init_node(tmp, sub, nation, name, key=None):
    d = os.path.join(tmp, sub)
    args = ["init", "--dir", d, "--nation", nation, "--name", name]
    if key:
        args += ["--nation-key", key]
    ok(*args)
    return d


def counts(d):
    return ok("node", "show", "--dir", d, "--json").json()["counts"]


def status(d):
    return ok("sync", "status", "--dir", d, "--json").json()


def hexid(uuid):
    return uuid.replace("-", "").lower()


def add_json(d, recs, tmp=None):
    """Add records with diboli record add --json FILE; returns their ids
    in order."""
    path = os.path.join(tmp or os.path.dirname(os.path.abspath(d)),
                        f"in-{secrets.token_hex(4)}.json")
    with open(path, "w") as f:
        json.dump({"records": recs}, f)
    out = ok("record", "add", "--dir", d, "--json", path).out.split()
    os.remove(path)
    assert len(out) == len(recs), out
    return out


def point(lat, lon):
    return {"type": "Point", "coordinates": [lon, lat]}


def canary(nation):
    return f"CANARI-{nation}-{secrets.token_hex(8)}"


class Ledger:
    """Every record added in a test: id -> (audience, origin nation,
    its free text). Canaries are the texts of national-only records."""

    def __init__(self):
        self.recs = {}

    def add(self, d, nation, recs):
        ids = add_json(d, recs)
        for i, r in zip(ids, recs):
            self.recs[i] = (r["audience"], nation,
                            r["attributes"]["remarks"])
        return ids

    def releasable(self, nation):
        return {i for i, (aud, _, _) in self.recs.items()
                if nation in aud.split(",")}

    def canaries(self, nation):
        return [t.split()[-1] for aud, n, t in self.recs.values()
                if n == nation and aud == nation]

    def markers(self, nation, audience):
        return [t.split()[-1] for aud, n, t in self.recs.values()
                if n == nation and aud == audience]


def node_records(nation, tag, lat, lon, day):
    """Five synthetic records of one node (no person named): two national
    only, each with its canary in remarks; two bilateral, one tripartite,
    each with a marker. One block per audience when added together."""
    at = f"2025-03-{day:02d}T"
    return [
        {"category": "security.armed_group.sighting",
         "observed_at": at + "06:40:00Z", "precedence": "IMMEDIATE",
         "geometry": point(lat + 0.012, lon - 0.004), "audience": nation,
         "attributes": {"strength": 8, "direction": "NE",
                        "remarks": "Colonne de motos vers le gué, "
                                   "source interne " + canary(nation)}},
        {"category": "security.smuggling.fuel",
         "observed_at": at + "09:15:00Z", "precedence": "ROUTINE",
         "geometry": point(lat - 0.006, lon + 0.003), "audience": nation,
         "attributes": {"quantity": 600,
                        "remarks": "Bidons déchargés de nuit "
                                   + canary(nation)}},
        {"category": "corridor.checkpoint_stop",
         "observed_at": at + "11:30:00Z",
         "geometry": point(lat + 0.002, lon + 0.001), "audience": BILAT,
         "attributes": {"agency": "police", "minutes": 25,
                        "payment_xof": 2000,
                        "remarks": f"Arrêt camion citerne BILAT-{tag}-"
                                   f"{secrets.token_hex(6)}"}},
        {"category": "environment.water.sample",
         "observed_at": at + "14:00:00Z", "precedence": "PRIORITY",
         "geometry": point(lat - 0.010, lon + 0.009), "audience": BILAT,
         "attributes": {"mercury_ugl": 1.8, "ph": 7.2,
                        "turbidity_ntu": 85,
                        "remarks": f"Prélèvement Falémé BILAT-{tag}-"
                                   f"{secrets.token_hex(6)}"}},
        {"category": "security.cattle_theft",
         "observed_at": at + "17:45:00Z", "precedence": "PRIORITY",
         "geometry": point(lat + 0.020, lon - 0.015), "audience": TRI,
         "attributes": {"head_count": 35,
                        "remarks": f"Troupeau vers le nord TRI-{tag}-"
                                   f"{secrets.token_hex(6)}"}},
    ]


def held(d):
    """What a node holds: {id: (audience, origin nation)}, from diboli
    record list --format csv."""
    rows = csv.DictReader(io.StringIO(ok("record", "list", "--dir", d,
                                         "--format", "csv").out))
    return {r["id"]: (r["audience"], r["origin_nation"]) for r in rows}


def db_ids(d):
    """Record ids held, read from diboli.db (read-only)."""
    c = sqlite3.connect(f"file:{os.path.join(d, 'diboli.db')}?mode=ro",
                        uri=True, timeout=10)
    try:
        return {h.lower() for (h,) in c.execute(
            "SELECT hex(id) FROM entries")}
    finally:
        c.close()


def db_blocks(d):
    """Blocks held: {(origin key hex[:8], audience, first, last)}."""
    c = sqlite3.connect(f"file:{os.path.join(d, 'diboli.db')}?mode=ro",
                        uri=True, timeout=10)
    try:
        return {(o.lower()[:8], a, f, f + n - 1) for o, a, f, n in c.execute(
            "SELECT hex(o.pubkey), l.audience, b.first_seq, b.count FROM "
            "blocks b JOIN logs l ON l.id = b.log JOIN origins o ON "
            "o.id = l.origin")}
    finally:
        c.close()


def shown_blocks(out):
    """The blocks listed by diboli bundle show."""
    res = []
    for line in out.splitlines():
        m = LINE_RE.match(line)
        if m:
            res.append((m.group(1), m.group(2), int(m.group(3)),
                        int(m.group(4))))
    return res


def run_bytes(*args):
    """Run diboli; (rc, stdout bytes, stderr text)."""
    p = subprocess.run([DIBOLI, *map(str, args)], capture_output=True,
                       env=dict(os.environ, LC_ALL="C.UTF-8"), timeout=120)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def dir_bytes(d):
    """Every file under d (the database, its -wal and -shm, keys...)."""
    out = []
    for root, _, files in os.walk(d):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                out.append((os.path.join(root, f), fh.read()))
    return out


def needles(canaries):
    """A canary and its random part alone (as a search index keeps it)."""
    res = []
    for c in canaries:
        res += [c.encode(), c.rsplit("-", 1)[1].encode()]
    return res


def found_in(blobs, canaries):
    """The canaries found in any of blobs [(name, bytes)]: [(canary,
    name)]."""
    hits = []
    for c in canaries:
        for n in needles([c]):
            for name, b in blobs:
                if n in b:
                    hits.append((c, name))
    return hits


def trace_files(t):
    return sorted((os.path.join(t, f), open(os.path.join(t, f),
                                            "rb").read())
                  for f in os.listdir(t))


def sync_line(peer, pulled, pulled_b, pushed, pushed_b, win=0, wout=0):
    return (f"{peer}: pulled {pulled} record(s) in {pulled_b} block(s), "
            f"pushed {pushed} record(s) in {pushed_b} block(s); waiting: "
            f"{win} in, {wout} out\n")


# ---- the three nodes ----

class Federation:
    """SN HQ (Tambacounda), SN post (Kidira), ML HQ (Kayes), certified by
    the SN and ML nation keys, five records on each (two national with
    canaries, two bilateral, one tripartite). Wiring: the post has peer
    SN-HQ with the URL of SN HQ's server; SN HQ gets peer ML-HQ with the
    URL of ML HQ's server; ML HQ has peer SN-HQ without URL. The post
    pins the ML key to accept the Malian blocks that SN HQ relays."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.hqs = self.mls = None
        try:
            self.setup()
        except BaseException:
            self.close()
            raise

    def setup(self):
        tmp = self.tmp
        self.sn_key, self.sn_pub = keygen(tmp, "SN")
        self.ml_key, self.ml_pub = keygen(tmp, "ML")
        self.hq = init_node(tmp, "sn-tambacounda", "SN", SN_HQ_NAME,
                            self.sn_key)
        self.post = init_node(tmp, "sn-kidira", "SN", SN_POST_NAME,
                              self.sn_key)
        self.ml = init_node(tmp, "ml-kayes", "ML", ML_HQ_NAME, self.ml_key)
        self.led = Ledger()
        self.led.add(self.hq, "SN", node_records("SN", "TAMBA", 13.770,
                                                 -13.668, 3))
        self.led.add(self.post, "SN", node_records("SN", "KIDIRA", 14.467,
                                                   -12.217, 4))
        self.led.add(self.ml, "ML", node_records("ML", "KAYES", 14.447,
                                                 -11.445, 5))
        for d in (self.hq, self.post, self.ml):
            c = counts(d)
            assert c["records"] == 5 and c["blocks"] == 3, c
        ok("nation", "pin", "--dir", self.post, "--nation-pub", self.ml_pub)
        ok("peer", "add", "--dir", self.ml, "--name", "SN-HQ", "--nation",
           "SN", "--nation-pub", self.sn_pub)
        # A viewer on SN HQ, for GET /api/v1/sync/status.
        add_user(self.hq, "viewer", "viewer")
        self.viewer = create_token(self.hq, "viewer")
        self.mls = Server(self.ml).start()
        self.hqs = Server(self.hq).start()
        ok("peer", "add", "--dir", self.post, "--name", "SN-HQ", "--nation",
           "SN", "--url", self.hqs.url)

    def trace_dir(self, name):
        t = os.path.join(self.tmp, name)
        os.mkdir(t)
        return t

    def cli_sync(self):
        """The post, then SN HQ (relaying the post's shared logs to ML),
        then the post again; each with --trace. Returns the three
        diboli sync results."""
        self.t_post1 = self.trace_dir("trace-post-1")
        self.t_hq = self.trace_dir("trace-hq-ml")
        self.t_post2 = self.trace_dir("trace-post-2")
        r1 = ok("sync", "--dir", self.post, "--trace", self.t_post1)
        # SN HQ's server is stopped while it gets the ML-HQ URL, so that
        # its background sync does not race the traced CLI exchange.
        rc, _ = self.hqs.stop()
        assert rc == 0, (rc, self.hqs.stderr())
        ok("peer", "add", "--dir", self.hq, "--name", "ML-HQ", "--nation",
           "ML", "--nation-pub", self.ml_pub, "--url", self.mls.url)
        r2 = ok("sync", "--dir", self.hq, "--trace", self.t_hq)
        self.hqs.start()
        ok("peer", "remove", "--dir", self.post, "SN-HQ")
        ok("peer", "add", "--dir", self.post, "--name", "SN-HQ", "--nation",
           "SN", "--url", self.hqs.url)
        r3 = ok("sync", "--dir", self.post, "--trace", self.t_post2)
        return r1, r2, r3

    def stop(self):
        for s in (self.hqs, self.mls):
            if s.alive():
                rc, _ = s.stop()
                assert rc == 0, (rc, s.stderr())

    def close(self):
        for s in (self.hqs, self.mls):
            if s is not None:
                s.kill()


def test_three_nodes_converge():
    with TempDir() as tmp:
        f = Federation(tmp)
        try:
            r1, r2, r3 = f.cli_sync()
            # Exact exchanges: the post gives its 5 records (3 logs) and
            # gets SN HQ's 5; SN HQ pulls ML's 3 shared records (2 logs)
            # and pushes its own 3 shared and the post's 3 shared (4
            # logs); the post then gets ML's 3 through SN HQ.
            assert r1.out == sync_line("SN-HQ", 5, 3, 5, 3), r1
            assert r2.out == sync_line("ML-HQ", 3, 2, 6, 4), r2
            assert r3.out == sync_line("SN-HQ", 3, 2, 0, 0), r3
            # Nothing left: a second round moves nothing.
            assert ok("sync", "--dir", f.hq).out == \
                sync_line("ML-HQ", 0, 0, 0, 0)
            assert ok("sync", "--dir", f.post).out == \
                sync_line("SN-HQ", 0, 0, 0, 0)

            led = f.led
            for d, nation in ((f.post, "SN"), (f.hq, "SN"), (f.ml, "ML")):
                h = held(d)
                want = led.releasable(nation)
                assert set(h) == want, (d, sorted(set(h) ^ want))
                for i, (aud, origin) in h.items():
                    assert (aud, origin) == led.recs[i][:2], (d, i)
                assert {hexid(i) for i in want} == db_ids(d), d
                st = status(d)
                assert st["pending_blocks"] == 0, (d, st)
                assert st["quarantined_blocks"] == 0, (d, st)
            assert len(led.releasable("SN")) == 13
            assert len(led.releasable("ML")) == 11
            # ML HQ noted SN HQ calling in (its peer has no URL).
            p = status(f.ml)["peers"]
            assert [(x["name"], x["nation"], x["url"], x["ok"]) for x in
                    p] == [("SN-HQ", "SN", None, True)], p
            assert p[0]["last_result"] == (
                "0 block(s) (0 record(s)) applied, 0 held already, 0 "
                "pending a gap, 0 refused, 0 equivocation(s)"), p
            p = {x["name"]: x for x in status(f.hq)["peers"]}
            assert set(p) == {"ML-HQ"} and p["ML-HQ"]["ok"] is True, p
            assert p["ML-HQ"]["waiting_in"] == 0, p
            assert p["ML-HQ"]["waiting_out"] == 0, p

            # The background sync of diboli serve alone: a record added
            # on SN HQ while its server runs reaches ML HQ once the
            # server's peer has a URL (given again: the old row waits
            # 30 s after its last success).
            ok("peer", "remove", "--dir", f.hq, "ML-HQ")
            new = led.add(f.hq, "SN", [
                {"category": "security.suspicious_activity",
                 "observed_at": "2025-03-06T05:20:00Z",
                 "precedence": "FLASH", "audience": BILAT,
                 "geometry": point(14.455, -12.190),
                 "attributes": {"persons": 4, "vehicles": 1,
                                "remarks": "Pirogue sans feux BILAT-BG-"
                                + secrets.token_hex(6)}},
                {"category": "security.armed_group.sighting",
                 "observed_at": "2025-03-06T05:25:00Z",
                 "audience": "SN", "geometry": point(14.458, -12.195),
                 "attributes": {"strength": 3, "remarks": "Guetteurs "
                                + canary("SN")}}])
            ok("peer", "add", "--dir", f.hq, "--name", "ML-HQ", "--nation",
               "ML", "--url", f.mls.url)
            api = Api(f.hqs.url, token=f.viewer)
            t0 = time.monotonic()
            arrived = st = None
            while time.monotonic() - t0 < 15:
                r = api.get("/api/v1/sync/status")
                assert r.status_code == 200, (r.status_code, r.text)
                st = r.json()
                pm = {x["name"]: x for x in st["peers"]}
                if hexid(new[0]) in db_ids(f.ml) and \
                        pm["ML-HQ"]["last_exchange"] is not None:
                    arrived = time.monotonic() - t0
                    break
                time.sleep(0.2)
            assert arrived is not None, \
                f"background sync: nothing after 15 s: {st} " \
                f"{f.hqs.stderr()}"
            print(f"     background sync delivered in {arrived:.1f} s")
            pm = {x["name"]: x for x in st["peers"]}["ML-HQ"]
            assert pm["ok"] is True and pm["url"] == f.mls.url, pm
            assert pm["last_result"] == sync_line(
                "ML-HQ", 0, 0, 1, 1).split(": ", 1)[1].rstrip("\n"), pm
            assert pm["waiting_out"] == 0 and pm["waiting_in"] == 0, pm
            assert st["pending_blocks"] == 0, st
            assert st["quarantined_blocks"] == 0, st
            assert db_ids(f.ml) == {hexid(i) for i in
                                    led.releasable("ML")}
            assert hexid(new[1]) not in db_ids(f.ml)
            api.close()

            f.stop()
            for d, n in ((f.post, 13), (f.hq, 15), (f.ml, 12)):
                v = run("log", "verify", "--dir", d)
                assert v.rc == 0 and v.out.startswith("ok:") and \
                    f" {n} records verified" in v.out, (d, v)
        finally:
            f.close()


def test_canaries_stay_home():
    with TempDir() as tmp:
        f = Federation(tmp)
        try:
            f.cli_sync()
            led = f.led
            sn_can, ml_can = led.canaries("SN"), led.canaries("ML")
            assert len(sn_can) == 4 and len(ml_can) == 2
            sn_shared = led.markers("SN", BILAT) + led.markers("SN", TRI)
            ml_shared = led.markers("ML", BILAT) + led.markers("ML", TRI)
            assert len(sn_shared) == 6 and len(ml_shared) == 3

            # (a) Every body on the SN HQ <-> ML HQ link.
            tr = trace_files(f.t_hq)
            kinds = sorted(re.sub(r"^\d+-\d+-ML-HQ-", "",
                                  os.path.basename(n)) for n, _ in tr)
            assert kinds == ["pull-answer.sync", "pull-request.sync",
                             "push-answer.sync", "push-request.sync"], kinds
            assert found_in(tr, sn_can + ml_can) == [], \
                found_in(tr, sn_can + ml_can)
            # Positive control: the shared records did cross it, both
            # ways (SN HQ's and the relayed post's, and ML's).
            pushed = [x for x in tr if x[0].endswith("push-request.sync")]
            pulled = [x for x in tr if x[0].endswith("pull-answer.sync")]
            assert {c for c, _ in found_in(pushed, sn_shared)} == \
                set(sn_shared)
            assert {c for c, _ in found_in(pulled, ml_shared)} == \
                set(ml_shared)
            # Positive control: the post <-> SN HQ link carries the SN
            # canaries (the post's pushed, SN HQ's pulled), not ML's.
            tp = trace_files(f.t_post1) + trace_files(f.t_post2)
            assert {c for c, _ in found_in(tp, sn_can)} == set(sn_can)
            assert found_in(tp, ml_can) == []
            assert {c for c, _ in found_in(tp, ml_shared)} == \
                set(ml_shared)

            # (b) Bundles for ML, read on ML HQ (it pins SN's key).
            b_ml = os.path.join(tmp, "tamba-for-ml.dib")
            r = ok("bundle", "export", "--dir", f.hq, "--for", "ML",
                   "--out", b_ml)
            assert r.out.startswith(f"{b_ml}: 9 record(s) in 6 block(s) "
                                    "for ML"), r
            rc, pay, err = run_bytes("bundle", "show", "--dir", f.ml,
                                     "--payload", b_ml)
            assert rc == 0 and pay.startswith(b"V"), (rc, err)
            assert found_in([("payload", pay)], sn_can + ml_can) == []
            assert {c for c, _ in found_in([("payload", pay)],
                                           sn_shared + ml_shared)} == \
                set(sn_shared + ml_shared)
            assert found_in([("file", open(b_ml, "rb").read())],
                            sn_can) == []
            # Encrypted to ML's key: readable only with ml.key.
            b_enc = os.path.join(tmp, "tamba-for-ml.enc.dib")
            r = ok("bundle", "export", "--dir", f.hq, "--for", "ML",
                   "--encrypt-to", f.ml_pub, "--out", b_enc)
            assert "encrypted to the key of ML" in r.out, r
            fails(1, "bundle", "show", "--dir", f.ml, "--payload", b_enc,
                  must="--key")
            rc, pay, err = run_bytes("bundle", "show", "--dir", f.ml,
                                     "--key", f.ml_key, "--payload", b_enc)
            assert rc == 0, err
            assert found_in([("payload", pay)], sn_can + ml_can) == []
            assert {c for c, _ in found_in([("payload", pay)],
                                           sn_shared)} == set(sn_shared)
            raw = open(b_enc, "rb").read()
            assert found_in([("file", raw)], sn_can + sn_shared) == []
            r = ok("bundle", "import", "--dir", f.ml, "--key", f.ml_key,
                   b_enc)
            assert "0 block(s) (0 record(s)) applied, 6 held already" in \
                r.out, r
            # And the other way: ML HQ's bundle for SN holds no ML
            # canary.
            b_sn = os.path.join(tmp, "kayes-for-sn.dib")
            ok("bundle", "export", "--dir", f.ml, "--for", "SN", "--out",
               b_sn)
            rc, pay, err = run_bytes("bundle", "show", "--dir", f.hq,
                                     "--payload", b_sn)
            assert rc == 0, err
            assert found_in([("payload", pay)], ml_can + sn_can) == []
            assert {c for c, _ in found_in([("payload", pay)],
                                           ml_shared)} == set(ml_shared)
            # Positive control: SN HQ's bundle for SN, read on the post,
            # does carry every SN canary.
            b_post = os.path.join(tmp, "tamba-for-sn.dib")
            ok("bundle", "export", "--dir", f.hq, "--for", "SN", "--out",
               b_post)
            rc, pay, err = run_bytes("bundle", "show", "--dir", f.post,
                                     "--payload", b_post)
            assert rc == 0, err
            assert {c for c, _ in found_in([("payload", pay)], sn_can)} \
                == set(sn_can)
            assert found_in([("payload", pay)], ml_can) == []

            # (c) Every byte of every file of each data directory, while
            # the servers run and after they stop (WAL checkpointed).
            for when in ("running", "stopped"):
                if when == "stopped":
                    f.stop()
                ml_files = dir_bytes(f.ml)
                names = {os.path.basename(n) for n, _ in ml_files}
                assert {"diboli.db", "node.key"} <= names, names
                if when == "running":
                    assert {"diboli.db-wal", "diboli.db-shm"} <= names, \
                        names
                assert found_in(ml_files, sn_can) == [], \
                    (when, found_in(ml_files, sn_can))
                for d in (f.hq, f.post):
                    files = dir_bytes(d)
                    assert found_in(files, ml_can) == [], \
                        (when, found_in(files, ml_can))
                    # Positive control: both SN directories hold every SN
                    # canary, and ML's shared records.
                    assert {c for c, _ in found_in(files, sn_can)} == \
                        set(sn_can), (when, d)
                    assert {c for c, _ in found_in(files, ml_shared)} == \
                        set(ml_shared), (when, d)
                assert {c for c, _ in found_in(ml_files, ml_can)} == \
                    set(ml_can), when
                assert {c for c, _ in found_in(ml_files, sn_shared)} == \
                    set(sn_shared), when
        finally:
            f.close()


# ---- refusals ----

def node_cert_hex(d):
    return open(os.path.join(d, "node.cert"), "rb").read().hex()


def exchange(url, headers, body=b"x"):
    s = requests.Session()
    s.trust_env = False
    try:
        return s.post(url + "/sync/v1/exchange?budget=65536&pull=1",
                      data=body, headers=headers, timeout=10,
                      allow_redirects=False)
    finally:
        s.close()


def denied(d):
    return [a["detail"] for a in ok("audit", "list", "--dir", d,
                                    "--json").json()
            if a["action"] == "sync.auth" and a["result"] == "denied"]


def test_refusals():
    with TempDir() as tmp:
        sn_key, sn_pub = keygen(tmp, "SN")
        ml_key, ml_pub = keygen(tmp, "ML")
        rogue_key, _ = keygen(tmp, "SN", "sn-rogue")
        mr_key, _ = keygen(tmp, "MR")
        hq = init_node(tmp, "sn-hq", "SN", SN_HQ_NAME, sn_key)
        post = init_node(tmp, "sn-post", "SN", SN_POST_NAME, sn_key)
        ml = init_node(tmp, "ml-hq", "ML", ML_HQ_NAME, ml_key)
        rogue = init_node(tmp, "rogue", "SN", "Faux poste", rogue_key)
        mr = init_node(tmp, "mr-hq", "MR", "PC Sélibaby", mr_key)
        nocert = init_node(tmp, "sn-nocert", "SN", "Poste sans certificat")
        led = Ledger()
        led.add(hq, "SN", node_records("SN", "TAMBA", 13.770, -13.668, 3))
        led.add(ml, "ML", node_records("ML", "KAYES", 14.447, -11.445, 5))
        add_user(ml, "viewer", "viewer")
        viewer = create_token(ml, "viewer")
        with Server(ml) as srv:
            # 1. SN is not pinned on ML HQ: 403, one line, nothing
            # applied, the refusal audited there and noted here.
            ok("peer", "add", "--dir", hq, "--name", "ML-HQ", "--nation",
               "ML", "--nation-pub", ml_pub, "--url", srv.url)
            r = fails(1, "sync", "--dir", hq, must="403")
            assert "not pinned" in r.err and "ML-HQ" in r.err, r
            assert len(r.err.strip().splitlines()) == 1, r
            assert r.err.count("diboli:") == 1, r
            assert counts(ml)["records"] == 5 and counts(hq)["records"] == 5
            assert denied(ml) == ["nation SN (Senegal) is not pinned on "
                                  "this node, so its nodes are not trusted "
                                  "(diboli nation pin)"], denied(ml)
            p = status(hq)["peers"][0]
            assert p["ok"] is False and p["last_result"].startswith(
                "failed: ML-HQ answered 403"), p
            # 2. A node with no certificate: refused before any request.
            ok("peer", "add", "--dir", nocert, "--name", "ML-HQ",
               "--nation", "ML", "--nation-pub", ml_pub, "--url", srv.url)
            r = fails(1, "sync", "--dir", nocert, must="no certificate")
            assert "diboli node certify" in r.err, r
            assert len(denied(ml)) == 1
            # 3. SN pinned on ML HQ (its peer added with the key): the
            # same sync goes through.
            ok("peer", "add", "--dir", ml, "--name", "SN-HQ", "--nation",
               "SN", "--nation-pub", sn_pub)
            r = ok("sync", "--dir", hq)
            assert r.out == sync_line("ML-HQ", 3, 2, 3, 2), r
            assert held(ml).keys() == led.releasable("ML")
            assert held(hq).keys() == led.releasable("SN")
            # 4. A node certified by a key that is not SN's pinned one.
            ok("peer", "add", "--dir", rogue, "--name", "ML-HQ",
               "--nation", "ML", "--nation-pub", ml_pub, "--url", srv.url)
            r = fails(1, "sync", "--dir", rogue, must="401")
            assert len(denied(ml)) == 2

            # 5. Forged or unsigned requests, straight to the route.
            now = str(int(time.time() * 1000))
            zeros = "0" * 128
            media = "application/vnd.diboli.sync"
            cases = [
                ({}, 401, "certificate"),
                ({"Content-Type": media}, 401, "X-Diboli-Cert"),
                ({"X-Diboli-Cert": "zz", "X-Diboli-Time": now,
                  "X-Diboli-Signature": zeros, "Content-Type": media},
                 401, "hex"),
                ({"X-Diboli-Cert": node_cert_hex(hq), "X-Diboli-Time": now,
                  "X-Diboli-Signature": zeros, "Content-Type": media},
                 401, "signature does not match"),
                ({"X-Diboli-Cert": node_cert_hex(hq),
                  "X-Diboli-Time": str(int(now) - 3600 * 1000),
                  "X-Diboli-Signature": zeros, "Content-Type": media},
                 401, "15 minutes"),
                ({"X-Diboli-Cert": node_cert_hex(rogue),
                  "X-Diboli-Time": now, "X-Diboli-Signature": zeros,
                  "Content-Type": media}, 401, None),
                ({"X-Diboli-Cert": node_cert_hex(mr), "X-Diboli-Time": now,
                  "X-Diboli-Signature": zeros, "Content-Type": media},
                 403, "not pinned"),
            ]
            for h, code, text in cases:
                rr = exchange(srv.url, h)
                assert rr.status_code == code, (h, rr.status_code, rr.text)
                err = rr.json()["error"]
                assert err["code"] == ("unauthenticated" if code == 401
                                       else "forbidden"), rr.text
                if text:
                    assert text in err["message"] or text in \
                        err.get("field", ""), (text, rr.text)
            assert len(denied(ml)) == 2 + len(cases)
            assert held(ml).keys() == led.releasable("ML")
            assert srv.alive()

            # 6. GET /api/v1/sync/status: a login is needed.
            anon = Api(srv.url)
            r = anon.get("/api/v1/sync/status")
            assert r.status_code == 401, (r.status_code, r.text)
            assert r.json()["error"]["code"] == "unauthenticated"
            api = Api(srv.url, token=viewer)
            r = api.get("/api/v1/sync/status")
            assert r.status_code == 200, (r.status_code, r.text)
            assert r.headers["Content-Type"].startswith("application/json")
            st = r.json()
            assert st["pending_blocks"] == 0, st
            assert st["quarantined_blocks"] == 0, st
            assert [(p["name"], p["nation"], p["url"], p["ok"]) for p in
                    st["peers"]] == [("SN-HQ", "SN", None, True)], st
            p = st["peers"][0]
            assert p["last_result"] == (
                "2 block(s) (3 record(s)) applied, 0 held already, 0 "
                "pending a gap, 0 refused, 0 equivocation(s)"), p
            assert re.match(r"\d{4}-\d\d-\d\dT", p["last_exchange"]), p
            assert "waiting_in" in p and "waiting_out" in p, p
            anon.close()
            api.close()

        # 7. Bundles: for another nation, tampered, twice.
        b_ml = os.path.join(tmp, "for-ml.dib")
        ok("bundle", "export", "--dir", hq, "--for", "ML", "--out", b_ml)
        before = counts(post)
        r = fails(1, "bundle", "import", "--dir", post, b_ml,
                  must="for ML")
        assert "SN" in r.err and len(r.err.strip().splitlines()) == 1, r
        assert counts(post) == before
        # Encrypted for ML: refused without the key, with SN's key,
        # and on an SN node even with ML's.
        b_enc = os.path.join(tmp, "for-ml.enc.dib")
        ok("bundle", "export", "--dir", hq, "--for", "ML", "--encrypt-to",
           ml_pub, "--out", b_enc)
        fails(1, "bundle", "import", "--dir", ml, b_enc, must="--key")
        fails(1, "bundle", "import", "--dir", ml, "--key", sn_key, b_enc)
        fails(1, "bundle", "import", "--dir", post, "--key", ml_key, b_enc)
        assert counts(post) == before
        # An SN bundle on an ML node that does not pin SN.
        ml2 = init_node(tmp, "ml-2", "ML", "PC Kayes bis", ml_key)
        r = fails(1, "bundle", "import", "--dir", ml2, b_ml,
                  must="not pinned")
        assert counts(ml2)["records"] == 0

        b_sn = os.path.join(tmp, "for-sn.dib")
        ok("bundle", "export", "--dir", hq, "--for", "SN", "--out", b_sn)
        # It relays ML's shared blocks: refused (all of it) by a post
        # that does not pin ML's key.
        r = fails(1, "bundle", "import", "--dir", post, b_sn,
                  must="not pinned")
        assert "ML (Mali)" in r.err, r
        assert counts(post) == before
        ok("nation", "pin", "--dir", post, "--nation-pub", ml_pub)
        data = bytearray(open(b_sn, "rb").read())
        bad = os.path.join(tmp, "for-sn.tampered.dib")
        data[len(data) // 2] ^= 0x01
        with open(bad, "wb") as fh:
            fh.write(data)
        r = fails(1, "bundle", "import", "--dir", post, bad)
        assert len(r.err.strip().splitlines()) == 1, r
        assert counts(post) == before
        fails(1, "bundle", "show", "--dir", post, bad)
        assert held(post) == {}
        r = ok("bundle", "import", "--dir", post, b_sn)
        assert r.out == (f"{b_sn} from {SN_HQ_NAME} (SN): 5 block(s) "
                         "(8 record(s)) applied, 0 held already, 0 pending "
                         "a gap, 0 refused, 0 equivocation(s)\n"), r
        after = counts(post)
        assert after["records"] == 8 and after["blocks"] == 5, after
        r = ok("bundle", "import", "--dir", post, b_sn)
        assert r.out == (f"{b_sn} from {SN_HQ_NAME} (SN): 0 block(s) "
                         "(0 record(s)) applied, 5 held already, 0 pending "
                         "a gap, 0 refused, 0 equivocation(s)\n"), r
        assert counts(post) == after
        assert held(post).keys() == led.releasable("SN")
        for d in (hq, post, ml):
            v = run("log", "verify", "--dir", d)
            assert v.rc == 0, (d, v)


# ---- bundles with a summary ----

def test_bundle_with_summary():
    with TempDir() as tmp:
        sn_key, sn_pub = keygen(tmp, "SN")
        ml_key, ml_pub = keygen(tmp, "ML")
        hq = init_node(tmp, "sn-hq", "SN", SN_HQ_NAME, sn_key)
        post = init_node(tmp, "sn-post", "SN", SN_POST_NAME, sn_key)
        ml = init_node(tmp, "ml-hq", "ML", ML_HQ_NAME, ml_key)
        ok("nation", "pin", "--dir", hq, "--nation-pub", ml_pub)
        ok("nation", "pin", "--dir", post, "--nation-pub", ml_pub)
        ok("nation", "pin", "--dir", ml, "--nation-pub", sn_pub)
        led = Ledger()
        led.add(hq, "SN", node_records("SN", "TAMBA-A", 13.77, -13.668, 3))
        led.add(post, "SN", node_records("SN", "KIDIRA", 14.467, -12.217,
                                         4))
        led.add(ml, "ML", node_records("ML", "KAYES", 14.447, -11.445, 5))

        def xfer(src, nation, dst, name, *extra):
            b = os.path.join(tmp, name)
            ok("bundle", "export", "--dir", src, "--for", nation, "--out",
               b, *extra)
            return ok("bundle", "import", "--dir", dst, b), b

        # The post's records reach SN HQ, SN HQ's first batch the post;
        # ML's shared records reach SN HQ only.
        xfer(post, "SN", hq, "post-to-hq.dib")
        xfer(hq, "SN", post, "hq-to-post.dib")
        r, _ = xfer(ml, "SN", hq, "ml-to-hq.dib")
        assert "2 block(s) (3 record(s)) applied" in r.out, r
        # SN HQ's second batch, in the same logs.
        led.add(hq, "SN", node_records("SN", "TAMBA-B", 13.78, -13.66, 6))
        want_hq = led.releasable("SN")
        assert held(hq).keys() == want_hq and len(want_hq) == 18

        summ = os.path.join(tmp, "post.summary")
        r = ok("sync", "summary", "--dir", post, "--for", "SN", "--out",
               summ)
        # The post holds its 3 logs and SN HQ's 3.
        assert r.out == f"{summ}: summary of 6 log(s) held for SN\n", r
        b = os.path.join(tmp, "hq-to-post-2.dib")
        ok("bundle", "export", "--dir", hq, "--for", "SN", "--summary",
           summ, "--out", b)
        show = ok("bundle", "show", "--dir", post, b).out
        blocks = shown_blocks(show)
        post_has, hq_has = db_blocks(post), db_blocks(hq)
        assert set(blocks) & post_has == set(), (blocks, post_has)
        assert len(blocks) == len(set(blocks))
        # Exactly what the post lacks: SN HQ's second batch (3 blocks, at
        # seq 3..) and ML's 2 shared blocks.
        assert set(blocks) == hq_has - post_has, (blocks, hq_has, post_has)
        assert len(blocks) == 5, blocks
        assert sorted((a, f0) for _, a, f0, _ in blocks) == sorted(
            [("SN", 3), (BILAT, 3), (TRI, 2), (BILAT, 1), (TRI, 1)]), blocks
        # Without a summary, everything goes again.
        full = os.path.join(tmp, "hq-to-post-full.dib")
        ok("bundle", "export", "--dir", hq, "--for", "SN", "--out", full)
        assert set(shown_blocks(ok("bundle", "show", "--dir", post,
                                   full).out)) == hq_has
        r = ok("bundle", "import", "--dir", post, b)
        assert r.out == (f"{b} from {SN_HQ_NAME} (SN): 5 block(s) "
                         "(8 record(s)) applied, 0 held already, 0 pending "
                         "a gap, 0 refused, 0 equivocation(s)\n"), r
        assert held(post) == held(hq)
        assert db_blocks(post) == hq_has
        # The full bundle now brings nothing new.
        r = ok("bundle", "import", "--dir", post, full)
        assert f"0 block(s) (0 record(s)) applied, {len(hq_has)} held " \
            "already" in r.out, r
        # ML's summary: the same for the other nation.
        summ_ml = os.path.join(tmp, "ml.summary")
        ok("sync", "summary", "--dir", ml, "--for", "ML", "--out", summ_ml)
        bm = os.path.join(tmp, "hq-to-ml.dib")
        ok("bundle", "export", "--dir", hq, "--for", "ML", "--summary",
           summ_ml, "--out", bm)
        blocks = shown_blocks(ok("bundle", "show", "--dir", ml, bm).out)
        assert set(blocks) & db_blocks(ml) == set(), blocks
        assert {a for _, a, _, _ in blocks} == {BILAT, TRI}, blocks
        r = ok("bundle", "import", "--dir", ml, bm)
        assert "0 held already" in r.out, r
        assert held(ml).keys() == led.releasable("ML")
        assert len(led.releasable("ML")) == 14
        for d in (hq, post, ml):
            assert run("log", "verify", "--dir", d).rc == 0, d


# ---- kill -9 in the middle of a large transfer ----

BIG_BATCHES, BIG_BATCH = 40, 500


def big_records(b):
    """One batch of synthetic corridor counts and sightings, all shared
    with ML (bilateral or tripartite)."""
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    recs = []
    for i in range(BIG_BATCH):
        n = b * BIG_BATCH + i
        t = (base + dt.timedelta(minutes=17 * n)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        recs.append({
            "category": "corridor.transit_count", "observed_at": t,
            "geometry": point(14.45 + (n % 97) * 0.0004,
                              -12.21 + (n % 89) * 0.0005),
            "audience": TRI if n % 4 == 0 else BILAT,
            "attributes": {"trucks": n % 60, "buses": n % 7,
                           "period_hours": 2,
                           "remarks": f"Comptage poste {n}"}})
    return recs


def test_kill_during_transfer():
    with TempDir() as tmp:
        sn_key, sn_pub = keygen(tmp, "SN")
        ml_key, ml_pub = keygen(tmp, "ML")
        hq = init_node(tmp, "sn-hq", "SN", SN_HQ_NAME, sn_key)
        ml = init_node(tmp, "ml-hq", "ML", ML_HQ_NAME, ml_key)
        ok("peer", "add", "--dir", ml, "--name", "SN-HQ", "--nation", "SN",
           "--nation-pub", sn_pub)
        t0 = time.monotonic()
        ids = []
        for b in range(BIG_BATCHES):
            ids += add_json(hq, big_records(b), tmp)
        # A few national ones, which stay.
        led = Ledger()
        nat = led.add(hq, "SN", node_records("SN", "T", 13.77, -13.67, 3))
        total = BIG_BATCHES * BIG_BATCH
        assert counts(hq)["records"] == total + 5
        print(f"     {total} records added in {time.monotonic() - t0:.1f} s")
        want = {hexid(i) for i in ids} | \
            {hexid(i) for i in led.releasable("ML")}
        srv = Server(ml)
        try:
            srv.start()
            ok("peer", "add", "--dir", hq, "--name", "ML-HQ", "--nation",
               "ML", "--nation-pub", ml_pub, "--url", srv.url)
            # Syncs of 256 KiB of blocks each, one after the other; the
            # one after them is cut by a kill -9 of ML HQ's server in its
            # middle (about half its usual time in), then ML HQ restarts
            # on a new port. Again until a kill hit a running exchange.
            took = []
            for _ in range(3):
                t1 = time.monotonic()
                r = ok("sync", "--dir", hq, "--budget", "256k")
                took.append(time.monotonic() - t1)
                assert re.fullmatch(r"ML-HQ: pulled 0 record\(s\) in 0 "
                                    r"block\(s\), pushed \d+ record\(s\) "
                                    r"in \d+ block\(s\); waiting: 0 in, "
                                    r"\d+ out\n", r.out), r
            hits = 0
            for attempt in range(6):
                before = db_ids(ml)
                p = subprocess.Popen(
                    [DIBOLI, "sync", "--dir", hq, "--budget", "256k"],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    text=True, env=dict(os.environ, LC_ALL="C.UTF-8"))
                time.sleep(min(took) * 0.6)
                srv.proc.send_signal(signal.SIGKILL)
                srv.proc.wait()
                srv.errf.close()
                out, err = p.communicate(timeout=60)
                got = db_ids(ml)
                assert before <= got <= want, (len(before), len(got))
                assert len(got) < len(want), len(got)
                # What a killed server kept is whole blocks, verified.
                v = run("log", "verify", "--dir", ml)
                assert v.rc == 0 and f" {len(got)} records verified" in \
                    v.out, v
                if p.returncode != 0:
                    assert p.returncode == 1, (p.returncode, err)
                    assert err.startswith("diboli: sync with ML-HQ:") and \
                        len(err.strip().splitlines()) == 1, err
                    pm = {x["name"]: x for x in
                          status(hq)["peers"]}["ML-HQ"]
                    assert pm["ok"] is False, pm
                if p.returncode == 0:
                    # It ended before the kill.
                    assert out.startswith("ML-HQ: pulled 0 record(s)"), out
                elif "Couldn't connect" not in err:
                    # (Refused: killed before it connected.)
                    hits += 1
                    print(f"     kill -9 in an exchange (attempt "
                          f"{attempt + 1}), {len(got)} records kept on ML "
                          f"HQ: {err.strip()}")
                srv.start()
                ok("peer", "remove", "--dir", hq, "ML-HQ")
                ok("peer", "add", "--dir", hq, "--name", "ML-HQ",
                   "--nation", "ML", "--url", srv.url)
                assert db_ids(ml) == got
                if hits:
                    break
            assert hits == 1, "no kill landed in a running exchange"
            rounds = 0
            while True:
                rounds += 1
                assert rounds <= 10, "no convergence after 10 syncs"
                r = ok("sync", "--dir", hq)
                m = re.search(r"waiting: (\d+) in, (\d+) out", r.out)
                assert m, r
                if m.group(2) == "0":
                    break
            print(f"     converged in {rounds} more sync(s)")
            assert db_ids(ml) == want
            assert not {hexid(i) for i in nat if
                        led.recs[i][0] == "SN"} & db_ids(ml)
            st = status(ml)
            assert st["pending_blocks"] == 0 and \
                st["quarantined_blocks"] == 0, st
            assert ok("sync", "--dir", hq).out == \
                sync_line("ML-HQ", 0, 0, 0, 0)
            rc, _ = srv.stop()
            assert rc == 0, srv.stderr()
        finally:
            srv.kill()
        for d, n in ((hq, total + 5), (ml, len(want))):
            v = run("log", "verify", "--dir", d)
            assert v.rc == 0 and f" {n} records verified" in v.out, (d, v)


if __name__ == "__main__":
    main([test_three_nodes_converge, test_canaries_stay_home,
          test_refusals, test_bundle_with_summary,
          test_kill_during_transfer])
