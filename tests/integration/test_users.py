"""Users, tokens and the audit trail from the command line: the real
diboli binary on temporary nodes. Passwords are hashed with the test-only
fast limits (DIBOLI_PWHASH=fast)."""
import os
import pwd
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from dib import *  # noqa: E402,F403

os.environ["DIBOLI_PWHASH"] = "fast"

PW = "correct horse battery staple"
ME = "cli:" + pwd.getpwuid(os.getuid()).pw_name


def new_node(tmp):
    d = os.path.join(tmp, "node")
    ok("init", "--dir", d, "--nation", "SN", "--name", "Poste de Kidira")
    return d


def pwfile(tmp, text, name="pw"):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(text + "\n")
    return p


def users(d):
    return {u["login"]: u for u in ok("user", "list", "--dir", d,
                                      "--json").json()}


def db_bytes(d):
    db = os.path.join(d, "diboli.db")
    assert not os.path.exists(db + "-wal") or \
        os.path.getsize(db + "-wal") == 0
    with open(db, "rb") as f:
        return f.read()


def test_user_add_and_list():
    with TempDir() as tmp:
        d = new_node(tmp)
        pw = pwfile(tmp, PW)
        r = ok("user", "add", "--dir", d, "--login", "awa.diallo", "--role",
               "analyst", "--name", "Awa Diallo", "--password-file", pw)
        assert "awa.diallo" in r.out
        # "-": the first line of standard input, the rest ignored.
        ok("user", "add", "--dir", d, "--login", "moussa", "--role",
           "admin", "--password-file", "-", input=PW + "\nignored\n")
        u = users(d)
        assert set(u) == {"awa.diallo", "moussa"}
        assert u["awa.diallo"]["role"] == "analyst"
        assert u["awa.diallo"]["name"] == "Awa Diallo"
        assert u["awa.diallo"]["disabled"] is False
        assert u["moussa"]["role"] == "admin"
        assert re.match(r"\d{4}-\d\d-\d\dT", u["moussa"]["created_at"])
        table = ok("user", "list", "--dir", d).out
        assert "LOGIN" in table and "Awa Diallo" in table
        assert "analyst" in table and "active" in table
        # The password is nowhere in the database.
        assert PW.encode() not in db_bytes(d)

        fails(1, "user", "add", "--dir", d, "--login", "bob", "--role",
              "viewer", "--password-file", pwfile(tmp, "short", "s"),
              must="password: must be at least 12 characters")
        fails(1, "user", "add", "--dir", d, "--login", "bobby.sn.ml.gn",
              "--role", "viewer", "--password-file",
              pwfile(tmp, "bobby.sn.ml.gn", "l"), must="not be the login")
        fails(1, "user", "add", "--dir", d, "--login", "Bob Smith",
              "--role", "viewer", "--password-file", pw, must="login")
        fails(1, "user", "add", "--dir", d, "--login", "bob", "--role",
              "general", "--password-file", pw, must="role")
        fails(1, "user", "add", "--dir", d, "--login", "moussa", "--role",
              "viewer", "--password-file", pw, must="already exists")
        fails(1, "user", "add", "--dir", d, "--login", "bob", "--role",
              "viewer", "--password-file", os.path.join(tmp, "none"),
              must="password-file")
        fails(1, "user", "add", "--dir", d, "--login", "bob", "--role",
              "viewer", "--password-file", pwfile(tmp, "", "e"),
              must="empty")
        # No terminal and no --password-file: refused, clearly.
        fails(2, "user", "add", "--dir", d, "--login", "bob", "--role",
              "viewer", input="", must="--password-file")
        fails(2, "user", "add", "--dir", d, "--login", "bob")
        fails(2, "user", "add", "--dir", d, "--role", "viewer")
        fails(2, "user", "frobnicate", "--dir", d)
        fails(2, "user", "list", "--dir", d, "--role", "admin")
        assert set(users(d)) == {"awa.diallo", "moussa"}
        assert "usage" in ok("user", "--help").out
        assert "usage" in ok("user", "add", "--help").out
        fails(1, "user", "list", "--dir", os.path.join(tmp, "none"),
              must="no node")


