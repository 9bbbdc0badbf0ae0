#!/usr/bin/env bash
# Score `cordon scan` on the shared PII / secrets eval set (exact span match).
#
# usage: tests/eval/pii_eval.sh [--markdown FILE] [--min-f1 X] [--eval-dir DIR] [-- SCORE_ARGS...]
#
#   --markdown FILE  rewrite the part of FILE between <!-- BEGIN PII EVAL --> and
#                    <!-- END PII EVAL --> with the results (markers appended if absent)
#   --min-f1 X       exit 1 when the exact-match micro-F1 is below X (ctest gate)
#   --eval-dir DIR   the eval folder (default: ../shared/eval/pii beside the checkout,
#                    or $CORDON_PII_EVAL_DIR)
#   -- ARGS          passed through to score.py (e.g. --alias PH_MOBILE_NUMBER=PHONE_NUMBER)
#
# Environment: CORDON_BIN (default <repo>/build/release/cordon).
# The set is read where it lies and never copied into the project.
# Exit codes: 0 ok, 1 below --min-f1, 2 usage / scanner / plumbing error, 77 skipped (no eval set).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

markdown=""
min_f1=""
eval_dir="${CORDON_PII_EVAL_DIR:-$repo/../shared/eval/pii}"
score_args=()

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
die() { echo "pii_eval: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --markdown) [[ $# -ge 2 ]] || die "--markdown needs a FILE"; markdown="$2"; shift 2 ;;
    --markdown=*) markdown="${1#*=}"; shift ;;
    --min-f1) [[ $# -ge 2 ]] || die "--min-f1 needs a number"; min_f1="$2"; shift 2 ;;
    --min-f1=*) min_f1="${1#*=}"; shift ;;
    --eval-dir) [[ $# -ge 2 ]] || die "--eval-dir needs a DIR"; eval_dir="$2"; shift 2 ;;
    --eval-dir=*) eval_dir="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; score_args=("$@"); break ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
if [[ -n "$min_f1" ]] && ! [[ "$min_f1" =~ ^(0|1)?(\.[0-9]+)?$|^1$|^0$ ]]; then
  die "--min-f1 wants a number in [0,1], got '$min_f1'"
fi

if [[ ! -f "$eval_dir/public.jsonl" || ! -f "$eval_dir/score.py" ]]; then
  echo "pii_eval: SKIPPED: eval set not found at $eval_dir (expected public.jsonl and score.py)"
  exit 77
fi
eval_dir="$(cd "$eval_dir" && pwd)"

cordon_bin="${CORDON_BIN:-$repo/build/release/cordon}"
[[ -x "$cordon_bin" ]] || die "scanner not executable: $cordon_bin (build it or set CORDON_BIN)"
if [[ -n "$markdown" && ! -f "$markdown" ]]; then die "--markdown file not found: $markdown"; fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/cordon-pii-eval.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT INT TERM

gold="$eval_dir/public.jsonl"

# 1. gold -> scanner input {"id","text"}
python3 - "$gold" "$tmp/input.jsonl" <<'PY' || die "could not convert $gold"
import json, sys
src, dst = sys.argv[1], sys.argv[2]
n = 0
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    for line in f:
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        out.write(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n")
        n += 1
if n == 0:
    sys.exit("pii_eval: no records in " + src)
PY

# 2. scan
if ! "$cordon_bin" scan --format jsonl "$tmp/input.jsonl" >"$tmp/pred.jsonl" 2>"$tmp/scan.err"; then
  cat "$tmp/scan.err" >&2
  die "'$cordon_bin scan --format jsonl' failed"
fi

# 3. check the output contract: one line per input line, same ids in the same order
python3 - "$tmp/input.jsonl" "$tmp/pred.jsonl" <<'PY' || die "scanner output breaks the contract"
import json, sys
inp = [json.loads(l)["id"] for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
out = []
for n, l in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
    if not l.strip():
        continue
    try:
        r = json.loads(l)
    except json.JSONDecodeError as e:
        sys.exit(f"pii_eval: scanner output line {n} is not JSON: {e}")
    if not isinstance(r.get("entities"), list):
        sys.exit(f"pii_eval: scanner output line {n} has no 'entities' list")
    out.append(r.get("id"))
if len(out) != len(inp):
    sys.exit(f"pii_eval: scanner returned {len(out)} lines for {len(inp)} input lines")
for n, (a, b) in enumerate(zip(inp, out), 1):
    if a != b:
        sys.exit(f"pii_eval: scanner output line {n} has id {b!r}, expected {a!r} (order must be kept)")
PY

# 4. score (exact match); the full score.py report is printed as is
status=0
python3 "$eval_dir/score.py" "$gold" "$tmp/pred.jsonl" --match exact --json "$tmp/scores.json" \
  ${score_args[@]+"${score_args[@]}"} | tee "$tmp/score.txt" || status=$?
[[ $status -eq 0 ]] || die "score.py failed (exit $status)"

# 5. summary, markdown section, gate
python3 - "$tmp/scores.json" "$markdown" "$min_f1" "$repo" "$cordon_bin" \
  ${score_args[@]+"${score_args[@]}"} <<'PY'
import json, os, subprocess, sys
scores_path, md_path, min_f1, repo, cordon_bin = sys.argv[1:6]
extra_args = sys.argv[6:]
s = json.load(open(scores_path, encoding="utf-8"))
ex, ov = s["exact"], s["overlap"]
f1 = ex["micro"]["f1"]
print()
print(f"PII eval (public split, exact span match): micro-F1 = {f1:.4f}  "
      f"(P={ex['micro']['precision']:.4f} R={ex['micro']['recall']:.4f}; "
      f"overlap micro-F1 = {ov['micro']['f1']:.4f})")

if md_path:
    try:
        commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        commit = "unknown"
    def cell(c, k):
        if k == "precision" and c["tp"] + c["fp"] == 0: return "–"
        if k == "recall" and c["tp"] + c["fn"] == 0: return "–"
        if k == "f1" and c["tp"] + c["fp"] + c["fn"] == 0: return "–"
        return f"{c[k]:.3f}"
    m, mo = ex["micro"], ov["micro"]
    L = []
    L.append(f"Public split of `../shared/eval/pii` (`public.jsonl`), scored by `score.py` "
             f"(exact span match; only each example's `labeled_types` are judged; optional spans are don't-care). "
             f"Generated by `tests/eval/pii_eval.sh` at commit `{commit}`"
             + (f" with score.py args `{' '.join(extra_args)}`" if extra_args else "") + ".")
    L.append("")
    L.append(f"**micro-F1 (exact) = {m['f1']:.4f}** — P {m['precision']:.4f}, R {m['recall']:.4f} "
             f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']}); macro-F1 {ex['macro_f1']:.4f}. "
             f"Overlap match: micro-F1 {mo['f1']:.4f}. "
             f"Type-agnostic redaction: recall {s['redaction']['recall']:.4f}, precision {s['redaction']['precision']:.4f}.")
    L.append("")
    L.append("| type | gold | pred | P | R | F1 | F1 (overlap) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for t in sorted(set(ex["per_type"]) | set(ov["per_type"])):
        c = ex["per_type"].get(t, {"tp": 0, "fp": 0, "fn": 0, "precision": 0, "recall": 0, "f1": 0})
        co = ov["per_type"].get(t, {"tp": 0, "fp": 0, "fn": 0, "precision": 0, "recall": 0, "f1": 0})
        L.append(f"| {t} | {c['tp'] + c['fn']} | {c['tp'] + c['fp']} | {cell(c, 'precision')} | "
                 f"{cell(c, 'recall')} | {cell(c, 'f1')} | {cell(co, 'f1')} |")
    L.append("")
    L.append("| source | P | R | F1 |")
    L.append("|---|---:|---:|---:|")
    for src, c in sorted(ex["per_source"].items()):
        L.append(f"| {src} | {cell(c, 'precision')} | {cell(c, 'recall')} | {cell(c, 'f1')} |")
    body = "\n".join(L)
    sys.path.insert(0, os.path.join(repo, "scripts"))
    from doc_section import replace_section
    try:
        replace_section(md_path, "<!-- BEGIN PII EVAL -->", "<!-- END PII EVAL -->", body)
    except ValueError as error:
        print(f"pii_eval: {error}", file=sys.stderr)
        sys.exit(2)
    print(f"updated {md_path}")

if min_f1:
    if f1 < float(min_f1):
        print(f"FAIL: micro-F1 {f1:.4f} < {float(min_f1):.4f}")
        sys.exit(1)
    print(f"OK: micro-F1 {f1:.4f} >= {float(min_f1):.4f}")
PY
