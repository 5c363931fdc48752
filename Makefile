# sms-agent — see README.md for what each target does.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
# Every package with fuzz targets; each target runs for FUZZTIME.
FUZZ_PKGS := $(shell $(GO) list ./... 2>/dev/null)

.PHONY: all build test e2e fuzz bench lint cross clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent ./cmd/sms-agent

test:
	$(GO) test ./...

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
	GOOS=windows $(GO) vet ./...

cross:
	GOOS=linux   GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-linux-amd64 ./cmd/sms-agent
	GOOS=linux   GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-linux-arm64 ./cmd/sms-agent
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sms-agent-windows-amd64.exe ./cmd/sms-agent

clean:
	rm -rf bin
