#include "storage/hyperloglog.h"

#include <cmath>
#include <cstring>

namespace vellum::storage::hll {
namespace {

constexpr int kP = 14;                    // register index bits
constexpr int kQ = 64 - kP;               // bits left for the zero run
constexpr int kMaxRegister = 63;          // 6 bits
constexpr uint8_t kDense = 0, kSparse = 1;
constexpr uint64_t kSeed = 0xadc83b19ULL;
constexpr double kAlphaInf = 0.721347520444481703680;  // 0.5 / ln(2)

uint8_t* RegisterBytes(std::string* s) { return reinterpret_cast<uint8_t*>(s->data()) + kHeaderSize; }

// Dense register i: 6 bits starting at bit 6*i, least significant bit first.
uint8_t GetDense(const uint8_t* regs, size_t size, int i) {
  const size_t bit = static_cast<size_t>(i) * 6;
  const size_t byte = bit / 8, shift = bit & 7;
  unsigned v = regs[byte] >> shift;
  if (shift > 2 && byte + 1 < size) v |= static_cast<unsigned>(regs[byte + 1]) << (8 - shift);
  return static_cast<uint8_t>(v & kMaxRegister);
}

void SetDense(uint8_t* regs, size_t size, int i, uint8_t value) {
  const size_t bit = static_cast<size_t>(i) * 6;
  const size_t byte = bit / 8, shift = bit & 7;
  regs[byte] = static_cast<uint8_t>((regs[byte] & ~(kMaxRegister << shift)) | (value << shift));
  if (shift > 2 && byte + 1 < size) {
    regs[byte + 1] = static_cast<uint8_t>((regs[byte + 1] & ~(kMaxRegister >> (8 - shift))) |
                                          (value >> (8 - shift)));
  }
}

void MarkStale(std::string* s) { (*s)[15] = static_cast<char>(static_cast<uint8_t>((*s)[15]) | 0x80); }

// The register an element goes to and the value it offers (its zero run plus one).
void Position(std::string_view element, int* index, uint8_t* value) {
  uint64_t hash = MurmurHash64A(element, kSeed);
  *index = static_cast<int>(hash & (kRegisters - 1));
  hash >>= kP;
  hash |= uint64_t{1} << kQ;  // the run ends by bit kQ at the latest
  uint8_t count = 1;
  while ((hash & 1) == 0) {
    count++;
    hash >>= 1;
  }
  *value = count;
}

// Decodes Redis's sparse runs (ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx).
bool ReadSparse(std::string_view s, Registers* out) {
  out->fill(0);
  int index = 0;
  for (size_t i = kHeaderSize; i < s.size(); i++) {
    const auto op = static_cast<uint8_t>(s[i]);
    int run = 0;
    uint8_t value = 0;
    if ((op & 0xc0) == 0x00) {
      run = (op & 0x3f) + 1;
    } else if ((op & 0xc0) == 0x40) {
      if (++i >= s.size()) return false;
      run = (((op & 0x3f) << 8) | static_cast<uint8_t>(s[i])) + 1;
    } else {
      value = static_cast<uint8_t>(((op >> 2) & 0x1f) + 1);
      run = (op & 0x3) + 1;
    }
    if (index + run > kRegisters) return false;
    for (int k = 0; k < run; k++) (*out)[static_cast<size_t>(index++)] = value;
  }
  return index == kRegisters;
}

double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double z_prime;
  double y = 1;
  double z = x;
  do {
    x *= x;
    z_prime = z;
    z += x * y;
    y += y;
  } while (z_prime != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double z_prime;
  double y = 1.0;
  double z = 1 - x;
  do {
    x = std::sqrt(x);
    z_prime = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (z_prime != z);
  return z / 3;
}

}  // namespace

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  const auto len = static_cast<uint64_t>(data.size());
  uint64_t h = seed ^ (len * m);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const uint8_t* end = p + (len - (len & 7));
  for (; p != end; p += 8) {
    uint64_t k = 0;
    for (int b = 7; b >= 0; b--) k = (k << 8) | p[b];  // little-endian, as Redis reads it
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const size_t tail = len & 7;
  if (tail > 0) {
    for (size_t b = tail; b-- > 0;) h ^= static_cast<uint64_t>(p[b]) << (8 * b);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

Check Validate(std::string_view value) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return Check::kNotHll;
  const auto encoding = static_cast<uint8_t>(value[4]);
  if (encoding == kDense) return value.size() == kDenseSize ? Check::kValid : Check::kNotHll;
  if (encoding != kSparse) return Check::kNotHll;
  Registers unused;
  return ReadSparse(value, &unused) ? Check::kValid : Check::kCorrupt;
}

std::string NewDense() {
  std::string s(kDenseSize, '\0');
  std::memcpy(s.data(), "HYLL", 4);
  s[4] = static_cast<char>(kDense);
  return s;  // cached count 0, fresh: an empty HLL counts 0
}

bool ReadRegisters(std::string_view value, Registers* out) {
  if (static_cast<uint8_t>(value[4]) == kSparse) return ReadSparse(value, out);
  const auto* regs = reinterpret_cast<const uint8_t*>(value.data()) + kHeaderSize;
  const size_t size = value.size() - kHeaderSize;
  for (int i = 0; i < kRegisters; i++) (*out)[static_cast<size_t>(i)] = GetDense(regs, size, i);
  return true;
}

bool MakeDense(std::string* value) {
  if (static_cast<uint8_t>((*value)[4]) == kDense) return true;
  Registers regs;
  if (!ReadSparse(*value, &regs)) return false;
  std::string dense = NewDense();
  std::memcpy(dense.data() + 8, value->data() + 8, 8);  // the cached count stays as it was
  MergeInto(&dense, regs);
  *value = std::move(dense);
  return true;
}

bool Add(std::string* dense, std::string_view element) {
  int index = 0;
  uint8_t count = 0;
  Position(element, &index, &count);
  uint8_t* regs = RegisterBytes(dense);
  const size_t size = dense->size() - kHeaderSize;
  if (GetDense(regs, size, index) >= count) return false;
  SetDense(regs, size, index, count);
  MarkStale(dense);
  return true;
}

void MergeInto(std::string* dense, const Registers& max) {
  uint8_t* regs = RegisterBytes(dense);
  const size_t size = dense->size() - kHeaderSize;
  for (int i = 0; i < kRegisters; i++) {
    const uint8_t v = max[static_cast<size_t>(i)];
    if (v > GetDense(regs, size, i)) SetDense(regs, size, i, v);
  }
  MarkStale(dense);
}

uint64_t Estimate(const Registers& registers) {
  const double m = kRegisters;
  int histogram[64] = {0};
  for (uint8_t r : registers) histogram[r]++;
  double z = m * Tau((m - histogram[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += histogram[j];
    z *= 0.5;
  }
  z += m * Sigma(histogram[0] / m);
  return static_cast<uint64_t>(std::llroundl(kAlphaInf * m * m / z));
}

bool Count(std::string_view value, uint64_t* out) {
  if ((static_cast<uint8_t>(value[15]) & 0x80) == 0) {  // a fresh cached count
    uint64_t cached = 0;
    for (int b = 7; b >= 0; b--) cached = (cached << 8) | static_cast<uint8_t>(value[8 + b]);
    *out = cached;
    return true;
  }
  Registers regs;
  if (!ReadRegisters(value, &regs)) return false;
  *out = Estimate(regs);
  return true;
}

}  // namespace vellum::storage::hll
