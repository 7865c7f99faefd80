#!/usr/bin/env bash
# Run by booth-kiosk.service inside the cage compositor: wait until the booth page answers, then show it
# full screen in Chromium. Waiting first avoids a browser error page while the booth loads its models.
set -euo pipefail

url="${BOOTH_URL:-http://127.0.0.1:8080/}"
wait_seconds="${BOOTH_KIOSK_WAIT:-180}"

browser=""
for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser="$(command -v "$candidate")"
        break
    fi
done
if [[ -z "$browser" ]]; then
    echo "kiosk: no Chromium found; install it with: sudo apt install chromium" >&2
    exit 1
fi

for ((i = 0; i < wait_seconds; i++)); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$url" \
        >/dev/null 2>&1; then
        break
    fi
    sleep 1
done

profile="${HOME:-/var/lib/booth-kiosk}/chromium"
mkdir -p "$profile"
exec "$browser" \
    --kiosk "$url" \
    --ozone-platform=wayland \
    --user-data-dir="$profile" \
    --password-store=basic \
    --no-first-run \
    --noerrdialogs \
    --disable-infobars \
    --disable-session-crashed-bubble \
    --disable-component-update \
    --disable-pinch \
    --overscroll-history-navigation=0 \
    --autoplay-policy=no-user-gesture-required
