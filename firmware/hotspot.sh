#!/usr/bin/env bash
# The booth's own Wi-Fi, for venues without internet: a WPA2 access point made by NetworkManager, so a
# client's phone can join it (the end screen's WIFI: code) and then open the gallery link on the booth.
#
#   sudo firmware/hotspot.sh up [--ssid NAME]   create or update the booth-hotspot connection, and start it
#   sudo firmware/hotspot.sh down               stop it, and keep it from starting at boot
#   firmware/hotspot.sh status                  the connection's settings and whether it is active
#   sudo firmware/hotspot.sh show-psk           print the passphrase (the only command that does)
#   firmware/hotspot.sh --dry-run up            print the nmcli commands instead of running them
#
# Things to know before turning it on:
# - On Raspberry Pi OS Bookworm, NetworkManager manages Wi-Fi (dhcpcd and wpa_supplicant.conf are gone), so
#   this is all done with nmcli. Wi-Fi stays blocked until a country is set: sudo raspi-config (Localisation).
# - The Wi-Fi chip of a Pi 4 or Pi 5 cannot be a client and an access point at once: while the hotspot is up,
#   wlan0 is on no other Wi-Fi and the booth has no internet over Wi-Fi. Cloud delivery ([delivery]) and the
#   fleet link then need Ethernet; without it, uploads wait in the queue until the booth is online again.
# - Phones on the hotspot reach the booth at http://10.42.0.1:8080/ only because booth.service listens on
#   0.0.0.0 (--host 0.0.0.0); a booth that serves only 127.0.0.1 is invisible to them.
# - ipv4.method shared gives the booth 10.42.0.1 and runs a DHCP (and DNS) server for the phones. Set
#   [hotspot] enabled = true in /etc/booth/booth.toml (with the same ssid) for the end screen's join code.
#
# The passphrase: 20 random characters, made at the first `up` and kept in $BOOTH_ETC/hotspot.psk (mode 0600,
# owner booth, the user booth.service runs as, which reads it for the join code). It is kept on every later
# run; delete the file and run `up` again for a new one. It is never printed, except by show-psk.
set -euo pipefail
umask 077

usage() {
    cat <<'USAGE'
Usage: hotspot.sh [--dry-run] [--ssid NAME] [--ifname DEV] [--address IP] up|down|status|show-psk

  up           create or update the booth-hotspot connection (autoconnect at boot), then start it
  down         stop the hotspot and turn its autoconnect off (the profile stays; `up` brings it back)
  status       the connection's settings and whether it is active
  show-psk     print the passphrase, e.g. to write it on a card for the venue
  --dry-run    print each command that changes something instead of running it (no root needed)
  --ssid NAME  the network's name, 1 to 32 bytes (default HeadshotBooth; the [hotspot] ssid of booth.toml)
  --ifname DEV the Wi-Fi interface (default wlan0)
  --address IP the booth's address on the hotspot (default 10.42.0.1, the [hotspot] address)

The passphrase file is $BOOTH_ETC/hotspot.psk (BOOTH_ETC defaults to /etc/booth); BOOTH_USER (default
booth) owns it; BOOTH_UNIT_DIR (default /etc/systemd/system) is where booth.service is looked for.
USAGE
}

CONNECTION=booth-hotspot
PSK_LENGTH=20
# No look-alikes (0 O 1 l I) for someone typing it from a card, and none of the characters a WIFI: code
# must escape (\ ; , : "): 54 symbols, so 20 of them are about 115 bits.
PSK_ALPHABET='A-HJ-NP-Za-km-z2-9'

ETC="${BOOTH_ETC:-/etc/booth}"
PSK_FILE="$ETC/hotspot.psk"
SERVICE_USER="${BOOTH_USER:-booth}"
UNIT_DIR="${BOOTH_UNIT_DIR:-/etc/systemd/system}"

DRY_RUN=0
SSID=HeadshotBooth
IFNAME=wlan0
ADDRESS=10.42.0.1
COMMAND=""
ARGS="$*"

while (($#)); do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --ssid)
            SSID="${2?--ssid needs a network name}"
            shift
            ;;
        --ifname)
            IFNAME="${2:?--ifname needs an interface, e.g. wlan0}"
            shift
            ;;
        --address)
            ADDRESS="${2:?--address needs an IPv4 address, e.g. 10.42.0.1}"
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        up | down | status | show-psk)
            if [[ -n "$COMMAND" ]]; then
                echo "hotspot: one command at a time (got $COMMAND and $1)" >&2
                exit 64
            fi
            COMMAND="$1"
            ;;
        *)
            usage >&2
            echo "hotspot: unknown option $1" >&2
            exit 64
            ;;
    esac
    shift
