# Makefile: one non-recursive build of the whole tree into $(BUILD)/.
#
#   make run     install dependencies if missing, build, run the default scenario suite
#   make test    unit tests + scenario suite (with a determinism check)
#   make asan    the same under AddressSanitizer and UndefinedBehaviorSanitizer
#   make bench   the benchmark scenarios (events/s, simulated s per wall s)
#   make deps    install the Debian packages the build needs
#
# The top-level targets first make sure the libraries are installed (scripts/deps.sh) and then
# call make again for the real work, so that pkg-config is asked only once they exist.

BUILD ?= build
CC ?= cc
PKGS_RUN := libfyaml libxxhash
PKGS_TEST := cmocka

OPT ?= -O2
SAN ?=
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS_ALL := -std=c11 -D_DEFAULT_SOURCE $(OPT) -g $(WARN) $(SAN) -I. \
              $(shell pkg-config --cflags $(PKGS_RUN) 2>/dev/null) $(CFLAGS)
LDLIBS_RUN := $(shell pkg-config --libs $(PKGS_RUN) 2>/dev/null) -lm
LDLIBS_TEST := $(shell pkg-config --libs $(PKGS_TEST) 2>/dev/null)

LIB_SRCS := $(sort $(wildcard core/*.c core/helpers/*.c faults/*.c sim/*.c scenarios/*.c reports/*.c) \
            $(filter-out cli/main.c,$(wildcard cli/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard tests/support/*.c)))
VSTORE := $(BUILD)/vstore

.PHONY: all deps run test asan swarm bench build-all unit check-scenarios clean
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory build-all

build-all: $(VSTORE) $(TEST_BINS)

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory $(VSTORE)
	$(VSTORE) run scenarios/

test: deps
	@$(MAKE) --no-print-directory build-all
	@scripts/test.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" build-all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    scripts/test.sh build/asan --quick

# The full swarm sweep of issue 6's acceptance (about 3 minutes on 2 cores).
swarm: deps
	@$(MAKE) --no-print-directory $(VSTORE)
	@$(VSTORE) run scenarios/ --seeds 1..2000 --swarm >$(BUILD)/swarm.txt; status=$$?; \
	    grep -E '^(FAIL|  )' $(BUILD)/swarm.txt | head -n 80; tail -n 1 $(BUILD)/swarm.txt; exit $$status

bench: deps
	@$(MAKE) --no-print-directory $(VSTORE)
	$(VSTORE) bench bench/

# Objects are linked directly (no archive), so two modules in different folders may share a
# file name.
$(VSTORE): $(BUILD)/obj/cli/main.o $(LIB_OBJS)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_RUN)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_SUPPORT_OBJS) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_TEST) $(LDLIBS_RUN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
