"""Nation keys, node certificates and peers from the command line: the
real diboli binary on temporary nodes. Key files keep their modes, a key
of the wrong nation or kind is refused with one clear line and leaves
nothing behind, and every write lands in the audit trail."""
import hashlib
import os
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403

NAME = "Zone militaire n°4 — PC Tambacounda"
HEX64 = re.compile(r"[0-9a-f]{64}")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def keygen(tmp, nation, base=None):
    """Make a nation key pair; returns (key path, pub path, fingerprint)."""
    prefix = os.path.join(tmp, base or nation.lower())
    r = ok("nation", "keygen", "--nation", nation, "--out", prefix)
    fp = re.search(r"fingerprint\s+([0-9a-f]{16})", r.out)
    assert fp, r
    assert prefix + ".key" in r.out and prefix + ".pub" in r.out, r
    return prefix + ".key", prefix + ".pub", fp.group(1)


def pubkey(pub):
    with open(pub) as f:
        line = f.read()
    return bytes.fromhex(line.split()[2])


def audit(d):
    return ok("audit", "list", "--dir", d, "--json").json()


def test_keygen():
    with TempDir() as tmp:
        key, pub, fp = keygen(tmp, "SN")
        assert mode(key) == 0o600 and mode(pub) == 0o644
        with open(key) as f:
            text = f.read()
        assert re.fullmatch(r"diboli-nation-key/1 SN [0-9a-f]{64}\n", text)
        with open(pub) as f:
            text = f.read()
        assert re.fullmatch(r"diboli-nation-pub/1 SN [0-9a-f]{64}\n", text)
        # The fingerprint read over the phone: BLAKE2b-256 of the key.
        want = hashlib.blake2b(pubkey(pub), digest_size=32).hexdigest()[:16]
        assert fp == want
        # Never overwritten, and nothing half-made.
        before = open(key).read()
        fails(1, "nation", "keygen", "--nation", "SN", "--out",
              os.path.join(tmp, "sn"), must="already exists")
        assert open(key).read() == before
        # "--out x.key" names the pair x.key / x.pub too.
        ok("nation", "keygen", "--nation", "ml", "--out",
           os.path.join(tmp, "mali.key"))
        assert mode(os.path.join(tmp, "mali.key")) == 0o600
        assert not os.path.exists(os.path.join(tmp, "mali.key.key"))
        assert os.path.exists(os.path.join(tmp, "mali.pub"))
        fails(1, "nation", "keygen", "--nation", "XX", "--out",
              os.path.join(tmp, "xx"), must="nation")
        assert not os.path.exists(os.path.join(tmp, "xx.key"))
        fails(2, "nation", "keygen", "--nation", "SN")
        fails(2, "nation", "keygen", "--out", os.path.join(tmp, "y"))
        fails(2, "nation", "frobnicate")
        assert "keygen" in ok("nation", "--help").out


def test_init_with_nation_key():
    with TempDir() as tmp:
        key, pub, fp = keygen(tmp, "SN")
        d = os.path.join(tmp, "node")
        r = ok("init", "--dir", d, "--nation", "SN", "--name", NAME,
               "--nation-key", key)
        assert fp in r.out and "node.cert" in r.out, r
        cert = os.path.join(d, "node.cert")
        assert mode(cert) == 0o644
        raw = open(cert, "rb").read()
        assert raw[:5] == b"DIBC\x01" and raw[5:7] == b"SN"
        info = ok("node", "show", "--dir", d, "--json").json()
        assert bytes.fromhex(info["node"]) == raw[7:39]
        c = info["cert"]
        assert c["status"] == "valid" and c["nation"] == "SN"
        assert c["nation_key"] == fp
        y0, y1 = int(c["not_before"][:4]), int(c["not_after"][:4])
        assert y1 - y0 == 5, c
        # The name and both keys are in the signed bytes.
        assert NAME.encode() in raw and pubkey(pub) in raw
        text = ok("node", "show", "--dir", d).out
        assert "Certificat" in text and "valide" in text and fp in text
        # The own nation is pinned.
        nations = ok("nation", "list", "--dir", d, "--json").json()
        assert [(n["nation"], n["fingerprint"], n["own"]) for n in
                nations] == [("SN", fp, True)]
        rows = audit(d)
        assert rows[0]["action"] == "node.certify"
        assert rows[0]["result"] == "ok" and fp in rows[0]["detail"]
        # The secret never reaches the trail.
        seed = open(key).read().split()[2]
        assert seed not in ok("audit", "list", "--dir", d, "--json").out


