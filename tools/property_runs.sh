#!/bin/sh
# Run every property-based test (pytest -m hypothesis) N times in a row (default 10), each with a fresh
# random seed and an empty example database, so no run replays an earlier one; stop at the first failure.
#   sh tools/property_runs.sh [N] [extra pytest arguments]
set -eu
runs=${1:-10}
[ $# -gt 0 ] && shift
python=${PYTHON:-python}
i=1
while [ "$i" -le "$runs" ]; do
    seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    db=$(mktemp -d)
    echo "run $i/$runs: --hypothesis-seed=$seed"
    if ! HYPOTHESIS_STORAGE_DIRECTORY="$db" "$python" -m pytest -q -p no:cacheprovider -m hypothesis \
            --hypothesis-seed="$seed" "$@"; then
        rm -rf "$db"
        echo "run $i failed: reproduce with --hypothesis-seed=$seed" >&2
        exit 1
    fi
    rm -rf "$db"
    i=$((i + 1))
done
echo "$runs runs passed"
