# diboli: the two commands of the quick start are "make demo" and
# "make check"; both install what is missing first (Debian 12, as root).

MAKEFLAGS  += --no-print-directory
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR   ?= demo-data
QUICK      ?=

.PHONY: all deps build build-asan check unit unit-asan integration fuzz \
        demo bench clean browser

all: build

# Install the Debian packages of deps/debian.txt that are missing.
DEPS_FILES ?= deps/debian.txt
deps:
	@missing=$$(cat $(DEPS_FILES) | grep -v '^\s*#' | grep -v '^\s*$$' | \
	  while read p; do \
	    dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | \
	      grep -q 'install ok installed' || echo "$$p"; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root to install" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@if [ -f package.json ]; then \
	  if ! command -v npm >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  fi; \
	  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then \
	    npm ci --no-audit --no-fund --loglevel=error && touch node_modules; \
	  fi; \
	fi

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIBOLI_WERROR=ON

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DDIBOLI_WERROR=ON \
	  -DDIBOLI_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j $(JOBS)

# Unit and integration tests, the same again built with ASan+UBSan, and
# fuzz replays of every parser.
check: build build-asan
	./tools/checksrc
	@if [ -x tools/lint-openapi ]; then ./tools/lint-openapi; fi
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|integration'
	@# The web UI in headless Chromium, one at a time (screenshots in
	@# $(BUILD)/artifacts/screenshots).
	cd $(BUILD) && ctest --output-on-failure -L browser
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|fuzz|integration'

# Only the browser tests (make check runs them too).
browser: build
	cd $(BUILD) && ctest --output-on-failure -L browser

# Longer fuzzing with clang's libFuzzer (not part of check):
# make fuzz FUZZ_SECONDS=300
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
	  -DDIBOLI_SANITIZE=ON -DDIBOLI_LIBFUZZER=ON
	cmake --build build-fuzz -j $(JOBS)
	for t in build-fuzz/fuzz_*; do \
	  n=$$(basename $$t); mkdir -p build-fuzz/corpus/$$n; \
	  $$t -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/$$n \
	    fuzz/corpus/$$n || exit 1; \
	done

# Demo nation keys live beside the demo nodes (a real nation key stays
# offline). The nodes first exchange bundles, as across the bridge, then
# their servers sync over HTTP in the background.
demo: build
	@rm -rf $(DEMO_DIR)
	@mkdir -p $(DEMO_DIR)/keys
	$(BUILD)/diboli nation keygen --nation SN --out $(DEMO_DIR)/keys/sn
	$(BUILD)/diboli nation keygen --nation ML --out $(DEMO_DIR)/keys/ml
	$(BUILD)/diboli init --dir $(DEMO_DIR)/sn --nation SN \
	  --name "Zone militaire n°4 — PC Tambacounda" \
	  --nation-key $(DEMO_DIR)/keys/sn.key
	$(BUILD)/diboli demo seed --dir $(DEMO_DIR)/sn --days 120 --seed 1
	$(BUILD)/diboli init --dir $(DEMO_DIR)/ml --nation ML \
	  --name "Région militaire n°4 — PC Kayes" \
	  --nation-key $(DEMO_DIR)/keys/ml.key
	$(BUILD)/diboli demo seed --dir $(DEMO_DIR)/ml --days 120 --seed 2
	$(BUILD)/diboli peer add --dir $(DEMO_DIR)/sn --name ML-RM4 --nation ML \
	  --nation-pub $(DEMO_DIR)/keys/ml.pub --url http://127.0.0.1:8441
	$(BUILD)/diboli peer add --dir $(DEMO_DIR)/ml --name SN-ZM4 --nation SN \
	  --nation-pub $(DEMO_DIR)/keys/sn.pub --url http://127.0.0.1:8440
	$(BUILD)/diboli bundle export --dir $(DEMO_DIR)/sn --for ML \
	  --encrypt-to $(DEMO_DIR)/keys/ml.pub --out $(DEMO_DIR)/sn-to-ml.bundle
	$(BUILD)/diboli bundle import --dir $(DEMO_DIR)/ml \
	  --key $(DEMO_DIR)/keys/ml.key $(DEMO_DIR)/sn-to-ml.bundle
	$(BUILD)/diboli bundle export --dir $(DEMO_DIR)/ml --for SN \
	  --out $(DEMO_DIR)/ml-to-sn.bundle
	$(BUILD)/diboli bundle import --dir $(DEMO_DIR)/sn \
	  $(DEMO_DIR)/ml-to-sn.bundle
	$(BUILD)/diboli demo patrols --dir $(DEMO_DIR)/sn \
	  --partner $(DEMO_DIR)/ml
	$(BUILD)/diboli demo sections --dir $(DEMO_DIR)/sn \
	  --partner $(DEMO_DIR)/ml
	$(BUILD)/diboli log verify --dir $(DEMO_DIR)/sn
	$(BUILD)/diboli log verify --dir $(DEMO_DIR)/ml
	@echo
	$(BUILD)/diboli node show --dir $(DEMO_DIR)/sn
	@echo
	$(BUILD)/diboli node show --dir $(DEMO_DIR)/ml
	@echo
	@echo "Latest records of the Senegalese node near Kidira–Diboli:"
	@$(BUILD)/diboli record list --dir $(DEMO_DIR)/sn \
	  --bbox -12.5,14.2,-11.9,14.8 --limit 10
	@echo
	@echo "Demo nodes are in $(DEMO_DIR)/sn and $(DEMO_DIR)/ml; try:"
	@echo "  $(BUILD)/diboli record list --dir $(DEMO_DIR)/sn --category security --limit 20"
	@echo "  $(BUILD)/diboli patrol list --dir $(DEMO_DIR)/ml"
	@if [ -z "$(DEMO_NO_SERVE)" ]; then ./tools/demo-serve $(BUILD)/diboli $(DEMO_DIR); fi

# bench_http starts its own PostgreSQL (private socket dir) and diboli serve,
# and stops both; QUICK=1 runs every benchmark in a reduced version.
bench: build
	@$(MAKE) deps DEPS_FILES="deps/debian.txt deps/debian-bench.txt"
	@mkdir -p bench/results
	$(BUILD)/bench_ingest $(if $(QUICK),--quick) --out bench/results/latest.json
	$(BUILD)/bench_gpx $(if $(QUICK),--quick) --out bench/results/latest.json
	$(BUILD)/bench_http $(if $(QUICK),--quick) --diboli $(BUILD)/diboli \
	  --out bench/results/latest.json
	node bench/bench_web.mjs $(if $(QUICK),--quick) --diboli $(BUILD)/diboli \
	  --out bench/results/latest.json

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz $(DEMO_DIR)
