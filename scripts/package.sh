#!/usr/bin/env bash
# Builds Inkan's release installers into dist/ and checks them.
#
#   ./scripts/package.sh            build dist/*.deb and dist/*.rpm, then check the .deb
#   ./scripts/package.sh --no-bench skip the start-up/memory benchmark
#
# The .deb holds the window app (inkan-app), the inkan command, the desktop
# entry and icons; no TEST PKI, simulated card or demo files: the release
# binaries are built without the developer features (test-trust, dev-tools).
# Checks (docs/testing.md): lintian with no errors, desktop-file-validate, and
# tests/e2e/tests/installed_package.rs on the package extracted with dpkg -x
# (contents, Depends against what the binaries link, `inkan version`, the
# window under Xvfb with a screenshot). Then the release benchmark
# (tests/e2e/benches/release.rs) against a minimal Tauri window.
#
# Packaging is not part of test-all.sh: a release build with LTO takes
# minutes on two cores and tauri-cli takes ~11 minutes to install once; the
# everyday test command stays fast and this script is run before a release.
source "$(dirname "$0")/lib.sh"
start=$(date +%s)

bench=1
for arg in "$@"; do
  case "$arg" in
    --no-bench) bench=0 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown option $arg (see --help)" ;;
  esac
done

TAURI_CLI_VERSION=2.12.4
ensure_apt "${APT_APP[@]}" "${APT_TEST[@]}" "${APT_PACKAGE[@]}"
ensure_rust
ensure_ui_tools
ensure_test_tools
cargo_tool cargo-tauri tauri-cli "$TAURI_CLI_VERSION" --locked

cd "$ROOT"
check_self_contained
build_ui

# The release build has its own target directory: `cargo tauri bundle`
# packages whatever binary it finds there, so nothing else may write to it.
rel_target="$INKAN_CACHE/release-target"
rel="$rel_target/release"
log "release build: inkan-app and inkan without developer features, and the benchmark's peer window"
CARGO_TARGET_DIR="$rel_target" CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked \
  -p inkan-app -p inkan-cli -p inkan-startup-peer \
  --no-default-features --features inkan-app/custom-protocol

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The licences of everything compiled into the two programs.
{
  echo "Inkan $(awk -F'"' '/^version =/ { print $2; exit }' "$ROOT/Cargo.toml") is built from these crates (name version | licence):"
  echo
  CARGO_TARGET_DIR="$rel_target" cargo tree --locked -p inkan-app -p inkan-cli -e normal \
    --no-default-features --features inkan-app/custom-protocol \
    --prefix none --format '{p} | {l}' | sed 's/ (proc-macro)//; s/ (\/[^)]*)//' | sort -u
  echo
  echo "SQLite (compiled in through rusqlite's bundled feature) is in the public domain."
} > "$work/third-party-licenses.txt"
gzip -9n -c "$ROOT/packaging/linux/changelog" > "$work/changelog.gz"

# Depends: the PC/SC service, plus the versioned shared-library dependencies
# of the two programs as dpkg-shlibdeps computes them (libc6, GTK, WebKitGTK,
# libpcsclite1 …), the same way a Debian source package gets them.
mkdir -p "$work/shlibs/debian"
printf 'Source: inkan\n\nPackage: inkan\nArchitecture: any\n' > "$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$rel/inkan-app" "$rel/inkan" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies"
depends_json=$(printf '%s' "pcscd, $shlibs" | python3 -c 'import json,sys; print(json.dumps([d.strip() for d in sys.stdin.read().split(",")]))')

# What only the release bundle needs, with absolute paths, as a Tauri config
# overlay (merged over src-tauri/tauri.conf.json by --config).
cat > "$work/release.json" <<JSON
{
  "bundle": {
    "linux": {
      "deb": {
        "depends": $depends_json,
        "files": {
          "/usr/bin/inkan": "$rel/inkan",
          "/usr/share/doc/inkan/copyright": "$ROOT/packaging/linux/copyright",
          "/usr/share/doc/inkan/changelog.gz": "$work/changelog.gz",
          "/usr/share/doc/inkan/third-party-licenses.txt": "$work/third-party-licenses.txt"
        }
      },
      "rpm": {
        "files": {
          "/usr/bin/inkan": "$rel/inkan",
          "/usr/share/doc/inkan/third-party-licenses.txt": "$work/third-party-licenses.txt"
        }
      }
    }
  }
}
JSON

log "bundling .deb and .rpm (tauri-cli $TAURI_CLI_VERSION)"
rm -rf "$rel/bundle"
(cd "$ROOT/src-tauri" && CARGO_TARGET_DIR="$rel_target" cargo tauri bundle --bundles deb,rpm \
  --config "$work/release.json")
rm -rf "$ROOT/dist"
mkdir -p "$ROOT/dist"
# Debian's and Fedora's file-name conventions: the package name in lower case.
for f in "$rel"/bundle/deb/*.deb; do
  cp "$f" "$ROOT/dist/$(dpkg-deb -f "$f" Package)_$(dpkg-deb -f "$f" Version)_$(dpkg-deb -f "$f" Architecture).deb"
done
for f in "$rel"/bundle/rpm/*.rpm; do
  b=$(basename "$f")
  cp "$f" "$ROOT/dist/${b,,}"
done
shopt -s nullglob
debs=("$ROOT"/dist/*.deb)
[ ${#debs[@]} -eq 1 ] || die "expected one .deb in dist/, found ${#debs[@]}"
deb=${debs[0]}
ls -l "$ROOT"/dist/

log "lintian (errors fail the build)"
lintian --no-tag-display-limit --fail-on error "$deb"
log "desktop-file-validate"
installed="$work/root"
mkdir -p "$installed"
dpkg-deb -x "$deb" "$installed"
for d in "$installed"/usr/share/applications/*.desktop; do desktop-file-validate "$d"; done

log "the installed package (dpkg -x): contents, Depends, inkan version, the window under Xvfb"
INKAN_DEB="$deb" cargo test --locked -p inkan-e2e --features release-check \
  --test installed_package -- --test-threads=1

if [ "$bench" = 1 ]; then
  log "release benchmark: start-up, idle memory, size, next to a minimal Tauri window"
  INKAN_DEB="$deb" INKAN_RELEASE_APP="$installed/usr/bin/inkan-app" \
    INKAN_PEER_APP="$rel/inkan-startup-peer" \
    cargo test --locked -p inkan-e2e --features release-check --bench release
fi

log "packages in dist/ ($(( $(date +%s) - start )) s)"
