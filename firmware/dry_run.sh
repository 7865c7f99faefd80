# shellcheck shell=bash
# The one way firmware scripts change the system: `run CMD ARG...` runs it, or with DRY_RUN=1 prints it
# (shell-quoted, after "+"), so a dry run shows exactly what a real run would do. Sourced by provision.sh
# and hotspot.sh. DRY_RUN_VERBATIM, when set, is one argument printed unquoted: a placeholder standing for
# a secret the dry run never reads (hotspot.sh's "<passphrase:FILE>").

run() {
    if ((DRY_RUN)); then
        local arg line="+"
        for arg in "$@"; do
            if [[ "$arg" =~ ^[][A-Za-z0-9_./=:,@%+*-]+$ || "$arg" == "${DRY_RUN_VERBATIM:-$'\n'}" ]]; then
                line+=" $arg"
            else
                line+=" $(printf '%q' "$arg")"
            fi
        done
        printf '%s\n' "$line"
    else
        "$@"
    fi
}
