# The README's two commands: `make run` (the main job) and `make test` (everything CI runs).
GO ?= go
BIN := bin/cmpreflight
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: build run test test-windows deps vet windows bench fuzz release

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/cmpreflight

run: build
	./$(BIN) run --output json=cmpreflight-report.json --output html=cmpreflight-report.html

deps:
	bash scripts/install-test-deps.sh

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

windows:
	GOOS=windows $(GO) build ./...
	GOOS=windows $(GO) vet ./...

# The Windows code under Wine (scripts/wine/test-windows.sh): root, idempotent, a few minutes.
test-windows: deps
	bash scripts/wine/test-windows.sh

test: deps vet windows build test-windows
	CMPREFLIGHT_BIN=$(CURDIR)/$(BIN) $(GO) test -race -count=1 -timeout 30m ./...

bench: deps build
	CMPREFLIGHT_BIN=$(CURDIR)/$(BIN) $(GO) run ./internal/bench

# cmpreflight.exe for windows/amd64 and windows/arm64 and the Linux binary, with SHA-256 sums.
release:
	bash scripts/release.sh

fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)
