# scripts/uninstall.sh of an installed vendor folder: removes this vendor (and restores config.ini).
INSTALL_PATH=""
for arg in "$@"; do
    case "$arg" in
        --quiet) QUIET=y ;;
        *) printf '[dsaops] ERROR: unknown option %s (uninstall.sh takes --quiet only)\n' "$arg" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")/../../.." && pwd)
ASCEND_CUSTOM_OPP_PATH=""
ASCEND_OPP_PATH="$here"
do_uninstall
exit 0
