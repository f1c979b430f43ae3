# parsweep: a thin layer over CMake. `make sweep` and `make test` are all a user needs.
SELF := $(abspath $(firstword $(MAKEFILE_LIST)))
# CXX=clang++ (on the command line or in the environment) builds with that compiler, and its
# OpenMP runtime (clang: LLVM's libomp), into a build directory of its own: build-clang++.
ifeq ($(filter command line environment,$(origin CXX)),)
BUILD   ?= build
COMPILER :=
else
BUILD   ?= build-$(notdir $(firstword $(CXX)))
COMPILER := -DCMAKE_CXX_COMPILER=$(CXX)
endif
CONFIG  ?= configs/default.json
NATIVE  ?= OFF
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
PARSWEEP := $(BUILD)/parsweep
RUN     ?= results/latest
# make test: which targets to build (default all) and which ctest labels to run (a regex;
# default every test). test-clang sets both to the subset CI runs with clang.
TEST_TARGETS ?=
TEST_LABELS  ?=

# A Python with matplotlib for bench-peers: python3 on PATH may be a pyenv or venv without it,
# so the system one is tried next. Recursive (=) so that it is looked for only when a recipe
# needs it, after `build` may have installed python3-matplotlib. PYTHON=… overrides, and is
# then also what `parsweep plot` and `parsweep compare` draw with (they look for one the same
# way themselves: harness/cli/plot.cpp).
ifeq ($(origin PYTHON),undefined)
PYTHON = $(shell for p in python3 /usr/bin/python3; do \
    if command -v $$p >/dev/null 2>&1 && $$p -c 'import matplotlib' >/dev/null 2>&1; then \
        command -v $$p; break; fi; done)
else
PLOT_FLAGS := --python '$(PYTHON)'
endif

.PHONY: all deps deps-sweep configure configure-sweep build build-sweep sweep plots compare \
        exercise test test-clang test-sanitize fuzz bench bench-peers data clean help install dist plots-run

all: build

help:
	@echo "make sweep [CONFIG=configs/x.json]   install what a sweep needs, build parsweep, run a sweep"
	@echo "make plots [RUN=results/<dir>]       charts and report.html of a run (default results/latest)"
	@echo "make compare A=results/<a> B=results/<b>   two runs side by side → results/compare-<a>-vs-<b>/"
	@echo "make exercise N=02 [WHICH=solution]  a workshop lesson: your code (starter) run, checked, charted"
	@echo "make test                            install the test tools too, build everything, run every test"
	@echo "make test-clang                      build with clang++ and LLVM's libomp, run the unit, kernel and e2e tests"
	@echo "make test-sanitize                   unit and kernel tests under ASan + UBSan"
	@echo "make fuzz [FUZZ_SECONDS=60]          libFuzzer on the config loader"
	@echo "make bench                           Google Benchmark micro-benchmarks → results/bench/"
	@echo "make bench-peers                     parsweep vs the workshop's Python and ripgrep → results/bench-peers/"
	@echo "make data [SOURCE=file]              fetch the workshop text into data/"
	@echo "make build [NATIVE=ON] [CXX=clang++] build everything: parsweep, tests, benchmarks, lessons"
	@echo "make install PREFIX=/usr/local       build parsweep, then install it (bin, libexec/parsweep, share/parsweep)"
	@echo "make dist                            the release tarball dist/parsweep-<version>.tar.gz (git archive)"

# What a sweep needs (compiler, CMake, the libraries, matplotlib), or that and the test tools.
deps-sweep:
	@scripts/install-deps.sh sweep
deps:
	@scripts/install-deps.sh test

# The build directory: a sweep's needs no GoogleTest or Google Benchmark, so a build made by
# `make sweep` leaves them out; `make test` (and build, bench) turns them on in the same one.
CONFIGURE = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPARSWEEP_NATIVE=$(NATIVE) $(COMPILER)
configure-sweep:
	@[ -f $(BUILD)/CMakeCache.txt ] || $(CONFIGURE) -DPARSWEEP_TESTS=OFF -DPARSWEEP_BENCH=OFF $(CMAKE_FLAGS)
configure: deps
	@if [ ! -f $(BUILD)/CMakeCache.txt ] || grep -q '^PARSWEEP_\(TESTS\|BENCH\):BOOL=OFF' $(BUILD)/CMakeCache.txt; then \
	    echo "$(CONFIGURE) -DPARSWEEP_TESTS=ON -DPARSWEEP_BENCH=ON $(CMAKE_FLAGS)"; \
	    $(CONFIGURE) -DPARSWEEP_TESTS=ON -DPARSWEEP_BENCH=ON $(CMAKE_FLAGS); fi

