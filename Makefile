# Gantry - GANs for predictive maintenance, in C.
#
#   make            build the library (static and shared) and the gantry tool
#   make check      install missing Debian packages, build, run every test
#                   suite, then run it again built with ASan + UBSan
#   make demo       install, build and run the end-to-end demo
#   make bench      side-by-side benchmarks against PyTorch, numpy/scipy and
#                   pandas (bench-train, bench-score, bench-features,
#                   bench-ingest; see bench/)
#   make fuzz       fuzz the CSV reader for FUZZ_SECONDS (default 60)
#   make install    PREFIX=/usr/local (DESTDIR honoured)
#   make deps       install the Debian packages Gantry needs (root), or print
#                   the apt-get command
#
# Variables: WERROR=1 turns warnings into errors (CI does), CC, PREFIX.

VERSION := 0.1.0
PREFIX ?= /usr/local
CC ?= cc
BUILD ?= build
DEB_PACKAGES := build-essential pkg-config libfftw3-dev libhdf5-dev \
                libopenblas-dev libopenblas-openmp-dev check libmatio-dev \
                libpng-dev libjpeg-dev
# The CSV reader's fuzz target (libFuzzer), `make fuzz`.
DEB_FUZZ := clang libclang-rt-dev
FUZZ_SECONDS ?= 60
# Used by tests/reference/ and bench/ only, never by the product.
DEB_REFERENCE := python3 python3-torch python3-numpy python3-scipy python3-pandas python3-h5py

