#include "common/progress.h"

#include "common/clock.h"

namespace vellum {

void ProgressMeter::EndCurrentLocked(int64_t now_ms) {
  if (!in_progress_) return;
  current_.done = done_.load(std::memory_order_relaxed);
  current_.end_ms = now_ms;
  finished_.push_back(std::move(current_));
  in_progress_ = false;
}

void ProgressMeter::Begin(std::string name, Unit unit, uint64_t total) {
  const int64_t now_ms = MonotonicMs();
  std::lock_guard<std::mutex> lock(mu_);
  EndCurrentLocked(now_ms);
  current_ = Stage{std::move(name), unit, 0, total, now_ms, 0};
  done_.store(0, std::memory_order_relaxed);
  in_progress_ = true;
}

void ProgressMeter::Finish() {
  const int64_t now_ms = MonotonicMs();
  std::lock_guard<std::mutex> lock(mu_);
  EndCurrentLocked(now_ms);
}

ProgressMeter::Reading ProgressMeter::Read() {
  std::lock_guard<std::mutex> lock(mu_);
  Reading r;
  r.finished.swap(finished_);
  r.in_progress = in_progress_;
  if (in_progress_) {
    r.current = current_;
    r.current.done = done_.load(std::memory_order_relaxed);
  }
  return r;
}

bool ProgressMeter::Current(Stage* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!in_progress_) return false;
  *out = current_;
  out->done = done_.load(std::memory_order_relaxed);
  return true;
}

}  // namespace vellum
