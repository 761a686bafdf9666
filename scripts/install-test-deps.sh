#!/usr/bin/env bash
# Installs the Debian packages the test lab needs, only when one is missing.
# Idempotent: a machine that already has everything does no network access at all.
set -euo pipefail
pkgs=(wine wine64 gcc-mingw-w64-x86-64 squid-openssl squidguard tinyproxy privoxy apache2 e2guardian mitmproxy apache2-utils samba smbclient winbind chromium libxml2-utils curl iproute2 nftables mount prometheus dnsmasq-base nginx-light krb5-kdc krb5-user)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# kadmin.local (to make the Kerberos lab's principals) ships in krb5-admin-server, whose
# package would install and enable kadmind: unpack its files into a private directory instead.
kadmin_root=/opt/cmpreflight/krb5-admin
install_kadmin() {
  [ -x "$kadmin_root/usr/sbin/kadmin.local" ] && return 0
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download krb5-admin-server >/dev/null 2>&1) || { $SUDO apt-get update -qq && (cd "$tmp" && apt-get download krb5-admin-server >/dev/null); }
  $SUDO mkdir -p "$kadmin_root"
  $SUDO dpkg -x "$tmp"/krb5-admin-server_*.deb "$kadmin_root"
  rm -rf "$tmp"
}
if [ ${#missing[@]} -eq 0 ]; then
  install_kadmin
  exit 0
fi
echo "installing test packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_kadmin
