#!/usr/bin/env bash
# `go test -exec` wrapper: runs a Windows test binary under Wine and passes its exit status
# through (wine returns the Windows process's exit code). Needs the environment of
# $CMPREFLIGHT_WINE_CACHE/env.sh (test-windows.sh sources it).
set -euo pipefail
: "${WINEPREFIX:?exec.sh: WINEPREFIX is not set; run through scripts/wine/test-windows.sh}"
exec "${CMPREFLIGHT_WINE:-wine64}" "$@"
