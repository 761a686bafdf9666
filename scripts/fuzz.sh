#!/usr/bin/env bash
# Runs every fuzz target of the project for a while each: bash scripts/fuzz.sh [DURATION]
# (default 60s; `make fuzz FUZZTIME=5m`). Seed corpora live in each package's
# testdata/fuzz/<Target>/ and run with plain `go test` too; a crash is written there as a new
# file, which is the reproducer to commit with the fix. FUZZ_PARALLEL limits the workers.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${1:-60s}"
parallel=()
if [[ -n "${FUZZ_PARALLEL:-}" ]]; then
	parallel=(-parallel "$FUZZ_PARALLEL")
fi

# package  target
targets=(
	"./internal/config FuzzApplyBytes"             # YAML config file
	"./catalog FuzzParseCatalog"                   # catalog profiles and --endpoints files
	"./checks/netprobe FuzzProxyResponse"          # what a proxy answers to CONNECT / absolute-form requests
	"./checks/netprobe FuzzNTLMChallenge"          # NTLM CHALLENGE messages from proxies
	"./checks/proxyconf FuzzParseWinHTTPSettings"  # WinHttpSettings registry blob
	"./checks/site FuzzLoadInventoryJSON"          # site inventory JSON (exports and AdminService)
	"./checks/cmlogs FuzzParse"                    # ConfigMgr logs (CMTrace formats)
	"./checks/revocation FuzzVerify"               # CRL, OCSP and certificate answers of revocation hosts
)

failed=()
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	listed="$(go test -list "^${name}\$" "$pkg" 2>/dev/null || true)"
	if ! grep -qx "$name" <<<"$listed"; then
		echo "== $pkg $name: not found, skipped"
		continue
	fi
	echo "== $pkg $name for $fuzztime"
	start=$(date +%s)
	if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "${parallel[@]}" "$pkg"; then
		echo "== $pkg $name: clean after $(( $(date +%s) - start ))s"
	else
		echo "== $pkg $name: FAILED (the crashing input is under $pkg/testdata/fuzz/$name/)"
		failed+=("$pkg $name")
	fi
done

if (( ${#failed[@]} > 0 )); then
	printf 'fuzz failures:\n'
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
echo "all fuzz targets clean"
