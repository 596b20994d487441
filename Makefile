# The front door: `make demo` and `make test` install what is missing,
# configure meson once in build/, build, and run.
BUILD ?= build
MESON_FLAGS ?=

.PHONY: all deps configure build test demo bench test-sanitize fuzz clean

all: build

deps:
	@scripts/ensure-deps.sh

$(BUILD)/build.ninja:
	@scripts/ensure-deps.sh
	meson setup $(BUILD) $(MESON_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	ninja -C $(BUILD)

test: build
	@scripts/run-tests.sh $(BUILD)

# Trains the funnel MLP on Fashion-MNIST (installs Debian's
# dataset-fashion-mnist when missing); DEMO_ARGS=--help lists the options.
demo: build
	@scripts/ensure-deps.sh --demo
	./$(BUILD)/examples/fashion_mnist $(DEMO_ARGS)

# Benchmarks against libtorch and OpenBLAS (~1.5 min); e.g. BENCH_ARGS=--quick.
bench: deps configure
	ninja -C $(BUILD) bench/bench_mlp
	./$(BUILD)/bench/bench_mlp $(BENCH_ARGS)

# Every test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (the examples run in `make test` only: under the sanitizers they would
# double CI's time). -O1: sanitizer builds compile much faster than at -O2.
test-sanitize: deps
	@test -f build-asan/build.ninja || meson setup build-asan -Dbuildtype=plain -Doptimization=1 -Ddebug=true -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=false
	ninja -C build-asan
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 scripts/run-tests.sh build-asan

# libFuzzer on every reader of outside bytes (IDX, CSV, checkpoints), each
# target for FUZZ_SECONDS; clang builds them in build-fuzz/ (installs clang
# when missing). Seeds in fuzz/corpus/, what the runs find in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/ensure-deps.sh clang libclang-rt-14-dev
	@test -f build-fuzz/build.ninja || CXX=clang++ meson setup build-fuzz -Dfuzz=true -Dbuildtype=plain -Doptimization=1 -Ddebug=true -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=false
	ninja -C build-fuzz fuzz/fuzz_idx fuzz/fuzz_csv fuzz/fuzz_safetensors fuzz/fuzz_checkpoint
	@scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
