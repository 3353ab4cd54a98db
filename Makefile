# jigmq. `make demo` shows it working; `make test` runs every test.
GO        ?= go
AMQP_URL  ?= amqp://guest:guest@127.0.0.1:5672/
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
export AMQP_URL

.PHONY: all build test test-short vet fmt-check demo broker bench clean package

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
test: broker fmt-check vet
	$(GO) test -race -count=1 -timeout 8m ./...

demo: broker build
	scripts/demo.sh

# One run of cmd/jigbench against the broker on AMQP_URL: a table of every
# figure with its target and PASS/MISS, then benchstat lines. See
# docs/benchmarks.md. BENCHFLAGS=--quick for a smoke test, or --only REGEX.
bench: broker
	$(GO) run ./cmd/jigbench $(BENCHFLAGS)

package: build
	deploy/package/build-deb.sh dist $(VERSION)

clean:
	rm -rf bin dist
