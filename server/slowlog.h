// Slowlog: the last N commands that took longer than slowlog-log-slower-than.
// Thread-safe (one mutex; only touched when a command is slow or by SLOWLOG itself).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace vellum::server {

struct SlowlogEntry {
  uint64_t id;
  int64_t time_s;
  int64_t duration_us;
  std::vector<std::string> argv;  // at most 32 arguments, each at most 128 bytes, as Redis
  std::string client_addr;
  std::string client_name;
};

class Slowlog {
 public:
  void Add(int64_t time_s, int64_t duration_us, const std::vector<std::string>& argv,
           std::string addr, std::string name, size_t max_len);
  std::vector<SlowlogEntry> Get(size_t count) const;  // newest first
  size_t Len() const;
  void Reset();

 private:
  mutable std::mutex mu_;
  std::deque<SlowlogEntry> entries_;  // newest at the front
  uint64_t next_id_ = 0;
};

}  // namespace vellum::server
