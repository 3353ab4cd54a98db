# jigmq. `make demo` shows it working; `make test` runs every test.
GO        ?= go
AMQP_URL  ?= amqp://guest:guest@127.0.0.1:5672/
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
export AMQP_URL

.PHONY: all build test test-short vet fmt-check demo broker bench clean package deploy-tools deploy-check browser

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

broker:
	scripts/ensure-rabbitmq.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Every test, against the real broker on AMQP_URL (started or installed if
# needed), with the race detector. Fuzz seed corpora run as plain tests.
# The deployment tests (./deploy: the unit's verify and exposure, the .deb's
# contents and maintainer scripts) get their tools installed first and fail,
# rather than skip, without them.
# The gateway's browser test drives Debian's chromium (installed if
# missing) and writes its screenshots to artifacts/.
test: broker deploy-tools browser fmt-check vet
	JIGMQ_DEPLOY_CHECKS=require JIGMQ_BROWSER=require JIGMQ_ARTIFACTS=$(CURDIR)/artifacts \
		$(GO) test -race -count=1 -timeout 8m ./...

browser:
	scripts/ensure-chromium.sh

# systemd-analyze, dpkg-deb, readelf, unshare: installed from Debian if missing.
deploy-tools:
	scripts/ensure-deploy-tools.sh

# The deployment tests alone, verbose (prints the unit's exposure).
deploy-check: deploy-tools
	JIGMQ_DEPLOY_CHECKS=require $(GO) test -count=1 -v ./deploy/

demo: broker build
	scripts/demo.sh

# One run of cmd/jigbench against the broker on AMQP_URL: a table of every
# figure with its target and PASS/MISS, then benchstat lines. See
# docs/benchmarks.md. BENCHFLAGS=--quick for a smoke test, or --only REGEX.
bench: broker
	$(GO) run ./cmd/jigbench $(BENCHFLAGS)

# The .deb for fixture PCs in dist/ (build-deb.sh builds its own static
# binaries; deploy/package_test.go builds and checks one the same way).
package:
	deploy/package/build-deb.sh dist $(VERSION)

clean:
	rm -rf bin dist artifacts