PKGS := hdf5 fftw3f matio libpng libjpeg
# OpenBLAS's OpenMP build, so that its threads and gantry's OpenMP loops are
# one pool: the default pthread build spins its own threads beside OpenMP's
# and oversubscribes the cores (10-100x slower layers at 2 threads).
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
OPENBLAS_DIR := /usr/lib/$(MULTIARCH)/openblas-openmp
BLAS_PC := PKG_CONFIG_PATH=$(OPENBLAS_DIR)/pkgconfig pkg-config
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
              $(shell $(BLAS_PC) --cflags openblas 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
            $(shell $(BLAS_PC) --libs openblas 2>/dev/null) -Wl,-rpath,$(OPENBLAS_DIR)
HDF5_LIBDIR := $(patsubst -L%,%,$(filter -L%,$(shell pkg-config --libs-only-L hdf5 2>/dev/null)))
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
# -fno-math-errno lets sqrtf and friends vectorise; it is not fast-math (NaN and Inf
# behave as before, which the trainer's divergence checks rely on).
CFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L -fopenmp -fPIC -fno-math-errno $(OPT) $(WARN) \
             -Iinclude -Isrc $(PKG_CFLAGS) $(CFLAGS)
LIBS_ALL = -L$(HDF5_LIBDIR) -lhdf5_hl $(PKG_LIBS) -fopenmp -lm

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined

LIB_SRC := $(sort $(wildcard src/*.c))
TOOL_SRC := $(sort $(wildcard tools/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
HEADERS := $(wildcard include/gantry/*.h src/*.h)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all lib tool deps check check-build test test-asan demo bench bench-train \
        bench-score bench-features bench-ingest fuzz \
        install uninstall clean fixtures

all: lib tool

lib: $(BUILD)/libgantry.a $(BUILD)/libgantry.so
tool: $(BUILD)/gantry

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -c $< -o $@

$(BUILD)/libgantry.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libgantry.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libgantry.so.0 -o $@ $^ $(LIBS_ALL)

$(BUILD)/gantry: $(TOOL_OBJ) $(BUILD)/libgantry.a
	$(CC) -o $@ $(TOOL_OBJ) $(BUILD)/libgantry.a $(LIBS_ALL) $(LDFLAGS)

# One runner for every Check suite: each tests/test_*.c defines
# its suite with `GTT_SUITE(gt_test_<name>_suite)`; the list is generated.
$(BUILD)/tests/suites.inc: $(TEST_SRC)
	@mkdir -p $(dir $@)
	@sed -n 's/^GTT_SUITE(\(gt_test_[a-z0-9_]*_suite\)).*/SUITE(\1)/p' \
	    $(TEST_SRC) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/tests/%.o: tests/%.c $(HEADERS) $(wildcard tests/*.h) $(BUILD)/tests/suites.inc
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -I$(BUILD)/tests -c $< -o $@

$(BUILD)/tests/run: $(TEST_OBJ) $(BUILD)/libgantry.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(TEST_OBJ) $(BUILD)/libgantry.a $(CHECK_LIBS) $(LIBS_ALL) $(LDFLAGS)

# --- entry points -----------------------------------------------------------

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	    echo "Gantry needs these Debian packages:$$missing"; \
	    echo "Install them with:  sudo apt-get install$$missing"; exit 1; \
	fi

# The reference interpreter's packages (PyTorch), for fixtures and benchmarks.
deps-reference:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(DEB_REFERENCE)"

check: deps
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory test-asan

test: $(BUILD)/tests/run $(BUILD)/gantry
	GANTRY_TOOL=$(BUILD)/gantry $(BUILD)/tests/run

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g" \
	    CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" build/asan/tests/run build/asan/gantry
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    GANTRY_TOOL=build/asan/gantry GT_TEST_QUICK=1 build/asan/tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@sh datasets/demo.sh $(BUILD)/gantry

bench: bench-train bench-score bench-features bench-ingest

bench-train: deps deps-reference
	@$(MAKE) --no-print-directory all $(BUILD)/bench/bench_train
	@sh bench/run.sh $(BUILD)

bench-score: deps deps-reference
	@$(MAKE) --no-print-directory all $(BUILD)/bench/bench_score
	@sh bench/score.sh $(BUILD)

bench-features: deps deps-reference
	@$(MAKE) --no-print-directory all $(BUILD)/bench/bench_features
	@sh bench/features.sh $(BUILD)

bench-ingest: deps deps-reference
	@$(MAKE) --no-print-directory all $(BUILD)/bench/bench_csv
	@sh bench/ingest.sh $(BUILD)

# Every bench/ program links bench/bench_util.c (what they share).
BENCH_UTIL_OBJ = $(BUILD)/obj/bench/bench_util.o
$(BENCH_UTIL_OBJ): bench/bench_util.h

$(BUILD)/bench/%: bench/%.c bench/bench_util.h $(BENCH_UTIL_OBJ) $(BUILD)/libgantry.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BENCH_UTIL_OBJ) $(BUILD)/libgantry.a $(LIBS_ALL)

# Fuzz the CSV reader for FUZZ_SECONDS (clang, libFuzzer, ASan + UBSan);
# a crash leaves its input in build/fuzz/ and fails.
fuzz:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(DEB_FUZZ)"
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# Regenerate tests/fixtures/ with PyTorch (needs `make deps-reference`).
fixtures: deps-reference
	/usr/bin/python3 tests/reference/make_fixtures.py tests/fixtures
	/usr/bin/python3 tests/reference/make_classifier_fixtures.py tests/fixtures
	/usr/bin/python3 tests/reference/detect_ref.py tests/fixtures

$(BUILD)/gantry.pc: Makefile
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' \
	    'libdir=$${prefix}/lib' '' 'Name: gantry' \
	    'Description: GANs for predictive maintenance' 'Version: $(VERSION)' \
	    'Requires.private: $(PKGS)' 'Cflags: -I$${includedir}' \
	    'Libs: -L$${libdir} -lgantry' \
	    'Libs.private: -L$(HDF5_LIBDIR) -lhdf5_hl -L$(OPENBLAS_DIR) -lopenblas -Wl,-rpath,$(OPENBLAS_DIR) -fopenmp -lm' > $@

install: all $(BUILD)/gantry.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/gantry
	install -m 755 $(BUILD)/gantry $(DESTDIR)$(PREFIX)/bin/gantry
	install -m 644 $(BUILD)/libgantry.a $(DESTDIR)$(PREFIX)/lib/libgantry.a
	install -m 755 $(BUILD)/libgantry.so $(DESTDIR)$(PREFIX)/lib/libgantry.so.$(VERSION)
	ln -sf libgantry.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libgantry.so.0
	ln -sf libgantry.so.0 $(DESTDIR)$(PREFIX)/lib/libgantry.so
	install -m 644 include/gantry/*.h $(DESTDIR)$(PREFIX)/include/gantry/
	install -m 644 $(BUILD)/gantry.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/gantry.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/gantry $(DESTDIR)$(PREFIX)/lib/libgantry.* \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/gantry.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/gantry

clean:
	rm -rf build
