#!/usr/bin/env bash
# Prepares everything `make test-windows` needs to run Go Windows binaries under Wine, from
# nothing and idempotently (a second run only regenerates the overlay):
#   - a 64-bit Wine prefix in the cache folder (wineboot, no X needed),
#   - the bcryptprimitives.dll shim (bcryptprimitives.c) built with mingw-w64 and installed in
#     the prefix's system32, where Go's runtime looks for it,
#   - the Go overlay from this machine's GOROOT (overlay.sh).
# Writes $CACHE/env.sh, which test-windows.sh sources. The packages (wine, wine64,
# gcc-mingw-w64-x86-64) come from scripts/install-test-deps.sh.
# CMPREFLIGHT_WINE_CACHE overrides the cache folder (default ~/.cache/cmpreflight-wine).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${CMPREFLIGHT_WINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cmpreflight-wine}
prefix=$cache/prefix
mkdir -p "$cache"

wine=$(command -v wine64 || true)
[ -n "$wine" ] || [ ! -x /usr/lib/wine/wine64 ] || wine=/usr/lib/wine/wine64
[ -n "$wine" ] || { echo "setup.sh: wine64 not found; run scripts/install-test-deps.sh" >&2; exit 1; }
command -v x86_64-w64-mingw32-gcc >/dev/null || { echo "setup.sh: x86_64-w64-mingw32-gcc not found; run scripts/install-test-deps.sh" >&2; exit 1; }

export WINEPREFIX=$prefix WINEARCH=win64 WINEDEBUG=-all
# No Mono or Gecko prompts: nothing here needs .NET or an HTML engine.
export WINEDLLOVERRIDES="mscoree,mshtml="
version=$("$wine" --version)

# The prefix is rebuilt when the Wine version changes (a stamp records the one that made it).
if [ "$(cat "$prefix/.cmpreflight-wine" 2>/dev/null)" != "$version" ]; then
  echo "wine: creating the prefix $prefix ($version)" >&2
  rm -rf "$prefix"
  "$wine" wineboot -i >/dev/null 2>&1 || true
  wineserver -w
  [ -d "$prefix/drive_c/windows/system32" ] || { echo "setup.sh: wineboot did not create $prefix" >&2; exit 1; }
  echo "$version" >"$prefix/.cmpreflight-wine"
fi

# The shim is rebuilt when its source changes.
sum=$(cat "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" | sha256sum | cut -c1-16)
dll=$cache/bcryptprimitives-$sum.dll
if [ ! -f "$dll" ]; then
  echo "wine: building the bcryptprimitives.dll shim" >&2
  x86_64-w64-mingw32-gcc -shared -O2 -s -o "$dll.tmp" "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" -ladvapi32
  mv "$dll.tmp" "$dll"
fi
sys32=$prefix/drive_c/windows/system32/bcryptprimitives.dll
cmp -s "$dll" "$sys32" 2>/dev/null || cp "$dll" "$sys32"

overlay=$("$here/overlay.sh" "$cache/overlay")

cat >"$cache/env.sh.tmp" <<ENV
export WINEPREFIX='$prefix' WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
export CMPREFLIGHT_WINE='$wine' CMPREFLIGHT_WINE_OVERLAY='$overlay' CMPREFLIGHT_WINE_CACHE='$cache'
ENV
mv "$cache/env.sh.tmp" "$cache/env.sh"
echo "$cache/env.sh"
