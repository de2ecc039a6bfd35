#!/usr/bin/env bash
# End-to-end tests in Debian's headless Chromium (examples/event_toggle, on
# one instance, over HTTP and HTTPS, and on two sharing the event through a
# redis-server started here; examples/websocket_live: two pages, one click,
# over ws:// and wss://) and with the npm ws
# client (examples/websocket_echo).
#   tests/browser/run.sh [EVENT_TOGGLE [WEBSOCKET_LIVE [WEBSOCKET_ECHO]]]   (default: build/examples/...)
# Installs what is missing (chromium, node/npm, redis-server, playwright-core, ws), then runs the tests.
# Screenshots go to tests/browser/screenshots/ (or $SCREENSHOT_DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# Resolve the binary before any cd: a relative $1 is relative to the caller.
binary=$(realpath -m "${1:-$root/build/examples/event_toggle}")
live=$(realpath -m "${2:-$root/build/examples/websocket_live}")
echo_server=$(realpath -m "${3:-$root/build/examples/websocket_echo}")
for b in "$binary" "$live" "$echo_server"; do
    [ -x "$b" ] || { echo "run.sh: no executable at $b (build it: ninja -C build examples/$(basename "$b"))" >&2; exit 2; }
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
installed chromium || missing+=(chromium)
installed redis-server || missing+=(redis-server)
command -v openssl >/dev/null || missing+=(openssl)
# The machine's node may come from elsewhere than Debian: look for the commands.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "run.sh: installing ${missing[*]}" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    log=$(mktemp)
    # apt's chatter only matters when it fails.
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
    rm -f "$log"
fi

cd "$here"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/ws ]; then
    if [ -f package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error >/dev/null
    else
        npm install --no-audit --no-fund --loglevel=error >/dev/null
    fi
fi
node event_toggle.test.mjs "$binary"
node event_toggle.test.mjs "$binary" --https
node event_toggle_redis.test.mjs "$binary"
node websocket_live.test.mjs "$live"
node websocket_live.test.mjs "$live" --https
node ws_client.test.mjs "$echo_server"
