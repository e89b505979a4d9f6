// ProgressMeter: how far a long operation has come (verifying, restoring, archiving a
// snapshot), for a display on another thread: vellumctl's progress on a terminal.
//
// The operation calls Begin at the start of each stage, with what the stage counts and how
// much of it there is, and Add as it does the work (from any thread: RocksDB's backup
// threads count through a file system wrapper). A display calls Read whenever it likes: it
// gets the stages finished since its last call and the one in progress.
//
// Thread-safe. Add is one relaxed atomic increment; Begin and Read take a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace vellum {

class ProgressMeter {
 public:
  enum class Unit : uint8_t { kBytes, kKeys };

  struct Stage {
    std::string name;  // "verifying snapshot 3 (12 files, every checksum)"
    Unit unit = Unit::kBytes;
    uint64_t done = 0;
    uint64_t total = 0;    // 0: not known in advance
    int64_t start_ms = 0;  // MonotonicMs() at Begin
    int64_t end_ms = 0;    // MonotonicMs() when the next stage began (0 while in progress)
  };

  struct Reading {
    std::vector<Stage> finished;  // since the previous Read, oldest first
    bool in_progress = false;     // `current` is meaningful
    Stage current;
  };

  // Ends the stage in progress (if any) and starts `name`.
  void Begin(std::string name, Unit unit, uint64_t total);
  void Add(uint64_t n) { done_.fetch_add(n, std::memory_order_relaxed); }
  // Ends the stage in progress, if any.
  void Finish();
  Reading Read();
  // The stage in progress, without taking the finished ones (false: none). For a server
  // that shows it in INFO and drops the finished stages with Read.
  bool Current(Stage* out) const;

 private:
  void EndCurrentLocked(int64_t now_ms);
  mutable std::mutex mu_;
  bool in_progress_ = false;     // guarded by mu_
  Stage current_;                // guarded by mu_, except its count, which is done_
  std::vector<Stage> finished_;  // guarded by mu_: ended, not yet read
  std::atomic<uint64_t> done_{0};
};

}  // namespace vellum
