#!/usr/bin/env bash
# False findings of `cordon scan` on the entity-free corpus in tests/data/benign/.
#
# usage: tests/eval/benign_fp.sh [--markdown FILE] [--max-per-100kb X] [--unit line|paragraph]
#                                [--with-dates] [--show N] [--corpus DIR]
#
#   --markdown FILE     rewrite the part of FILE between <!-- BEGIN BENIGN FP --> and
#                       <!-- END BENIGN FP --> with the results (markers appended if absent)
#   --max-per-100kb X   exit 1 when findings per 100 KB (100,000 bytes) exceed X
#   --unit line         one scanner record per non-empty line, id FILE:LINE (default)
#   --unit paragraph    one record per blank-line separated block, id FILE:FIRSTLINE
#   --with-dates        also scan dates_*.txt (benign text WITH calendar dates / timestamps);
#                       DATE_TIME findings there are expected and not counted, any other
#                       type is. Without the flag those files are skipped.
#   --show N            list at most N findings with an excerpt (default 40, 0 = none)
#   --corpus DIR        corpus folder (default <repo>/tests/data/benign; README.md is skipped)
#
# Environment: CORDON_BIN (default <repo>/build/release/cordon).
# Every finding on this corpus is false: it holds no true entity of any type.
# Exit codes: 0 ok, 1 above --max-per-100kb, 2 usage / scanner / plumbing error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

markdown=""
max_rate=""
unit="line"
with_dates=0
show=40
corpus="$repo/tests/data/benign"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
die() { echo "benign_fp: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --markdown) [[ $# -ge 2 ]] || die "--markdown needs a FILE"; markdown="$2"; shift 2 ;;
    --markdown=*) markdown="${1#*=}"; shift ;;
    --max-per-100kb) [[ $# -ge 2 ]] || die "--max-per-100kb needs a number"; max_rate="$2"; shift 2 ;;
    --max-per-100kb=*) max_rate="${1#*=}"; shift ;;
    --unit) [[ $# -ge 2 ]] || die "--unit needs line|paragraph"; unit="$2"; shift 2 ;;
    --unit=*) unit="${1#*=}"; shift ;;
    --with-dates) with_dates=1; shift ;;
    --show) [[ $# -ge 2 ]] || die "--show needs a number"; show="$2"; shift 2 ;;
    --show=*) show="${1#*=}"; shift ;;
    --corpus) [[ $# -ge 2 ]] || die "--corpus needs a DIR"; corpus="$2"; shift 2 ;;
    --corpus=*) corpus="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$unit" == line || "$unit" == paragraph ]] || die "--unit must be line or paragraph"
[[ "$show" =~ ^[0-9]+$ ]] || die "--show wants a whole number"
if [[ -n "$max_rate" ]] && ! [[ "$max_rate" =~ ^[0-9]*\.?[0-9]+$ ]]; then
  die "--max-per-100kb wants a number, got '$max_rate'"
fi
[[ -d "$corpus" ]] || die "corpus folder not found: $corpus"
corpus="$(cd "$corpus" && pwd)"
cordon_bin="${CORDON_BIN:-$repo/build/release/cordon}"
[[ -x "$cordon_bin" ]] || die "scanner not executable: $cordon_bin (build it or set CORDON_BIN)"
if [[ -n "$markdown" && ! -f "$markdown" ]]; then die "--markdown file not found: $markdown"; fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/cordon-benign-fp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT INT TERM

# 1. corpus -> scanner input {"id","text"}; meta.json keeps sizes and the record texts
python3 - "$corpus" "$unit" "$with_dates" "$tmp" <<'PY' || die "could not read the corpus"
import json, os, sys
corpus, unit, with_dates, tmp = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
files = []
for root, dirs, names in os.walk(corpus):
    dirs.sort()
    for n in sorted(names):
        rel = os.path.relpath(os.path.join(root, n), corpus)
        if n == "README.md" or n.startswith("."):
            continue
        is_dates = n.startswith("dates_")
        if is_dates and not with_dates:
            continue
        files.append((rel, is_dates))
