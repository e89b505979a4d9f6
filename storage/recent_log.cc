#include "storage/recent_log.h"

#include <algorithm>

#include "storage/engine.h"

namespace vellum::storage {

void RecentLog::Append(uint64_t sequence, uint32_t count, std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!batches_.empty()) {
    const Entry& last = batches_.back();
    if (last.sequence + last.count != sequence) batches_.clear();
  }
  batches_.push_back({sequence, count, std::string(data)});
  size_t bytes = batches_.size() == 1 ? data.size() : bytes_.bytes() + data.size();
  while (bytes > max_bytes_ && batches_.size() > 1) {
    bytes -= batches_.front().data.size();
    batches_.pop_front();
  }
  bytes_.Set(bytes);
}

bool RecentLog::Read(uint64_t from, size_t max_bytes, std::vector<LogBatch>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (batches_.empty()) return false;
  const Entry& last = batches_.back();
  if (from == last.sequence + last.count) return true;  // nothing new
  auto it = std::lower_bound(batches_.begin(), batches_.end(), from,
                             [](const Entry& e, uint64_t seq) { return e.sequence < seq; });
  if (it == batches_.end() || it->sequence != from) return false;
  size_t bytes = 0;
  for (; it != batches_.end() && (bytes == 0 || bytes < max_bytes); ++it) {
    out->push_back({it->sequence, it->count, it->data});
    bytes += it->data.size();
  }
  return true;
}

bool RecentLog::BatchEndingAt(uint64_t sequence, LogBatch* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::upper_bound(batches_.begin(), batches_.end(), sequence,
                             [](uint64_t seq, const Entry& e) { return seq < e.sequence; });
  if (it == batches_.begin()) return false;
  --it;  // the last batch starting at or before `sequence`
  if (it->sequence + it->count - 1 != sequence) return false;
  *out = {it->sequence, it->count, it->data};
  return true;
}

size_t RecentLog::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_.bytes();
}

void RecentLog::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  batches_.clear();
  bytes_.Set(0);
}

}  // namespace vellum::storage
