# The heap blocks allocated on every request, from a DHAT profile (bench/floor/callgrind.sh with
# TOOL=dhat): each allocation site whose block count is at least half the requests, with its
# blocks and bytes per request and its average block size, largest blocks first.
#   python3 bench/floor/dhat_sizes.py target/dhat.agrupa.json REQUESTS [FRAMES]
# glibc serves blocks of up to 1,032 bytes from its per-thread cache; larger ones go through
# _int_malloc (and free's consolidation), about ten times the cost.
import json, sys
data = json.load(open(sys.argv[1]))
reqs = int(sys.argv[2]); depth = int(sys.argv[3]) if len(sys.argv) > 3 else 6
frames = data["ftbl"]
def short(i):
    f = frames[i]
    f = f.split(": ", 1)[1] if ": " in f else f
    return f[:150]
def interesting(f):
    return not any(s in f for s in ("library/alloc/", "library/core/", "(alloc.rs", "(boxed.rs",
                                    "(raw_vec", "(vec/mod.rs", "__rust", "malloc"))
rows = []
for pp in data["pps"]:
    if pp["tbk"] * 2 < reqs:
        continue
    rows.append((pp["tb"] / pp["tbk"], pp["tbk"] / reqs, pp["tb"] / reqs, pp["fs"]))
rows.sort(key=lambda r: -r[0])
blocks = sum(r[1] for r in rows); big = sum(r[1] for r in rows if r[0] > 1032)
print(f"{len(rows)} sites; {blocks:.1f} blocks a request, {big:.2f} of them over 1,032 bytes")
for size, per, bytes_, fs in rows:
    path = [short(i) for i in fs]
    path = [f for f in path if interesting(f)][:depth]
    print(f"{size:>8.0f} B  {per:>5.2f}/req  {bytes_:>8.0f} B/req")
    for f in path:
        print(f"      {f}")
