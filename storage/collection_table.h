// CollectionTable<Node>: the index behind hash and set values (HashValue, SetValue).
//
// Nodes live in one dense vector, so a uniformly random element is one index away
// (HRANDFIELD, SRANDMEMBER, SPOP in O(1)) and there is no per-element allocation beyond
// the node's own strings. A power-of-two array of 32-bit bucket heads chains them by
// index (Node::next), so HSCAN/SSCAN walk buckets with the reverse-binary cursor of
// storage/scan_cursor.h and keep Redis's guarantee across resizes. Per element: the node
// plus about 4-8 bytes of bucket array (load factor between 1/8 and 1).
//
// A Node provides `uint32_t next`, `uint32_t hash` (set by the caller before Insert) and
// `std::string_view key() const`. References and indexes to nodes are invalidated by
// Insert and Erase. Not thread-safe: the owning Entry's shard lock serialises access.
#pragma once

#include <xxhash.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/scan_cursor.h"

namespace vellum::storage {

// The hash a field or member is filed under (Node::hash): the low 32 bits of its XXH3.
inline uint32_t CollectionHash(std::string_view key) {
  return static_cast<uint32_t>(XXH3_64bits(key.data(), key.size()));
}

template <typename Node>
class CollectionTable {
 public:
  static constexpr uint32_t kNil = UINT32_MAX;

  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  size_t bucket_count() const { return buckets_.size(); }
  Node& at(size_t i) { return nodes_[i]; }
  const Node& at(size_t i) const { return nodes_[i]; }
  // Every node, in storage order (insertion order until an unordered erase).
  const std::vector<Node>& nodes() const { return nodes_; }

  // The index of the node with this key, or kNil.
  uint32_t Find(std::string_view key, uint32_t hash) const {
    if (buckets_.empty()) return kNil;
    for (uint32_t i = buckets_[hash & (buckets_.size() - 1)]; i != kNil; i = nodes_[i].next) {
      if (nodes_[i].hash == hash && nodes_[i].key() == key) return i;
    }
    return kNil;
  }

  // Appends a node whose key is not present; returns its index.
  uint32_t Insert(Node node) {
    if (nodes_.size() >= buckets_.size()) {
      Resize(buckets_.empty() ? kMinBuckets : buckets_.size() * 2);
    }
    if (nodes_.size() == nodes_.capacity()) {
      // Grow by half rather than double: less slack in big collections, and none in
      // tiny ones (1, 2, 3, 4, 6, 9, ...). Still amortised O(1).
      const size_t cap = nodes_.capacity();
      nodes_.reserve(cap < 4 ? cap + 1 : cap + cap / 2);
    }
    const auto i = static_cast<uint32_t>(nodes_.size());
    uint32_t& head = buckets_[node.hash & (buckets_.size() - 1)];
    node.next = head;
    head = i;
    nodes_.push_back(std::move(node));
    return i;
  }

  // Removes the node at index i. Unordered: the last node moves into the hole (O(1)).
  // Ordered: later nodes shift down and the chains are rebuilt (O(n); for small tables
  // whose iteration order is visible, as a Redis listpack's is).
  void EraseAt(uint32_t i, bool keep_order) {
    Unlink(i);
    const auto last = static_cast<uint32_t>(nodes_.size() - 1);
    if (keep_order) {
      nodes_.erase(nodes_.begin() + i);
      Rechain();
    } else {
      if (i != last) {
        *LinkTo(last) = i;
        nodes_[i] = std::move(nodes_[last]);
      }
      nodes_.pop_back();
    }
    MaybeShrink();
  }

  void Reserve(size_t n) {
    nodes_.reserve(n);
    size_t b = buckets_.empty() ? kMinBuckets : buckets_.size();
    while (b < n) b *= 2;
    if (b != buckets_.size()) Resize(b);
  }

  // Visits the chain of the bucket at `cursor` and returns the next cursor (0 when the
  // scan is complete).
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) const {
    if (buckets_.empty()) return 0;
    const uint64_t mask = buckets_.size() - 1;
    for (uint32_t i = buckets_[cursor & mask]; i != kNil; i = nodes_[i].next) fn(nodes_[i]);
    return NextScanCursor(cursor, mask);
  }

  // Bytes held by the two arrays (not the nodes' own heap strings).
  size_t MemoryUsage() const {
    return nodes_.capacity() * sizeof(Node) + buckets_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr size_t kMinBuckets = 4;

  // The link (bucket head or a node's next) that points at node i.
  uint32_t* LinkTo(uint32_t i) {
    uint32_t* link = &buckets_[nodes_[i].hash & (buckets_.size() - 1)];
    while (*link != i) link = &nodes_[*link].next;
    return link;
  }

  void Unlink(uint32_t i) {
    uint32_t* link = LinkTo(i);
    *link = nodes_[i].next;
  }

  void MaybeShrink() {
    if (nodes_.empty()) {
      std::vector<Node>().swap(nodes_);
      std::vector<uint32_t>().swap(buckets_);
      return;
    }
    if (nodes_.size() * 4 < nodes_.capacity() && nodes_.capacity() > 16) nodes_.shrink_to_fit();
    if (nodes_.size() * 8 < buckets_.size() && buckets_.size() > kMinBuckets) {
      Resize(buckets_.size() / 2);
    }
  }

  void Resize(size_t new_buckets) {
    buckets_.assign(new_buckets, kNil);
    buckets_.shrink_to_fit();
    Rechain();
  }

  // Rebuilds every chain from the nodes' hashes. Each chain keeps ascending index order
  // reversed (newest first), as Insert builds it.
  void Rechain() {
    std::fill(buckets_.begin(), buckets_.end(), kNil);
    const size_t mask = buckets_.size() - 1;
    for (uint32_t i = 0; i < nodes_.size(); i++) {
      uint32_t& head = buckets_[nodes_[i].hash & mask];
      nodes_[i].next = head;
      head = i;
    }
  }

  std::vector<Node> nodes_;
  std::vector<uint32_t> buckets_;
};

}  // namespace vellum::storage
