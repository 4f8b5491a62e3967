# LSF Tasks: build, run and test lsf-server.
#   make run    install what is missing, build, serve http://localhost:4000
#   make test   install what is missing, build, run every test suite (each one's duration printed)
#   make image  the container image lsf-server:$(VERSION) and :latest (podman, offline)
# Other targets: all asan unit api api-scaled lint scale observability web web-test e2e compose-test
# k8s-test bench soak clean install (PREFIX, DESTDIR).

CC       ?= cc
PREFIX   ?= /usr/local
BUILD    ?= build/release
PKGS     := libh2o-evloop jansson sqlite3 libsodium libjwt libcurl libpq hiredis
GIT_REV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
VERSION  := 0.1.0

WARN     := -std=c17 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
            -Wcast-qual -Wvla -Wformat=2 -Wno-format-truncation -fno-common -Werror
WARN     += $(if $(findstring clang,$(CC)),-Wno-unknown-warning-option)
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
OPT      ?= -O2 -g
CPPFLAGS += -Isrc -I$(BUILD)/gen -DH2O_USE_LIBUV=0 -D_GNU_SOURCE \
            -DLSF_VERSION='"$(VERSION)"' -DLSF_GIT_REV='"$(GIT_REV)"'
# libbson (lsf-server import) as a system header: its inline atomics do not pass -Wcast-qual
BSON_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libbson-1.0 2>/dev/null))
CFLAGS   += $(WARN) $(OPT) $(HARDEN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(BSON_CFLAGS) -MMD -MP
LDFLAGS  += -pie -Wl,-z,relro,-z,now,-z,noexecstack
LDLIBS   += $(shell pkg-config --libs $(PKGS) libbson-1.0 2>/dev/null) -lcrypt -lssl -lcrypto -lz -lpthread -lm

SRCS     := $(shell find src -name '*.c' | sort)
OBJS     := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
GEN_SRCS := $(BUILD)/gen/sqlite_migrations.c $(BUILD)/gen/postgres_migrations.c
GEN_OBJS := $(GEN_SRCS:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)
LIB_OBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS)) $(GEN_OBJS)
LIB      := $(BUILD)/liblsf.a
BIN      := $(BUILD)/lsf-server

# Every node:test suite runs its files one at a time, and a test that hangs
# (a server that never answers, a child that never exits) fails after
# TEST_TIMEOUT_MS instead of holding the run until CI's own limit.
TEST_TIMEOUT_MS ?= 600000
NODE_TEST := node --test --test-concurrency=1 --test-timeout=$(TEST_TIMEOUT_MS)

UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps run test unit api api-scaled api-gateway lint scale observability runbooks web web-test e2e asan asan-unit asan-test bench soak clean install image compose-test k8s-test
.DEFAULT_GOAL := all

all: $(BIN)

deps:
	@scripts/install-deps.sh test

$(BIN): $(BUILD)/obj/main.o $(LIB)
	$(CC) $(LDFLAGS) $(SANITIZE) -o $@ $^ $(LDLIBS)

# Unit tests link against this archive, so each pulls in only the objects it uses.
$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: src/%.c | $(GEN_SRCS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANITIZE) -c -o $@ $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANITIZE) -c -o $@ $<

