#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for a fixed number of
# executions on stable Rust (`--sanitizer none`), and records executions,
# coverage and crashes in docs/fuzzing.md.
#
#   scripts/fuzz.sh [EXECUTIONS_PER_TARGET]   (default 200000)
#
# Crashes are written to fuzz/artifacts/<target>/; each becomes a
# regression test before it is fixed. Not part of the test command: a
# fuzzing session takes as long as it is given.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${1:-200000}
CARGO_FUZZ_VERSION=0.13.2
cargo_tool cargo-fuzz cargo-fuzz "$CARGO_FUZZ_VERSION" --locked

cd "$ROOT/fuzz"
export CARGO_TARGET_DIR="$INKAN_CACHE/fuzz-target"
# The committed corpora (fuzz/CORPUS.md), unpacked where libFuzzer grows them.
if [ -f corpus.tar.xz ]; then
  rm -rf corpus
  tar xJf corpus.tar.xz
fi
log "building the fuzz targets (release, libFuzzer, no sanitizer)"
cargo fuzz build --sanitizer none -O

results="$INKAN_CACHE/fuzz-results.tsv"
: > "$results"
for target in $(cargo fuzz list); do
  log "fuzzing $target for $RUNS executions"
  mkdir -p "corpus/$target"
  out="$INKAN_CACHE/fuzz-$target.log"
  status=0
  cargo fuzz run --sanitizer none -O "$target" "corpus/$target" -- \
    -runs="$RUNS" -max_len=262144 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 > "$out" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1 | grep -o '[0-9]*')
  crashes=$(ls "artifacts/$target" 2>/dev/null | grep -c . || true)
  printf '%s\t%s\t%s\t%s\t%s\n' "$target" "${execs:-0}" "${cov:-0}" "$crashes" "$status" >> "$results"
  if [ "$status" -ne 0 ]; then
    tail -30 "$out" >&2
  fi
done

# Keep only what adds coverage, and pack the corpora again (reproducibly).
for target in $(cargo fuzz list); do
  cargo fuzz cmin --sanitizer none -O "$target" "corpus/$target" -- \
    -max_len=262144 -rss_limit_mb=2048 > "$INKAN_CACHE/fuzz-cmin-$target.log" 2>&1 ||
    die "cargo fuzz cmin $target failed: see $INKAN_CACHE/fuzz-cmin-$target.log"
done
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cJf corpus.tar.xz corpus

python3 - "$results" "$ROOT/docs/fuzzing.md" "$(date -u +%Y-%m-%d)" <<'PY'
import re, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
doc_path, day = sys.argv[2], sys.argv[3]
doc = open(doc_path).read()
# Cumulative executions per target, from the table already in the doc.
total = {}
m = re.search(r"<!-- totals -->\n(.*?)<!-- /totals -->", doc, re.S)
if m:
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 2 and cells[1].replace(",", "").isdigit():
            total[cells[0].strip("`")] = int(cells[1].replace(",", ""))
table = ["| target | executions, all sessions | coverage (last run) | crashes |", "| --- | --- | --- | --- |"]
session = [f"| {day} | `{t}` | {int(e):,} | {c} | {k} |" for t, e, c, k, _ in rows]
for t, e, c, k, _ in rows:
    total[t] = total.get(t, 0) + int(e)
    table.append(f"| `{t}` | {total[t]:,} | {c} | {k} |")
new_totals = "<!-- totals -->\n" + "\n".join(table) + "\n<!-- /totals -->"
if m:
    doc = doc[:m.start()] + new_totals + doc[m.end():]
doc = doc.rstrip("\n") + "\n" + "\n".join(session) + "\n"
open(doc_path, "w").write(doc)
PY
log "docs/fuzzing.md updated"
if awk -F'\t' '$4 != 0 || $5 != 0 { bad = 1 } END { exit !bad }' "$results"; then
  die "a fuzz target crashed: see fuzz/artifacts/"
fi
