# Exclusive instructions per request by crate from a callgrind profile:
#   python3 bench/floor/by_crate.py target/callgrind.agrupa.out.1 REQUESTS
import re, subprocess, sys, collections
f, reqs = sys.argv[1], int(sys.argv[2])
out = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no", f], capture_output=True, text=True).stdout
agg = collections.Counter(); total = 0
for line in out.splitlines():
    m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*)$", line)
    if not m or "PROGRAM TOTALS" in line: continue
    n = int(m.group(1).replace(",", "")); rest = m.group(2)
    fn = rest.split(":", 1)[1] if ":" in rest else rest
    fn = re.sub(r" \[.*\]$", "", fn)
    fn = fn.lstrip("<")
    crate = re.split(r"::| as ", fn)[0]
    if rest.startswith("./malloc") or crate in ("malloc","free","_int_free","_int_malloc","malloc_consolidate","realloc","_int_realloc","cfree","unlink_chunk.constprop.0"): crate = "libc malloc/free"
    elif rest.startswith("./string") or crate.startswith("__mem"): crate = "libc memcpy/memset/str"
    elif rest.startswith("./"): crate = "libc other"
    agg[crate] += n; total += n
print(f"total {total:,} per request {total/reqs:,.0f}")
for c, n in agg.most_common(25):
    print(f"{n/reqs:>10,.0f}  {c}")
