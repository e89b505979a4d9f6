#include "snapshot/progress_display.h"

#include <chrono>

#include "common/clock.h"

namespace vellum::snapshot {
namespace {

constexpr auto kInterval = std::chrono::milliseconds(200);

std::string Amount(ProgressMeter::Unit unit, uint64_t n) {
  if (unit == ProgressMeter::Unit::kBytes) return HumanBytes(n);
  return std::to_string(n) + " keys";
}

std::string Rate(ProgressMeter::Unit unit, uint64_t n, int64_t ms) {
  if (ms <= 0) return "";
  const double per_s = static_cast<double>(n) * 1000.0 / static_cast<double>(ms);
  if (unit == ProgressMeter::Unit::kBytes) return HumanBytes(static_cast<uint64_t>(per_s)) + "/s";
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.0f keys/s", per_s);
  return buf;
}

}  // namespace

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double d = static_cast<double>(n);
  int u = 0;
  while (d >= 1024 && u < 4) {
    d /= 1024;
    u++;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", d, units[u]);
  return buf;
}

std::string ProgressLine(const ProgressMeter::Stage& s, int64_t now_ms, int64_t origin_ms) {
  const bool finished = s.end_ms != 0;
  const int64_t at = finished ? s.end_ms : now_ms;
  const int64_t took = at - s.start_ms;
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "[%7.1fs] ", static_cast<double>(at - origin_ms) / 1000.0);
  std::string line = prefix + s.name + ": " + Amount(s.unit, s.done);
  if (s.total > 0) {
    // Never above 100%: a stage may count a few bytes its total leaves out.
    const uint64_t perc = s.done >= s.total ? 100 : s.done * 100 / s.total;
    line += " of " + Amount(s.unit, s.total) + " (" + std::to_string(perc) + "%)";
  }
  if (finished) {
    char secs[32];
    std::snprintf(secs, sizeof(secs), " in %.1f s", static_cast<double>(took) / 1000.0);
    line += secs;
  }
  const std::string rate = Rate(s.unit, s.done, took);
  if (!rate.empty()) line += ", " + rate;
  return line;
}

ProgressDisplay::ProgressDisplay(ProgressMeter& meter, std::FILE* out, int64_t origin_ms,
                                 bool keep_finished)
    : meter_(meter),
      out_(out),
      origin_ms_(origin_ms),
      keep_finished_(keep_finished),
      thread_([this] { Run(); }) {}

void ProgressDisplay::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    Draw();
    lock.lock();
    wake_.wait_for(lock, kInterval, [this] { return stop_; });
  }
}

void ProgressDisplay::Draw() {
  ProgressMeter::Reading r = meter_.Read();
  const int64_t now = MonotonicMs();
  std::string text;
  for (const ProgressMeter::Stage& s : r.finished) {
    if (keep_finished_) text += "\r\033[K" + ProgressLine(s, now, origin_ms_) + "\n";
  }
  const bool was_open = line_open_;
  line_open_ = false;
  if (r.in_progress) {
    text += "\r\033[K" + ProgressLine(r.current, now, origin_ms_);
    line_open_ = true;
  } else if (was_open && !keep_finished_) {
    text += "\r\033[K";  // the finished stage's line goes
  }
  if (text.empty()) return;
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
}

void ProgressDisplay::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  meter_.Finish();
  Draw();
  if (line_open_) std::fputs(keep_finished_ ? "\n" : "\r\033[K", out_);
  std::fflush(out_);
}

}  // namespace vellum::snapshot
