# parsweep: a thin layer over CMake. `make sweep` and `make test` are all a user needs.
BUILD   ?= build
CONFIG  ?= configs/default.json
NATIVE  ?= OFF
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
PARSWEEP := $(BUILD)/parsweep

.PHONY: all deps build sweep test bench data clean help

all: build

help:
	@echo "make sweep [CONFIG=configs/x.json]   install what is missing, build, run a sweep"
	@echo "make test                            install what is missing, build, run every test"
	@echo "make bench                           Google Benchmark micro-benchmarks → results/bench/"
	@echo "make data [SOURCE=file]              fetch the workshop text into data/"
	@echo "make build [NATIVE=ON]               build $(PARSWEEP) (NATIVE=ON: -march=native)"

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPARSWEEP_NATIVE=$(NATIVE) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

data:
	@scripts/fetch-data.sh

# The workshop text is fetched when the config reads it.
sweep: build
	@if grep -q 'data/t8.shakespeare.txt' $(CONFIG) 2>/dev/null; then scripts/fetch-data.sh; fi
	$(PARSWEEP) run $(CONFIG)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Google Benchmark JSON, one file per run, for compare.py and other tools of that format.
bench: build
	@mkdir -p results/bench
	$(BUILD)/bench/parsweep_bench --benchmark_out=results/bench/$$(date +%Y%m%d-%H%M%S).json \
	    --benchmark_out_format=json $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
