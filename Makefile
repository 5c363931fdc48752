# sms-agent — see README.md for what each target does.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
# Package version: a v1.2.3 tag gives 1.2.3, otherwise 0.0.0~git<describe>.
PKG_VERSION ?= $(shell (git describe --tags --always --dirty 2>/dev/null || echo dev) | \
  sed -e 's/^v\([0-9]\)/\1/' -e t -e 's/^/0.0.0~git/' | tr - .)
# nfpm builds the .deb and .rpm; pinned, built by the Go toolchain into bin/ (its
# dependencies never enter this module's go.mod).
NFPM_VERSION := v2.45.2
NFPM      := bin/nfpm-$(NFPM_VERSION)
# Every package with fuzz targets; each target runs for FUZZTIME.
FUZZ_PKGS := $(shell $(GO) list ./... 2>/dev/null)

# The Windows tests run under Wine in a chroot (tools/wine/README.md); as root only.
WINE_CHROOT ?= /srv/wine-trixie
export WINE_CHROOT
WINE_RUN  := $(CURDIR)/tools/wine/run-under-wine.sh

.PHONY: all build test test-windows e2e fuzz bench lint cross package clean

all: lint test build

# bin/sms-agent-full is the complete agent; bin/sms-agent, built with -tags lite, runs
# discover itself and hands every other command to sms-agent-full beside it (docs/lite.md).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-full ./cmd/sms-agent
	CGO_ENABLED=0 $(GO) build -tags lite -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent ./cmd/sms-agent

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
	$(GO) test -tags e2e -count=1 -p 1 -timeout 20m -v ./e2e/... ./collectors/lowprobe/...

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
	$(GO) vet -tags e2e ./e2e/... ./collectors/lowprobe/...
	$(GO) vet -tags wine ./e2e/wine/...
	$(GO) vet -tags lite ./cmd/sms-agent
	GOOS=windows $(GO) vet ./...

cross:
	@set -e; for arch in amd64 arm64; do \
	  GOOS=linux GOARCH=$$arch CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-full-linux-$$arch ./cmd/sms-agent; \
	  GOOS=linux GOARCH=$$arch CGO_ENABLED=0 $(GO) build -tags lite -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-linux-$$arch ./cmd/sms-agent; \
	done
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-windows-amd64.exe ./cmd/sms-agent

$(NFPM):
	GOBIN=$(CURDIR)/bin/nfpm-tmp $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)
	mv bin/nfpm-tmp/nfpm $@ && rmdir bin/nfpm-tmp

# .deb and .rpm for amd64 and arm64, and the Windows zip, in dist/.
package: cross $(NFPM)
	@mkdir -p dist
	@set -e; for arch in amd64 arm64; do \
	  mkdir -p bin/package && cp bin/sms-agent-linux-$$arch bin/package/sms-agent && \
	  cp bin/sms-agent-full-linux-$$arch bin/package/sms-agent-full; \
	  for fmt in deb rpm; do \
	    ARCH=$$arch VERSION=$(PKG_VERSION) $(NFPM) package --config packaging/nfpm.yaml --packager $$fmt --target dist/; \
	  done; \
	done; rm -rf bin/package
	rm -rf dist/windows && mkdir -p dist/windows
	cp bin/sms-agent-windows-amd64.exe dist/windows/sms-agent.exe
	cp packaging/windows/README.txt dist/windows/README.txt
	cp packaging/sms.conf.example dist/windows/sms.conf.example
	rm -f dist/sms-agent_$(PKG_VERSION)_windows_amd64.zip
	cd dist/windows && zip -q -X ../sms-agent_$(PKG_VERSION)_windows_amd64.zip sms-agent.exe README.txt sms.conf.example
	rm -rf dist/windows
	@ls -l dist

clean:
	rm -rf bin dist
