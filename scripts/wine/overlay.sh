#!/usr/bin/env bash
# Writes a `go build -overlay` file into DIR that patches two files of this machine's own
# GOROOT for Wine 8 (docs/design.md, "The lab"); GOROOT is never touched.
# Generated at every run from the installed Go, so a patch release of Go cannot go stale:
# when an expected line is gone the script fails and says which, rather than build a binary
# that would fail in a confusing way under Wine.
#   net/fd_windows.go: Wine does not implement the SIO_UDP_NETRESET ioctl that every UDP
#     socket sets; its WSAEOPNOTSUPP (10045) is ignored for that one ioctl.
#   internal/syscall/windows/at_windows.go: Wine answers STATUS_NOT_IMPLEMENTED (0xC0000002)
#     to FileDispositionInformationEx; it joins the statuses that take the fallback delete.
# Usage: overlay.sh DIR   (prints the path of the overlay JSON)
set -euo pipefail
dir=${1:?usage: overlay.sh DIR}
goroot=$(go env GOROOT)
mkdir -p "$dir"

patch_one() { # src dst perl-substitution what
  local src=$1 dst=$2 expr=$3 what=$4
  [ -f "$src" ] || { echo "overlay.sh: $src not found (Go layout changed?)" >&2; exit 1; }
  perl -0pe "$expr" "$src" >"$dst.tmp"
  if cmp -s "$src" "$dst.tmp"; then
    rm -f "$dst.tmp"
    echo "overlay.sh: $src: the code to patch ($what) is not there any more; update scripts/wine/overlay.sh" >&2
    exit 1
  fi
  mv "$dst.tmp" "$dst"
}

fd_src=$goroot/src/net/fd_windows.go
at_src=$goroot/src/internal/syscall/windows/at_windows.go
patch_one "$fd_src" "$dir/fd_windows.go" \
  's/(windows\.SIO_UDP_NETRESET,[^\n]*\n\s*if err != nil)( \{)/$1 \&\& err != syscall.Errno(10045)$2/' \
  "the SIO_UDP_NETRESET ioctl's error check"
patch_one "$at_src" "$dir/at_windows.go" \
  's/(\n\s*)(STATUS_NOT_SUPPORTED):(\s*\/\/[^\n]*FILE_DISPOSITION_INFORMATION_EX)/$1$2, NTStatus(0xC0000002):$3/' \
  "the statuses that fall back from FileDispositionInformationEx"

printf '{"Replace":{"%s":"%s","%s":"%s"}}\n' "$fd_src" "$dir/fd_windows.go" "$at_src" "$dir/at_windows.go" >"$dir/overlay.json"
echo "$dir/overlay.json"
