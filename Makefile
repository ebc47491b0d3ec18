# bayeslens - thin wrapper over CMake. `make run` and `make test` work on a
# fresh Debian machine: they install missing packages first (see deps).
BUILD    ?= build
ASAN     ?= build-asan
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX   ?= /usr/local
DEBS      = libncurses-dev libreadline-dev libopenblas-dev liblapacke-dev libgsl-dev \
            cmake pkg-config gcc make tmux locales

.PHONY: all deps configure build run test bench asan fuzz install clean

all: build

deps:
	@sh .ci/deps.sh $(DEBS)

# In CI (CI=true) compiler warnings are errors, in both builds.
WERROR   := $(if $(filter true,$(CI)),ON,OFF)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBAYESLENS_WERROR=$(WERROR)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/bayeslens $(if $(ARGS),$(ARGS),--demo)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	cmake --build $(BUILD) --target bench

# The binary to $(DESTDIR)$(PREFIX)/bin, bayeslens.1 (generated from the
# command table by the build) to $(DESTDIR)$(PREFIX)/share/man/man1.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DBAYESLENS_SANITIZE=ON -DBAYESLENS_WERROR=$(WERROR)
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer harnesses (tests/fuzz): build with clang, run each for FUZZ_S
# seconds on its seed corpus (tests/fuzz/corpus/*); findings go to
# $(FUZZ)/findings.
FUZZ     ?= build-fuzz
FUZZ_S   ?= 60
fuzz:
	@sh .ci/deps.sh clang libclang-rt-14-dev $(DEBS)
	for h in cmd csv; do sh tests/fuzz/run.sh $(CURDIR) $(CURDIR)/$(FUZZ) $$h $(FUZZ_S) || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
