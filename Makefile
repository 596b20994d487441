# The front door: `make demo` and `make test` install what is missing,
# configure meson once in build/, build, and run.
BUILD ?= build
MESON_FLAGS ?=

.PHONY: all deps configure build test demo bench test-sanitize clean

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

demo: build
	./$(BUILD)/examples/xor_demo

bench: deps configure
	ninja -C $(BUILD) bench/bench_mlp
	./$(BUILD)/bench/bench_mlp

clean:
	rm -rf $(BUILD)
