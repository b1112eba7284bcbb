# Build, test and clean for the simulated key-value ring.
#   make            builds ./Application and the graders in tools/
#   make run        builds, runs a classic scenario (SCENARIO=...) and grades it
#   make test       builds and runs every test (unit, grader, scenarios)
#   make sanitize   the unit and scenario tests under AddressSanitizer + UBSan
#   make bench      the benchmark table (10, 100, 1000 nodes)
#   make fuzz       fuzz the testcase parser for FUZZ_SECONDS (default 600) with libFuzzer
#   make clean      removes build products and logs
ifeq ($(origin CC),default)
CC = gcc
endif
WARN     = -Wall -Wextra
CFLAGS  ?= -O2 -g
BASE_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -pthread $(WARN) $(CFLAGS)
ALL_CFLAGS = $(BASE_CFLAGS) -Iinclude -MMD -MP
# Expanded when a recipe runs, after the deps target has installed what is missing.
CRYPTO_LIBS = $(shell pkg-config --libs libcrypto)
CUNIT_LIBS  = $(shell pkg-config --libs cunit)
JSON_LIBS   = $(shell pkg-config --libs jansson)
EDIT_LIBS   = $(shell pkg-config --libs libedit)
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS   = $(filter-out src/main.c,$(wildcard src/*.c))
OBJS   = $(SRCS:src/%.c=build/%.o)
TSRCS  = $(wildcard tests/unit/*.c)
TOBJS  = $(TSRCS:tests/unit/%.c=build/tests/%.o)
GRADERS = tools/grade-membership tools/grade-kv tools/check-state tools/check-history \
          tools/campaign tools/kv
SCENARIO ?= testcases/singlefailure.conf

.PHONY: all run test unit sanitize bench clean deps test-deps fuzz fuzz-afl fuzz-replay
FUZZ_SECONDS ?= 600
all: Application $(GRADERS)

# One pass each: what the build needs (an ordinary user is also told the tests' packages, so
# that one command serves make run and make test); what the build and the tests need.
deps:
	@tools/ensure-deps libcrypto jansson libedit --also cunit jq chromium
test-deps:
	@tools/ensure-deps libcrypto jansson libedit cunit jq chromium

Application: build/main.o $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CRYPTO_LIBS) $(EDIT_LIBS) -lm

build/%.o: src/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The checkers share tools/dbglog.c, the one dbg.log reader.
DBGLOG = tools/dbglog.c tools/dbglog.h
tools/grade-membership: tools/grade_membership.c $(DBGLOG)
	$(CC) $(BASE_CFLAGS) -Itools -o $@ $< tools/dbglog.c
tools/grade-kv: tools/grade_kv.c $(DBGLOG)
	$(CC) $(BASE_CFLAGS) -Itools -o $@ $< tools/dbglog.c
tools/check-state: tools/check_state.c $(DBGLOG) | deps
	$(CC) $(BASE_CFLAGS) -Itools -o $@ $< tools/dbglog.c $(CRYPTO_LIBS)
tools/check-history: tools/check_history.c $(DBGLOG) | deps
	$(CC) $(BASE_CFLAGS) -Itools -o $@ $< tools/dbglog.c $(CRYPTO_LIBS) $(JSON_LIBS)
tools/kv: tools/kv.c src/wire.c src/addr.c src/auth.c include/wire.h include/auth.h | deps
	$(CC) $(BASE_CFLAGS) -Iinclude -o $@ tools/kv.c src/wire.c src/addr.c src/auth.c $(CRYPTO_LIBS)
tools/campaign: tools/campaign.c | deps
	$(CC) $(BASE_CFLAGS) -o $@ tools/campaign.c $(CRYPTO_LIBS) -lm

build/tests/%.o: tests/unit/%.c | test-deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/unit_tests: $(TOBJS) $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CUNIT_LIBS) $(CRYPTO_LIBS) $(EDIT_LIBS) -lm

# The same sources built with sanitizers, in their own tree.
build/asan/%.o: src/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -c -o $@ $<
build/asan/tests/%.o: tests/unit/%.c | test-deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -c -o $@ $<
build/asan/Application: build/asan/main.o $(OBJS:build/%=build/asan/%)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -o $@ $^ $(CRYPTO_LIBS) $(EDIT_LIBS) -lm
build/asan/unit_tests: $(TOBJS:build/%=build/asan/%) $(OBJS:build/%=build/asan/%)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -o $@ $^ $(CUNIT_LIBS) $(CRYPTO_LIBS) $(EDIT_LIBS) -lm
build/asan/grade-%: tools/grade_%.c $(DBGLOG)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SANITIZE) -Itools -o $@ $< tools/dbglog.c
build/asan/check-state: tools/check_state.c $(DBGLOG) | deps
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SANITIZE) -Itools -o $@ $< tools/dbglog.c $(CRYPTO_LIBS)
build/asan/check-history: tools/check_history.c $(DBGLOG) | deps
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SANITIZE) -Itools -o $@ $< tools/dbglog.c $(CRYPTO_LIBS) $(JSON_LIBS)

# A test build with deliberately unsafe behaviour on demand (KV_FAULTS=early-drop,quorum-one,
# no-anti-entropy), to show that the history checker and the campaign catch what it breaks.
build/faulty/%.o: src/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DKV_FAULT_INJECTION -c -o $@ $<
build/faulty/Application: build/faulty/main.o $(OBJS:build/%=build/faulty/%)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CRYPTO_LIBS) $(EDIT_LIBS) -lm
build/asan/faulty/%.o: src/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -DKV_FAULT_INJECTION -c -o $@ $<
build/asan/faulty/Application: build/asan/faulty/main.o $(OBJS:build/%=build/asan/faulty/%)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -o $@ $^ $(CRYPTO_LIBS) $(EDIT_LIBS) -lm
build/asan/campaign: tools/campaign.c | deps
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SANITIZE) -o $@ $< $(CRYPTO_LIBS) -lm

# A key-value testcase (one with CRUD_TEST) is graded by grade-kv, its final state by check-state.
run: all
	@if grep -q '^[[:space:]]*CRUD_TEST' $(SCENARIO); then \
	  set -x; ./Application $(SCENARIO) --dump-state state.txt && tools/grade-kv dbg.log && \
	  tools/check-state state.txt dbg.log; \
	else \
	  set -x; ./Application $(SCENARIO) && tools/grade-membership dbg.log; \
	fi

unit: build/unit_tests
	build/unit_tests

test: test-deps
	@$(MAKE) --no-print-directory all build/unit_tests build/faulty/Application
	@tests/run-all build/unit_tests ./Application tools/grade-membership tools/grade-kv \
	  tools/check-state tools/check-history tools/campaign build/faulty/Application

ASAN_BINS = build/asan/unit_tests build/asan/Application build/asan/grade-membership \
          build/asan/grade-kv build/asan/check-state build/asan/check-history \
          build/asan/campaign build/asan/faulty/Application
sanitize: test-deps
	@$(MAKE) --no-print-directory $(ASAN_BINS) tools/kv
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 REGRESSION_SEEDS=5 \
	  tests/run-all $(ASAN_BINS)

bench: all
	tools/bench

# Fuzzing the testcase parser (tests/fuzz/): libFuzzer or AFL++ for FUZZ_SECONDS, or a replay of
# the corpus and every regression input under ASan+UBSan (also part of make test).
fuzz:
	tests/fuzz/run-fuzz libfuzzer $(FUZZ_SECONDS)
fuzz-afl:
	tests/fuzz/run-fuzz afl $(FUZZ_SECONDS)
fuzz-replay:
	tests/fuzz/run-fuzz replay

clean:
	rm -rf build Application $(GRADERS) dbg.log stats.log msgcount.log state.txt

-include $(OBJS:.o=.d) build/main.d $(TOBJS:.o=.d)
-include $(OBJS:build/%.o=build/asan/%.d) build/asan/main.d $(TOBJS:build/%.o=build/asan/%.d)
-include $(OBJS:build/%.o=build/faulty/%.d) build/faulty/main.d
-include $(OBJS:build/%.o=build/asan/faulty/%.d) build/asan/faulty/main.d
