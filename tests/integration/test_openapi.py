"""The API document data/openapi.json against the code: every route of
the routes table in src/http/api.c is documented with its method, nothing
is documented that the code does not serve, the security of each
operation matches the route's permission, the query parameters of the
record lists are the ones the code accepts, and the error codes are the
ones the code sends. Reads the sources only (DIBOLI_SRC, default the
repository of this file)."""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dib import main  # noqa: E402

ROOT = os.environ.get("DIBOLI_SRC") or os.path.join(HERE, "..", "..")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch",
           "trace"}


def source(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def document():
    with open(os.path.join(ROOT, "data", "openapi.json"),
              encoding="utf-8") as f:
        return json.load(f)


def routes():
    """{(METHOD, path)} -> permission, from the routes table of api.c, with
    the API macro expanded and "*" written as "{id}"."""
    c = source("src/http/api.c")
    m = re.search(r'#define\s+API\s+"([^"]*)"', c)
    assert m, "no #define API in src/http/api.c"
    api = m.group(1)
    table = re.search(r"struct\s+route\s+routes\[\]\s*=\s*\{(.*?)\n\};", c,
                      re.S)
    assert table, "no routes[] table in src/http/api.c"
    out = {}
    for method, macro, path, perm in re.findall(
            r'\{\s*"([A-Z]+)"\s*,\s*(API\s*)?"([^"]*)"\s*,\s*\w+\s*,\s*'
            r'(\w+)\s*\}', table.group(1)):
        key = (method, (api if macro else "") + path.replace("*", "{id}"))
        assert key not in out, f"route {key} twice in the table"
        out[key] = perm
    assert len(out) >= 10, f"only {len(out)} routes parsed: {out}"
    return out


def operations(doc):
    """{(METHOD, path)} -> operation object, from the document."""
    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                out[(method.upper(), path)] = op
    return out


def test_document_is_openapi_3_1():
    doc = document()
    assert doc["openapi"] == "3.1.0", doc["openapi"]
    assert doc["info"]["title"] == "diboli API"
    assert doc["info"]["version"] == "1.0.0"
    assert [s["url"] for s in doc["servers"]] == ["/"], doc["servers"]
    with open(os.path.join(ROOT, "data", "openapi.json"),
              encoding="utf-8") as f:
        text = f.read()
    assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n", \
        "data/openapi.json is not laid out with 2-space indents " \
        "(json.dumps(indent=2, ensure_ascii=False) and a final newline)"


def test_every_route_is_documented():
    ops = operations(document())
    missing = sorted(set(routes()) - set(ops))
    assert not missing, f"routes of src/http/api.c not in data/" \
                        f"openapi.json: {missing}"


def test_nothing_documented_that_the_code_lacks():
    code = routes()
    extra = sorted(set(operations(document())) - set(code))
    assert not extra, f"operations of data/openapi.json that src/http/" \
                      f"api.c does not route: {extra}"
    paths = {p for _, p in code}
    ghost = sorted(set(document()["paths"]) - paths)
    assert not ghost, f"paths documented but not routed: {ghost}"


def test_security_matches_permissions():
    doc = document()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["sessionCookie"]["name"] == "diboli_session"
    assert schemes["csrfToken"]["in"] == "header"
    assert schemes["csrfToken"]["name"] == "X-CSRF-Token"
    assert schemes["bearerToken"]["scheme"] == "bearer"
    ops = operations(doc)
    for (method, path), perm in routes().items():
        op = ops.get((method, path))
        if op is None:
            continue    # test_every_route_is_documented names it
        sec = op.get("security", doc.get("security"))
        where = f"{method} {path} ({perm})"
        if perm == "NOAUTH":
            # Open to all, or to nodes that sign (node-to-node sync).
            assert sec == [] or sec == [{"nodeSignature": []}], \
                f"{where}: public, want security [] (or nodeSignature)"
            continue
        assert sec, f"{where}: needs a security requirement"
        assert "401" in op["responses"], f"{where}: no 401"
        cookie = [r for r in sec if "sessionCookie" in r]
        assert cookie and {"bearerToken": []} in sec, \
            f"{where}: want the session cookie or a bearer token: {sec}"
        writes = method not in ("GET", "HEAD")
        for r in cookie:
            assert ("csrfToken" in r) == writes, \
                f"{where}: the CSRF token goes with the cookie on writes " \
                f"only: {sec}"
        if writes or perm not in ("AUTH_READ",):
            assert "403" in op["responses"], f"{where}: no 403"


def test_path_ids_are_parameters():
    for (method, path), op in operations(document()).items():
        if "{id}" not in path:
            continue
        names = [p.get("name") or p.get("$ref", "").rsplit("/", 1)[-1]
                 for p in op.get("parameters", [])]
        assert "id" in names, f"{method} {path}: no id parameter"


def query_names(doc, op):
    params = doc["components"]["parameters"]
    names = set()
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = params[p["$ref"].rsplit("/", 1)[-1]]
        if p["in"] == "query":
            names.add(p["name"])
    return names


def test_list_parameters_match_the_code():
    c = source("src/http/api.c")
    m = re.search(r"list_args\[\]\s*=\s*\{([^}]*)\}", c)
    assert m, "no list_args[] in src/http/api.c"
    accepted = set(re.findall(r'"([^"]+)"', m.group(1)))
    # "f" is accepted and ignored by the code; it is not documented.
    want = accepted - {"f"}
    doc = document()
    ops = operations(doc)
    for key in [("GET", "/api/v1/records"), ("GET", "/api/v1/records.csv")]:
        got = query_names(doc, ops[key])
        assert got == want, f"{key}: documented {sorted(got)}, the code " \
                            f"accepts {sorted(want)}"
    audit = query_names(doc, ops[("GET", "/api/v1/audit")])
    h = c[c.index("h_audit("):]
    h = h[:h.index("\n}\n")]
    read = set(re.findall(r'http_arg\(r,\s*"([^"]+)"\)', h))
    assert audit == read, f"audit: documented {sorted(audit)}, the code " \
                          f"reads {sorted(read)}"


def test_error_codes_match_the_code():
    doc = document()
    enum = set(doc["components"]["schemas"]["Error"]["properties"]["error"]
               ["properties"]["code"]["enum"])
    names = set(re.findall(r'\[DIB_\w+\]\s*=\s*\{\s*"(\w+)"',
                           source("src/util/err.c"))) - {"ok"}
    assert len(names) >= 15, names
    sent = set()
    for rel in ("src/http/api.c", "src/http/server.c"):
        sent |= set(re.findall(r'http_reply_error\(\s*r,\s*\d+,\s*"(\w+)"',
                               source(rel)))
        sent |= set(re.findall(r'"code",\s*"(\w+)"', source(rel)))
    code = names | sent
    assert enum == code, f"Error.code: documented but never sent " \
                         f"{sorted(enum - code)}; sent but not documented " \
                         f"{sorted(code - enum)}"


def test_refs_resolve():
    doc = document()
    bad = []

    def walk(v, where):
        if isinstance(v, dict):
            r = v.get("$ref")
            if isinstance(r, str):
                node = doc
                try:
                    assert r.startswith("#/")
                    for part in r[2:].split("/"):
                        node = node[part.replace("~1", "/")
                                    .replace("~0", "~")]
                except (AssertionError, KeyError, TypeError):
                    bad.append(f"{where}: {r}")
            for k, x in v.items():
                walk(x, f"{where}/{k}")
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, f"{where}/{i}")

    walk(doc, "#")
    assert not bad, f"unresolved $ref: {bad}"


if __name__ == "__main__":
    main([test_document_is_openapi_3_1, test_every_route_is_documented,
          test_nothing_documented_that_the_code_lacks,
          test_security_matches_permissions, test_path_ids_are_parameters,
          test_list_parameters_match_the_code,
          test_error_codes_match_the_code, test_refs_resolve])
