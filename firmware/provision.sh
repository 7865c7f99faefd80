#!/usr/bin/env bash
# Turn a fresh Raspberry Pi OS Bookworm (64-bit, Pi 4 or Pi 5) into a headshot booth.
#
#   sudo firmware/provision.sh              install or update from this checkout
#   firmware/provision.sh --dry-run         print every command instead of running it (no root needed)
#
# Safe to run twice: every step checks before it changes anything, so running it again after a `git pull`
# is also how the booth is updated. Steps: apt packages; users booth (groups video, gpio) and booth-kiosk;
# the code in /opt/booth with a venv that sees the system's picamera2; the models, fetched and verified;
# /etc/booth/booth.toml if absent; udev rules; the config.txt block; the systemd units, enabled.
set -euo pipefail
# Everything this script creates (the code, the venv, the fetched models, folders) must be readable by the
# service's own user, booth, while the script runs as root: under sudo the umask is root's, which a
# hardened image may set to 077. So it is fixed here rather than inherited. The models are chmodded
# explicitly as well (fetch_models), because a fetch that finds them present leaves their modes alone.
umask 022

usage() {
    cat <<'USAGE'
Usage: provision.sh [--dry-run] [--source DIR | --git URL [--ref REF]] [--no-kiosk] [--no-firmware]

  --dry-run      print each command instead of running it
  --source DIR   checkout to install from (default: the one holding this script)
  --git URL      clone URL into /opt/booth instead of copying a checkout (--ref: branch or tag, default main)
  --no-kiosk     do not install cage + Chromium or enable booth-kiosk.service (headless booth)
  --no-firmware  leave /boot/firmware/config.txt alone
  --only STEPS   run only these comma-separated steps, in order: packages, users, code, venv, models,
                 config, udev, firmware, units, hotspot

With BOOTH_HOTSPOT=1 the last step also sets up the booth's own Wi-Fi for venues without internet
(firmware/hotspot.sh up; its network name from BOOTH_HOTSPOT_SSID, default HeadshotBooth).

Locations can be moved for testing with BOOTH_PREFIX, BOOTH_ETC, BOOTH_UNIT_DIR, BOOTH_UDEV_DIR,
BOOTH_SYSTEMD_CONF_DIR and BOOTH_BOOT_CONFIG.
USAGE
}

DRY_RUN=0
KIOSK=1
FIRMWARE=1
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GIT_URL=""
GIT_REF="main"
ONLY=""

PREFIX="${BOOTH_PREFIX:-/opt/booth}"
ETC="${BOOTH_ETC:-/etc/booth}"
UNIT_DIR="${BOOTH_UNIT_DIR:-/etc/systemd/system}"
UDEV_DIR="${BOOTH_UDEV_DIR:-/etc/udev/rules.d}"
SYSTEMD_CONF_DIR="${BOOTH_SYSTEMD_CONF_DIR:-/etc/systemd/system.conf.d}"
BOOT_CONFIG="${BOOTH_BOOT_CONFIG:-/boot/firmware/config.txt}"
DATA=/var/lib/booth
CACHE=/var/cache/booth
USER_NAME=booth
KIOSK_USER=booth-kiosk

APT_PACKAGES=(
    python3-picamera2 python3-libcamera python3-venv python3-pip python3-numpy python3-lgpio
    git rsync ca-certificates
)
KIOSK_PACKAGES=(cage fonts-dejavu-core)

while (($#)); do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --source)
            SOURCE="$(cd "${2:?--source needs a directory}" && pwd)"
            shift
            ;;
        --git)
            GIT_URL="${2:?--git needs a URL}"
            shift
            ;;
        --ref)
            GIT_REF="${2:?--ref needs a branch or tag}"
            shift
            ;;
        --no-kiosk) KIOSK=0 ;;
        --no-firmware) FIRMWARE=0 ;;
        --only)
            ONLY=",${2:?--only needs a list of steps},"
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            echo "provision: unknown option $1" >&2
            exit 64
            ;;
    esac
    shift
