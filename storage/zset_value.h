// ZSetValue: the payload of a Redis sorted set (ValueType::kZSet), in one of two forms,
// as Redis keeps it:
// - small ("listpack", up to zset-max-listpack-entries members of up to
//   zset-max-listpack-value bytes, 128 and 64 by default, as in Redis): every member and
//   its score packed in order in one block, entry by entry
//   [code][member bytes][score][code], where the code byte says the score's form (a whole
//   number in 1, 2, 4 or 6 bytes, or a double in 8, as a listpack stores integers) and the
//   member's length (below 31; a longer one has a length byte after the leading code and
//   before the trailing one, which lets a walk go backwards). Operations scan it linearly,
//   which for at most 128 short members costs less than chasing pointers, and a set of
//   five members is one small allocation;
// - large ("skiplist"): a ZSkipList (storage/zskiplist.h), O(log n) by rank, score and
//   member, O(1) by member.
// A set turns large on the first change that breaks either limit and does not turn back
// by itself; a set built whole for a *STORE takes the form its size calls for
// (RelabelEncoding), as in Redis. OBJECT ENCODING names the form. The value is one
// pointer (PackedOrLarge), held in place in the entry's value slot.
//
// Members are ordered by (score, member bytes). Every range query reduces to ranks:
// CountBelow(score) and CountBelowLex(member) say where a bound falls, Walk goes from a
// rank. Lex queries assume equal scores, as Redis's do.
//
// Owned by its Entry; touched only under that entry's shard lock.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/packed_or_large.h"
#include "storage/zset_item.h"
#include "storage/zskiplist.h"

namespace vellum::storage {

class ZSetValue {
 public:
  static constexpr size_t kListpackEntries = 128;  // zset-max-listpack-entries default
  static constexpr size_t kListpackValue = 64;     // zset-max-listpack-value default
  // The longest member the small form can hold (its length is one byte), whatever
  // zset-max-listpack-value says.
  static constexpr size_t kMaxPackedMember = 255;

  // The limits of the small form, process-wide: the config sets them at start and on
  // CONFIG SET. Sets already built keep their form until they next change, as in Redis.
  static void SetListpackLimits(size_t entries, size_t value) {
    limit_entries_.store(entries, std::memory_order_relaxed);
    limit_value_.store(std::min(value, kMaxPackedMember), std::memory_order_relaxed);
  }
  static size_t max_listpack_entries() { return limit_entries_.load(std::memory_order_relaxed); }
  static size_t max_listpack_value() { return limit_value_.load(std::memory_order_relaxed); }

  using Item = ZSetItem;

  size_t size() const { return list() ? list()->size() : rep_.packed_count(); }
  bool empty() const { return size() == 0; }
  bool listpack() const { return list() == nullptr; }
  const char* EncodingName() const { return list() ? "skiplist" : "listpack"; }
  // A set just built whole (a *STORE destination) takes Redis's form for its size.
  void RelabelEncoding();
  // Takes the large form now (Redis creates a ZADD's new key that way when it adds more
  // than max_listpack_entries() members or its first member is longer than
  // max_listpack_value()).
  void LabelSkiplist();

  std::optional<double> Score(std::string_view member) const;
  // Gives member this score, adding it if new; returns true if it was new. The score is
  // never NaN (the commands refuse it first). In the small form -0 is stored as 0, as
  // Redis's listpack text reads back; the large form keeps the sign.
  bool Set(std::string_view member, double score);
  // Removes a member; returns true if it was there.
  bool Remove(std::string_view member);

  // The member's 0-based rank in ascending order, or nullopt if absent.
  std::optional<size_t> Rank(std::string_view member) const;
  // The item at rank r (r < size()).
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

  // A uniformly random member's index, and the member at an index (ZRANDMEMBER): O(1)
  // in the large form; in the small one the index is the rank.
  size_t RandomIndex(std::mt19937_64& rng) const { return rng() % size(); }
  Item AtIndex(size_t i) const { return list() ? list()->AtIndex(i) : At(i); }

  // One ZSCAN call: a small set is returned whole in rank order, cursor 0, as Redis's
  // listpack is; a large one by the index's buckets.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  // Bytes the set holds beyond itself (MEMORY USAGE; the value sits in its entry's
  // slot); O(1).
  size_t MemoryUsage() const;

  // The version its members carry on disk (storage/FORMAT.md), set by the persister when
  // it writes the set whole; 0 = not written yet.
  uint64_t disk_version() const { return rep_.disk_version(); }
  void set_disk_version(uint64_t v) { rep_.set_disk_version(v); }

 private:
  ZSkipList* list() const { return rep_.large(); }
  const PackedBytes<PackedOrLarge<ZSkipList>::Head>& packed() const { return rep_.packed(); }

  // The small form's entry at byte offset `at`, and the offsets of the next and previous.
  Item PackedAt(size_t at) const;
  size_t PackedNext(size_t at) const;
  size_t PackedPrev(size_t at) const;
  // The offset of rank r's entry (the block's size for r == size()).
  size_t PackedOffset(size_t rank) const;
  // The offset of member's entry, or npos; *rank its rank.
  size_t PackedFind(std::string_view member, size_t* rank) const;
  void PackedInsert(std::string_view member, double score);
  // Removes the entries in bytes [begin, end), `n` of them.
  void PackedErase(size_t begin, size_t end, size_t n);
  // Moves every member into the large form.
  void ToSkipList();

  inline static std::atomic<size_t> limit_entries_{kListpackEntries};
  inline static std::atomic<size_t> limit_value_{kListpackValue};

  PackedOrLarge<ZSkipList> rep_;  // the small form's block, or the skip list behind it
};

static_assert(sizeof(ZSetValue) == sizeof(void*), "a sorted set is one pointer in the slot");

template <typename Fn>
void ZSetValue::Walk(size_t first, size_t count, bool reverse, Fn&& fn) const {
  if (const ZSkipList* l = list()) {
    l->Walk(first, count, reverse, fn);
    return;
  }
  const size_t n = size();
  if (first >= n) return;
  size_t at = PackedOffset(first);
  for (size_t rank = first; count > 0; count--) {
    if (!fn(PackedAt(at))) return;
    if (reverse) {
      if (rank == 0) return;
      rank--;
      at = PackedPrev(at);
    } else {
      if (++rank == n) return;
      at = PackedNext(at);
    }
  }
}

template <typename Fn>
void ZSetValue::RemoveRanks(size_t from, size_t to, Fn&& fn) {
  if (ZSkipList* l = list()) {
    l->RemoveRanks(from, to, fn);
    return;
  }
  to = std::min<size_t>(to, size());
  if (from >= to) return;
  const size_t begin = PackedOffset(from);
  size_t end = begin;
  for (size_t r = from; r < to; r++) {
    fn(PackedAt(end).member);
    end = PackedNext(end);
  }
  PackedErase(begin, end, to - from);
}

template <typename Fn>
uint64_t ZSetValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (const ZSkipList* l = list()) return l->Scan(cursor, count, fn);
  Walk(0, size(), /*reverse=*/false, [&](Item it) {
    fn(it);
    return true;
  });
  return 0;
}

}  // namespace vellum::storage
