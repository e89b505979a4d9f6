// DiskWalk: every live key of an Engine, decoded, in key order; and the summary of a
// database on disk (key counts and digest) that snapshots record and verify.
//
// A key is live when its meta record decodes and its expiry (if any) is after `now_ms`.
// A hash's or set's elements are the sub records of the meta's version; records of other
// versions are garbage awaiting the compaction filter and are never visited. A record
// that does not decode stops the walk with a Status naming the key and the directory.
//
// Reads through the Engine's iterators: one thread per walk, or per range of a walk
// (SummarizeDisk splits it over a few threads).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/progress.h"
#include "common/status.h"
#include "storage/codec.h"
#include "storage/digest.h"
#include "storage/engine.h"

namespace vellum::storage {

struct WalkStats {
  uint64_t expired = 0;      // keys skipped because their expiry had passed
  uint64_t max_version = 0;  // highest collection version seen, expired keys included
};

class DiskKey {
 public:
  int db = 0;                 // logical database (the stored db map applied)
  std::string_view key;
  codec::Meta meta;
  // Calls fn(name, value) for each field of a hash, fn(member, "") for each member of a
  // set; nothing for a string. Check the walk's Status for read errors.
  void ForEachElement(const std::function<void(std::string_view, std::string_view)>& fn) const;

 private:
  friend Status WalkKeys(Engine&, int64_t, const std::function<Status(const DiskKey&)>&, WalkStats*,
                         std::string_view, std::string_view);
  Engine::Iterator* sub_ = nullptr;
  uint8_t pdb_ = 0;
};

// Calls fn for each live key whose meta record's key is in [begin, end) (an empty end: to
// the last); stops at the first error fn returns.
Status WalkKeys(Engine& engine, int64_t now_ms, const std::function<Status(const DiskKey&)>& fn,
                WalkStats* stats = nullptr, std::string_view begin = {}, std::string_view end = {});

struct DiskSummary {
  std::array<uint64_t, codec::kNumPhysicalDbs> keys_by_db{};
  uint64_t keys = 0;
  uint64_t expired = 0;
  Digest digest;  // equal to DEBUG DIGEST of a server holding exactly these keys
};

// A snapshot's digest is CPU work over every record: 1M keys of 1 KiB take 0.7 s on one
// core of the 2-core machine the benchmarks run on.
constexpr int kSummaryThreads = 2;
// With a meter, counts each key into its current stage. The walk is split over up to
// `threads` threads (Engine::MetaSplitKeys), each with its own iterators; the digest is a
// sum, so the parts add up to the same summary in any order.
Result<DiskSummary> SummarizeDisk(Engine& engine, int64_t now_ms, ProgressMeter* meter = nullptr,
                                  int threads = kSummaryThreads);

// The key as text for an error message: at most 64 bytes, unprintable bytes as '?'.
std::string PrintableKey(std::string_view key);

// Splits a meta record (its key and value, as a walk of the meta family meets it) into
// physical db, key and decoded meta; an error names the key and `dir`.
Status DecodeMetaRecord(std::string_view raw_key, std::string_view raw_value,
                        std::string_view dir, uint8_t* pdb, std::string_view* key,
                        codec::Meta* meta);

}  // namespace vellum::storage
