#include "common/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <ctime>

namespace vellum::log {
namespace {
std::atomic<Level> g_level{Level::kNotice};
std::atomic<int> g_fd{2};
}  // namespace

void SetLevel(Level level) { g_level = level; }
Level GetLevel() { return g_level; }

bool SetFile(const char* path) {
  if (path == nullptr || *path == '\0') {
    g_fd = 2;
    return true;
  }
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  int old = g_fd.exchange(fd);
  if (old != 2) ::close(old);
  return true;
}

void Write(Level level, std::string_view message) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  static const char kMarks[] = {'.', '-', '*', '#'};
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char ts[64];
  size_t n = strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S", &tm);
  char line[1200];
  int len = snprintf(line, sizeof(line), "%d:M %.*s.%03d %c %.*s\n", static_cast<int>(getpid()),
                     static_cast<int>(n), ts, static_cast<int>(tv.tv_usec / 1000),
                     kMarks[static_cast<int>(level)], static_cast<int>(message.size()),
                     message.data());
  if (len < 0) return;
  if (static_cast<size_t>(len) >= sizeof(line)) len = sizeof(line) - 1;
  ssize_t ignored = ::write(g_fd.load(), line, static_cast<size_t>(len));
  (void)ignored;
}

}  // namespace vellum::log
