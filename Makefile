# sms-agent — see README.md for what each target does.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
# Every package with fuzz targets; each target runs for FUZZTIME.
FUZZ_PKGS := $(shell $(GO) list ./... 2>/dev/null)

# The Windows tests run under Wine in a chroot (tools/wine/README.md); as root only.
WINE_CHROOT ?= /srv/wine-trixie
export WINE_CHROOT
WINE_RUN  := $(CURDIR)/tools/wine/run-under-wine.sh

.PHONY: all build test test-windows e2e fuzz bench lint cross clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent ./cmd/sms-agent

# With the race detector (it needs cgo: a C compiler, gcc); as root with the Wine chroot,
# then the Windows tests too.
test:
	$(GO) test -race ./...
	@if [ "$$(id -u)" = 0 ] && [ -s "$(WINE_CHROOT)/root/.wine/system.reg" ]; then \
	  $(MAKE) --no-print-directory test-windows; \
	else \
	  echo "test-windows: skipped: no Wine chroot at $(WINE_CHROOT) (enable: sudo tools/wine/setup-wine-chroot.sh, then sudo make test)"; \
	fi

# The unit tests built for Windows, run under Wine; then the built .exe under Wine
# (e2e/wine: discover, capture replayed on Linux, request bodies, the service manager).
test-windows:
	WINE_BINDS=$(CURDIR) GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) test -count=1 -exec $(WINE_RUN) ./...
	$(GO) test -tags wine -count=1 -v -timeout 10m ./e2e/wine/

# Real block devices: needs root, loop devices and the tools .ci/run installs.
e2e:
	$(GO) test -tags e2e -count=1 -p 1 -timeout 20m -v ./e2e/...

fuzz:
	@set -e; for pkg in $(FUZZ_PKGS); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME); \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...
	$(GO) vet -tags wine ./e2e/wine/...
	GOOS=windows $(GO) vet ./...

cross:
	GOOS=linux   GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-linux-amd64 ./cmd/sms-agent
	GOOS=linux   GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-linux-arm64 ./cmd/sms-agent
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-windows-amd64.exe ./cmd/sms-agent

clean:
	rm -rf bin
