# countertop — see README.md.
#   make run    start the terminal on simulated devices with the embedded acquirer simulator
#   make test   install what the tests need, then vet, unit, scenario, PC/SC and short fuzz tests
GO        ?= go
FUZZTIME  ?= 60s
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build build-pcsc test deps vet fmt-check unit pcsc-test integration scenarios fuzz-short fuzz bench lint soak clean

run: ## posd on simulated devices; journal and log in out/
	@mkdir -p out
	$(GO) run ./cmd/posd -set journal.path=out/countertop.db

build: ## posd, posctl and acquirer-sim without PC/SC (no libpcsclite needed)
	$(GO) build -o bin/ ./cmd/...

build-pcsc: deps ## the same with the PC/SC card reader driver
	$(GO) build -tags pcsc -o bin/ ./cmd/...

deps: ## apt packages for the PC/SC tests (pcscd, libpcsclite-dev, vsmartcard-vpcd)
	@scripts/install-deps.sh
	@$(GO) mod download

test: deps fmt-check vet unit pcsc-test integration scenarios fuzz-short
	@echo "make test: all passed"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags pcsc ./...

unit: ## every package's tests, scenarios included (internal/scenario runs testdata/scenarios)
	$(GO) test -count=1 ./...

pcsc-test: ## hal/pcsc against a real pcscd with the vpcd virtual reader; the pcsc build of the commands
	$(GO) build -tags pcsc -o /dev/null ./cmd/posd
	$(GO) test -count=1 -tags pcsc ./hal/pcsc/...  # TestMain starts pcscd (and so may restart it) and stops it

integration: ## whole transactions through posd, devsim and acquirer-sim as real processes on pcscd+vpcd, ptys and TCP
	@scripts/integration.sh

scenarios: ## the scenario files through the integrator's CLI
	$(GO) run ./cmd/posctl scenario run testdata/scenarios/*.scn

fuzz-short:
	@scripts/fuzz.sh 5s

fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: fmt-check vet
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags pcsc ./...

soak: ## long runs: the journal crash test with many kills, long fuzzing
	COUNTERTOP_SOAK=1 $(GO) test -count=1 -run 'Crash' -v ./store/...
	@scripts/fuzz.sh 5m

clean:
	rm -rf bin out
