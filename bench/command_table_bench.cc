// Micro-benchmark of command lookup: every request resolves its name (any case) in the
// command table before anything else runs.
#include <benchmark/benchmark.h>

#include <string_view>

#include "server/command_table.h"
#include "server/commands/registry.h"

namespace {

using vellum::server::CommandTable;

void BM_CommandTable_Find(benchmark::State& state) {
  CommandTable table;
  vellum::server::RegisterAllCommands(table);
  const std::string_view names[] = {"GET", "set", "Hget", "INCRBYFLOAT"};
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(table.Find(names[i++ % 4]));
}
BENCHMARK(BM_CommandTable_Find);

}  // namespace
