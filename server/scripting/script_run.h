// ScriptRun: the script running on the server right now, as every thread sees it.
//
// A script runs with every shard locked (server/scripting/script_engine.h), so at most
// one runs at a time. Other workers read this state without any lock to answer -BUSY
// once the script has run past `busy-reply-threshold`, and SCRIPT KILL (from any
// worker) asks the script to stop. One atomic word holds the run's id with two flags,
// so "the script wrote" and "kill it" cannot both win: a write after a granted kill
// raises instead of running, and a kill after the first write is refused (UNKILLABLE),
// exactly Redis's rule that a script is killable only until it writes.
#pragma once

#include <atomic>
#include <cstdint>

namespace vellum::server {

class ScriptRun {
 public:
  enum class KillResult { kNotBusy, kUnkillable, kKilled };

  // The worker starting a script (holding every shard lock). Returns the run's id.
  uint64_t Begin(int64_t now_ms);
  void End();

  // Before the script's first write: false if a kill was granted (the write must not run).
  bool NoteWrite(uint64_t run);
  // The script's own hook: whether a kill was granted for this run.
  bool KillRequested(uint64_t run) const;

  // Any worker: a script has been running for at least threshold_ms (> 0).
  bool Busy(int64_t now_ms, int64_t threshold_ms) const;
  bool running() const { return state_.load(std::memory_order_acquire) != 0; }
  // SCRIPT KILL.
  KillResult RequestKill();

 private:
  static constexpr uint64_t kWrote = 1;
  static constexpr uint64_t kKill = 2;
  static constexpr int kFlagBits = 2;

  std::atomic<uint64_t> state_{0};  // (run id << 2) | flags; 0 when no script runs
  std::atomic<int64_t> started_ms_{0};
  uint64_t next_run_ = 1;  // touched only by the (single) running script's thread
};

}  // namespace vellum::server
