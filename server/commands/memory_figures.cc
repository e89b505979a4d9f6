#include "server/commands/memory_figures.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "common/memory.h"
#include "server/client_state.h"
#include "storage/engine.h"

namespace vellum::server {

MemoryFigures MemoryFigures::Collect(ServerState& server) {
  MemoryFigures f;
  f.used = UsedMemory();
  f.peak = std::max(PeakMemory(), f.used);
  f.rss = ProcessRssBytes();
  f.startup = std::min(server.startup_memory, f.used);
  f.startup_rss = server.startup_rss;
  uint64_t replicas_query = 0;
  for (const auto& c : server.clients().Live()) {
    const uint64_t query = c->query_buffer_bytes.load(std::memory_order_relaxed);
    const uint64_t output = c->output_bytes.load(std::memory_order_relaxed);
    if (c->replica.load(std::memory_order_relaxed)) {
      f.clients_slaves += query + output;
      replicas_query += query;
    } else {
      f.clients_normal += query + output;
    }
  }
  f.scripts = server.scripts().memory();
  f.not_counted = NotCountedMemory();
  if (server.engine() != nullptr) f.replication_backlog = server.engine()->RecentLogBytes();
  // A replica's output buffer is in not_counted already.
  f.overhead = f.startup + f.clients_normal + replicas_query + f.scripts + f.not_counted;
  storage::Keyspace& ks = server.keyspace();
  for (int db = 0; db < storage::kNumDbs; db++) {
    f.dbs[db] = ks.Sizes(db);
    f.overhead += f.dbs[db].main + f.dbs[db].expires;
    f.keys += f.dbs[db].keys;
  }
  f.allocator = ReadAllocatorStats();
  return f;
}

}  // namespace vellum::server
