// Micro-benchmarks of the sharded keyspace: lookups and upserts under shard locks.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "storage/keyspace.h"

namespace {

using vellum::storage::Entry;
using vellum::storage::Keyspace;
using vellum::storage::ShardLocks;

constexpr int64_t kNow = 1'700'000'000'000;

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; i++) keys.push_back("key:" + std::to_string(100000000 + i));
  return keys;
}

void BM_Keyspace_Get(benchmark::State& state) {
  Keyspace ks(8);
  auto keys = Keys(static_cast<int>(state.range(0)));
  for (const auto& k : keys) {
    bool created;
    ks.Upsert(0, k, kNow, &created)->SetStr("value");
  }
  size_t i = 0;
  for (auto _ : state) {
    const std::string& k = keys[i++ % keys.size()];
    ShardLocks locks(&ks);
    locks.AddKey(k);
    locks.Acquire();
    benchmark::DoNotOptimize(ks.FindForRead(0, k, kNow));
  }
}
BENCHMARK(BM_Keyspace_Get)->Arg(10000)->Arg(1000000);

void BM_Keyspace_Set(benchmark::State& state) {
  Keyspace ks(8);
  auto keys = Keys(10000);
  size_t i = 0;
  for (auto _ : state) {
    const std::string& k = keys[i++ % keys.size()];
    ShardLocks locks(&ks);
    locks.AddKey(k);
    locks.Acquire();
    bool created;
    ks.Upsert(0, k, kNow, &created)->SetStr("value-of-some-length-32-bytes!!!");
  }
}
BENCHMARK(BM_Keyspace_Set);

// A pipelined client's batch of 16 GETs over 10,000 keys with 4 KiB values (40 MB, well
// beyond the CPU cache), each value copied into a reply buffer as a GET does. Per batch.
// The copy out of cold memory dominates; software prefetching of the batch's entries and
// values was tried here and did not help (memory bandwidth, not latency, is the limit).
void BM_Keyspace_PipelinedGet(benchmark::State& state) {
  Keyspace ks(8);
  auto keys = Keys(10000);
  for (const auto& k : keys) {
    bool created;
    ks.Upsert(0, k, kNow, &created)->MutableStr().assign(4096, 'v');
  }
  std::vector<std::string_view> batch(16);
  std::string out;
  out.reserve(80 * 1024);
  uint64_t rnd = 88172645463325252ULL;
  for (auto _ : state) {
    for (auto& k : batch) {
      rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
      k = keys[rnd % keys.size()];
    }
    out.clear();
    for (std::string_view k : batch) {
      ShardLocks locks(&ks);
      locks.AddKey(k);
      locks.Acquire();
      Entry* e = ks.FindForRead(0, k, kNow);
      out.append(e->str());
    }
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Keyspace_PipelinedGet);

}  // namespace
