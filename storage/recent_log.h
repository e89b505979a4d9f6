// RecentLog: the last batches written to the engine, kept in memory for replicas.
//
// RocksDB's GetUpdatesSince finds a sequence number by reading the live log file from its
// start, on every call: a replica that keeps up asks again after every batch, so each
// request re-read megabytes of log and, measured under a steady SET load, that put
// replication lag at tens of milliseconds. Batches are appended here as they are written
// (a copy of their bytes), up to a bound in bytes, oldest dropped first; a reader whose
// position is inside the window is served from memory, one further back from the files.
// Like Redis's replication backlog, the memory is not counted against maxmemory: it is
// outgoing buffer memory (common/memory.h), kept exact as batches come and go.
//
// Thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/memory.h"

namespace vellum::storage {

struct LogBatch;

class RecentLog {
 public:
  explicit RecentLog(size_t max_bytes) : max_bytes_(max_bytes) {}
  RecentLog(const RecentLog&) = delete;
  RecentLog& operator=(const RecentLog&) = delete;

  // Appends the batch that starts at `sequence`. One that does not follow the last batch
  // (a writer the log did not see) empties the window first: it never has a gap.
  void Append(uint64_t sequence, uint32_t count, std::string_view data);
  // Appends to *out the batches from `from` on, up to about max_bytes (at least one).
  // False when `from` is not the start of a batch in the window or the end of it.
  bool Read(uint64_t from, size_t max_bytes, std::vector<LogBatch>* out) const;
  // The batch whose last record is `sequence`, if the window holds it.
  bool BatchEndingAt(uint64_t sequence, LogBatch* out) const;
  size_t bytes() const;
  void Clear();

 private:
  struct Entry {
    uint64_t sequence;
    uint32_t count;
    std::string data;
  };
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<Entry> batches_;  // guarded by mu_, in sequence order, contiguous
  OutgoingBufferHold bytes_;   // guarded by mu_: the window's bytes, counted as outgoing
};

}  // namespace vellum::storage
