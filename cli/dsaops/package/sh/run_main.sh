# The .run entry point. The payload (a gzip'd tar of <vendor>/...) follows the header's last line.
SELF="$0"
INSTALL_PATH=""
ACTION=install

usage() {
    cat <<USAGE
$VENDOR $VERSION ($ARCH): DeepSeek Sparse Attention ops as a CANN vendor package (backend $BACKEND)

Usage: sh $(basename "$SELF") [option]...

  --install-path=ABS_DIR  install into ABS_DIR/vendors/$VENDOR and write bin/set_env.bash there
                          (default: \$ASCEND_CUSTOM_OPP_PATH, else \$ASCEND_OPP_PATH, where
                          vendors/config.ini puts $VENDOR first in load_priority)
  --quiet                 print errors only
  --uninstall             remove $VENDOR from the same target and restore config.ini
  --list                  print the package facts and the files it installs
  --check                 verify the payload (size, gzip CRC, sha256 when sha256sum exists)
  --help                  this text

Needs sh, tar and gzip. The payload is verified before anything is written; the old install
stays in place until the new one is complete.
USAGE
}

payload() { tail -n +"$((HEADER_LINES + 1))" "$SELF"; }

verify_payload() {
    size=$(payload | wc -c | tr -d ' ')
    [ "$size" = "$PAYLOAD_SIZE" ] || fail "the package is truncated or corrupt: payload has $size bytes, expected $PAYLOAD_SIZE"
    if command -v sha256sum >/dev/null 2>&1; then
        sum=$(payload | sha256sum | cut -d' ' -f1)
        [ "$sum" = "$PAYLOAD_SHA256" ] || fail "the package is corrupt: payload sha256 is $sum, expected $PAYLOAD_SHA256"
    fi
    payload | gzip -t 2>/dev/null || fail "the package is corrupt: its gzip payload fails the CRC check"
    bad=$(payload | gzip -dc | tar -tf - | while IFS= read -r name; do
        case "$name" in
            /*|..|../*|*/..|*/../*) printf '%s\n' "$name" ;;
            "$VENDOR"/*|"$VENDOR") ;;
            *) printf '%s\n' "$name" ;;
        esac
    done)
    [ -z "$bad" ] || fail "the package has members outside $VENDOR/: $bad"
    links=$(payload | gzip -dc | tar -tvf - | while read -r mode rest; do
        case "$mode" in
            h*) printf '%s\n' "$rest" ;;
            l*) target="${rest##* -> }"
                case "$target" in /*|..|../*|*/..|*/../*) printf '%s\n' "$rest" ;; esac ;;
        esac
    done)
    [ -z "$links" ] || fail "the package has links leaving $VENDOR/: $links"
}

check_arch() {
    here=$(uname -m)
    [ "$here" = "$ARCH" ] || fail "this package is for $ARCH, this machine is $here"
}

do_install() {
    check_arch
    resolve_target
    verify_payload
    mkdir -p "$VENDORS" || fail "cannot create $VENDORS"
    take_lock
    recover
    stage="$VENDORS/.$VENDOR.staging.$$"
    mkdir "$stage" || fail "cannot create $stage"
    payload | gzip -dc | (cd "$stage" && tar -xf -) || fail "extracting into $stage failed"
    new="$stage/$VENDOR"
    old_record="$VENDORS/$VENDOR/dsaops/install.info"
    if [ -f "$old_record" ] && grep -q -x "target=$TARGET_KIND" "$old_record"; then
        cp "$old_record" "$new/dsaops/install.info"   # an upgrade keeps the first install's record
    else
        existed=no
        [ -f "$VENDORS/config.ini" ] && existed=yes
        printf 'target=%s\nconfig_ini_existed=%s\n' "$TARGET_KIND" "$existed" > "$new/dsaops/install.info"
    fi
    root="$VENDORS/$VENDOR"
    {
        echo '#!/bin/bash'
        echo "# Environment for the $VENDOR ops installed in $root"
        if [ "$TARGET_KIND" = custom ]; then
            echo "export ASCEND_CUSTOM_OPP_PATH='$root'\${ASCEND_CUSTOM_OPP_PATH:+:\$ASCEND_CUSTOM_OPP_PATH}"
        fi
        echo "export LD_LIBRARY_PATH='$root/op_api/lib':'$root/dsaops/twin/lib'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
    } > "$new/bin/set_env.bash"
    chmod -R go-w "$new"
    chmod 0755 "$new/bin/set_env.bash" "$new/scripts/uninstall.sh"
    if [ -d "$root" ]; then
        old="$VENDORS/.$VENDOR.old.$$"
        mv "$root" "$old" || fail "cannot move the old install aside"
        mv "$new" "$root" || fail "cannot move the new install into place"
        rm -rf "$old"
    else
        mv "$new" "$root" || fail "cannot move the new install into place"
    fi
    rm -rf "$stage"
    if [ "$TARGET_KIND" = default ]; then
        set_priority add
        say "load_priority: $(sed -n 's/^load_priority=//p' "$VENDORS/config.ini")"
    else
        say "before running, source $root/bin/set_env.bash"
    fi
    release_lock
    say "installed $VENDOR $VERSION into $root"
}

for arg in "$@"; do
    case "$arg" in
        --install-path=*) INSTALL_PATH="${arg#--install-path=}"
            [ -n "$INSTALL_PATH" ] || fail "--install-path: expected an absolute path, got ''" ;;
        --quiet) QUIET=y ;;
        --uninstall) ACTION=uninstall ;;
        --list) ACTION=list ;;
        --check) ACTION=check ;;
        --help|-h) ACTION=help ;;
        *) printf '[dsaops] ERROR: unknown option %s (see --help)\n' "$arg" >&2; exit 2 ;;
    esac
done

case "$ACTION" in
    help) usage ;;
    check)
        verify_payload
        echo "$VENDOR $VERSION ($ARCH): payload OK, $PAYLOAD_SIZE bytes, sha256 $PAYLOAD_SHA256" ;;
    list)
        verify_payload
        echo "vendor $VENDOR, version $VERSION, arch $ARCH, backend $BACKEND, ops: $OPS, socs: $SOCS"
        payload | gzip -dc | tar -tf - | grep -v '/$' ;;
    uninstall) do_uninstall ;;
    install) do_install ;;
esac
exit 0
