#include "storage/zset_value.h"

#include <cmath>
#include <cstring>

#include "common/memory.h"

namespace vellum::storage {
namespace {

// How the small form stores a score: a whole number in as few bytes as hold it (as a
// listpack stores an integer), anything else as the double's 8 bytes.
enum ScoreForm : unsigned { kInt8, kInt16, kInt32, kInt48, kDouble };
constexpr size_t kScoreBytes[] = {1, 2, 4, 6, 8};
// The code byte: the score's form in the top 3 bits, the member's length in the low 5;
// kLongMember there means the length is in a byte of its own.
constexpr unsigned kLongMember = 31;

ScoreForm FormOf(double score) {
  // Every integer below 2^47 in magnitude is exact in a double and in 6 bytes.
  if (!(std::fabs(score) < 0x1p47) || score != std::trunc(score)) return kDouble;
  const auto i = static_cast<int64_t>(score);
  if (i >= INT8_MIN && i <= INT8_MAX) return kInt8;
  if (i >= INT16_MIN && i <= INT16_MAX) return kInt16;
  if (i >= INT32_MIN && i <= INT32_MAX) return kInt32;
  return kInt48;
}

void PutScore(char* out, double score, ScoreForm form) {
  if (form == kDouble) {
    std::memcpy(out, &score, sizeof(score));
    return;
  }
  const auto u = static_cast<uint64_t>(static_cast<int64_t>(score));
  for (size_t b = 0; b < kScoreBytes[form]; b++) out[b] = static_cast<char>(u >> (8 * b));
}

double GetScore(const char* in, ScoreForm form) {
  if (form == kDouble) {
    double d;
    std::memcpy(&d, in, sizeof(d));
    return d;
  }
  uint64_t u = 0;
  for (size_t b = 0; b < kScoreBytes[form]; b++) {
    u |= uint64_t{static_cast<unsigned char>(in[b])} << (8 * b);
  }
  const unsigned shift = 64 - 8 * static_cast<unsigned>(kScoreBytes[form]);
  return static_cast<double>(static_cast<int64_t>(u << shift) >> shift);  // sign-extended
}

// An entry's shape, read from its code byte (and length byte, for a long member).
struct Shape {
  ScoreForm form;
  size_t member_len;
  size_t head;  // bytes before the member (and after the score): 1 or 2
  size_t size() const { return 2 * head + member_len + kScoreBytes[form]; }
};

Shape ShapeOf(unsigned char code, unsigned char length_byte) {
  const auto form = static_cast<ScoreForm>(code >> 5);
  const size_t len = code & kLongMember;
  if (len == kLongMember) return {form, length_byte, 2};
  return {form, len, 1};
}

}  // namespace

ZSetValue::Item ZSetValue::PackedAt(size_t at) const {
  const char* p = packed().data();
  const Shape s = ShapeOf(packed().byte(at), packed().byte(at + 1));
  const char* member = p + at + s.head;
  return {std::string_view(member, s.member_len), GetScore(member + s.member_len, s.form)};
}

size_t ZSetValue::PackedNext(size_t at) const {
  return at + ShapeOf(packed().byte(at), packed().byte(at + 1)).size();
}

size_t ZSetValue::PackedPrev(size_t at) const {
  return at - ShapeOf(packed().byte(at - 1), packed().byte(at - 2)).size();
}

size_t ZSetValue::PackedOffset(size_t rank) const {
  size_t at = 0;
  for (size_t r = 0; r < rank; r++) at = PackedNext(at);
  return at;
}

size_t ZSetValue::PackedFind(std::string_view member, size_t* rank) const {
  const size_t n = size();
  size_t at = 0;
  for (size_t r = 0; r < n; r++, at = PackedNext(at)) {
    const Shape s = ShapeOf(packed().byte(at), packed().byte(at + 1));
    if (s.member_len == member.size() &&
        std::memcmp(packed().data() + at + s.head, member.data(), member.size()) == 0) {
      if (rank != nullptr) *rank = r;
      return at;
    }
  }
  return std::string::npos;
}

void ZSetValue::PackedInsert(std::string_view member, double score) {
  const size_t n = size();
  size_t at = 0;
  for (size_t r = 0; r < n; r++, at = PackedNext(at)) {
    const Item it = PackedAt(at);
    if (ZSetLess(score, member, it.score, it.member)) break;
  }
  const ScoreForm form = FormOf(score);
  const bool long_member = member.size() >= kLongMember;
  const auto code = static_cast<char>(form << 5 | (long_member ? kLongMember : member.size()));
  const Shape shape{form, member.size(), long_member ? size_t{2} : size_t{1}};
  char* out = rep_.packed().Splice(at, 0, shape.size());
  *out++ = code;
  if (long_member) *out++ = static_cast<char>(member.size());
  if (!member.empty()) std::memcpy(out, member.data(), member.size());
  out += member.size();
  PutScore(out, score, form);
  out += kScoreBytes[form];
  if (long_member) *out++ = static_cast<char>(member.size());
  *out = code;
  rep_.add_packed_count(1);
}

void ZSetValue::PackedErase(size_t begin, size_t end, size_t n) {
  rep_.packed().Splice(begin, end - begin, 0);
  rep_.add_packed_count(-static_cast<int>(n));
  rep_.packed().MaybeShrink();
}

void ZSetValue::ToSkipList() {
  if (list()) return;
  auto l = std::make_unique<ZSkipList>();
  Walk(0, size(), /*reverse=*/false, [&](Item it) {
    l->Set(it.member, it.score);
    return true;
  });
  rep_.BecomeLarge(std::move(l));
}

void ZSetValue::LabelSkiplist() { ToSkipList(); }

void ZSetValue::RelabelEncoding() {
  const ZSkipList* large = list();
  if (large == nullptr) {
    if (size() > max_listpack_entries()) ToSkipList();
    return;
  }
  if (large->size() > max_listpack_entries()) return;
  bool fits = true;
  large->Walk(0, large->size(), /*reverse=*/false, [&](Item it) {
    fits = it.member.size() <= max_listpack_value();
    return fits;
  });
  if (!fits) return;
  std::unique_ptr<ZSkipList> l = rep_.TakeLarge();
  l->Walk(0, l->size(), /*reverse=*/false, [&](Item it) {
    PackedInsert(it.member, it.score == 0 ? 0 : it.score);
    return true;
  });
}

std::optional<double> ZSetValue::Score(std::string_view member) const {
  if (const ZSkipList* l = list()) return l->Score(member);
  const size_t at = PackedFind(member, nullptr);
  if (at == std::string::npos) return std::nullopt;
  return PackedAt(at).score;
}

bool ZSetValue::Set(std::string_view member, double score) {
  if (listpack()) {
    if (member.size() > max_listpack_value()) {
      ToSkipList();
    } else {
      const double packed_score = score == 0 ? 0 : score;  // a listpack's -0 reads back 0
      const size_t at = PackedFind(member, nullptr);
      if (at != std::string::npos) {
        if (PackedAt(at).score == packed_score) return false;
        // Room first (the only allocation), then out and back in at its new place: a
        // failed allocation changes nothing.
        auto& packed = rep_.packed();
        packed.Reserve(packed.size() + 2 + 8);
        packed.Splice(at, PackedNext(at) - at, 0);
        rep_.add_packed_count(-1);
        PackedInsert(member, packed_score);
        return false;
      }
      if (size() + 1 <= max_listpack_entries()) {
        PackedInsert(member, packed_score);
        return true;
      }
      ToSkipList();
    }
  }
  return list()->Set(member, score);
}

bool ZSetValue::Remove(std::string_view member) {
  if (ZSkipList* l = list()) return l->Remove(member);
  const size_t at = PackedFind(member, nullptr);
  if (at == std::string::npos) return false;
  PackedErase(at, PackedNext(at), 1);
  return true;
}

std::optional<size_t> ZSetValue::Rank(std::string_view member) const {
  if (const ZSkipList* l = list()) return l->Rank(member);
  size_t rank = 0;
  if (PackedFind(member, &rank) == std::string::npos) return std::nullopt;
  return rank;
}

ZSetValue::Item ZSetValue::At(size_t rank) const {
  if (const ZSkipList* l = list()) return l->At(rank);
  return PackedAt(PackedOffset(rank));
}

size_t ZSetValue::CountBelow(double score, bool or_equal) const {
  if (const ZSkipList* l = list()) return l->CountBelow(score, or_equal);
  const size_t size_now = size();
  size_t n = 0;
  for (size_t at = 0; n < size_now; n++, at = PackedNext(at)) {
    const double s = PackedAt(at).score;
    if (!(s < score || (or_equal && s == score))) break;
  }
  return n;
}

size_t ZSetValue::CountBelowLex(std::string_view member, bool or_equal) const {
  if (const ZSkipList* l = list()) return l->CountBelowLex(member, or_equal);
  const size_t size_now = size();
  size_t n = 0;
  for (size_t at = 0; n < size_now; n++, at = PackedNext(at)) {
    const std::string_view m = PackedAt(at).member;
    if (!(m < member || (or_equal && m == member))) break;
  }
  return n;
}

size_t ZSetValue::MemoryUsage() const {
  const ZSkipList* l = list();
  return rep_.BlockBytes() + (l ? l->MemoryUsage() : 0);
}

}  // namespace vellum::storage