if not files:
    sys.exit("benign_fp: no corpus files in " + corpus)
meta = {"files": {}, "records": {}}
with open(os.path.join(tmp, "input.jsonl"), "w", encoding="utf-8") as out:
    for rel, is_dates in files:
        data = open(os.path.join(corpus, rel), "rb").read()
        text = data.decode("utf-8", errors="surrogateescape")
        lines = text.split("\n")
        recs = []
        if unit == "line":
            recs = [(i + 1, l) for i, l in enumerate(lines) if l.strip()]
        else:
            start, buf = None, []
            for i, l in enumerate(lines + [""]):
                if l.strip():
                    if start is None:
                        start = i + 1
                    buf.append(l)
                elif buf:
                    recs.append((start, "\n".join(buf)))
                    start, buf = None, []
        for ln, t in recs:
            rid = f"{rel}:{ln}"
            t = t.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
            out.write(json.dumps({"id": rid, "text": t}, ensure_ascii=False) + "\n")
            meta["records"][rid] = t
        meta["files"][rel] = {"bytes": len(data), "records": len(recs), "dates": is_dates}
json.dump(meta, open(os.path.join(tmp, "meta.json"), "w", encoding="utf-8"))
PY

# 2. scan
if ! "$cordon_bin" scan --format jsonl "$tmp/input.jsonl" >"$tmp/pred.jsonl" 2>"$tmp/scan.err"; then
  cat "$tmp/scan.err" >&2
  die "'$cordon_bin scan --format jsonl' failed"
fi

# 3. count, report, markdown, gate
python3 - "$tmp" "$markdown" "$max_rate" "$show" "$unit" "$with_dates" "$repo" "$corpus" <<'PY'
import collections, json, os, subprocess, sys
tmp, md_path, max_rate, show, unit, with_dates, repo, corpus = sys.argv[1:9]
show, with_dates = int(show), with_dates == "1"
meta = json.load(open(os.path.join(tmp, "meta.json"), encoding="utf-8"))
ids = [json.loads(l)["id"] for l in open(os.path.join(tmp, "input.jsonl"), encoding="utf-8") if l.strip()]

def fail(msg):
    print("benign_fp: " + msg, file=sys.stderr)
    sys.exit(2)

out = []
for n, l in enumerate(open(os.path.join(tmp, "pred.jsonl"), encoding="utf-8"), 1):
    if not l.strip():
        continue
    try:
        r = json.loads(l)
    except json.JSONDecodeError as e:
        fail(f"scanner output line {n} is not JSON: {e}")
    if not isinstance(r.get("entities"), list):
        fail(f"scanner output line {n} has no 'entities' list")
    out.append(r)
if len(out) != len(ids):
    fail(f"scanner returned {len(out)} lines for {len(ids)} input lines")

findings = []          # counted (false) findings
expected_dates = 0     # DATE_TIME in dates_* files (not counted)
for want, r in zip(ids, out):
    if r.get("id") != want:
        fail(f"scanner output has id {r.get('id')!r} where {want!r} was expected (order must be kept)")
    rel, _, ln = want.rpartition(":")
    text = meta["records"][want].encode("utf-8")
    for e in r["entities"]:
        s, t, typ = e.get("start"), e.get("end"), e.get("type")
        if not (isinstance(s, int) and isinstance(t, int) and isinstance(typ, str) and 0 <= s < t <= len(text)):
            fail(f"{want}: malformed or out-of-range entity {e}")
        if meta["files"][rel]["dates"] and typ == "DATE_TIME":
            expected_dates += 1
            continue
        # line number of the finding inside a paragraph record
        line_no = int(ln) + text[:s].count(b"\n")
        lo, hi = max(0, s - 30), min(len(text), t + 30)
        dec = lambda b: b.decode("utf-8", errors="replace").replace("\n", "⏎").replace("\t", " ")
        excerpt = ("…" if lo > 0 else "") + dec(text[lo:s]) + "[[" + dec(text[s:t]) + "]]" + dec(text[t:hi]) + ("…" if hi < len(text) else "")
        findings.append({"file": rel, "line": line_no, "type": typ, "score": e.get("score"), "excerpt": excerpt})

