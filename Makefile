# The front door: `make demo` and `make test` install what is missing,
# configure meson once in build/, build, and run.
BUILD ?= build
MESON_FLAGS ?=

.PHONY: all deps configure build test install test-consumer demo demo-mpi bench bench-allreduce test-sanitize test-tsan fuzz clean

# Open MPI refuses to start as root without these (harmless otherwise);
# --oversubscribe lets 2 ranks share fewer cores.
MPIRUN ?= OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe
MPI_RANKS ?= 2

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

# Installs the libraries, headers, pkg-config files (tapegrad.pc,
# tapegrad_mpi.pc) and the CMake package under PREFIX.
PREFIX ?= /usr/local
install: deps configure
	meson configure $(BUILD) -Dprefix=$(abspath $(PREFIX))
	meson install -C $(BUILD)

# Builds and runs a CMake and a meson project against a `meson install
# --destdir` copy of $(BUILD) (tests/consumer; CI runs it).
test-consumer: build
	@scripts/consumer-test.sh $(BUILD)

# Trains the funnel MLP on Fashion-MNIST (installs Debian's
# dataset-fashion-mnist when missing); DEMO_ARGS=--help lists the options.
demo: build
	@scripts/ensure-deps.sh --demo
	./$(BUILD)/examples/fashion_mnist $(DEMO_ARGS)

# The demo as an MPI job of MPI_RANKS processes on this machine, one BLAS
# thread each; each takes its share of every batch of 128.
demo-mpi: build
	@scripts/ensure-deps.sh --demo
	$(MPIRUN) -np $(MPI_RANKS) ./$(BUILD)/examples/fashion_mnist --distributed --threads 1 $(DEMO_ARGS)

# Benchmarks against libtorch and OpenBLAS (~5 min); e.g. BENCH_ARGS=--quick.
bench: deps configure
	ninja -C $(BUILD) bench/bench_mlp
	./$(BUILD)/bench/bench_mlp $(BENCH_ARGS)

# Gradient averaging per step, bucketed and one allreduce per tensor (~10 s).
bench-allreduce: deps configure
	ninja -C $(BUILD) bench/bench_allreduce
	$(MPIRUN) -np $(MPI_RANKS) ./$(BUILD)/bench/bench_allreduce $(BENCH_ARGS)

# Every test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (the examples run in `make test` only: under the sanitizers they would
# double CI's time). -O1: sanitizer builds compile much faster than at -O2.
test-sanitize: deps
	@test -f build-asan/build.ninja || meson setup build-asan -Dbuildtype=plain -Doptimization=1 -Ddebug=true -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=false
	ninja -C build-asan
	@UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 scripts/run-tests.sh build-asan

# The suites that run threads (two trainings at once, per-thread state,
# determinism) under ThreadSanitizer, in build-tsan/.
TSAN_SUITES = threads parallel_training determinism
test-tsan: deps
	@test -f build-tsan/build.ninja || meson setup build-tsan -Dbuildtype=plain -Doptimization=1 -Ddebug=true -Db_sanitize=thread -Db_lundef=false -Dexamples=false
	ninja -C build-tsan $(addprefix tests/test_,$(TSAN_SUITES))
	@TSAN_OPTIONS=halt_on_error=1 scripts/run-tests.sh build-tsan $(TSAN_SUITES)

# libFuzzer on every reader of outside bytes (IDX, CSV, checkpoints, torch.save pickles), each
# target for FUZZ_SECONDS; clang builds them in build-fuzz/ (installs clang
# when missing). Seeds in fuzz/corpus/, what the runs find in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/ensure-deps.sh clang libclang-rt-14-dev
	@test -f build-fuzz/build.ninja || CXX=clang++ meson setup build-fuzz -Dfuzz=true -Dbuildtype=plain -Doptimization=1 -Ddebug=true -Db_sanitize=address,undefined -Db_lundef=false -Dexamples=false
	ninja -C build-fuzz fuzz/fuzz_idx fuzz/fuzz_csv fuzz/fuzz_safetensors fuzz/fuzz_checkpoint fuzz/fuzz_unpickler
	@scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
