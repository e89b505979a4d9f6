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
    ks.Upsert(0, k, kNow, &created)->str = "value";
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
    ks.Upsert(0, k, kNow, &created)->str.assign("value-of-some-length-32-bytes!!!");
  }
}
BENCHMARK(BM_Keyspace_Set);

}  // namespace
