# Vellum's entry points. `make run` and `make test` work on a fresh Debian machine:
# both install what is missing (scripts/setup.sh, idempotent), configure and build.
JOBS ?= 2
BUILD ?= build
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 60
PORT ?= 6379

.PHONY: all setup build run test unit integration asan tsan fuzz bench docs format clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Starts vellumd with its embedded defaults (127.0.0.1:6379, data under ./data).
run: build
	./$(BUILD)/vellumd

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L unit

integration: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L integration

# The sanitizer builds are unity builds (CMake batches 8 source files per compilation):
# CI builds them from scratch every time, and the ASan one takes 112 s instead of 240 s
# on 2 cores. The normal build (make build/test) still compiles each file on its own, so
# CI also proves that every file includes what it uses. In a unity build, file-local
# names must not repeat across files of one target (anonymous namespaces merge).
UNITY = -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVELLUM_SANITIZE=ON -DVELLUM_BENCH=OFF $(UNITY) >/dev/null
	@cmake --build build-asan -j$(JOBS) --target unit_tests
	cd build-asan && ctest --output-on-failure -j$(JOBS) -L unit

# Threaded unit tests, and the real server under racing clients, with ThreadSanitizer:
# a race makes vellumd exit (halt_on_error), which fails the integration test.
# detect_deadlocks=0: TSan's lock-order detector cannot track one thread holding more than
# 64 mutexes, and FLUSHALL/SWAPDB/EXEC hold all 256 shard locks (always in ascending
# order, which is what rules deadlock out).
# tests/tsan.supp: reports with a frame in Debian's (uninstrumented) RocksDB are skipped.
TSAN_OPTS = halt_on_error=1 detect_deadlocks=0 suppressions=$(CURDIR)/tests/tsan.supp
TSAN_TESTS ?= test_concurrency.py test_transactions.py test_persistence.py test_snapshots.py \
  test_replication.py test_scripting.py test_http.py test_lists.py test_lists_blocking.py test_zsets_blocking.py \
  test_warmup.py test_tiering.py
tsan: setup
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVELLUM_TSAN=ON -DVELLUM_BENCH=OFF $(UNITY) >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target unit_tests vellumd vellumctl
	cd build-tsan && TSAN_OPTIONS="$(TSAN_OPTS)" \
	  ctest --output-on-failure -j$(JOBS) -L unit -R 'Thread'
	cd tests/integration && TSAN_OPTIONS="$(TSAN_OPTS)" \
	  VELLUMD=$(CURDIR)/build-tsan/vellumd VELLUMCTL=$(CURDIR)/build-tsan/vellumctl /usr/bin/python3 -m pytest -q -p no:cacheprovider $(TSAN_TESTS)

