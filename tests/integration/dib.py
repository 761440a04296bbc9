"""Helpers for the integration tests: run the real diboli binary in a
temporary directory and check what it prints and what it leaves."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

DIBOLI = os.environ.get("DIBOLI", "build/diboli")
SRC = os.environ.get("DIBOLI_SRC", ".")


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"rc={self.rc}\nstdout={self.out[:2000]}\nstderr={self.err[:2000]}"


def run(*args, input=None, env=None):
    """Run diboli with args; returns a Result (never raises on exit code)."""
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    if env:
        e.update(env)
    p = subprocess.run([DIBOLI, *map(str, args)], input=input,
                       capture_output=True, text=True, env=e, timeout=300)
    return Result(p.returncode, p.stdout, p.stderr)


def ok(*args, **kw):
    r = run(*args, **kw)
    assert r.rc == 0, f"diboli {' '.join(map(str, args))} failed: {r!r}"
    return r


def fails(rc, *args, must=None, **kw):
    """Expect exit code rc and (if given) the text must on stderr."""
    r = run(*args, **kw)
    assert r.rc == rc, f"diboli {' '.join(map(str, args))}: want rc {rc}: {r!r}"
    if must is not None:
        assert must in r.err, f"want {must!r} in stderr: {r!r}"
    lines = [l for l in r.err.splitlines() if l.strip()]
    assert len(lines) >= 1, f"no error message: {r!r}"
    return r


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="diboli-test-")
        return self.path

    def __exit__(self, *a):
        shutil.rmtree(self.path, ignore_errors=True)


def main(tests):
    """Run each test function; print a plain summary line; exit 1 on any
    failure."""
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__}")
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