# parsweep and its workers only: what a sweep runs.
build-sweep: deps-sweep configure-sweep
	cmake --build $(BUILD) -j $(JOBS) --target parsweep

build: configure
	cmake --build $(BUILD) -j $(JOBS) $(if $(TEST_TARGETS),--target $(TEST_TARGETS))

# plots and compare need only the binary: built when missing.
$(PARSWEEP):
	$(MAKE) -f $(SELF) build-sweep

PREFIX ?= /usr/local
install: build-sweep
	cmake --install $(BUILD) --prefix $(PREFIX)

dist:
	@scripts/make-release.sh

data:
	@scripts/fetch-data.sh

# The workshop text is fetched when the config reads it; offline, a generated English-like
# stand-in of the same size takes its place (said in one line), so the sweep still runs. A
# run whose points partly failed (exit 1) is drawn too: the charts mark the failures. No
# matplotlib: the sweep still succeeds.
sweep: build-sweep
	@if grep -q 'data/t8.shakespeare.txt' $(CONFIG) 2>/dev/null; then GENERATE=$(PARSWEEP) scripts/fetch-data.sh; fi
	@echo "$(PARSWEEP) run $(CONFIG)"; status=0; $(PARSWEEP) run $(CONFIG) || status=$$?; \
	if [ $$status -le 1 ]; then $(PARSWEEP) plot results/latest --if-python $(PLOT_FLAGS) || exit $$?; fi; \
	exit $$status

# RUN defaults to results/latest, which `parsweep run` points at its run (--out too). When it
# is missing or points at a run that is gone, say which runs there are and how to pick one.
plots: plots-run $(PARSWEEP)
	@$(PARSWEEP) plot $(RUN) $(PLOT_FLAGS)

plots-run:
	@if [ ! -f '$(RUN)/sweep.json' ]; then \
	    echo "plots: no run at $(RUN)$$(if [ -L '$(RUN)' ]; then echo " (it points at $$(readlink '$(RUN)'), which holds no sweep.json)"; fi)" >&2; \
	    runs=$$(ls -t results/ 2>/dev/null | grep -v -x -e latest -e bench -e bench-peers | head -10); \
	    if [ -n "$$runs" ]; then echo "runs in results/, newest first:" >&2; echo "$$runs" | sed 's|^|  results/|' >&2; \
	        echo "draw one with: make plots RUN=results/<run>" >&2; \
	    else echo "no runs in results/ yet: make sweep, or make plots RUN=<run directory>" >&2; fi; \
	    exit 2; fi

compare: $(PARSWEEP)
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then echo "usage: make compare A=results/<run> B=results/<run>" >&2; exit 2; fi
	@$(PARSWEEP) compare $(A) $(B) $(PLOT_FLAGS)

# A workshop lesson: builds parsweep and the learner's code (exercises/NN-*/starter/, or
# WHICH=solution) — only those targets, so a learner's edit rebuilds in seconds, and quietly:
# the build's output goes to $(BUILD)/exercise-build.log, shown only when the build fails —
# runs the lesson's sweep with it (through the lesson's run.sh when it has one: lesson 08
# submits the learner's sbatch script to Slurm), checks the results (the check prints its
# verdict and writes it into the run, lesson.json), then draws the charts the lesson asks
# about (ALL_CHARTS=1: every chart) and the report, which opens with the verdict.
# The check's verdict is the target's status (a run that failed outright, the run's); a
# missing matplotlib only skips the charts.
WHICH ?= starter
ALL_CHARTS ?=
exercise: deps-sweep configure-sweep
	@if [ -z "$(N)" ]; then echo "usage: make exercise N=02 [WHICH=starter|solution] [ALL_CHARTS=1]" >&2; exit 2; fi
	@lesson=$$(ls -d exercises/$(N)-*/ 2>/dev/null | head -1); config=$$(ls configs/lessons/$(N)-*.json 2>/dev/null | head -1); \
	if [ -z "$$lesson" ] || [ -z "$$config" ]; then echo "no lesson $(N) (ls exercises/)" >&2; exit 2; fi; \
	targets=parsweep; if [ -f $${lesson}CMakeLists.txt ]; then targets="$$targets parsweep_lesson$(N)_$(WHICH)"; fi; \
	log=$(BUILD)/exercise-build.log; echo "building $$targets (output: $$log)"; \
	cmake --build $(BUILD) -j $(JOBS) --target $$targets >$$log 2>&1; status=$$?; if [ $$status -ne 0 ]; then \
	    cat $$log; echo "make exercise: the build failed (exit $$status); its output is above and in $$log" >&2; exit $$status; fi; \
	bin=$(BUILD)/exercises/parsweep-lesson$(N)-$(WHICH); out=results/lesson$(N)-$(WHICH); \
	rm -rf $$out; if [ -x $${lesson}run.sh ]; then \
	    echo "$${lesson}run.sh $(WHICH) $$config $$out"; PARSWEEP=$(PARSWEEP) $${lesson}run.sh $(WHICH) $$config $$out; \
	else echo "$$bin run $$config --out $$out"; $$bin run $$config --out $$out; fi; \
	status=$$?; if [ $$status -gt 1 ]; then exit $$status; fi; \
	python3 $${lesson}check.py $$out; verdict=$$?; \
	$(PARSWEEP) plot $$out --if-python $(PLOT_FLAGS) $(if $(filter-out 0,$(ALL_CHARTS)),--all-charts); \
	exit $$verdict

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(if $(TEST_LABELS),-L '$(TEST_LABELS)')