def on_tty(args, answers):
    """Run diboli on a pseudo-terminal, answering each prompt in turn;
    returns (exit code, everything the terminal showed)."""
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(DIBOLI, [DIBOLI, *map(str, args)])
    shown = b""
    try:
        for a in answers:
            while not shown.rstrip().endswith(b":"):
                r, _, _ = select.select([fd], [], [], 30)
                assert r, f"no prompt: {shown!r}"
                shown += os.read(fd, 1024)
            os.write(fd, a.encode() + b"\n")
            shown += b"|"
        while True:
            r, _, _ = select.select([fd], [], [], 30)
            assert r, f"no end: {shown!r}"
            try:
                b = os.read(fd, 4096)
            except OSError:
                break
            if not b:
                break
            shown += b
    except BaseException:
        os.kill(pid, 9)     # stuck on the terminal: do not wait forever
        raise
    finally:
        _, st = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(st), shown.decode()


def test_password_from_terminal():
    with TempDir() as tmp:
        d = new_node(tmp)
        rc, shown = on_tty(["user", "add", "--dir", d, "--login", "awa",
                            "--role", "viewer"], [PW, PW])
        assert rc == 0, shown
        assert "New password for awa:" in shown and "Repeat" in shown
        assert PW not in shown          # not echoed
        rc, shown = on_tty(["user", "add", "--dir", d, "--login", "bob",
                            "--role", "viewer"], [PW, PW + "!"])
        assert rc == 1 and "differ" in shown, shown
        # The rules are checked before asking again.
        rc, shown = on_tty(["user", "passwd", "--dir", d, "--login", "awa"],
                           ["short"])
        assert rc == 1 and "at least 12" in shown, shown
        assert "Repeat" not in shown
        assert set(users(d)) == {"awa"}


def test_passwd_disable_enable():
    with TempDir() as tmp:
        d = new_node(tmp)
        ok("user", "add", "--dir", d, "--login", "awa", "--role",
           "reporter", "--password-file", pwfile(tmp, PW))
        ok("user", "passwd", "--dir", d, "--login", "awa",
           "--password-file", pwfile(tmp, "another long password", "p2"))
        fails(1, "user", "passwd", "--dir", d, "--login", "nobody",
              "--password-file", pwfile(tmp, PW), must="no user")
        fails(1, "user", "passwd", "--dir", d, "--login", "awa",
              "--password-file", pwfile(tmp, "tiny", "p3"),
              must="password")
        ok("user", "disable", "--dir", d, "--login", "awa")
        assert users(d)["awa"]["disabled"] is True
        assert "disabled" in ok("user", "list", "--dir", d).out
        ok("user", "enable", "--dir", d, "--login", "awa")
        assert users(d)["awa"]["disabled"] is False
        fails(1, "user", "disable", "--dir", d, "--login", "nobody",
              must="no user")


def test_tokens():
    with TempDir() as tmp:
        d = new_node(tmp)
        ok("user", "add", "--dir", d, "--login", "awa", "--role",
           "analyst", "--password-file", pwfile(tmp, PW))
        r = ok("token", "create", "--dir", d, "--login", "awa",
               "--label", "import script", "--expires", "30")
        lines = r.out.splitlines()
        assert len(lines) == 1, r
        tok = lines[0]
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", tok), r
        m = re.search(r"token (\d+) created for awa", r.err)
        assert m, r
        tid = int(m.group(1))
        tok2 = ok("token", "create", "--dir", d, "--login", "awa").out.strip()
        assert tok2 != tok
        # Only hashes are kept.
        data = db_bytes(d)
        assert tok.encode() not in data and tok2.encode() not in data

        ts = ok("token", "list", "--dir", d, "--json").json()
        assert [t["id"] for t in ts] == [tid, tid + 1]
        assert ts[0]["login"] == "awa" and ts[0]["label"] == "import script"
        assert ts[0]["state"] == "active" and ts[0]["expires_at"]
        assert ts[0]["revoked_at"] is None and ts[0]["last_used_at"] is None
        assert ts[1]["expires_at"] is None
        assert "import script" in ok("token", "list", "--dir", d).out

        assert "revoked" in ok("token", "revoke", "--dir", d, tid).out
        ts = ok("token", "list", "--dir", d, "--json").json()
        assert ts[0]["state"] == "revoked" and ts[0]["revoked_at"]
        assert ts[1]["state"] == "active"
        fails(1, "token", "revoke", "--dir", d, tid, must="already revoked")
        fails(1, "token", "revoke", "--dir", d, 99, must="no token 99")
        fails(2, "token", "revoke", "--dir", d, "abc")
        fails(2, "token", "revoke", "--dir", d)
        fails(1, "token", "create", "--dir", d, "--login", "nobody",
              must="no user")
        fails(1, "token", "create", "--dir", d, "--login", "awa",
              "--expires", "forever", must="expires")
        fails(1, "token", "create", "--dir", d, "--login", "awa",
              "--expires", "4000", must="expires")
        ok("user", "disable", "--dir", d, "--login", "awa")
        fails(1, "token", "create", "--dir", d, "--login", "awa",
              must="disabled")
        fails(2, "token", "create", "--dir", d)
        assert len(ok("token", "list", "--dir", d, "--json").json()) == 2


