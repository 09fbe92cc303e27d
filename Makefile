# raftsim: `make` alone prints this help.
GO ?= go
PKGS := ./...
RAFTSIM := bin/raftsim
# A bounded fuzz campaign; override with `make fuzz FUZZ_SEEDS=5000`.
FUZZ_SEEDS ?= 200
FUZZ_START ?= 1
# The run the determinism check repeats.
DET_SCENARIO ?= figure-8
DET_SEED ?= 7

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build everything, and the raftsim binary into bin/.
	$(GO) build $(PKGS)
	$(GO) build -o $(RAFTSIM) ./cmd/raftsim

.PHONY: test
# The nested modules (raft/bench/...): ./... stops at their go.mod files.
NESTED := raft/bench raft/bench/etcd36 raft/bench/driver raft/bench/etcdload

test: ## Run the tests, with expensive invariant checks compiled in (and the planted-bug tests, and the nested modules' tests).
	$(GO) test -tags invariants -count=1 $(PKGS)
	$(GO) test -tags raftbugs -count=1 -run 'Planted|Selftest' ./cmd/raftsim/ ./raft/
	@set -e; for m in $(NESTED); do echo "cd $$m && $(GO) test -count=1 ./..."; (cd $$m && $(GO) test -count=1 ./...); done

.PHONY: demo
demo: ## Run the demo scenario and print its summary.
	$(GO) run ./cmd/raftsim run

.PHONY: fuzz
fuzz: ## Run a bounded fuzz campaign (FUZZ_SEEDS seeds, one worker per core).
	$(GO) run ./cmd/raftsim fuzz --seeds $(FUZZ_SEEDS) --seed-start $(FUZZ_START)

# The parsers' fuzz targets: package and target.
PARSER_FUZZ := ./scenarios:FuzzParse ./checker:FuzzParseRaftsim ./checker:FuzzParsePorcupineKV \
	./checker:FuzzParseJepsenEtcd ./checker:FuzzParseJepsenEDN ./checker:FuzzParseAuto \
	./cmd/raftsim:FuzzParseSummary
PARSER_FUZZTIME ?= 10s
# Address space per fuzzing process, in KiB: an input that makes a parser
# allocate without bound fails the target instead of exhausting the machine.
PARSER_FUZZ_MEM ?= 4194304

