// Table: the hash table of one database within one shard.
//
// Separate chaining over a power-of-two bucket array, so that SCAN can use Redis's
// reverse-binary cursor: an entry present for a whole scan is returned at least once,
// even if the table grows or shrinks between calls. Resizing is done at once (a shard
// holds a small slice of the keyspace, so a resize is short). Keeps a dense array of the
// entries that have an expiry, for O(1) random sampling by the active expiry cycle and
// the volatile-* eviction policies.
//
// Not thread-safe: the owner (Keyspace) serialises access with the shard lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>
#include <vector>

#include "storage/entry.h"

namespace vellum::storage {

class Table {
 public:
  Table() = default;
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  Table(Table&& other) noexcept;
  Table& operator=(Table&& other) noexcept;

  Entry* Find(std::string_view key, uint64_t hash) const;
  // Takes ownership of e; the key must not be present.
  void Insert(Entry* e);
  // Unlinks the entry with this key and returns it (caller owns it), or nullptr.
  Entry* Unlink(std::string_view key, uint64_t hash);
  // Puts `fresh` (same key and hash, no expiry of its own yet) where `old` is, with old's
  // expiry, and returns old (caller owns it). No resize: an entry's value taken off to disk
  // or read back from it (tiering).
  Entry* Replace(Entry* old, Entry* fresh);
  // Sets or clears (ms == 0) the expiry of an entry of this table.
  void SetExpire(Entry* e, int64_t ms);
  // Deletes every entry.
  void Clear();

  size_t size() const { return size_; }
  // Entries whose value is on disk only (Entry::on_disk).
  size_t on_disk_size() const { return on_disk_; }
  size_t volatile_size() const { return volatile_.size(); }
  size_t bucket_count() const { return buckets_.size(); }
  size_t volatile_capacity() const { return volatile_.capacity(); }

  // Visits one bucket's worth of entries at `cursor` and returns the next cursor
  // (0 when the scan is complete). Reverse-binary increment as Redis's dictScan.
  uint64_t ScanStep(uint64_t cursor, const std::function<void(Entry*)>& fn) const;
  // A random entry, or nullptr when empty. Uniform enough for RANDOMKEY and sampling.
  Entry* Random(std::mt19937_64& rng) const;
  // From a random bucket on, bucket after bucket (wrapping), calls take(e) for each entry
  // until `want` calls returned true or `max_buckets` buckets were walked (as Redis's
  // dictGetSomeKeys): far fewer cache misses than a random draw each when most entries do
  // not qualify (tiering's eviction, looking for values among offloaded keys).
  void SampleFromRandomBucket(std::mt19937_64& rng, size_t want, size_t max_buckets,
                              const std::function<bool(Entry*)>& take) const;
  // A random entry that has an expiry, or nullptr.
  Entry* RandomVolatile(std::mt19937_64& rng) const;

 private:
  void Resize(size_t new_buckets);
  void RemoveVolatile(Entry* e);

  std::vector<Entry*> buckets_;
  size_t size_ = 0;
  size_t on_disk_ = 0;
  std::vector<Entry*> volatile_;
};

}  // namespace vellum::storage
