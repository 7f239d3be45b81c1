# Shared by the .run installer and scripts/uninstall.sh (POSIX sh; needs only sh, tar, gzip and
# the basic utilities every sh has). dsaops's Python installer follows the same protocol:
#   lock      <opp>/vendors/.dsaops.lock/ (mkdir is atomic; holds the owner's pid)
#   staging   <opp>/vendors/.<vendor>.staging.<pid>/<vendor>/   extracted, then renamed into place
#   swap      <vendor> -> .<vendor>.old.<pid>, staging -> <vendor>, then the old tree is removed
#   removal   <vendor> -> .<vendor>.removing.<pid>, then removed
#   recovery  (under the lock, before any change) .old.* with no <vendor> is put back; other
#             .old.*, .staging.* and .removing.* leftovers are removed
#   record    <vendor>/dsaops/install.info: what config.ini looked like before the first install

QUIET=n
say() { [ "$QUIET" = y ] || printf '[dsaops] %s\n' "$*"; }
fail() { printf '[dsaops] ERROR: %s\n' "$*" >&2; release_lock; exit 1; }

LOCKED=n
take_lock() {
    LOCK="$VENDORS/.dsaops.lock"
    waited=0
    while ! mkdir "$LOCK" 2>/dev/null; do
        owner=$(cat "$LOCK/pid" 2>/dev/null)
        # a dead owner, or none written after 30 s (killed between mkdir and writing its pid)
        if { [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; } || { [ -z "$owner" ] && [ "$waited" -ge 30 ]; }; then
            # the owner died (kill -9): break its lock; only one breaker wins the rename
            mv "$LOCK" "$LOCK.stale.$$" 2>/dev/null && rm -rf "$LOCK.stale.$$"
            continue
        fi
        waited=$((waited + 1))
        if [ "$waited" -gt 600 ]; then
            printf '[dsaops] ERROR: another install holds %s (pid %s) for 10 minutes; remove it if no install runs\n' \
                "$LOCK" "$owner" >&2
            exit 1
        fi
        sleep 1
    done
    echo $$ > "$LOCK/pid"
    LOCKED=y
    trap 'release_lock' EXIT
    trap 'release_lock; exit 130' INT TERM
}

release_lock() {
    if [ "$LOCKED" = y ]; then
        rm -rf "$LOCK"
        LOCKED=n
    fi
}

recover() {
    for old in "$VENDORS/.$VENDOR.old."*; do
        [ -d "$old" ] || continue
        if [ ! -e "$VENDORS/$VENDOR" ]; then
            mv "$old" "$VENDORS/$VENDOR" || fail "cannot restore $old"
            say "restored the previous install left by an interrupted run"
        else
            rm -rf "$old"
        fi
    done
    for left in "$VENDORS/.$VENDOR.staging."* "$VENDORS/.$VENDOR.removing."*; do
        [ -e "$left" ] && rm -rf "$left"
    done
    return 0
}

# check_install_path PATH: absolute, no ':' (it would split ASCEND_CUSTOM_OPP_PATH), no quote or newline
check_install_path() {
    case "$1" in
        /*) ;;
        *) fail "--install-path: expected an absolute path, got '$1'" ;;
    esac
    case "$1" in
        *:*) fail "--install-path: expected a path without ':' (it separates ASCEND_CUSTOM_OPP_PATH entries), got '$1'" ;;
        *"'"*|*'"'*|*'\'*) fail "--install-path: expected a path without quotes or backslashes, got '$1'" ;;
    esac
    nl='
'
    case "$1" in
        *"$nl"*) fail "--install-path: expected a path without a newline" ;;
    esac
}

# resolve_target: --install-path (custom), else $ASCEND_CUSTOM_OPP_PATH, else $ASCEND_OPP_PATH
resolve_target() {
    if [ -n "$INSTALL_PATH" ]; then
        check_install_path "$INSTALL_PATH"
        OPP="${INSTALL_PATH%/}"
        TARGET_KIND=custom
    elif [ -n "${ASCEND_CUSTOM_OPP_PATH:-}" ]; then
        check_install_path "$ASCEND_CUSTOM_OPP_PATH"
        OPP="${ASCEND_CUSTOM_OPP_PATH%/}"
        TARGET_KIND=default
    elif [ -n "${ASCEND_OPP_PATH:-}" ]; then
        check_install_path "$ASCEND_OPP_PATH"
        OPP="${ASCEND_OPP_PATH%/}"
        TARGET_KIND=default
    else
        fail "no target: give --install-path=ABS_DIR or set ASCEND_OPP_PATH (source CANN's set_env.sh)"
    fi
    [ -n "$OPP" ] || OPP=/
    VENDORS="$OPP/vendors"
}

# set_priority add|remove: edit the load_priority line of vendors/config.ini in place, keeping the
# other vendors in their order and every other line; written to a temporary file, then renamed
set_priority() {
    cfg="$VENDORS/config.ini"
    current=""
    [ -f "$cfg" ] && current=$(sed -n 's/^load_priority=//p' "$cfg" | head -n 1)
    others=$(printf '%s\n' "$current" | tr ',' '\n' | grep -v -x -e "$VENDOR" -e '' | tr '\n' ',' | sed 's/,$//')
    if [ "$1" = add ]; then
        new="$VENDOR${others:+,$others}"
    else
        new="$others"
    fi
    line="${new:+load_priority=$new}"
    tmp="$VENDORS/.config.ini.$$"
    if [ -f "$cfg" ]; then
        cp -p "$cfg" "$tmp" || fail "cannot write $tmp"   # keeps config.ini's mode and owner
        awk -v line="$line" '
            /^load_priority=/ { if (!done && line != "") print line; done = 1; next }
            { print }
            END { if (!done && line != "") print line }' "$cfg" > "$tmp" || fail "cannot write $tmp"
    else
        printf '%s\n' "$line" > "$tmp" || fail "cannot write $tmp"
        chmod 0640 "$tmp"
    fi
    if [ "$1" = remove ] && [ "$RECORD_CONFIG_EXISTED" = no ] && ! grep -q '[^[:space:]]' "$tmp"; then
        rm -f "$tmp" "$cfg"   # config.ini did not exist before the first install
        return 0
    fi
    mv -f "$tmp" "$cfg" || fail "cannot replace $cfg"
}

# read_record DIR: the install record of an installed vendor folder
read_record() {
    RECORD_CONFIG_EXISTED=yes
    RECORD_TARGET=default
    rec="$1/dsaops/install.info"
    if [ -f "$rec" ]; then
        RECORD_CONFIG_EXISTED=$(sed -n 's/^config_ini_existed=//p' "$rec" | head -n 1)
        RECORD_TARGET=$(sed -n 's/^target=//p' "$rec" | head -n 1)
    fi
}

do_uninstall() {
    resolve_target
    if [ ! -d "$VENDORS" ]; then
        say "nothing to uninstall: $VENDORS does not exist"
        return 0
    fi
    take_lock
    recover
    if [ ! -d "$VENDORS/$VENDOR" ]; then
        say "nothing to uninstall: $VENDORS/$VENDOR does not exist"
        release_lock
        return 0
    fi
    read_record "$VENDORS/$VENDOR"
    # config.ini first: a run killed after it leaves an installed vendor that the next run removes
    if [ "$RECORD_TARGET" = default ]; then
        set_priority remove
    fi
    gone="$VENDORS/.$VENDOR.removing.$$"
    mv "$VENDORS/$VENDOR" "$gone" || fail "cannot move $VENDORS/$VENDOR aside"
    rm -rf "$gone"
    release_lock
    say "uninstalled $VENDOR from $VENDORS"
    return 0
}