done

say() { printf '==> %s\n' "$*"; }

# Every command that changes the system goes through run (firmware/dry_run.sh): printed in a dry run.
# shellcheck source=firmware/dry_run.sh disable=SC1091
source "$([[ "${BASH_SOURCE[0]}" == */* ]] && echo "${BASH_SOURCE[0]%/*}" || echo .)/dry_run.sh"

if ((!DRY_RUN)) && ((EUID != 0)); then
    echo "provision: must run as root: sudo $0 $*" >&2
    exit 1
fi
if [[ -r /etc/os-release ]] && ! grep -q '^VERSION_CODENAME=bookworm' /etc/os-release; then
    say "warning: this is not Debian/Raspberry Pi OS Bookworm; continuing, but only Bookworm is tested"
fi

# chromium_package: print the name apt knows Chromium by. Current Raspberry Pi OS (and Debian) call it
# chromium; older images chromium-browser. Only a real package counts: `apt-cache show` also exits 0 for a
# purely virtual name, printing no "Package:" stanza (Debian's chromium-browser is one).
chromium_package() {
    local name info
    for name in chromium chromium-browser; do
        info="$(apt-cache show --no-all-versions "$name" 2>/dev/null)" || continue
        if [[ "$info" == "Package: "* || "$info" == *$'\n'"Package: "* ]]; then
            printf '%s\n' "$name"
            return 0
        fi
    done
    return 1
}

install_packages() {
    say "apt packages"
    local packages=("${APT_PACKAGES[@]}")
    # First: a fresh card's package lists are empty, so any probe before the update finds nothing.
    run apt-get update
    if ((KIOSK)); then
        packages+=("${KIOSK_PACKAGES[@]}")
        local chromium
        if chromium="$(chromium_package)"; then
            packages+=("$chromium")
        elif ((DRY_RUN)); then
            # A dry run did not update the lists, so finding nothing proves nothing yet.
            say "warning: apt's lists name no chromium yet (a dry run skips apt-get update); assuming chromium"
            packages+=(chromium)
        else
            echo "provision: apt has neither chromium nor chromium-browser after apt-get update; check" \
                "/etc/apt/sources.list.d and the network, or pass --no-kiosk for a booth without a screen" >&2
            exit 1
        fi
    fi
    # No recommends: picamera2's pull in a Qt desktop preview the booth never uses.
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
}

# Groups this run created (or, in a dry run, would have created), which getent cannot see yet.
CREATED_GROUPS=" "
has_group() { [[ "$CREATED_GROUPS" == *" $1 "* ]] || getent group "$1" >/dev/null 2>&1; }

ensure_group() {
    if ! has_group "$1"; then
        run groupadd --system "$1"
        CREATED_GROUPS+="$1 "
    fi
}

# ensure_user NAME HOME GROUP...: a system user in (at least) the listed groups, however often it runs.
ensure_user() {
    local name="$1" home="$2"
    shift 2
    local group wanted=()
    for group in "$@"; do
        if has_group "$group"; then
            wanted+=("$group")
        else
            say "warning: group $group does not exist; $name is not added to it"
        fi
    done
    local groups
    groups="$(IFS=,; echo "${wanted[*]}")"
    if ! id -u "$name" >/dev/null 2>&1; then
        run useradd --system --user-group --home-dir "$home" --no-create-home \
            --shell /usr/sbin/nologin --groups "$groups" "$name"
        return
    fi
    local have
    have=" $(id -nG "$name") "
    for group in "${wanted[@]}"; do
        if [[ "$have" != *" $group "* ]]; then
            run usermod --append --groups "$groups" "$name"
            return
        fi
    done
}

create_users() {
    say "users"
    # Raspberry Pi OS has both; a plain Debian test image may lack gpio.
    ensure_group video
    ensure_group gpio
    ensure_user "$USER_NAME" "$DATA" video gpio
    if ((KIOSK)); then
        ensure_user "$KIOSK_USER" /var/lib/booth-kiosk video render input
    fi
}

install_code() {
    say "code in $PREFIX"
    if [[ -n "$GIT_URL" ]]; then
        if [[ -d "$PREFIX/.git" ]]; then
            run git -C "$PREFIX" fetch --depth 1 origin "$GIT_REF"
            run git -C "$PREFIX" reset --hard FETCH_HEAD
        else
            run git clone --depth 1 --branch "$GIT_REF" "$GIT_URL" "$PREFIX"
        fi
    elif [[ "$SOURCE" -ef "$PREFIX" ]]; then
        say "installing in place from $PREFIX"
    else
        # Excluded paths are also kept from --delete: the venv and fetched models survive an update.
        run install -d -m 0755 "$PREFIX"
        # --chmod: a checkout made under a private umask must still give booth a readable tree.
        run rsync -a --delete --chown=root:root --chmod=u+rwX,go=rX \
            --exclude=/.venv/ --exclude=/.git/ --exclude=/var/ --exclude='/models/*.tflite' \
            --exclude='/models/*.binarypb' \
            --exclude=__pycache__/ --exclude='*.egg-info/' --exclude=.pytest_cache/ --exclude=.ruff_cache/ \
            "$SOURCE/" "$PREFIX/"
    fi
}

install_venv() {
    say "venv in $PREFIX/.venv"
    # --system-site-packages: picamera2 and libcamera come from apt only (compiled against the OS).
    if [[ ! -x "$PREFIX/.venv/bin/python" ]]; then
        run python3 -m venv --system-site-packages "$PREFIX/.venv"
    fi
    # No test extras on the appliance: no reference models, no browser driver.
    run "$PREFIX/.venv/bin/python" -m pip install --quiet -c "$PREFIX/constraints.txt" -e "$PREFIX"
    run ln -sfn "$PREFIX/.venv/bin/booth" /usr/local/bin/booth
}

fetch_models() {
    say "models (fetched once, then verified as $USER_NAME)"
    run env BOOTH_CACHE_DIR="$CACHE" "$PREFIX/.venv/bin/booth" models fetch
    # Readable by booth whatever made them: a fetch that finds a file present and correct leaves it as it is,
    # and a booth provisioned before atomic writes honoured the umask has every model at 0600, root's own.
    run chmod -R a+rX "$PREFIX/models"
    # Verified as the service's user, not as root: root may read any file, so only this proves that
    # booth.service will be able to load them.
    run runuser -u "$USER_NAME" -- "$PREFIX/.venv/bin/booth" models verify
}

install_config() {
    say "configuration in $ETC"
    run install -d -m 0755 "$ETC"
    if [[ -e "$ETC/booth.toml" ]]; then
        say "keeping the existing $ETC/booth.toml"
    else
        run install -m 0640 -o root -g "$USER_NAME" "$SOURCE/firmware/booth.toml" "$ETC/booth.toml"
    fi
    run "$PREFIX/.venv/bin/booth" config check "$ETC/booth.toml"
    # The booth never writes $ETC (root's file; read-only under ProtectSystem=strict): what the operator
    # changes on the page goes to $DATA/booth.toml, laid over this file at every start. Check it as well.
    if [[ -e "$DATA/booth.toml" ]]; then
        run "$PREFIX/.venv/bin/booth" config check "$DATA/booth.toml"
    fi
}

install_udev() {
    say "udev rules"
    run install -d -m 0755 "$UDEV_DIR"
    run install -m 0644 "$SOURCE/firmware/99-booth.rules" "$UDEV_DIR/99-booth.rules"
    run udevadm control --reload-rules
    run udevadm trigger --subsystem-match=gpio --subsystem-match=video4linux --subsystem-match=media \
        --subsystem-match=dma_heap
}

BEGIN_MARK='# >>> headshot-booth'
END_MARK='# <<< headshot-booth'

install_firmware_config() {
    say "firmware config in $BOOT_CONFIG"
    if [[ ! -f "$BOOT_CONFIG" ]]; then
        say "warning: no $BOOT_CONFIG (not a Pi?); add firmware/config.txt to it by hand"
        return
    fi
    local fragment="$SOURCE/firmware/config.txt" current
    current="$(sed -n "\\|^$BEGIN_MARK|,\\|^$END_MARK|p" "$BOOT_CONFIG")"
    if [[ "$current" == "$(cat "$fragment")" ]]; then
        say "$BOOT_CONFIG already holds the booth block"
        return
    fi
    if ((DRY_RUN)); then
        printf '+ replace the %s block of %s with %s\n' "$BEGIN_MARK" "$BOOT_CONFIG" "$fragment"
        return
    fi
    local tmp
    tmp="$(mktemp "$BOOT_CONFIG.XXXXXX")"
    sed "\\|^$BEGIN_MARK|,\\|^$END_MARK|d" "$BOOT_CONFIG" >"$tmp"
    if [[ -s "$tmp" && -n "$(tail -c 1 "$tmp")" ]]; then
        echo >>"$tmp" # the last line had no newline: keep it a line of its own
    fi
    cat "$fragment" >>"$tmp"
    cp "$BOOT_CONFIG" "$BOOT_CONFIG.before-booth"
    mv "$tmp" "$BOOT_CONFIG"
    say "updated $BOOT_CONFIG (previous copy: $BOOT_CONFIG.before-booth); reboot for it to apply"
}

install_units() {
    say "systemd units"
    run install -d -m 0755 "$SYSTEMD_CONF_DIR"
    run install -m 0644 "$SOURCE/firmware/watchdog.conf" "$SYSTEMD_CONF_DIR/booth-watchdog.conf"
    local units=(booth.service booth-retention.service booth-retention.timer) unit
    if ((KIOSK)); then
        units+=(booth-kiosk.service)
    fi
    for unit in "${units[@]}"; do
        run install -m 0644 "$SOURCE/systemd/$unit" "$UNIT_DIR/$unit"
    done
    run systemctl daemon-reload
    run systemctl enable booth.service booth-retention.timer
    if ((KIOSK)); then
        run systemctl enable booth-kiosk.service
    fi
    # An update restarts a running booth on the new code; a first install starts at the next boot.
    run systemctl try-restart booth.service
}

# Optional, BOOTH_HOTSPOT=1: the access point through NetworkManager; hotspot.sh explains the trade-offs.
install_hotspot() {
    say "hotspot (BOOTH_HOTSPOT=1)"
    local args=(up)
    if ((DRY_RUN)); then
        args+=(--dry-run)
    fi
    if [[ -n "${BOOTH_HOTSPOT_SSID:-}" ]]; then
        args+=(--ssid "$BOOTH_HOTSPOT_SSID")
    fi
    BOOTH_ETC="$ETC" BOOTH_UNIT_DIR="$UNIT_DIR" bash "$SOURCE/firmware/hotspot.sh" "${args[@]}"
}

# step NAME FUNCTION: run FUNCTION unless --only names other steps.
step() {
    if [[ -z "$ONLY" || "$ONLY" == *",$1,"* ]]; then
        "$2"
    fi
}

step packages install_packages
step users create_users
step code install_code
# From here on the installed tree is the source of the files we copy.
if [[ -z "$GIT_URL" && -z "$ONLY" ]] && ((!DRY_RUN)); then
    SOURCE="$PREFIX"
fi
step venv install_venv
step models fetch_models
step config install_config
step udev install_udev
if ((FIRMWARE)); then
    step firmware install_firmware_config
fi
step units install_units
if [[ "${BOOTH_HOTSPOT:-0}" == 1 ]]; then
    step hotspot install_hotspot
fi
say "done. Reboot once after the first install (config.txt, groups), then check with: booth doctor --config /etc/booth/booth.toml --data /var/lib/booth"
