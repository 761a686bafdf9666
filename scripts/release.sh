#!/usr/bin/env bash
# `make release`: cmpreflight for windows/amd64, windows/arm64 and linux/amd64 into dist/,
# stamped with the version (git describe, or VERSION=...), with SHA256SUMS beside them.
# The Windows binaries are plain Go builds: the Wine overlay of make test-windows is for tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# A release names the commit it was built from: a tree with uncommitted changes would ship code
# no commit holds. ALLOW_DIRTY=1 builds anyway (the version then ends in -dirty).
if [ -z "${ALLOW_DIRTY:-}" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  echo "make release: the work tree has uncommitted changes (git status); commit them, or run make release ALLOW_DIRTY=1" >&2
  exit 2
fi
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
dist=dist
rm -rf "$dist.tmp" && mkdir -p "$dist.tmp"
for target in windows/amd64 windows/arm64 linux/amd64; do
  os=${target%/*} arch=${target#*/}
  name=cmpreflight-$version-$os-$arch
  [ "$os" = windows ] && name=$name.exe
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$dist.tmp/$name" ./cmd/cmpreflight
done
(cd "$dist.tmp" && sha256sum cmpreflight-* >SHA256SUMS)
rm -rf "$dist" && mv "$dist.tmp" "$dist"
ls -l "$dist"
cat "$dist/SHA256SUMS"
