"""Run `diboli serve` for the integration tests: a node in a temporary
directory, served on a free loopback port (--listen 127.0.0.1:0, the URL
read back from --ready-file), always killed at the end; users of every
role with a password and a bearer token, made with the CLI."""
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import time

import requests

from dib import DIBOLI, ok, run

ROLES = ["viewer", "reporter", "analyst", "commander", "admin"]
# Tests hash passwords with the minimum argon2id limits.
FAST = {"DIBOLI_PWHASH": "fast"}
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


class Server:
    """diboli serve --dir d on 127.0.0.1:0. Use as a context manager: the
    process is SIGKILLed on exit if still running."""

    def __init__(self, d, *extra, quiet=True):
        self.dir = d
        self.extra = [str(x) for x in extra]
        self.quiet = quiet
        self.proc = None
        self.url = None
        self.starts = 0

    def start(self, timeout=15):
        self.starts += 1
        base = os.path.dirname(os.path.abspath(self.dir))
        tag = f"{os.path.basename(self.dir)}-{os.getpid()}-{self.starts}"
        self.ready = os.path.join(base, f"ready-{tag}")
        self.errpath = os.path.join(base, f"serve-{tag}.err")
        if os.path.exists(self.ready):
            os.remove(self.ready)
        args = [DIBOLI, "serve", "--dir", self.dir, "--listen",
                "127.0.0.1:0", "--ready-file", self.ready, *self.extra]
        if self.quiet:
            args.append("--quiet")
        env = dict(os.environ, LC_ALL="C.UTF-8", **FAST)
        self.errf = open(self.errpath, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=self.errf, env=env)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise AssertionError(f"diboli serve exited with "
                                     f"{self.proc.returncode}: "
                                     f"{self.stderr()}")
            if os.path.exists(self.ready):
                with open(self.ready) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.url = text.strip()
                    assert self.url.startswith("http://127.0.0.1:"), \
                        self.url
                    return self
            time.sleep(0.01)
        self.kill()
        raise AssertionError(f"diboli serve not ready after {timeout} s: "
                             f"{self.stderr()}")

    def stderr(self):
        try:
            if not self.errf.closed:
                self.errf.flush()
            with open(self.errpath, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=5):
        """Send sig; return (exit code, seconds taken). Kills and fails
        if it does not exit within timeout."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"diboli serve still running {timeout} s "
                                 f"after signal {sig}: {self.stderr()}")
        self.errf.close()
        return rc, time.monotonic() - t0

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None and not self.errf.closed:
            self.errf.close()

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *a):
        self.kill()


def new_node(tmp, nation="SN", name="PC Kidira (essais API)", sub="node"):
    d = os.path.join(tmp, sub)
    ok("init", "--dir", d, "--nation", nation, "--name", name)
    return d


def add_user(d, login, role, password=None):
    """Add a user with the CLI; returns its password."""
    password = password or f"mot-de-passe-{login}-1234"
    pw = os.path.join(os.path.dirname(os.path.abspath(d)), f"pw-{login}")
    with open(pw, "w") as f:
        f.write(password)
    ok("user", "add", "--dir", d, "--login", login, "--role", role,
       "--password-file", pw, env=FAST)
    os.remove(pw)
    return password


def create_token(d, login):
    """A bearer token for login, from `diboli token create`."""
    r = ok("token", "create", "--dir", d, "--login", login, env=FAST)
    tok = r.out.strip()
    assert TOKEN_RE.fullmatch(tok), f"token create printed no token: {r!r}"
    return tok


def token_ids(d, login):
    """The ids of login's tokens, from `diboli token list --json`."""
    r = ok("token", "list", "--dir", d, "--json", env=FAST)
    rows = json.loads(r.out)
    if isinstance(rows, dict):
        rows = rows.get("tokens", [])
    return [t["id"] for t in rows if t.get("login") == login and
            not t.get("revoked_at")]


def revoke_tokens(d, login):
    ids = token_ids(d, login)
    assert ids, f"no live token of {login}"
    for i in ids:
        ok("token", "revoke", "--dir", d, str(i), env=FAST)
    return ids


def make_users(d, roles=ROLES):
    """One user per role (login = role name): {role: (password, token)}."""
    out = {}
    for role in roles:
        out[role] = (add_user(d, role, role), create_token(d, role))
    return out


class Api:
    """A client of one server: anonymous, bearer (token) or session
    (cookie + CSRF, after login). Never follows redirects, never uses a
    proxy; never raises on a status."""

    def __init__(self, url, token=None):
        self.url = url
        self.s = requests.Session()
        self.s.trust_env = False
        # Cookies only as the test sends them (Api.cookie), never kept
        # from an answer behind its back.
        self.s.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(
            allowed_domains=[]))
        self.token = token
        self.cookie = None
        self.csrf = None

    @classmethod
    def login(cls, url, login, password):
        a = cls(url)
        r = a.post("/api/v1/session", {"login": login, "password": password})
        assert r.status_code == 200, (r.status_code, r.text)
        a.csrf = r.json()["csrf"]
        m = re.match(r"diboli_session=([^;]*)", r.headers["Set-Cookie"])
        assert m and m.group(1), r.headers["Set-Cookie"]
        a.cookie = m.group(1)
        a.login_response = r
        return a

    def headers(self, extra, csrf=True):
        h = {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if self.cookie:
            h["Cookie"] = f"diboli_session={self.cookie}"
            if csrf and self.csrf:
                h["X-CSRF-Token"] = self.csrf
        h.update(extra or {})
        return {k: v for k, v in h.items() if v is not None}

    def req(self, method, path, json_body=None, data=None, headers=None,
            csrf=True, timeout=30, **kw):
        h = self.headers(headers, csrf)
        if json_body is not None:
            data = json.dumps(json_body).encode()
            h.setdefault("Content-Type", "application/json")
        return self.s.request(method, self.url + path, data=data, headers=h,
                              allow_redirects=False, timeout=timeout, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, json_body=body, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)

    def close(self):
        self.s.close()


def log_verify(d):
    return run("log", "verify", "--dir", d)
