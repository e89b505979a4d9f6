#include "storage/zset_value.h"

#include <cstring>

#include "common/memory.h"

namespace vellum::storage {
namespace {

// (a_score, a_member) orders before (b_score, b_member): by score, then member bytes.
bool Less(double a_score, std::string_view a_member, double b_score, std::string_view b_member) {
  return a_score < b_score || (a_score == b_score && a_member < b_member);
}

}  // namespace

ZSetValue::ZSetValue(const ZSetValue& o)
    : disk_version(o.disk_version),
      packed_(o.packed_),
      packed_size_(o.packed_size_),
      list_(o.list_ ? std::make_unique<ZSkipList>(*o.list_) : nullptr) {}

ZSetValue::Item ZSetValue::PackedAt(size_t at) const {
  const size_t len = static_cast<unsigned char>(packed_[at]);
  Item it{std::string_view(packed_).substr(at + 1, len), 0};
  std::memcpy(&it.score, packed_.data() + at + 1 + len, sizeof(double));
  return it;
}

size_t ZSetValue::PackedOffset(size_t rank) const {
  size_t at = 0;
  for (size_t r = 0; r < rank; r++) at = PackedNext(at);
  return at;
}

size_t ZSetValue::PackedFind(std::string_view member, size_t* rank) const {
  size_t at = 0;
  for (size_t r = 0; r < packed_size_; r++, at = PackedNext(at)) {
    const size_t len = static_cast<unsigned char>(packed_[at]);
    if (len == member.size() && packed_.compare(at + 1, len, member) == 0) {
      if (rank != nullptr) *rank = r;
      return at;
    }
  }
  return std::string::npos;
}

void ZSetValue::PackedInsert(std::string_view member, double score) {
  size_t at = 0;
  for (size_t r = 0; r < packed_size_; r++, at = PackedNext(at)) {
    const Item it = PackedAt(at);
    if (Less(score, member, it.score, it.member)) break;
  }
  char entry[kEntryOverhead + kMaxPackedMember];
  const auto len = static_cast<unsigned char>(member.size());
  entry[0] = static_cast<char>(len);
  if (!member.empty()) std::memcpy(entry + 1, member.data(), member.size());
  std::memcpy(entry + 1 + member.size(), &score, sizeof(double));
  entry[member.size() + kEntryOverhead - 1] = static_cast<char>(len);
  packed_.insert(at, entry, member.size() + kEntryOverhead);
  packed_size_++;
}

void ZSetValue::ToSkipList() {
  if (list_) return;
  auto list = std::make_unique<ZSkipList>();
  Walk(0, packed_size_, /*reverse=*/false, [&](Item it) {
    list->Set(it.member, it.score);
    return true;
  });
  list_ = std::move(list);
  std::string().swap(packed_);
  packed_size_ = 0;
}

void ZSetValue::LabelSkiplist() { ToSkipList(); }

void ZSetValue::RelabelEncoding() {
  if (!list_) {
    if (packed_size_ > max_listpack_entries()) ToSkipList();
    return;
  }
  if (list_->size() > max_listpack_entries()) return;
  bool fits = true;
  list_->Walk(0, list_->size(), /*reverse=*/false, [&](Item it) {
    fits = it.member.size() <= max_listpack_value();
    return fits;
  });
  if (!fits) return;
  std::unique_ptr<ZSkipList> list = std::move(list_);
  list->Walk(0, list->size(), /*reverse=*/false, [&](Item it) {
    PackedInsert(it.member, it.score == 0 ? 0 : it.score);
    return true;
  });
}

std::optional<double> ZSetValue::Score(std::string_view member) const {
  if (list_) return list_->Score(member);
  const size_t at = PackedFind(member, nullptr);
  if (at == std::string::npos) return std::nullopt;
  return PackedAt(at).score;
}

bool ZSetValue::Set(std::string_view member, double score) {
  if (!list_) {
    if (member.size() > max_listpack_value()) {
      ToSkipList();
    } else {
      if (score == 0) score = 0;  // the listpack's text of -0 reads back as 0
      const size_t at = PackedFind(member, nullptr);
      if (at != std::string::npos) {
        if (PackedAt(at).score == score) return false;
        packed_.erase(at, member.size() + kEntryOverhead);  // re-inserted in order below
        packed_size_--;
        PackedInsert(member, score);
        return false;
      }
      if (packed_size_ + 1 <= max_listpack_entries()) {
        PackedInsert(member, score);
        return true;
      }
      ToSkipList();
    }
  }
  return list_->Set(member, score);
}

bool ZSetValue::Remove(std::string_view member) {
  if (list_) return list_->Remove(member);
  const size_t at = PackedFind(member, nullptr);
  if (at == std::string::npos) return false;
  packed_.erase(at, member.size() + kEntryOverhead);
  packed_size_--;
  ShrinkPacked();
  return true;
}

std::optional<size_t> ZSetValue::Rank(std::string_view member) const {
  if (list_) return list_->Rank(member);
  size_t rank = 0;
  if (PackedFind(member, &rank) == std::string::npos) return std::nullopt;
  return rank;
}

ZSetValue::Item ZSetValue::At(size_t rank) const {
  if (list_) return list_->At(rank);
  return PackedAt(PackedOffset(rank));
}

size_t ZSetValue::CountBelow(double score, bool or_equal) const {
  if (list_) return list_->CountBelow(score, or_equal);
  size_t n = 0;
  for (size_t at = 0; n < packed_size_; n++, at = PackedNext(at)) {
    const double s = PackedAt(at).score;
    if (!(s < score || (or_equal && s == score))) break;
  }
  return n;
}

size_t ZSetValue::CountBelowLex(std::string_view member, bool or_equal) const {
  if (list_) return list_->CountBelowLex(member, or_equal);
  size_t n = 0;
  for (size_t at = 0; n < packed_size_; n++, at = PackedNext(at)) {
    const std::string_view m = PackedAt(at).member;
    if (!(m < member || (or_equal && m == member))) break;
  }
  return n;
}

size_t ZSetValue::MemoryUsage() const {
  return sizeof(ZSetValue) + StringHeapBytes(packed_) + (list_ ? list_->MemoryUsage() : 0);
}

}  // namespace vellum::storage
