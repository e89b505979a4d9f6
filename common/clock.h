// Clock: where Vellum reads the time. Injected so expiry tests never sleep.
// SystemClock is stateless and thread-safe; ManualClock is for tests (atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace vellum {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (wall clock, as Redis's mstime()).
  virtual int64_t NowMs() const = 0;
  // Microseconds since the Unix epoch.
  virtual int64_t NowUs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t NowUs() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t NowUs() const override { return now_ms_.load() * 1000; }
  void Advance(int64_t ms) { now_ms_ += ms; }
  void Set(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

// Monotonic microseconds, for durations (timeouts, slowlog, tick budgets).
inline int64_t MonotonicUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}
inline int64_t MonotonicMs() { return MonotonicUs() / 1000; }

// A Unix time in ms as UTC text, with strftime's `format` ("%Y-%m-%d %H:%M:%S").
inline std::string UtcText(int64_t unix_ms, const char* format) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

}  // namespace vellum
