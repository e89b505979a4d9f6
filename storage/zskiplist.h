// ZSkipList: the large form of a sorted set (storage/zset_value.h): members ordered by
// (score, member bytes), as in Redis, in two structures:
// - a skip list with spans (Pugh's list, with each link counting the nodes it jumps, as
//   Redis's zskiplist does), so a rank, the item at a rank, and the number of items below
//   a score or a member are O(log n) on average; ranges are walks from a rank;
// - a CollectionTable from member to node: O(1) ZSCORE, O(1) membership, ZSCAN cursors
//   that survive resizes, and O(1) uniform random members (ZRANDMEMBER).
// Each node is one allocation: its links, score and member bytes together. The head node
// starts with 4 links and grows with the tallest node.
//
// Owned by its ZSetValue; touched only under the entry's shard lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "storage/collection_table.h"
#include "storage/zset_item.h"

namespace vellum::storage {

class ZSkipList {
 public:
  using Item = ZSetItem;

  ZSkipList();
  ~ZSkipList();
  ZSkipList(const ZSkipList& o);
  ZSkipList& operator=(const ZSkipList&) = delete;

  size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  std::optional<double> Score(std::string_view member) const;
  // Gives member this score, adding it if new; returns true if it was new.
  bool Set(std::string_view member, double score);
  // Removes a member; returns true if it was there.
  bool Remove(std::string_view member);

  // The member's 0-based rank in ascending order, or nullopt if absent.
  std::optional<size_t> Rank(std::string_view member) const;
  // The item at rank r (r < size()); O(log n).
  Item At(size_t rank) const;
  // How many items have a score below `score` (or equal to it too, with or_equal).
  size_t CountBelow(double score, bool or_equal) const;
  // How many items have a member below `member` (or equal to it too), by bytes.
  size_t CountBelowLex(std::string_view member, bool or_equal) const;

  // Calls fn(Item) for up to `count` items from rank `first` (< size()), going up, or
  // down with `reverse`. Stops early when fn returns false.
  template <typename Fn>
  void Walk(size_t first, size_t count, bool reverse, Fn&& fn) const;

  // Removes ranks [from, to) (to <= size()), calling fn(member) for each just before it
  // goes (the view dies with it).
  template <typename Fn>
  void RemoveRanks(size_t from, size_t to, Fn&& fn);

  // A uniformly random member's storage index (for the index below); O(1).
  size_t RandomIndex(std::mt19937_64& rng) const { return rng() % index_.size(); }
  Item AtIndex(size_t i) const { return ItemOf(index_.at(i).node); }

  // One ZSCAN call over the member index, as SetValue::Scan.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  // Bytes held by the set (MEMORY USAGE); O(1).
  size_t MemoryUsage() const;

 private:
  static constexpr int kMaxLevel = 32;
  struct Node;
  struct Link {
    Node* forward;
    size_t span;  // nodes this link passes over, counting the one it lands on
  };
  struct Node {
    double score;
    Node* backward;
    uint32_t member_size;
    uint32_t levels;
    Link* links() { return reinterpret_cast<Link*>(this + 1); }
    const Link* links() const { return reinterpret_cast<const Link*>(this + 1); }
    std::string_view member() const {
      return {reinterpret_cast<const char*>(links() + levels), member_size};
    }
  };
  struct IndexEntry {
    Node* node;
    uint32_t next = 0;
    uint32_t hash = 0;
    std::string_view key() const { return node->member(); }
  };

  static Item ItemOf(const Node* n) { return {n->member(), n->score}; }
  static Node* NewNode(int levels, double score, std::string_view member);
  // Gives the head at least `levels` links (it starts small: most sets are).
  void GrowHead(int levels);
  static void FreeNode(Node* n);
  static size_t NodeBytes(const Node* n);
  // True if (score, member) orders before node n.
  static bool Before(double score, std::string_view member, const Node* n);
  static int RandomLevel();
  Node* Insert(double score, std::string_view member);
  // Unlinks n (the nodes whose links lead to it are found by its score and member).
  void Unlink(Node* n);
  const Node* NodeAt(size_t rank) const;  // 1-based rank, as in the list's spans

  Node* head_;             // links only; its capacity grows with the tallest node
  Node* tail_ = nullptr;
  size_t length_ = 0;      // nodes in the list (the index can briefly differ in Set)
  int level_ = 1;
  CollectionTable<IndexEntry> index_;
  size_t node_bytes_ = 0;
};

template <typename Fn>
void ZSkipList::Walk(size_t first, size_t count, bool reverse, Fn&& fn) const {
  if (first >= size()) return;
  for (const Node* n = NodeAt(first + 1); n != nullptr && count > 0; count--) {
    if (!fn(ItemOf(n))) return;
    n = reverse ? n->backward : n->links()[0].forward;
  }
}

template <typename Fn>
void ZSkipList::RemoveRanks(size_t from, size_t to, Fn&& fn) {
  if (from >= to) return;
  Node* n = const_cast<Node*>(NodeAt(from + 1));
  for (size_t r = from; r < to && n != nullptr; r++) {
    Node* next = n->links()[0].forward;
    fn(n->member());
    Remove(n->member());
    n = next;
  }
}

template <typename Fn>
uint64_t ZSkipList::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  size_t visited = 0;
  size_t budget = count * 10;
  do {
    cursor = index_.ScanStep(cursor, [&](const IndexEntry& e) {
      fn(ItemOf(e.node));
      visited++;
    });
  } while (cursor != 0 && budget-- > 0 && visited < count);
  return cursor;
}

}  // namespace vellum::storage
