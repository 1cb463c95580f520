# SPDX-License-Identifier: Apache-2.0
# The README's two commands: `make demo` and `make test`. Everything else is a helper.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
CMAKE_FLAGS ?=

.PHONY: all deps configure build test demo bench fuzz-smoke format format-check clean

all: build

deps:
	./scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: deps
	$(MAKE) build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

demo: deps
	$(MAKE) build
	./$(BUILD_DIR)/src/app/switchboard serve --config examples/demo.yaml

bench: deps
	$(MAKE) build
	./bench/run_all.sh

# Needs clang (libFuzzer); not part of `make test`.
fuzz-smoke:
	./tests/fuzz/smoke.sh

format:
	find src bench tests -name '*.h' -o -name '*.cpp' | xargs clang-format -i

format-check:
	find src bench tests -name '*.h' -o -name '*.cpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD_DIR)
