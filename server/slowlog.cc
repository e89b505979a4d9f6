#include "server/slowlog.h"

namespace vellum::server {

void Slowlog::Add(int64_t time_s, int64_t duration_us, const std::vector<std::string>& argv,
                  std::string addr, std::string name, size_t max_len) {
  constexpr size_t kMaxArgc = 32;
  constexpr size_t kMaxArgLen = 128;
  SlowlogEntry e;
  e.time_s = time_s;
  e.duration_us = duration_us;
  size_t n = argv.size() < kMaxArgc ? argv.size() : kMaxArgc;
  for (size_t i = 0; i < n; i++) {
    if (n == kMaxArgc && i == kMaxArgc - 1) {
      e.argv.push_back("... (" + std::to_string(argv.size() - kMaxArgc + 1) + " more arguments)");
      break;
    }
    const std::string& a = argv[i];
    if (a.size() > kMaxArgLen) {
      e.argv.push_back(a.substr(0, kMaxArgLen) + "... (" +
                       std::to_string(a.size() - kMaxArgLen) + " more bytes)");
    } else {
      e.argv.push_back(a);
    }
  }
  e.client_addr = std::move(addr);
  e.client_name = std::move(name);
  std::lock_guard<std::mutex> lock(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowlogEntry> Slowlog::Get(size_t count) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = count < entries_.size() ? count : entries_.size();
  return std::vector<SlowlogEntry>(entries_.begin(), entries_.begin() + static_cast<long>(n));
}

size_t Slowlog::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void Slowlog::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

}  // namespace vellum::server
