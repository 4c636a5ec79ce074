# alived — see README.md. `make test` is the fast tier (no root);
# `make test-all` is the full suite CI runs (root: namespaces, keepalived
# peers, the IPVS VM).
GO       ?= go
GOBIN    := $(shell $(GO) env GOPATH)/bin
BIN      := bin
PKGS     := ./...
export CGO_ENABLED ?= 0

.PHONY: all build test test-all lint deps demo clean fuzz bench

all: build

build:
	$(GO) build -trimpath -o $(BIN)/ ./cmd/...

test:
	$(GO) test -count=1 $(PKGS)

lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GOBIN)/staticcheck $(PKGS)

deps:
	./scripts/install-deps.sh

# The whole suite, as CI runs it: installs what is missing, lints, then runs
# every tier with skips turned into failures.
test-all: deps lint build
	ALIVED_TEST_NETNS=1 ALIVED_TEST_VM=1 ALIVED_TEST_STRICT=1 \
		$(GO) test -count=1 -timeout 25m -p 1 $(PKGS)

fuzz:
	./scripts/fuzz.sh 30s

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

demo: deps build
	./scripts/demo.sh

clean:
	rm -rf $(BIN)