$(BUILD)/gen/sqlite_migrations.c: scripts/embed-sql.sh $(wildcard src/store/migrations/sqlite/*.sql)
	@mkdir -p $(@D)
	scripts/embed-sql.sh store_sqlite_migrations src/store/migrations/sqlite > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/postgres_migrations.c: scripts/embed-sql.sh $(wildcard src/store/migrations/postgres/*.sql)
	@mkdir -p $(@D)
	scripts/embed-sql.sh store_postgres_migrations src/store/migrations/postgres > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# Only what building and serving need (scripts/install-deps.sh run).
run:
	@scripts/install-deps.sh run
	$(MAKE) --no-print-directory all web
	$(BIN) serve

# Every suite, first on the optimized build, then under ASan+UBSan and
# ThreadSanitizer, then the fuzz targets; each one's duration is printed as
# it ends, and all of them at the end.
TEST_SUITES := unit api api-scaled lint scale observability runbooks web-test e2e compose-test k8s-test asan-test tsan-test fuzz-test
test: deps
	@set -e; summary=""; \
	for suite in $(TEST_SUITES); do \
	  start=$$(date +%s); \
	  if $(MAKE) --no-print-directory $$suite; then result=passed; else result=FAILED; fi; \
	  line="$$(printf '%-14s %-6s %5d s' $$suite $$result $$(($$(date +%s) - start)))"; \
	  summary="$$summary$$line\n"; echo "make test: $$line"; \
	  if [ $$result = FAILED ]; then printf "make test: durations\n$$summary"; exit 1; fi; \
	done; \
	printf "make test: durations\n$$summary"

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(UNIT_BINS)

# The API suite runs twice: errors with real HTTP statuses, then ERROR_STATUS=legacy.
api: all
	LSF_BIN=$(abspath $(BIN)) LSF_ERROR_STATUS=http $(NODE_TEST) tests/api/
	LSF_BIN=$(abspath $(BIN)) LSF_ERROR_STATUS=legacy $(NODE_TEST) tests/api/

# The web app served at / (WEB_DIR, default web/dist): npm ci from the lockfile
# when it changed, then a build when a source is newer than web/dist.
WEB_SRCS := $(shell find web/src web/public web/scripts web/index.html web/vite.config.js web/package.json -type f 2>/dev/null)

web: web/dist/index.html

web/node_modules/.lsf-installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: $(WEB_SRCS) web/node_modules/.lsf-installed
	cd web && npm run build
	@touch $@

web-test: web/node_modules/.lsf-installed
	cd web && npm test

# Browser tests of the built app (Debian chromium, tests/e2e/README.md).
e2e: all web
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	LSF_BIN=$(abspath $(BIN)) $(NODE_TEST) tests/e2e/

# promtool on deploy/prometheus, and a real Prometheus scraping a real server.
observability: all
	LSF_BIN=$(abspath $(BIN)) $(NODE_TEST) tests/observability/

# docs/OPERATIONS.md run as written: each runbook block against real servers
# (SQLite, PostgreSQL primary + replica, Redis, pgBackRest), and the scheduled
# backup script of Compose and Kubernetes (deploy/k8s/base/backup.sh): tests/ops/.
runbooks: all
	LSF_BIN=$(abspath $(BIN)) $(NODE_TEST) tests/ops/

# Several instances behind nginx (deploy/nginx), started and stopped by the tests.
scale: all
	LSF_BIN=$(abspath $(BIN)) $(NODE_TEST) tests/scale/

# The same API suite on PostgreSQL + Redis (throwaway servers on loopback).
api-scaled: all
	LSF_BIN=$(abspath $(BIN)) tests/support/with-pg-redis.sh \
	  $(NODE_TEST) tests/api/

# The accounts and tasks suites through nginx's API gateway (deploy/nginx/gateway.conf)
# with auth, user and tasks as three processes sharing one database and a Redis.
GATEWAY_SUITES := auth user otp session ratelimit tasks_counters tasks_crud tasks_isolation tasks_list tasks_paging
api-gateway: all
	LSF_BIN=$(abspath $(BIN)) LSF_TOPOLOGY=gateway $(NODE_TEST) \
	  $(GATEWAY_SUITES:%=tests/api/%.test.mjs)

# docs/openapi.yaml must be valid OpenAPI 3.1 (Redocly's recommended rules, docs/redocly.yaml).
lint:
	cd tests && npx --no-install redocly lint --config ../docs/redocly.yaml --format=stylish ../docs/openapi.yaml

ASAN_VARS := BUILD=build/asan CC=clang OPT='-O1 -g -fno-omit-frame-pointer' HARDEN='' \
             SANITIZE='-fsanitize=address,undefined -fno-sanitize-recover=all'

asan:
	$(MAKE) --no-print-directory $(ASAN_VARS) all

asan-unit:
	$(MAKE) --no-print-directory $(ASAN_VARS) unit

asan-test:
	LSF_SANITIZED=1 $(MAKE) --no-print-directory $(ASAN_VARS) unit api

# ThreadSanitizer (build/tsan): the unit tests, then the API suite on SQLite and on
# PostgreSQL + Redis, the server run by tests/tsan/lsf-server.sh (HTTP_THREADS and
# WORKER_THREADS 2, TSan stops it at its first report, its stderr copied to
# build/tsan/server-stderr.log); a report anywhere fails the target.
TSAN_VARS    := BUILD=build/tsan CC=clang OPT='-O1 -g -fno-omit-frame-pointer' HARDEN='' SANITIZE='-fsanitize=thread'
TSAN_OPTIONS_UNIT := halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$(abspath tests/tsan/suppressions.txt)
TSAN_LOG     := build/tsan/server-stderr.log

.PHONY: tsan tsan-test fuzz fuzz-test fuzz-targets

tsan:
	$(MAKE) --no-print-directory $(TSAN_VARS) all

tsan-test: tsan
	@rm -f $(TSAN_LOG)
	TSAN_OPTIONS=$(TSAN_OPTIONS_UNIT) $(MAKE) --no-print-directory $(TSAN_VARS) unit
	LSF_BIN=$(abspath tests/tsan/lsf-server.sh) LSF_SANITIZED=1 $(NODE_TEST) tests/api/
	LSF_BIN=$(abspath tests/tsan/lsf-server.sh) LSF_SANITIZED=1 tests/support/with-pg-redis.sh \
	  $(NODE_TEST) tests/api/
	@test -s $(TSAN_LOG) || { echo "tsan-test: no server output in $(TSAN_LOG): was tests/tsan/lsf-server.sh used?"; exit 1; }
	@if grep -q 'WARNING: ThreadSanitizer' $(TSAN_LOG); then \
	  grep -n -A40 'WARNING: ThreadSanitizer' $(TSAN_LOG); echo "tsan-test: ThreadSanitizer reports above"; exit 1; fi
	@echo "tsan-test: no ThreadSanitizer report"

# libFuzzer targets (tests/fuzz/*.c, one parser each) over the library built with
# -fsanitize=fuzzer-no-link,address,undefined in build/fuzz. `make fuzz` fuzzes each
# for FUZZ_SECONDS, new inputs going to build/fuzz/corpus/<name>, not the committed
# corpus; `make fuzz-test` (in `make test`) replays tests/fuzz/corpus and
# tests/fuzz/regression, then fuzzes each for FUZZ_TEST_SECONDS. See tests/fuzz/README.md.
FUZZ_VARS    := BUILD=build/fuzz CC=clang OPT='-O1 -g -fno-omit-frame-pointer' HARDEN='' \
                SANITIZE='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all'
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c))
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 5

# (with FUZZ_VARS) the target binaries, linked with -fsanitize=fuzzer
fuzz-targets: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) $(subst fuzzer-no-link,fuzzer,$(SANITIZE)) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

fuzz:
	$(MAKE) --no-print-directory $(FUZZ_VARS) fuzz-targets
	tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) build/fuzz $(FUZZ_NAMES)

fuzz-test:
	$(MAKE) --no-print-directory $(FUZZ_VARS) fuzz-targets
	tests/fuzz/run.sh test $(FUZZ_TEST_SECONDS) build/fuzz $(FUZZ_NAMES)
# The container image (deploy/Containerfile, docs/DEPLOY.md "Containers"):
# podman with this project's containers.conf, --pull=never; the Debian base
# images are made locally once when missing (scripts/container-base.sh).
PODMAN       := CONTAINERS_CONF=$(abspath deploy/podman/containers.conf) podman
IMAGE_NAME   ?= lsf-server
IMAGE_SOURCE ?= $(or $(shell git remote get-url origin 2>/dev/null),local)
image:
	@scripts/install-deps.sh image
	$(MAKE) --no-print-directory web
	CONTAINERS_CONF=$(abspath deploy/podman/containers.conf) scripts/container-base.sh
	$(PODMAN) build --format docker --pull=never -f deploy/Containerfile \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(shell git rev-parse HEAD 2>/dev/null || echo unknown) \
	  --build-arg SOURCE=$(IMAGE_SOURCE) -t $(IMAGE_NAME):$(VERSION) -t $(IMAGE_NAME):latest .

# deploy/compose.yaml brought up with podman-compose from the image and
# Debian-built stand-ins for the official images; the API suites through
# nginx, then kill -9, a rolling update and a rollback under load, and
# down/up with and without volumes (tests/compose/README.md).
compose-test: image
	CONTAINERS_CONF=$(abspath deploy/podman/containers.conf) LSF_IMAGE=$(IMAGE_NAME):$(VERSION) \
	  $(NODE_TEST) tests/compose/

# deploy/k8s (tests/k8s/README.md): every overlay rendered by the pinned
# kubectl's kustomize and validated against the Kubernetes schemas, the
# policy tests, the CI workflow read by GitHub's parser; the local overlay
# run with podman kube play; the previous release's binary (before the
# newest migration, scripts/previous-release.sh) serving on a database the
# current one migrated, on SQLite and on PostgreSQL.
K8S_KUBECTL := $(abspath tests/k8s/node_modules/.lsf/kubectl)
k8s-test: deps all image
	@test -x $(K8S_KUBECTL) || { echo "k8s-test: no $(K8S_KUBECTL): install-deps.sh unpacks it on amd64 only"; exit 1; }
	KUBECTL=$(K8S_KUBECTL) $(NODE_TEST) tests/k8s/manifests.test.mjs tests/k8s/workflow.test.mjs
	CONTAINERS_CONF=$(abspath deploy/podman/containers.conf) LSF_IMAGE=$(IMAGE_NAME):$(VERSION) KUBECTL=$(K8S_KUBECTL) \
	  $(NODE_TEST) tests/k8s/kubeplay.test.mjs
	prev=$$(scripts/previous-release.sh) && \
	LSF_BIN=$(abspath $(BIN)) LSF_PREV_BIN=$$prev $(NODE_TEST) tests/k8s/rollback.test.mjs && \
	LSF_BIN=$(abspath $(BIN)) LSF_PREV_BIN=$$prev tests/support/with-pg-redis.sh $(NODE_TEST) tests/k8s/rollback.test.mjs

bench: deps all
	bench/run.sh $(abspath $(BIN))

# A bounded soak (30 min of mixed traffic at half capacity; bench/soak.sh).
soak: deps all
	SOAK_OUT=$${SOAK_OUT:-build/soak} bench/soak.sh $(abspath $(BIN))

clean:
	rm -rf build

install: all
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/lsf-server

-include $(shell find build -name '*.d' 2>/dev/null)
