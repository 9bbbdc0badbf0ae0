#!/usr/bin/env bash
# Output identity of two detector builds: `save` scans a fixed set of corpora with one build's
# `cordon scan --format jsonl` and keeps the outputs; `check` scans them again (usually with a
# changed build) and compares byte for byte. For engine changes that must not change a finding.
#
# usage: scripts/scan_identity.sh save|check DIR [CORDON_BIN]
#   DIR         where the corpora and outputs live (outside the repository, e.g. /tmp/ident)
#   CORDON_BIN  default build/release/cordon
#
# Corpora: the labelled eval set where it lies ($CORDON_PII_EVAL_DIR, default
# ../shared/eval/pii beside the checkout; left out when absent, never copied), the benign corpus
# (one record per line, and one per file), and scripts/gen_scan_corpus.py's random records (two
# seeds of 30,000, the first version's shapes, fragments, and the first seed joined into ~64 KB
# records). Exit 0 identical, 1 different (the first differing lines are shown), 2 usage.
set -euo pipefail

usage() { sed -n '5,7p' "$0" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
mode="$1"
dir="$2"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cordon_bin="${3:-$repo/build/release/cordon}"
[[ "$mode" == save || "$mode" == check ]] || usage
[[ -x "$cordon_bin" ]] || { echo "scan_identity: no executable $cordon_bin" >&2; exit 2; }
eval_file="${CORDON_PII_EVAL_DIR:-$repo/../shared/eval/pii}/public.jsonl"

mkdir -p "$dir/in" "$dir/base" "$dir/new"
gen="$repo/scripts/gen_scan_corpus.py"

# NUL-separated records (stdin) -> {"id","text"} lines; `join` records per line when > 1.
to_jsonl() {
  python3 -c '
import json, sys
join = int(sys.argv[1])
recs = sys.stdin.buffer.read().decode("utf-8", "surrogatepass").split("\0")
for i in range(0, len(recs), join):
    text = " ".join(recs[i:i + join])
    print(json.dumps({"id": str(i), "text": text}, ensure_ascii=False))
' "$1"
}

# The inputs are made once per DIR, so `check` scans exactly what `save` scanned.
if [[ ! -e "$dir/in/.done" ]]; then
  python3 - "$repo/tests/data/benign" "$dir/in" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
with open(os.path.join(out, "benign-lines.jsonl"), "w", encoding="utf-8") as lines, \
     open(os.path.join(out, "benign-files.jsonl"), "w", encoding="utf-8") as files:
    for name in sorted(os.listdir(src)):
        text = open(os.path.join(src, name), encoding="utf-8").read()
        files.write(json.dumps({"id": name, "text": text}, ensure_ascii=False) + "\n")
        for n, line in enumerate(text.split("\n"), 1):
            if line.strip():
                lines.write(json.dumps({"id": f"{name}:{n}", "text": line}, ensure_ascii=False) + "\n")
PY
  python3 "$gen" --records 30000 | to_jsonl 1 >"$dir/in/random.jsonl"
  python3 "$gen" --records 30000 --seed 7 | to_jsonl 1 >"$dir/in/random7.jsonl"
  python3 "$gen" --records 30000 --classic | to_jsonl 1 >"$dir/in/classic.jsonl"
  python3 "$gen" --records 100000 --fragments | to_jsonl 1 >"$dir/in/fragments.jsonl"
  python3 "$gen" --records 30000 | to_jsonl 500 >"$dir/in/random-long.jsonl"
  touch "$dir/in/.done"
fi

inputs=("$dir"/in/*.jsonl)
[[ -r "$eval_file" ]] && inputs+=("$eval_file")
status=0
for input in "${inputs[@]}"; do
  name="$(basename "$input" .jsonl)"
  [[ "$input" == "$eval_file" ]] && name=eval
  "$cordon_bin" scan --format jsonl "$input" >"$dir/$([[ $mode == save ]] && echo base || echo new)/$name.out"
  if [[ "$mode" == check ]]; then
    if cmp -s "$dir/base/$name.out" "$dir/new/$name.out"; then
      echo "$name: identical ($(grep -o '"type"' "$dir/new/$name.out" | wc -l) findings)"
    else
      echo "$name: DIFFERENT"
      diff "$dir/base/$name.out" "$dir/new/$name.out" | head -6 | cut -c1-300
      status=1
    fi
  else
    echo "$name: saved ($(grep -o '"type"' "$dir/base/$name.out" | wc -l) findings)"
  fi
done
exit $status
