#include "server/scripting/script_run.h"

namespace vellum::server {

uint64_t ScriptRun::Begin(int64_t now_ms) {
  const uint64_t run = next_run_++;
  started_ms_.store(now_ms, std::memory_order_relaxed);
  state_.store(run << kFlagBits, std::memory_order_release);
  return run;
}

void ScriptRun::End() { state_.store(0, std::memory_order_release); }

bool ScriptRun::NoteWrite(uint64_t run) {
  uint64_t s = state_.load(std::memory_order_acquire);
  while (true) {
    if ((s >> kFlagBits) != run) return true;  // not ours: cannot happen while it runs
    if (s & kKill) return false;
    if (s & kWrote) return true;
    if (state_.compare_exchange_weak(s, s | kWrote, std::memory_order_acq_rel)) return true;
  }
}

bool ScriptRun::KillRequested(uint64_t run) const {
  const uint64_t s = state_.load(std::memory_order_acquire);
  return (s >> kFlagBits) == run && (s & kKill) != 0;
}

bool ScriptRun::Busy(int64_t now_ms, int64_t threshold_ms) const {
  if (state_.load(std::memory_order_acquire) == 0) return false;
  return threshold_ms > 0 && now_ms - started_ms_.load(std::memory_order_relaxed) >= threshold_ms;
}

ScriptRun::KillResult ScriptRun::RequestKill() {
  uint64_t s = state_.load(std::memory_order_acquire);
  while (true) {
    if (s == 0) return KillResult::kNotBusy;
    if (s & kWrote) return KillResult::kUnkillable;
    if (s & kKill) return KillResult::kKilled;
    if (state_.compare_exchange_weak(s, s | kKill, std::memory_order_acq_rel)) {
      return KillResult::kKilled;
    }
  }
}

}  // namespace vellum::server