total_bytes = sum(f["bytes"] for f in meta["files"].values())
per100 = lambda n, b: n * 100000.0 / b if b else 0.0
rate = per100(len(findings), total_bytes)
by_type = collections.Counter(f["type"] for f in findings)
by_file = collections.Counter(f["file"] for f in findings)

print(f"benign corpus: {len(meta['files'])} files, {total_bytes} bytes, {len(ids)} records (one per {unit})"
      + ("; dates_* files included" if with_dates else "; dates_* files skipped"))
print(f"false findings: {len(findings)}  =  {rate:.2f} per 100 KB"
      + (f"   (DATE_TIME in dates_* files, not counted: {expected_dates})" if with_dates else ""))
if by_type:
    print(f"\n{'type':28s} {'findings':>8s} {'per 100 KB':>10s}")
    for t, n in sorted(by_type.items(), key=lambda x: (-x[1], x[0])):
        print(f"{t:28s} {n:8d} {per100(n, total_bytes):10.2f}")
print(f"\n{'file':40s} {'bytes':>8s} {'records':>7s} {'findings':>8s} {'per 100 KB':>10s}")
for rel, f in sorted(meta["files"].items()):
    print(f"{rel:40s} {f['bytes']:8d} {f['records']:7d} {by_file[rel]:8d} {per100(by_file[rel], f['bytes']):10.2f}")
if findings and show:
    print(f"\nfindings (first {min(show, len(findings))} of {len(findings)}; match in [[ ]]):")
    for f in findings[:show]:
        print(f"  {f['file']}:{f['line']}  {f['type']}  {f['excerpt']}")

if md_path:
    try:
        commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        commit = "unknown"
    esc = lambda s: s.replace("|", "\\|").replace("`", "'")
    L = [f"Entity-free corpus `tests/data/benign/` ({len(meta['files'])} files, {total_bytes:,} bytes, "
         f"{len(ids)} records, one per {unit}" + (", `dates_*` files included" if with_dates else "") +
         f"), scanned by `tests/eval/benign_fp.sh` at commit `{commit}`. Every finding is false.",
         "",
         f"**False findings: {len(findings)} = {rate:.2f} per 100 KB.**", ""]
    if by_type:
        L += ["| type | findings | per 100 KB |", "|---|---:|---:|"]
        L += [f"| {t} | {n} | {per100(n, total_bytes):.2f} |"
              for t, n in sorted(by_type.items(), key=lambda x: (-x[1], x[0]))]
        L.append("")
    L += ["| file | bytes | findings | per 100 KB |", "|---|---:|---:|---:|"]
    L += [f"| {rel} | {f['bytes']:,} | {by_file[rel]} | {per100(by_file[rel], f['bytes']):.2f} |"
          for rel, f in sorted(meta["files"].items())]
    if findings:
        k = min(len(findings), 20)
        L += ["", f"First {k} findings (match in `[[ ]]`):", ""]
        L += [f"- `{f['file']}:{f['line']}` {f['type']}: {esc(f['excerpt'])}" for f in findings[:k]]
    body = "\n".join(L)
    sys.path.insert(0, os.path.join(repo, "scripts"))
    from doc_section import replace_section
    try:
        replace_section(md_path, "<!-- BEGIN BENIGN FP -->", "<!-- END BENIGN FP -->", body)
    except ValueError as error:
        fail(str(error))
    print(f"\nupdated {md_path}")

if max_rate:
    if rate > float(max_rate):
        print(f"FAIL: {rate:.2f} false findings per 100 KB > {float(max_rate):.2f}")
        sys.exit(1)
    print(f"OK: {rate:.2f} false findings per 100 KB <= {float(max_rate):.2f}")
PY
