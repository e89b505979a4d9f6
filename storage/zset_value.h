// ZSetValue: the payload of a Redis sorted set (ValueType::kZSet).
//
// Members are ordered by (score, member bytes), as in Redis. Two structures hold them:
// - a skip list with spans (Pugh's list, with each link counting the nodes it jumps, as
//   Redis's zskiplist does), so a rank, the item at a rank, and the number of items below
//   a score or a member are O(log n) on average; ranges are walks from a rank;
// - a CollectionTable from member to node: O(1) ZSCORE, O(1) membership, ZSCAN cursors
//   that survive resizes, and O(1) uniform random members (ZRANDMEMBER).
// Each node is one allocation: its links, score and member bytes together.
//
// Every range query is reduced to ranks: CountBelow(score) and CountBelowLex(member) give
// where a score or lex bound falls, so ZCOUNT is a subtraction and ZRANGEBYSCORE a walk
// from a rank. Lex queries assume every score is equal, as Redis's do (otherwise their
// answer is unspecified).
//
// Redis 7.0's encoding is tracked as a label only (OBJECT ENCODING): "listpack" while the
// set has at most kListpackEntries members and none longer than kListpackValue bytes,
// "skiplist" from the first change that breaks either rule, never back (Redis converts
// back only when it builds a new set for a *STORE: RelabelEncoding). While "listpack",
// ZSCAN returns everything at once in rank order, as Redis's listpack does.
//
// Owned by its Entry; touched only under that entry's shard lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "storage/collection_table.h"

namespace vellum::storage {

class ZSetValue {
 public:
  static constexpr size_t kListpackEntries = 128;  // zset-max-listpack-entries
  static constexpr size_t kListpackValue = 64;     // zset-max-listpack-value

  struct Item {
    std::string_view member;
    double score;
  };

  ZSetValue();
  ~ZSetValue();
  ZSetValue(const ZSetValue& o);
  ZSetValue& operator=(const ZSetValue&) = delete;

  size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  bool listpack() const { return !skiplist_; }
  const char* EncodingName() const { return skiplist_ ? "skiplist" : "listpack"; }
  // A set just built whole (a *STORE destination) takes Redis's encoding for its size.
  void RelabelEncoding();
  // A new set that Redis would create as a skiplist at once (ZADD of more than
  // kListpackEntries members, or whose first member is longer than kListpackValue).
  void LabelSkiplist() { skiplist_ = true; }

  std::optional<double> Score(std::string_view member) const;
  // Gives member this score, adding it if new; returns true if it was new. The score is
  // never NaN (the commands refuse it first). While the set is labelled "listpack", -0 is
  // stored as 0, as Redis's listpack text reads back; a skiplist keeps the sign.
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

  // One ZSCAN call, as SetValue::Scan: a listpack-labelled set is returned whole, cursor 0.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  // Bytes held by the set (MEMORY USAGE); O(1).
  size_t MemoryUsage() const;

  // The version its members carry on disk (storage/FORMAT.md), set by the persister when
  // it writes the set whole; 0 = not written yet.
  uint64_t disk_version = 0;

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
  void NoteMember(std::string_view member, size_t new_size);

  Node* head_;             // links only; its capacity grows with the tallest node
  Node* tail_ = nullptr;
  size_t length_ = 0;      // nodes in the list (the index can briefly differ in Set)
  int level_ = 1;
  CollectionTable<IndexEntry> index_;
  size_t node_bytes_ = 0;
  bool skiplist_ = false;
};

template <typename Fn>
void ZSetValue::Walk(size_t first, size_t count, bool reverse, Fn&& fn) const {
  if (first >= size()) return;
  for (const Node* n = NodeAt(first + 1); n != nullptr && count > 0; count--) {
    if (!fn(ItemOf(n))) return;
    n = reverse ? n->backward : n->links()[0].forward;
  }
}

template <typename Fn>
void ZSetValue::RemoveRanks(size_t from, size_t to, Fn&& fn) {
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
uint64_t ZSetValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (listpack()) {
    Walk(0, size(), /*reverse=*/false, [&](Item it) {
      fn(it);
      return true;
    });
    return 0;
  }
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