def test_wrong_nation_or_kind_refused():
    with TempDir() as tmp:
        ml_key, ml_pub, _ = keygen(tmp, "ML")
        sn_key, sn_pub, _ = keygen(tmp, "SN")
        d = os.path.join(tmp, "node")
        fails(1, "init", "--dir", d, "--nation", "SN", "--name", NAME,
              "--nation-key", ml_key, must="ML")
        assert not os.path.exists(d)
        fails(1, "init", "--dir", d, "--nation", "SN", "--name", NAME,
              "--nation-key", sn_pub, must="public key")
        assert not os.path.exists(d)
        fails(1, "init", "--dir", d, "--nation", "SN", "--name", NAME,
              "--nation-key", os.path.join(tmp, "none.key"),
              must="none.key")
        assert not os.path.exists(d)
        # A key that others may read: refused, before anything is made.
        os.chmod(sn_key, 0o644)
        r = fails(1, "init", "--dir", d, "--nation", "SN", "--name", NAME,
                  "--nation-key", sn_key, must="chmod 600")
        assert len(r.err.strip().splitlines()) == 1, r
        assert not os.path.exists(d)
        os.chmod(sn_key, 0o640)
        fails(1, "init", "--dir", d, "--nation", "SN", "--name", NAME,
              "--nation-key", sn_key, must="chmod 600")
        os.chmod(sn_key, 0o600)
        ok("init", "--dir", d, "--nation", "sn", "--name", NAME,
           "--nation-key", sn_key)


def test_node_certify():
    with TempDir() as tmp:
        sn_key, sn_pub, fp = keygen(tmp, "SN")
        ml_key, _, _ = keygen(tmp, "ML")
        d = os.path.join(tmp, "node")
        ok("init", "--dir", d, "--nation", "SN", "--name", NAME)
        info = ok("node", "show", "--dir", d, "--json").json()
        assert info["cert"] is None
        assert "aucun" in ok("node", "show", "--dir", d).out
        assert not os.path.exists(os.path.join(d, "node.cert"))
        r = fails(1, "node", "certify", "--dir", d, "--nation-key", ml_key,
                  must="ML")
        assert len(r.err.strip().splitlines()) == 1, r
        assert ok("node", "show", "--dir", d, "--json").json()["cert"] is None
        assert ok("nation", "list", "--dir", d, "--json").json() == []
        os.chmod(sn_key, 0o644)
        fails(1, "node", "certify", "--dir", d, "--nation-key", sn_key,
              must="chmod 600")
        os.chmod(sn_key, 0o600)
        r = ok("node", "certify", "--dir", d, "--nation-key", sn_key)
        assert fp in r.out
        first = open(os.path.join(d, "node.cert"), "rb").read()
        c = ok("node", "show", "--dir", d, "--json").json()["cert"]
        assert c["status"] == "valid" and c["nation_key"] == fp
        # Again: a new certificate replaces the old one.
        ok("node", "certify", "--dir", d, "--nation-key", sn_key)
        second = open(os.path.join(d, "node.cert"), "rb").read()
        assert second != first and second[:39] == first[:39]
        # Another SN key is refused while the first is pinned...
        sn2_key, sn2_pub, fp2 = keygen(tmp, "SN", "sn2")
        fails(1, "node", "certify", "--dir", d, "--nation-key", sn2_key,
              must="SN")
        assert open(os.path.join(d, "node.cert"), "rb").read() == second
        # ...until the nation's new key is pinned in its place.
        fails(1, "nation", "pin", "--dir", d, "--nation-pub", sn2_pub,
              must="--replace")
        ok("nation", "pin", "--dir", d, "--nation-pub", sn2_pub, "--replace")
        c = ok("node", "show", "--dir", d, "--json").json()["cert"]
        assert c["status"] == "invalid" and c["problem"], c
        assert "INVALIDE" in ok("node", "show", "--dir", d).out
        ok("node", "certify", "--dir", d, "--nation-key", sn2_key)
        c = ok("node", "show", "--dir", d, "--json").json()["cert"]
        assert c["status"] == "valid" and c["nation_key"] == fp2
        acts = [(r["action"], r["result"]) for r in reversed(audit(d))]
        assert acts == [("node.certify", "failed"),
                        ("node.certify", "failed"),
                        ("node.certify", "ok"), ("node.certify", "ok"),
                        ("node.certify", "failed"),
                        ("nation.pin", "failed"), ("nation.pin", "ok"),
                        ("node.certify", "ok")], acts
        assert "ok:" in ok("audit", "verify", "--dir", d).out
        fails(2, "node", "certify", "--dir", d)
        fails(2, "node", "show", "--dir", d, "--nation-key", sn_key)
        fails(2, "node", "frobnicate", "--dir", d)
        assert "certify" in ok("node", "--help").out


