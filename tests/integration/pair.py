"""What the two-node integration tests share (patrols, sections): two
certified nodes, SN and ML, with their servers, and the checks of API
answers."""
import os

from dib import ok  # noqa: E402
from server import Api, Server, add_user, create_token  # noqa: E402

API = "/api/v1"
SN_NAME = "Zone militaire n°4 — PC Tambacounda"
ML_NAME = "Région militaire n°4 — PC Kayes"


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


class Pair:
    """SN and ML nodes, certified by their nation keys, each pinning the
    other's; users on both (one per role, login = role, with a token);
    ML's server reachable from SN (peer ML with a URL), SN known to ML
    without URL (SN calls in)."""

    def __init__(self, tmp, roles):
        self.tmp = tmp
        self.roles = roles      # {"SN": (role, ...), "ML": (...)}: users
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
        for d, nat in ((self.sn, "SN"), (self.ml, "ML")):
            for role in self.roles[nat]:
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
