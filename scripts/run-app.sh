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
cleanup() {
  for pid in "${started[@]}"; do
    as_root kill -TERM "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

readers=$("$CARGO_TARGET_DIR/debug/inkan" readers --json 2>/dev/null || echo "no-service")
if [ "$readers" = "no-service" ] || [ "$readers" = "[]" ]; then
  if [ "$readers" = "no-service" ]; then
    demo_dir="$INKAN_CACHE/demo"
    mkdir -p "$demo_dir/pcsc"
    cat > "$demo_dir/pcsc/reader.conf" <<CONF
FRIENDLYNAME "Inkan Simulated Reader"
DEVICENAME /dev/null:0x8C40
LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID 0x8C40
CONF
    log "pcscd is not running: starting it with the simulated reader (port 35904)"
    as_root pcscd --foreground --config "$demo_dir/pcsc/reader.conf" >"$demo_dir/pcscd.log" 2>&1 &
    started+=($!)
    sleep 1
  else
    log "pcscd runs but no reader is connected: the window will say so"
  fi
fi

log "starting Inkan"
"$CARGO_TARGET_DIR/debug/inkan-app"
