// DirLock: one daemon per data directory.
//
// An exclusive flock() on a lock file, held for the daemon's lifetime and released by the
// kernel when the process exits (kill -9 included), so a crash never leaves a stale lock.
// Taken before the database is opened: a second vellumd on the same directory is refused
// before it reads or writes anything. Not thread-safe; owned by the server's main thread.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace vellum::storage {

class DirLock {
 public:
  // Creates `path` if needed and locks it; an error names the path when another process
  // holds it.
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& path);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace vellum::storage
