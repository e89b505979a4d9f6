// MemoryFigures: one reading of where the daemon's memory goes, in Redis's terms, for
// INFO memory, MEMORY STATS and MEMORY DOCTOR (so the three can never disagree).
//
// "Overhead" is what Redis calls it: memory held for the daemon itself rather than for
// the data (what it held at start, client buffers, the script cache, the tables' bucket
// arrays); "dataset" is used memory less overhead. RocksDB's block cache and memtables
// are used memory that maxmemory does not count (mem_not_counted_for_evict), and so is
// what a primary holds for its replicas, as in Redis; they are reported as Vellum's own
// "rocksdb.not-counted" and are part of the overhead.
//
// Collect() takes every shard lock in turn (for the tables' sizes), so it must be called
// with no shard lock held, as INFO is.
#pragma once

#include <cstdint>

#include "common/allocator.h"
#include "server/server_state.h"
#include "storage/keyspace.h"

namespace vellum::server {

struct MemoryFigures {
  uint64_t used = 0;             // UsedMemory()
  uint64_t peak = 0;             // max(PeakMemory(), used)
  uint64_t rss = 0;              // ProcessRssBytes()
  uint64_t startup = 0;          // used memory before any data was loaded
  uint64_t startup_rss = 0;      // RSS then: the binary, its libraries, the first pages
  uint64_t clients_normal = 0;   // query and output buffers of every client but replicas
  uint64_t clients_slaves = 0;   // the same of replicas' links
  uint64_t scripts = 0;          // the script cache's bodies
  uint64_t not_counted = 0;      // NotCountedMemory(): RocksDB's, replicas' buffers
  uint64_t replication_backlog = 0;  // the recent log's batches (part of not_counted)
  storage::Keyspace::TableSizes dbs[storage::kNumDbs];
  uint64_t keys = 0;             // across every database
  uint64_t overhead = 0;         // the sum of the overheads above
  AllocatorStats allocator;

  static MemoryFigures Collect(ServerState& server);

  uint64_t dataset() const { return used > overhead ? used - overhead : 0; }
  // rss / used, Redis's mem_fragmentation_ratio (0 when nothing is used).
  double fragmentation() const {
    return used ? static_cast<double>(rss) / static_cast<double>(used) : 0.0;
  }
};

}  // namespace vellum::server
