// Logging: one line per event, "pid:role dd Mon yyyy hh:mm:ss.mmm <level> message",
// the shape of Redis's log so operators' tooling reads it. Thread-safe (one write(2)
// per line). The level is process-wide and may be changed at run time.
#pragma once

#include <atomic>
#include <string_view>

namespace vellum::log {

enum class Level { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

void SetLevel(Level level);
Level GetLevel();
// Optional log file; empty path means stderr. Returns false if the file cannot be opened.
bool SetFile(const char* path);
void Write(Level level, std::string_view message);

template <typename... Args>
void Logf(Level level, const char* fmt, Args... args);

}  // namespace vellum::log

#include <cstdio>

namespace vellum::log {
template <typename... Args>
void Logf(Level level, const char* fmt, Args... args) {
  if (level < GetLevel()) return;
  char buf[1024];
  int n = std::snprintf(buf, sizeof(buf), fmt, args...);
  if (n < 0) return;
  Write(level, std::string_view(buf, static_cast<size_t>(n) < sizeof(buf) ? n : sizeof(buf) - 1));
}
}  // namespace vellum::log

#define VLOG_NOTICE(...) ::vellum::log::Logf(::vellum::log::Level::kNotice, __VA_ARGS__)
#define VLOG_WARNING(...) ::vellum::log::Logf(::vellum::log::Level::kWarning, __VA_ARGS__)
#define VLOG_VERBOSE(...) ::vellum::log::Logf(::vellum::log::Level::kVerbose, __VA_ARGS__)
#define VLOG_DEBUG(...) ::vellum::log::Logf(::vellum::log::Level::kDebug, __VA_ARGS__)