def test_peers():
    with TempDir() as tmp:
        sn_key, sn_pub, sn_fp = keygen(tmp, "SN")
        _, ml_pub, ml_fp = keygen(tmp, "ML")
        d = os.path.join(tmp, "node")
        ok("init", "--dir", d, "--nation", "SN", "--name", NAME,
           "--nation-key", sn_key)
        assert ok("peer", "list", "--dir", d, "--json").json() == []
        # Mali is not pinned yet: its key is needed.
        fails(1, "peer", "add", "--dir", d, "--name", "ML-RM4", "--nation",
              "ML", must="--nation-pub")
        # A .pub of another nation.
        fails(1, "peer", "add", "--dir", d, "--name", "ML-RM4", "--nation",
              "ML", "--nation-pub", sn_pub, must="SN")
        r = ok("peer", "add", "--dir", d, "--name", "ML-RM4", "--nation",
               "ML", "--nation-pub", ml_pub, "--url",
               "http://10.4.0.2:8080/")
        assert ml_fp in r.out and "pinned" in r.out
        # A post of its own nation: SN is pinned already; bundles only.
        ok("peer", "add", "--dir", d, "--name", "SN-Kidira", "--nation",
           "SN")
        peers = ok("peer", "list", "--dir", d, "--json").json()
        assert [p["name"] for p in peers] == ["ML-RM4", "SN-Kidira"]
        ml = peers[0]
        assert ml["nation"] == "ML" and ml["url"] == "http://10.4.0.2:8080"
        assert ml["last_at"] is None and ml["last_ok"] is None
        assert ml["wait_in"] is None and ml["wait_out"] is None
        assert peers[1]["url"] is None
        table = ok("peer", "list", "--dir", d).out
        assert "NAME" in table and "ML-RM4" in table and "never" in table
        assert "(bundles)" in table and "WAITING" in table
        nations = ok("nation", "list", "--dir", d, "--json").json()
        assert [(n["nation"], n["fingerprint"]) for n in nations] == \
            [("ML", ml_fp), ("SN", sn_fp)]

        # Refusals: one line each, exit 1 (2 for usage), nothing added.
        fails(1, "peer", "add", "--dir", d, "--name", "ML-RM4", "--nation",
              "ML", must="already exists")
        fails(1, "peer", "add", "--dir", d, "--name", "ml-rm4", "--nation",
              "ML", must="already exists")
        fails(1, "peer", "add", "--dir", d, "--name", "bad name",
              "--nation", "ML", must="name")
        fails(1, "peer", "add", "--dir", d, "--name", "x" * 65,
              "--nation", "ML", must="name")
        fails(1, "peer", "add", "--dir", d, "--name", "x1", "--nation",
              "ML", "--url", "ftp://10.4.0.2", must="url")
        fails(1, "peer", "add", "--dir", d, "--name", "x1", "--nation",
              "ML", "--url", "10.4.0.2:8080", must="http://")
        fails(1, "peer", "add", "--dir", d, "--name", "x1", "--nation",
              "XX", must="nation")
        fails(2, "peer", "add", "--dir", d, "--name", "x1")
        fails(2, "peer", "list", "--dir", d, "--url", "http://x")
        assert len(ok("peer", "list", "--dir", d, "--json").json()) == 2

        ok("peer", "remove", "--dir", d, "ML-RM4")
        fails(1, "peer", "remove", "--dir", d, "--name", "ML-RM4",
              must="no peer")
        fails(2, "peer", "remove", "--dir", d)
        peers = ok("peer", "list", "--dir", d, "--json").json()
        assert [p["name"] for p in peers] == ["SN-Kidira"]
        # The nation stays pinned.
        assert len(ok("nation", "list", "--dir", d, "--json").json()) == 2

        rows = list(reversed(audit(d)))
        acts = [(r["action"], r["target"], r["result"]) for r in rows]
        assert acts[0] == ("node.certify", acts[0][1], "ok")
        assert ("peer.add", "peer:ML-RM4", "ok") in acts
        assert ("peer.add", "peer:SN-Kidira", "ok") in acts
        assert ("peer.remove", "peer:ML-RM4", "ok") in acts
        assert ("peer.remove", "peer:ML-RM4", "failed") in acts
        assert sum(1 for a in acts if a[0] == "peer.add" and
                   a[2] == "failed") == 9
        added = [r for r in rows if r["target"] == "peer:ML-RM4" and
                 r["action"] == "peer.add" and r["result"] == "ok"][0]
        assert ml_fp in added["detail"] and "10.4.0.2:8080" in added["detail"]
        assert "ok:" in ok("audit", "verify", "--dir", d).out
        assert "remove" in ok("peer", "--help").out