.PHONY: fuzz-parsers
fuzz-parsers: ## Fuzz every input parser for PARSER_FUZZTIME each, under a memory limit.
	@set -e; ulimit -v $(PARSER_FUZZ_MEM); for t in $(PARSER_FUZZ); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg) for $(PARSER_FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(PARSER_FUZZTIME) $$pkg; done

# The report target's run; override with `make report SCENARIO=figure-8 SEEDS=20`.
SCENARIO ?= flaky-network
SEEDS ?= 100
REPORT_DIR ?= bin/report

.PHONY: report
report: ## Simulate SEEDS seeds of SCENARIO, write REPORT_DIR/index.html and a full-page screenshot (needs Chromium).
	$(GO) run ./cmd/raftsim report --scenario $(SCENARIO) --seeds $(SEEDS) --out $(REPORT_DIR)
	$(GO) run ./cmd/screenshot $(REPORT_DIR)/index.html $(REPORT_DIR)/screenshot.png

.PHONY: report-example
report-example: ## Regenerate the example report under reports/examples and its screenshot.
	$(GO) test ./reports/ -run TestExample -count=1 -rewrite
	$(GO) run ./cmd/screenshot reports/examples/leader-crash-partition/index.html reports/examples/leader-crash-partition/screenshot.png

.PHONY: selftest
selftest: ## Build with the planted bugs and prove each is found (about 1 minute per bug at most).
	$(GO) build -tags raftbugs -o bin/raftsim-selftest ./cmd/raftsim
	bin/raftsim-selftest selftest --out bin/selftest-failures

.PHONY: lint
lint: ## gofmt, go vet, and the determinism lint.
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags raftbugs $(PKGS)
	$(GO) vet -tags invariants $(PKGS)
	@set -e; for m in $(NESTED); do echo "cd $$m && $(GO) vet ./..."; (cd $$m && $(GO) vet ./...); done
	GOARCH=386 $(GO) vet $(PKGS)
	$(GO) test -count=1 -run 'TestDeterminismLint' ./cmd/raftsim/

.PHONY: determinism
determinism: build ## The same run in separate processes, GOMAXPROCS 1 and 4, amd64 and 386: equal digests.
	@set -e; \
	GOARCH=386 $(GO) build -o $(RAFTSIM)-386 ./cmd/raftsim; \
	digest() { $$1 run --json --scenario $(DET_SCENARIO) --seed $(DET_SEED) --out bin/determinism | sed -n 's/.*"trace_digest": "\([0-9a-f]*\)".*/\1/p'; }; \
	a=$$(GOMAXPROCS=1 digest $(RAFTSIM)); b=$$(GOMAXPROCS=1 digest $(RAFTSIM)); c=$$(GOMAXPROCS=4 digest $(RAFTSIM)); d=$$(digest $(RAFTSIM)-386); \
	echo "$(DET_SCENARIO) seed $(DET_SEED): $$a / $$b / $$c / 386 $$d"; \
	if [ -z "$$a" ] || [ "$$a" != "$$b" ] || [ "$$a" != "$$c" ] || [ "$$a" != "$$d" ]; then echo "determinism: the digests differ"; exit 1; fi; \
	GOMAXPROCS=1 $(RAFTSIM) fuzz --seeds 24 --workers 1 --summary bin/det-fuzz-1.json --out bin/determinism >/dev/null 2>&1 || true; \
	GOMAXPROCS=4 $(RAFTSIM) fuzz --seeds 24 --workers 4 --summary bin/det-fuzz-4.json --out bin/determinism >/dev/null 2>&1 || true; \
	$(RAFTSIM)-386 fuzz --seeds 24 --workers 2 --summary bin/det-fuzz-386.json --out bin/determinism >/dev/null 2>&1 || true; \
	if ! cmp -s bin/det-fuzz-1.json bin/det-fuzz-4.json; then echo "determinism: fuzz summaries differ between 1 and 4 workers"; exit 1; fi; \
	if ! cmp -s bin/det-fuzz-1.json bin/det-fuzz-386.json; then echo "determinism: fuzz summaries differ between amd64 and 386"; exit 1; fi; \
	echo "determinism: ok (run digests equal across processes, GOMAXPROCS and GOARCH=386; fuzz summaries equal with 1 and 4 workers and on 386)"

.PHONY: bench
bench: ## Run the benchmarks, then the Raft core against etcd's raft (v3.6.0 and v3.7.0) in one run.
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	GO=$(GO) raft/bench/run.sh

.PHONY: cluster
cluster: build ## Start a local 3-node cluster (raftsim cluster); Ctrl-C stops it.
	$(RAFTSIM) cluster --nodes 3

# The live test's length; `make live LIVE_DURATION=5m`.
LIVE_DURATION ?= 60s
LIVE_REPORT ?= bin/live-report

.PHONY: live
live: build ## Real processes under real faults, checked like a simulation (LIVE_DURATION; report in LIVE_REPORT).
	$(RAFTSIM) live --nodes 3 --duration $(LIVE_DURATION) --heal 10s --report $(LIVE_REPORT)

.PHONY: live-short
live-short: build ## The live test CI runs: about 20 seconds.
	$(RAFTSIM) live --nodes 3 --duration 15s --heal 6s --seed 1

.PHONY: redis-tools
redis-tools: ## Install redis-cli and redis-benchmark (Debian's redis-tools) if missing.
	@command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-tools >/dev/null; }
	@redis-cli --version

.PHONY: chromium
chromium: ## Install Chromium (Debian's chromium), which the screenshot test and `make report` drive, if missing.
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

.PHONY: ci-tools
ci-tools: redis-tools chromium ## Install what the tests drive (redis-tools, Chromium), so that none of them skips.

.PHONY: bench-tools
bench-tools: redis-tools ## Install redis-server and etcd (Debian's etcd-server) for bench-cluster, if missing.
	@command -v redis-server >/dev/null && command -v etcd >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server etcd-server >/dev/null; }

.PHONY: bench-cluster
bench-cluster: bench-tools ## Real clusters on loopback: raftsim and redis-server under redis-benchmark, etcd under etcdload.
	GO=$(GO) raft/bench/cluster.sh

.PHONY: clean
clean: ## Remove build output and reproducers.
	rm -rf bin raftsim-failures
