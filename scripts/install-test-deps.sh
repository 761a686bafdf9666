#!/usr/bin/env bash
# Installs the Debian packages the test lab needs, only when one is missing.
# Idempotent: a machine that already has everything does no network access at all.
set -euo pipefail
pkgs=(wine wine64 gcc-mingw-w64-x86-64 squid-openssl squidguard tinyproxy privoxy apache2 e2guardian mitmproxy apache2-utils samba smbclient winbind chromium libxml2-utils curl iproute2 nftables mount prometheus dnsmasq-base nginx-light)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing test packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