def test_nation_pin():
    with TempDir() as tmp:
        sn_key, sn_pub, sn_fp = keygen(tmp, "SN")
        _, ml_pub, ml_fp = keygen(tmp, "ML")
        d = os.path.join(tmp, "node")
        ok("init", "--dir", d, "--nation", "SN", "--name", NAME)
        # A post that trusts its own nation's other nodes.
        r = ok("nation", "pin", "--dir", d, "--nation-pub", sn_pub)
        assert sn_fp in r.out
        r = ok("nation", "pin", "--dir", d, "--nation-pub", sn_pub)
        assert "already" in r.out
        fails(1, "nation", "pin", "--dir", d, "--nation-pub", ml_pub,
              "--nation", "SN", must="ML")
        fails(1, "nation", "pin", "--dir", d, "--nation-pub", sn_key,
              must="private key")
        fails(1, "nation", "pin", "--dir", d, "--nation-pub",
              os.path.join(tmp, "none.pub"), must="none.pub")
        ok("nation", "pin", "--dir", d, "--nation-pub", ml_pub, "--nation",
           "ml")
        table = ok("nation", "list", "--dir", d).out
        assert "Mali" in table and ml_fp in table and sn_fp in table
        fails(2, "nation", "pin", "--dir", d)
        fails(2, "nation", "pin", "--nation-pub", sn_pub)
        fails(2, "nation", "list", "--dir", d, "--replace")
        # Another key for a pinned nation: a clear conflict, not a silent
        # swap.
        _, sn2_pub, _ = keygen(tmp, "SN", "sn2")
        fails(1, "nation", "pin", "--dir", d, "--nation-pub", sn2_pub,
              must="already pinned")
        rows = audit(d)
        assert {r["action"] for r in rows} == {"nation.pin"}


if __name__ == "__main__":
    main([test_keygen, test_init_with_nation_key,
          test_wrong_nation_or_kind_refused, test_node_certify, test_peers,
          test_nation_pin])
