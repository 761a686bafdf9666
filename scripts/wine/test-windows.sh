#!/usr/bin/env bash
# `make test-windows`: runs the Windows code under Wine. Sets up Wine (setup.sh), then runs
# `GOOS=windows go test -exec scripts/wine/exec.sh` over every package that has _windows.go
# files, with coverage, and prints which packages and which Windows-only functions ran. A
# Windows-only function that no test reached fails the run unless not-run.txt names it with
# the reason (the README repeats that list).
# Wine runs take a machine-wide lock: they share one prefix and lab DNS on 127.0.0.1:53.
# Run as root (a mount namespace gives Wine a private resolv.conf pointing at the lab).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=scripts/wine
mkdir -p /run/lock
exec 9>/run/lock/cmpreflight-wine.lock
if ! flock -n 9; then
  echo "test-windows: another Wine run holds /run/lock/cmpreflight-wine.lock; waiting" >&2
  flock -w 1800 9
fi
t0=$(date +%s)
envfile=$("$here/setup.sh")
# shellcheck disable=SC1090
. "$envfile"
t1=$(date +%s)

out=$(mktemp -d /tmp/cmpreflight-wine.XXXXXX)
# wineserver -k ends the Wine processes of this prefix only (held under our lock).
trap 'wineserver -k 2>/dev/null || true; rm -rf "$out"' EXIT
wineserver -k 2>/dev/null || true

mapfile -t pkgs < <(git ls-files '*_windows.go' | grep -v '_test.go$' | xargs -n1 dirname | sort -u | grep -v '^internal/wintest$' | sed 's|^|./|')
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$out/resolv.conf"

# The tests never use this machine's resolver; inside the namespace Wine's adapters report the
# lab address, which the DNS test checks.
export CMPREFLIGHT_WINE_DNS=127.0.0.1:53 GOOS=windows
status=0
unshare -m sh -c 'mount --bind "$1/resolv.conf" /etc/resolv.conf && shift && exec "$@"' sh "$out" \
  go test -overlay "$CMPREFLIGHT_WINE_OVERLAY" -exec "$PWD/$here/exec.sh" -count=1 -p 1 -timeout 5m \
  -coverprofile "$out/cover.out" "${pkgs[@]}" 2>&1 | tee "$out/test.log" | grep -E '^(ok|FAIL|---|panic)' || true
# The product binary itself under Wine: the command-level tests that need no Linux daemon.
go build -overlay "$CMPREFLIGHT_WINE_OVERLAY" -o "$out/cmpreflight.exe" ./cmd/cmpreflight
CMPREFLIGHT_BIN=$out/cmpreflight.exe go test -overlay "$CMPREFLIGHT_WINE_OVERLAY" -exec "$PWD/$here/exec.sh" -count=1 -timeout 5m \
  -run "$(tr '\n' '|' <"$here/cmd-tests.txt" | sed 's/|$//')" ./cmd/cmpreflight 2>&1 | tee -a "$out/test.log" | grep -E '^(ok|FAIL|---|panic)' || true

# The integration tests drive cmpreflight.exe under Wine from a Linux test process (the lab:
# squid, DNS on 127.0.0.1:53, TLS endpoints), through a wrapper that stands in for the binary.
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$CMPREFLIGHT_WINE" "$out/cmpreflight.exe" >"$out/cmpreflight-wine"
chmod +x "$out/cmpreflight-wine"
wineserver -k 2>/dev/null || true
unshare -m sh -c 'mount --bind "$1/resolv.conf" /etc/resolv.conf && shift && exec "$@"' sh "$out" \
  env GOOS=linux CMPREFLIGHT_BIN="$out/cmpreflight-wine" go test -tags winelab -count=1 -timeout 8m -run "^TestWine" -v ./cmd/cmpreflight \
  2>&1 | tee -a "$out/test.log" | grep -E '^(ok|FAIL|--- |panic)|_test.go:[0-9]+:' || true
grep -q '^FAIL' "$out/test.log" && status=1
grep -q '^ok' "$out/test.log" || status=1
t2=$(date +%s)

echo "test-windows: packages run under Wine: ${pkgs[*]} ./cmd/cmpreflight ($(tr '\n' ' ' <"$here/cmd-tests.txt"))"
echo "test-windows: Windows-only functions (coverage under Wine):"
go tool cover -func="$out/cover.out" | grep '_windows.go:' | grep -v '_test.go:' >"$out/funcs" || true
missing=0
while read -r loc fn pct; do
  printf '  %-8s %-28s %s\n' "$pct" "$fn" "${loc%%:*}"
  if [ "$pct" = "0.0%" ] && ! grep -q "^$fn " "$here/not-run.txt"; then
    echo "  ^ $fn never ran under Wine and not-run.txt does not say why" >&2
    missing=1
  fi
done < <(sed 's|github.com/cmpreflight/cmpreflight/||' "$out/funcs")
[ -s "$out/funcs" ] || { echo "test-windows: no coverage of Windows files was recorded" >&2; status=1; }
[ "$missing" -eq 0 ] || status=1
echo "test-windows: setup $((t1 - t0)) s, tests $((t2 - t1)) s"
exit $status