done

if [[ -z "$COMMAND" ]]; then
    usage >&2
    echo "hotspot: name a command: up, down, status or show-psk" >&2
    exit 64
fi
# Bytes, not characters: the 32-octet limit is the radio's.
ssid_bytes="$(LC_ALL=C; printf '%s' "${#SSID}")"
if ((ssid_bytes < 1 || ssid_bytes > 32)); then
    echo "hotspot: --ssid must be 1 to 32 bytes long (got $ssid_bytes); choose a shorter name" >&2
    exit 64
fi
if [[ ! "$ADDRESS" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
    echo "hotspot: --address must be an IPv4 address like 10.42.0.1 (got $ADDRESS)" >&2
    exit 64
fi

say() { printf '==> %s\n' "$*"; }

# The passphrase as it appears in printed commands: a dry run never reads the file, so never shows it.
PSK_SHOWN="<passphrase:$PSK_FILE>"

# Every command that changes the system goes through run (firmware/dry_run.sh): printed in a dry run.
# shellcheck disable=SC2034  # read by run() in dry_run.sh
DRY_RUN_VERBATIM="$PSK_SHOWN"
# shellcheck source=firmware/dry_run.sh disable=SC1091
source "$([[ "${BASH_SOURCE[0]}" == */* ]] && echo "${BASH_SOURCE[0]%/*}" || echo .)/dry_run.sh"

# nmcli first, so the message is the useful one whoever runs it; a dry run and show-psk need no nmcli.
if ((!DRY_RUN)) && [[ "$COMMAND" != show-psk ]] && ! command -v nmcli >/dev/null 2>&1; then
    echo "hotspot: nmcli not found; install network-manager, the default on Raspberry Pi OS Bookworm" \
        "(sudo apt install network-manager)" >&2
    exit 1
fi
if ((!DRY_RUN)) && [[ "$COMMAND" != status ]] && ((EUID != 0)); then
    echo "hotspot: must run as root: sudo $0 $ARGS" >&2
    exit 1
fi

has_connection() { command -v nmcli >/dev/null 2>&1 && nmcli connection show "$CONNECTION" >/dev/null 2>&1; }

is_active() {
    local name
    while IFS= read -r name; do
        [[ "$name" == "$CONNECTION" ]] && return 0
    done < <(nmcli --terse --fields NAME connection show --active 2>/dev/null || true)
    return 1
}

# new_passphrase: PSK_LENGTH characters of PSK_ALPHABET from /dev/urandom. A fixed number of bytes is read
# (rather than tr | head), so no stage of the pipe is killed by SIGPIPE under pipefail.
new_passphrase() {
    local chars=""
    while ((${#chars} < PSK_LENGTH)); do
        chars+="$(head -c 512 /dev/urandom | LC_ALL=C tr -dc "$PSK_ALPHABET")"
    done
    printf '%s' "${chars:0:PSK_LENGTH}"
}

# ensure_psk: make the passphrase file once, keep an existing one, and (re)set its mode and owner every run,
# so a file made before provisioning created the booth user is handed over on the next run.
ensure_psk() {
    run install -d -m 0755 "$ETC"
    if [[ -e "$PSK_FILE" ]]; then
        say "keeping the passphrase in $PSK_FILE"
    elif ((DRY_RUN)); then
        printf '+ write a new %d-character passphrase to %s\n' "$PSK_LENGTH" "$PSK_FILE"
    else
        local tmp
        tmp="$(mktemp "$ETC/.hotspot.psk.XXXXXX")" # created 0600
        new_passphrase >"$tmp"
        mv -f "$tmp" "$PSK_FILE"
        say "new passphrase in $PSK_FILE (see it with: sudo $0 show-psk)"
    fi
    run chmod 0600 "$PSK_FILE"
    if id -u "$SERVICE_USER" >/dev/null 2>&1; then
        run chown "$SERVICE_USER:" "$PSK_FILE"
    else
        say "warning: no user $SERVICE_USER yet (provision.sh creates it); run this again after" \
            "provisioning so the booth can read $PSK_FILE for the join code"
    fi
}

# read_psk: the passphrase, checked against WPA2's rule (8 to 63 printable ASCII characters).
read_psk() {
    local psk
    psk="$(<"$PSK_FILE")"
    local LC_ALL=C
    if ((${#psk} < 8 || ${#psk} > 63)) || [[ ! "$psk" =~ ^[[:print:]]+$ ]]; then
        echo "hotspot: $PSK_FILE must hold one WPA2 passphrase of 8 to 63 characters; delete it and run" \
            "'sudo $0 up' again for a new one" >&2
        exit 1
    fi
    printf '%s' "$psk"
}

warn_if_loopback_only() {
    local unit="$UNIT_DIR/booth.service"
    if [[ -f "$unit" ]] && ! grep -q -- '--host 0\.0\.0\.0' "$unit"; then
        say "warning: $unit does not run the booth with --host 0.0.0.0; phones on the hotspot cannot reach it"
    fi
}

hotspot_up() {
    local psk="$PSK_SHOWN"
    ensure_psk
    if ((!DRY_RUN)); then
        if [[ "$(nmcli --terse --fields RUNNING general 2>/dev/null || true)" != running ]]; then
            echo "hotspot: NetworkManager is not running; start it with:" \
                "sudo systemctl enable --now NetworkManager" >&2
            exit 1
        fi
        psk="$(read_psk)"
    fi
    # The same settings for a new profile and an existing one, so a second `up` (another --ssid) updates it.
    # proto rsn + ccmp: WPA2 only, no TKIP. pmf disable: the Pi's brcmfmac driver does not do management
    # frame protection as an access point, and some phones then fail to join. The priority makes the hotspot
    # win over a client Wi-Fi profile on the same interface at boot. The passphrase is on nmcli's command
    # line for a moment: on the appliance no other login can look.
    local settings=(
        connection.autoconnect-priority 100
        802-11-wireless.mode ap
        802-11-wireless.band bg
        ipv4.method shared
        ipv4.addresses "$ADDRESS/24"
        ipv6.method ignore
        wifi-sec.key-mgmt wpa-psk
        wifi-sec.proto rsn
        wifi-sec.pairwise ccmp
        wifi-sec.group ccmp
        wifi-sec.pmf disable
        wifi-sec.psk "$psk"
    )
    if has_connection; then
        say "updating the $CONNECTION connection"
        run nmcli connection modify "$CONNECTION" connection.interface-name "$IFNAME" \
            connection.autoconnect yes 802-11-wireless.ssid "$SSID" "${settings[@]}"
    else
        say "creating the $CONNECTION connection"
        run nmcli connection add type wifi ifname "$IFNAME" con-name "$CONNECTION" autoconnect yes \
            ssid "$SSID" "${settings[@]}"
    fi
    if ! run nmcli connection up "$CONNECTION"; then
        echo "hotspot: NetworkManager could not start $CONNECTION on $IFNAME; check that Wi-Fi is not" \
            "blocked (rfkill list; set the country with raspi-config); see journalctl -u NetworkManager" >&2
        exit 1
    fi
    warn_if_loopback_only
    say "hotspot \"$SSID\" on $IFNAME: phones that join it reach the booth at http://$ADDRESS:8080/"
    say "for the join code on the end screen: [hotspot] enabled = true, ssid = \"$SSID\" in $ETC/booth.toml"
}

hotspot_down() {
    if ((!DRY_RUN)) && ! has_connection; then
        say "no $CONNECTION connection: nothing to stop"
        return
    fi
    if ((DRY_RUN)) || is_active; then
        run nmcli connection down "$CONNECTION"
    fi
    run nmcli connection modify "$CONNECTION" connection.autoconnect no
    say "$CONNECTION stopped and will not start at boot; 'sudo $0 up' brings it back"
}

# status: exit 0 when the hotspot is active, 3 when it is set up but down or not set up (as systemctl does).
hotspot_status() {
    if ((DRY_RUN)); then
        printf '+ nmcli connection show %s\n' "$CONNECTION"
        return
    fi
    if ! has_connection; then
        echo "$CONNECTION: not set up (run: sudo $0 up)"
        exit 3
    fi
    local fields=connection.id,connection.interface-name,connection.autoconnect
    fields+=,connection.autoconnect-priority,802-11-wireless.ssid,802-11-wireless.mode,802-11-wireless.band
    fields+=,ipv4.method,ipv4.addresses
    nmcli --fields "$fields" connection show "$CONNECTION"
    if is_active; then
        echo "active: yes"
    else
        echo "active: no (start it with: sudo $0 up)"
        exit 3
    fi
}

show_psk() {
    if ((DRY_RUN)); then
        printf '+ print %s\n' "$PSK_FILE"
        return
    fi
    if [[ ! -e "$PSK_FILE" ]]; then
        echo "hotspot: no passphrase yet in $PSK_FILE; 'sudo $0 up' makes one" >&2
        exit 1
    fi
    local psk
    psk="$(read_psk)"
    printf '%s\n' "$psk"
}

case "$COMMAND" in
    up) hotspot_up ;;
    down) hotspot_down ;;
    status) hotspot_status ;;
    show-psk) show_psk ;;
esac
