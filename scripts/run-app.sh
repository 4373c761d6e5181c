#!/usr/bin/env bash
# Installs whatever is missing, builds Inkan and opens its window. When no
# card reader is available it starts a PC/SC daemon with a virtual reader for
# the built-in simulated TEST card.
source "$(dirname "$0")/lib.sh"

ensure_apt "${APT_APP[@]}"
ensure_rust
ensure_ui_tools
build_ui
build_app

cd "$ROOT"
started=()
app=""
cleanup() {
  [ -n "$app" ] && kill -TERM "$app" 2>/dev/null || true
  for pid in "${started[@]}"; do
    as_root kill -TERM "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

readers=$("$CARGO_TARGET_DIR/debug/inkan" readers --json 2>/dev/null || echo "no-service")
if [ "$readers" = "no-service" ]; then
  # No PC/SC service: run our own pcscd with a virtual reader holding the
  # simulated TEST card (a TEST identity from a generated TEST PKI, PIN 1234).
  demo_dir="$INKAN_CACHE/demo"
  mkdir -p "$demo_dir/pcsc"
  port=35904
  cat > "$demo_dir/pcsc/reader.conf" <<CONF
FRIENDLYNAME "Inkan Simulated Reader"
DEVICENAME /dev/null:0x$(printf '%04X' $port)
LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID 0x$(printf '%04X' $port)
CONF
  # Regenerated at every start: the same keys (same seed), certificates and
  # 4-day CRLs current for today.
  "$CARGO_TARGET_DIR/debug/inkan" testpki generate --out "$demo_dir/pki" >/dev/null
  "$CARGO_TARGET_DIR/debug/inkan" testpki serve-crls --pki "$demo_dir/pki" >"$demo_dir/crl-server.log" 2>&1 &
  started+=($!)
  # The window trusts the TEST root only because this is the demo, and says TEST everywhere.
  export INKAN_TEST_PKI="$demo_dir/pki"
  # The demo keeps its history and settings apart from an installed Inkan's
  # (same app identifier), so TEST verdicts never show up in a real history.
  export XDG_DATA_HOME="$demo_dir/data"
  log "no PC/SC service: starting pcscd with the simulated TEST card (PIN 1234)"
  # Started directly (not through a shell function) so that $! is pcscd (or
  # sudo, which passes SIGTERM on) and the cleanup below really stops it.
  if [ "$(id -u)" -eq 0 ]; then
    pcscd --foreground --config "$demo_dir/pcsc" >"$demo_dir/pcscd.log" 2>&1 &
  else
    sudo pcscd --foreground --config "$demo_dir/pcsc" >"$demo_dir/pcscd.log" 2>&1 &
  fi
  started+=($!)
  sleep 1
  "$CARGO_TARGET_DIR/debug/inkan-card-sim" --vpcd-port $port --pki "$demo_dir/pki" --identity doctor \
    >"$demo_dir/card-sim.log" 2>&1 &
  started+=($!)
elif [ "$readers" = "[]" ]; then
  log "pcscd runs but no reader is connected: the window will say so"
fi

log "starting Inkan"
"$CARGO_TARGET_DIR/debug/inkan-app" &
app=$!
# Waiting on a background child lets the TERM/INT trap run at once.
wait "$app" || true
