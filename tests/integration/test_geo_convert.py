"""diboli geo convert against GeographicLib's GeoConvert: the reference
points of interop.md, then thousands of random points over UTM zones 28-31
(Senegal and Mali), each side run once over the whole batch."""
import random
import shutil
import subprocess

from dib import *

# interop.md: GeoConvert -m -p 0 and -u -p 0; MGRS back with -p 9.
REFS = [
    (14.693, -17.447, "28PBB3648725798", "28N 236487 1625799",
     14.69299759065661, -17.44699877407746),
    (13.769, -13.667, "28PFA4410522578", "28N 644106 1522578",
     13.76900338821096, -13.66700404319073),
    (14.450, -11.433, "29PKR3770898885", "29N 237708 1598885",
     14.45000215621720, -11.43299790702157),
    (12.639, -8.003, "29PPP0827597420", "29N 608275 1397421",
     12.63899743439204, -8.00299673593016),
    (16.7735, -3.0074, "30QVD9921154498", "30N 499211 1854499",
     16.77349758211377, -3.00739887403580),
    (18.4411, 1.4078, "31QCA3185239727", "31N 331852 2039727",
     18.44110057548761, 1.40780329594020),
]

SEED = 20250220
NPOINTS = 3000


def geoconvert(args, lines):
    """Run GeoConvert once over lines; returns its output lines."""
    exe = shutil.which("GeoConvert")
    assert exe, ("GeoConvert not found: install geographiclib-tools "
                 "(listed in deps/debian.txt); it is the oracle here")
    p = subprocess.run([exe, *args], input="".join(l + "\n" for l in lines),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"GeoConvert {args} failed: {p.stderr}"
    out = p.stdout.splitlines()
    assert len(out) == len(lines), "GeoConvert dropped lines"
    bad = [l for l in out if l.startswith("ERROR")]
    assert not bad, f"GeoConvert: {bad[:3]}"
    return out


def convert(to, lines, *extra):
    """Run diboli geo convert once over lines, fed on stdin."""
    r = ok("geo", "convert", "--to", to, *extra,
           input="".join(l + "\n" for l in lines))
    out = r.out.splitlines()
    assert len(out) == len(lines), f"diboli printed {len(out)} lines " \
        f"for {len(lines)}"
    return out


def random_points():
    """Uniform over zones 28-31 (longitude -18 to 6), latitude 4 to 25."""
    rng = random.Random(SEED)
    return [f"{rng.uniform(4, 25):.7f} {rng.uniform(-18, 6):.7f}"
            for _ in range(NPOINTS)]


def split_mgrs(m):
    """'28PBB3648725798' -> ('28PBB', 36487, 25798)."""
    k = (len(m) - 5) // 2
    return m[:5], int(m[5:5 + k] or 0), int(m[5 + k:] or 0)


def test_reference_points():
    args = [f"{lat} {lon}" for lat, lon, *_ in REFS]
    r = ok("geo", "convert", "--to", "mgrs", *args)
    assert r.out.splitlines() == [m for _, _, m, *_ in REFS], r
    r = ok("geo", "convert", "--to", "utm", *args)
    assert r.out.splitlines() == [u for _, _, _, u, *_ in REFS], r
    r = ok("geo", "convert", "--to", "dd", *[m for _, _, m, *_ in REFS])
    for line, ref in zip(r.out.splitlines(), REFS):
        lat, lon = map(float, line.split())
        assert abs(lat - ref[4]) < 1e-6 and abs(lon - ref[5]) < 1e-6, \
            (line, ref)
    # The same points through the other notations.
    r = ok("geo", "convert", "--to", "mgrs", "28N 236487 1625799",
           "14°41'34.8\"N 17°26'49.2\"W", "14.693N, 17.447W",
           "N 14 41 34.8 W 17 26 49.2", "28P BB 36487 25798")
    # UTM text is rounded to the metre (1625798.77 -> 1625799).
    assert r.out.splitlines() == ["28PBB3648725799"] + \
        ["28PBB3648725798"] * 4, r


def test_precision_and_boundary():
    r = ok("geo", "convert", "--to", "mgrs", "--precision", "0",
           "14.693 -17.447")
    assert r.out == "28PBB\n", r
    r = ok("geo", "convert", "--precision", "3", "--to", "mgrs",
           "14.693 -17.447")
    assert r.out == "28PBB364257\n", r
    # On a zone boundary the eastern zone wins; negative first argument.
    r = ok("geo", "convert", "--to", "utm", "-14.5 -12")
    assert r.out.startswith("29S "), r
    r = ok("geo", "convert", "--to", "utm", "14.5 -12.0000001")
    assert r.out.startswith("28N "), r


def test_stdin_and_errors():
    r = ok("geo", "convert", "--to", "dd",
           input="14.693 -17.447\n\n   \n28PBB3648725798\r\n")
    assert r.out.splitlines() == ["14.693000 -17.447000",
                                  "14.692998 -17.446999"], r
    r = fails(1, "geo", "convert", "--to", "mgrs",
              input="14.693 -17.447\n\n28QBB3625\n1 2\n",
              must="line 3: coordinates: 100 km square BB is not in "
                   "latitude band Q")
    assert 'input: "28QBB3625"' in r.err, r
    assert len(r.err.splitlines()) == 1, r
    assert "1.000000" not in r.out, "went on after the bad line"
    fails(1, "geo", "convert", "--to", "dd", "14.5 nan",
          must='diboli: coordinates: NaN is not a coordinate '
               '(input: "14.5 nan")')
    fails(1, "geo", "convert", "--to", "dd", "95 10",
          must="coordinates.lat: must be in [-90, 90], got 95")
    fails(1, "geo", "convert", "--to", "mgrs", "85 10", must="UPS")
    fails(1, "geo", "convert", "--to", "dd", "28P 800025 1601197",
          must="hemisphere N or S")
    fails(1, "geo", "convert", "--to", "dd", "",
          must="coordinates: empty")


def test_usage():
    r = ok("geo", "--help")
    assert "geo convert --to mgrs|utm|dd" in r.out, r
    r = ok("geo", "convert", "--help")
    assert "--precision" in r.out, r
    fails(2, "geo")
    fails(2, "geo", "frobnicate", must="unknown verb")
    fails(2, "geo", "convert", "14 -12", must="--to is required")
    fails(2, "geo", "convert", "--to", "wgs", "14 -12",
          must="--to must be mgrs, utm or dd")
    fails(2, "geo", "convert", "--to", "mgrs", "--precision", "6", "1 2",
          must="--precision must be 0 to 5")
    fails(2, "geo", "convert", "--to", "dd", "--precision", "3", "1 2",
          must="--precision applies to --to mgrs only")
    fails(2, "geo", "convert", "--to", "dd", "--bogus", "1 2",
          must="unknown option")


def test_random_mgrs():
    pts = random_points()
    ref = geoconvert(["-m", "-p", "0"], pts)
    got = convert("mgrs", pts)
    exact = 0
    for p, a, b in zip(pts, ref, got):
        if a == b:
            exact += 1
            continue
        sa, sb = split_mgrs(a), split_mgrs(b)
        assert sa[0] == sb[0] and abs(sa[1] - sb[1]) <= 1 and \
            abs(sa[2] - sb[2]) <= 1, f"{p}: GeoConvert {a}, diboli {b}"
    print(f"     {exact} of {len(pts)} MGRS identical to GeoConvert")
    assert exact >= len(pts) - 10, f"only {exact} exact of {len(pts)}"
    # Reduced precision (3 digits) truncates the same way.
    ref = geoconvert(["-m", "-p", "-2"], pts)
    got = convert("mgrs", pts, "--precision", "3")
    diff = [(p, a, b) for p, a, b in zip(pts, ref, got) if a != b]
    assert len(diff) <= 10, diff[:5]


def test_random_utm():
    pts = random_points()
    ref = geoconvert(["-u", "-p", "0"], pts)
    got = convert("utm", pts)
    for p, a, b in zip(pts, ref, got):
        za, ea, na = a.split()
        zb, eb, nb = b.split()
        assert za.upper() == zb, f"{p}: GeoConvert {a}, diboli {b}"
        assert abs(int(ea) - int(eb)) <= 1 and \
            abs(int(na) - int(nb)) <= 1, f"{p}: GeoConvert {a}, diboli {b}"


def test_random_inverse():
    """GeoConvert's MGRS and DMS back to degrees, by both programs."""
    pts = random_points()
    mgrs = geoconvert(["-m", "-p", "0"], pts)
    ref = geoconvert(["-g", "-p", "6"], mgrs)
    got = convert("dd", mgrs)
    for m, a, b in zip(mgrs, ref, got):
        la, oa = map(float, a.split())
        lb, ob = map(float, b.split())
        assert abs(la - lb) < 1e-5 and abs(oa - ob) < 1e-5, \
            f"{m}: GeoConvert {a}, diboli {b}"
    dms = geoconvert(["-d", "-p", "1"], pts)
    ref = geoconvert(["-g", "-p", "6"], dms)
    got = convert("dd", dms)
    for m, a, b in zip(dms, ref, got):
        la, oa = map(float, a.split())
        lb, ob = map(float, b.split())
        assert abs(la - lb) < 1e-6 and abs(oa - ob) < 1e-6, \
            f"{m}: GeoConvert {a}, diboli {b}"


main([test_reference_points, test_precision_and_boundary,
      test_stdin_and_errors, test_usage, test_random_mgrs, test_random_utm,
      test_random_inverse])