# The clang++ / libomp build, as CI runs it: the unit, kernel and end-to-end tests.
CLANG_TESTS := unit_config_test unit_stats_test unit_sysinfo_test unit_calibrate_test \
               kernel_contract_test kernel_square_test kernel_wordcount_test kernel_invert_test \
               kernel_pi_test cli_e2e_test
test-clang:
	$(MAKE) test CXX=clang++ TEST_TARGETS="parsweep $(CLANG_TESTS)" \
	    TEST_LABELS='^($(subst $(eval) ,|,$(strip $(CLANG_TESTS))))$$'

# The unit and kernel tests under AddressSanitizer + UndefinedBehaviorSanitizer (-O1 keeps
# the build short); any report fails the test.
SANITIZE_BUILD ?= build-sanitize
SANITIZE_TESTS := unit_config_test unit_stats_test unit_sysinfo_test unit_calibrate_test \
                  kernel_contract_test kernel_square_test kernel_wordcount_test \
                  kernel_invert_test kernel_pi_test
test-sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
	    -DPARSWEEP_SANITIZE=ON -DPARSWEEP_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_BUILD) -j $(JOBS) --target $(SANITIZE_TESTS)
	# allocator_may_return_null: an impossible allocation returns null, as it does without
	# ASan, so that the tests of parsweep's own "cannot allocate" errors run here too.
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS) -L '^(unit|kernel)_'

# libFuzzer on the config loader (clang), seeded with the shipped configs and the hostile
# ones of tests/fuzz_corpus (deep, duplicate keys, NUL characters); new inputs are
# kept in $(FUZZ_BUILD)/corpus, a crash is written to $(FUZZ_BUILD)/crash-* and fails.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DPARSWEEP_FUZZ=ON -DPARSWEEP_TESTS=OFF -DPARSWEEP_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_config
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(FUZZ_BUILD)/fuzz_config -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus configs tests/fuzz_corpus

# Google Benchmark JSON, one file per run, for compare.py and other tools of that format.
bench: build
	@mkdir -p results/bench
	$(BUILD)/bench/parsweep_bench --benchmark_out=results/bench/$$(date +%Y%m%d-%H%M%S).json \
	    --benchmark_out_format=json $(BENCH_ARGS)

# parsweep against the workshop's Python versions of its tasks (and ripgrep), measured in one
# run: bench/peers/run_peers.py → results/bench-peers/<date>/ (PEERS_ARGS=… for its options).
bench-peers: build
	@scripts/fetch-data.sh
	@py='$(PYTHON)'; if [ -z "$$py" ]; then \
	    echo "bench-peers: no Python with matplotlib (tried python3, /usr/bin/python3): run" \
	         "scripts/install-deps.sh, then make bench-peers" >&2; exit 1; fi; \
	echo "$$py bench/peers/run_peers.py --parsweep $(PARSWEEP) $(PEERS_ARGS)"; \
	$$py bench/peers/run_peers.py --parsweep $(PARSWEEP) $(PEERS_ARGS)

clean:
	rm -rf $(BUILD) build-clang++ $(SANITIZE_BUILD) $(FUZZ_BUILD)