def test_audit_verify_and_tamper():
    with TempDir() as tmp:
        d = new_node(tmp)
        pw = pwfile(tmp, PW)
        assert "ok: 0 audit rows, chain intact" in \
            ok("audit", "verify", "--dir", d).out
        for i in range(5):
            ok("user", "add", "--dir", d, "--login", f"user{i}", "--role",
               "viewer", "--password-file", pw)
        tok = ok("token", "create", "--dir", d, "--login", "user1").out
        ok("token", "revoke", "--dir", d, "1")
        ok("user", "disable", "--dir", d, "--login", "user2")
        # A failed write is recorded too; its login is only in the trail.
        fails(1, "user", "add", "--dir", d, "--login", "canari-0017",
              "--role", "viewer", "--password-file",
              pwfile(tmp, "too short", "s"))
        for i in range(5, 10):
            ok("user", "add", "--dir", d, "--login", f"user{i}", "--role",
               "viewer", "--password-file", pw)
        v = ok("audit", "verify", "--dir", d).out
        assert "ok: 14 audit rows, chain intact" in v, v

        rows = ok("audit", "list", "--dir", d, "--json").json()
        assert [r["seq"] for r in rows] == list(range(14, 0, -1))
        assert all(r["actor"] == ME for r in rows)
        acts = [r["action"] for r in reversed(rows)]
        assert acts[:9] == ["user.add"] * 5 + ["token.create",
                                               "token.revoke",
                                               "user.disable", "user.add"]
        canary = [r for r in rows if r["target"] == "user:canari-0017"]
        assert len(canary) == 1 and canary[0]["result"] == "failed"
        assert "at least 12" in canary[0]["detail"]
        seq = canary[0]["seq"]
        assert rows[-1]["target"] == "user:user0"
        assert rows[-1]["detail"].startswith("role=viewer")
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", rows[0]["at"])
        # Never a password or a token.
        text = ok("audit", "list", "--dir", d, "--json").out
        assert PW not in text and tok.strip() not in text
        assert len(ok("audit", "list", "--dir", d, "--json", "--limit",
                      "3").json()) == 3
        after = ok("audit", "list", "--dir", d, "--json", "--after",
                   "12").json()
        assert [r["seq"] for r in after] == [13, 14]
        only = ok("audit", "list", "--dir", d, "--json", "--action",
                  "token.revoke").json()
        assert len(only) == 1 and only[0]["target"] == "token:1"
        table = ok("audit", "list", "--dir", d, "--limit", "2").out
        assert "ACTION" in table and len(table.splitlines()) == 3
        fails(2, "audit", "list", "--dir", d, "--limit", "0")
        fails(2, "audit", "verify", "--dir", d, "--limit", "3")
        fails(2, "audit", "check", "--dir", d)

        # Flip one byte of the failed row in the database file.
        db = os.path.join(d, "diboli.db")
        data = db_bytes(d)
        assert data.count(b"canari-0017") == 1
        pos = data.find(b"canari-0017")
        with open(db, "r+b") as f:
            f.seek(pos + 10)
            f.write(b"8")
        r = fails(1, "audit", "verify", "--dir", d)
        assert f"audit row {seq}: hash does not match its content" in r.err, r
        assert "FAILED" in r.err


def test_audit_rows_cannot_be_deleted_by_sql():
    """The triggers travel with the file: sqlite3 on it is refused."""
    import sqlite3
    with TempDir() as tmp:
        d = new_node(tmp)
        ok("user", "add", "--dir", d, "--login", "awa", "--role", "viewer",
           "--password-file", pwfile(tmp, PW))
        con = sqlite3.connect(os.path.join(d, "diboli.db"))
        for stmt in ("DELETE FROM audit", "UPDATE audit SET result='x'"):
            try:
                con.execute(stmt)
                raise AssertionError(stmt + " was allowed")
            except sqlite3.DatabaseError as e:
                assert "audit rows cannot" in str(e), e
        con.close()
        assert "ok: 1 audit rows" in ok("audit", "verify", "--dir", d).out


if __name__ == "__main__":
    main([test_user_add_and_list, test_password_from_terminal,
          test_passwd_disable_enable, test_tokens,
          test_audit_verify_and_tamper,
          test_audit_rows_cannot_be_deleted_by_sql])