# The RESP parser, then the HTTP request parser (half as long), under libFuzzer (clang),
# each from its seed corpus, for FUZZ_SECONDS.
fuzz: setup
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVELLUM_FUZZ=ON -DVELLUM_BENCH=OFF >/dev/null
	@cmake --build build-fuzz -j$(JOBS) --target resp_parser_fuzz http_request_fuzz
	@mkdir -p build-fuzz/corpus && cp tests/fuzz/corpus/* build-fuzz/corpus/
	@mkdir -p build-fuzz/http_corpus && cp tests/fuzz/http_corpus/* build-fuzz/http_corpus/
	./build-fuzz/tests/resp_parser_fuzz build-fuzz/corpus -dict=tests/fuzz/resp.dict \
	  -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1
	./build-fuzz/tests/http_request_fuzz build-fuzz/http_corpus -dict=tests/fuzz/http.dict \
	  -max_total_time=$$(( $(FUZZ_SECONDS) / 2 )) -max_len=4096 -print_final_stats=1

# Side-by-side redis-benchmark ratios against a real redis-server (both in memory only),
# measured by bench/compare.sh (BENCH_MODE=quick|full; WORKLOADS=... picks a subset).
bench: build
	bash bench/compare_with_redis.sh $(BENCH_MODE)

# The same matrix with persistence on both sides, like with like: Vellum everysec against
# redis-server --appendonly yes --appendfsync everysec, then always against always, with
# the value-size rows added (WORKLOADS=... overrides; PERSIST_MODES="always" runs one).
PERSIST_MODES ?= everysec always
PERSIST_WORKLOADS ?= set-32B-P1 get-32B-P1 set-1K-P1 set-4K-P1 get-4K-P1 set-32K-P1 get-32K-P1 \
  set-1K-P16 set-4K-P16 get-4K-P16 set-32K-P16 mset-10x1K mixed-90get10set-4K-P1
.PHONY: bench-persist
bench-persist: build
	@for mode in $(PERSIST_MODES); do \
	  echo "== durability $$mode"; \
	  WORKLOADS="$${WORKLOADS:-$(PERSIST_WORKLOADS)}" \
	  VELLUM_ARGS="--storage.durability $$mode $(VELLUM_ARGS)" \
	  REDIS_ARGS="--save '' --appendonly yes --appendfsync $$mode" \
	  bash bench/compare_with_redis.sh $(BENCH_MODE) || exit 1; \
	done

# Tiering side by side: GETs over 100k x 4 KiB (400 MB) against maxmemory 64mb with
# storage.tiering (uniform keys: most hits read the value back from RocksDB, on the
# readers), next to redis-server holding all of it in memory; both persist everysec.
TIERING_WORKLOADS ?= get-4K-P1 get-4K-P16 set-4K-P1 mixed-90get10set-4K-P1
.PHONY: bench-tiering
bench-tiering: build
	KEYSPACE=100000 WORKLOADS="$${WORKLOADS:-$(TIERING_WORKLOADS)}" \
	  VELLUM_ARGS="--storage.durability everysec --storage.tiering yes --maxmemory 64mb --maxmemory-policy allkeys-lru $(VELLUM_ARGS)" \
	  REDIS_ARGS="--save '' --appendonly yes --appendfsync everysec" \
	  bash bench/compare_with_redis.sh $(BENCH_MODE)

# The same matrix with A = bench/null_server, a RESP server that does no work: the
# ceiling of what bench/compare.sh can measure on this machine.
# Scripts side by side: EVALSHA of a one-GET script and of rate-limit-redis's limiter,
# with plain GET as the yardstick (same harness, same servers).
.PHONY: bench-scripting
bench-scripting: build
	WORKLOADS="get-32B-P1 evalsha-get-32B-P1 evalsha-ratelimit-P1" bash bench/compare_with_redis.sh $(BENCH_MODE)

# The list commands side by side (redis-benchmark's lpush, rpush, lpop, rpop, lrange tests).
LIST_WORKLOADS = lpush-32B-P1 rpush-32B-P1 lpop-32B-P1 rpop-32B-P1 lrange-100-32B-P1 \
  lrange-600-32B-P1 lpush-32B-P16
.PHONY: bench-lists
bench-lists: build
	WORKLOADS="$(LIST_WORKLOADS)" bash bench/compare_with_redis.sh $(BENCH_MODE)

# Sorted sets side by side with Redis (bench/compare.sh rows zadd-* ... zrangebyscore-*).
ZSET_WORKLOADS = zadd-test-P1 zpopmin-test-P1 zadd-P1 zadd-P16 zscore-P1 zrank-P1 zincrby-P1 \
  zrange-100-P1 zrangebyscore-10-P1
.PHONY: bench-zsets
bench-zsets: build
	WORKLOADS="$(ZSET_WORKLOADS)" bash bench/compare_with_redis.sh $(BENCH_MODE)

# The HTTP edge side by side with nginx serving the same pages from files (wrk).
# Hashes side by side with Redis (bench/compare.sh rows hset-test, *-session: the packed form).
HASH_WORKLOADS = hset-test-P1 hset-session-P1 hget-session-P1 hgetall-session-P1 \
  hincrby-session-P1
.PHONY: bench-hashes
bench-hashes: build
	WORKLOADS="$(HASH_WORKLOADS)" bash bench/compare_with_redis.sh $(BENCH_MODE)

.PHONY: bench-http
bench-http: build
	bash bench/http_side_by_side.sh

.PHONY: bench-ceiling
bench-ceiling: build
	bash bench/null_server_ceiling.sh $(BENCH_MODE)

# The ceiling of bench-persist: the null server writing every SET through Vellum's storage
# engine (one batch per pass, written in its loop) against the same AOF Redis.
.PHONY: bench-persist-ceiling
bench-persist-ceiling: build
	@for mode in $(PERSIST_MODES); do \
	  echo "== durability $$mode"; \
	  WORKLOADS="$${WORKLOADS:-$(PERSIST_WORKLOADS)}" NULL_DURABILITY=$$mode \
	  bash bench/null_server_ceiling.sh $(BENCH_MODE) || exit 1; \
	done

# Regenerates the command reference from the command table.
docs: build
	./$(BUILD)/vellumd --commands-markdown > docs/commands.md

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-asan build-tsan build-fuzz

# Eviction quality: hit rates of vellumd and redis-server under the same maxmemory and
# policy, same Zipf workload (EVICTION_ARGS, e.g. --maxmemory 32mb --policies allkeys-lru).
.PHONY: bench-eviction
bench-eviction: build
	python3 bench/eviction_hit_rate.py $(EVICTION_ARGS)
