# cordon's front door. `make demo` and `make test` work on a fresh Debian 12 machine: they install
# what is missing (scripts/install-deps.sh), build, and run.
JOBS ?= $(shell nproc)
DEMO_FLAGS ?= --once
FUZZ_SECONDS ?= 30
SOURCES = $(shell git ls-files '*.cc' '*.h' 2>/dev/null)
TIDY_SOURCES = $(shell git ls-files 'src/*.cc' 'tests/*.cc' ':!tests/fuzz' 2>/dev/null)

.PHONY: all deps build demo test asan-test format format-check tidy fuzz-build fuzz-smoke bench reliability eval clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

demo: build
	./build/release/cordon demo $(DEMO_FLAGS)

test: build
	ctest --preset release -j $(JOBS)

# CI extras (see .ci/run): the suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan-test: deps
	cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)
	ctest --preset debug -j $(JOBS)

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run -Werror $(SOURCES)

tidy: deps
	cmake --preset release >/dev/null
	run-clang-tidy -quiet -p build/release -j $(JOBS) $(TIDY_SOURCES) >build/tidy.log 2>&1 \
	  || { grep -E 'warning:|error:' build/tidy.log | sort -u | head -50; exit 1; }

FUZZERS = config_fuzz openai_request_fuzz anthropic_request_fuzz sse_fuzz classify_fuzz restore_fuzz audit_record_fuzz guard_fuzz \
	redis_url_fuzz

fuzz-build: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target $(FUZZERS)

# Each fuzzer runs FUZZ_SECONDS from its seed corpus; a crash fails the target.
fuzz-smoke: fuzz-build
	@for target in $(FUZZERS); do \
	  echo "fuzz: $$target for $(FUZZ_SECONDS)s"; \
	  mkdir -p build/fuzz/corpus/$$target; \
	  ./build/fuzz/tests/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	    build/fuzz/corpus/$$target tests/fuzz/corpus/$$target >build/fuzz/$$target.log 2>&1 \
	    || { tail -40 build/fuzz/$$target.log; exit 1; }; \
	done

bench: build
	@scripts/install-deps.sh bench
	bench/run.sh

# Soak (SOAK_SECONDS, default 10 min) and slow-client runs; each rewrites its section of
# docs/reliability.md and fails when one of its invariants does not hold.
SOAK_SECONDS ?= 600
reliability: build
	python3 bench/soak.py --cordon build/release/cordon --seconds $(SOAK_SECONDS) --doc docs/reliability.md
	python3 bench/slow_clients.py --cordon build/release/cordon --doc docs/reliability.md

# Detection quality: micro-F1 on ../shared/eval/pii (skipped when absent) and false findings on
# tests/data/benign; both rewrite their section of docs/detection.md.
eval: build
	tests/eval/pii_eval.sh --markdown docs/detection.md || [ $$? -eq 77 ]
	tests/eval/benign_fp.sh --markdown docs/detection.md

clean:
	rm -rf build
