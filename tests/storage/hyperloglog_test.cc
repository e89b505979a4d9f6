// HyperLogLog: Redis's format and estimator (counts equal Redis's, checked end to end by
// tests/integration/test_hyperloglog.py), its sparse encoding read, bad values refused.
#include "storage/hyperloglog.h"

#include <gtest/gtest.h>

#include <string>

namespace vellum::storage::hll {
namespace {

std::string SparseHeader() {
  std::string s = "HYLL";
  s.push_back(1);  // sparse
  s.append(11, '\0');
  s[15] = static_cast<char>(0x80);  // cached count stale
  return s;
}

TEST(HyperLogLogTest, AnEmptyHllCountsZeroAndAddsChangeRegistersOnce) {
  std::string h = NewDense();
  ASSERT_EQ(h.size(), kDenseSize);
  EXPECT_EQ(Validate(h), Check::kValid);
  uint64_t n = 1;
  ASSERT_TRUE(Count(h, &n));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(Add(&h, "a"));
  EXPECT_FALSE(Add(&h, "a"));
  ASSERT_TRUE(Count(h, &n));
  EXPECT_EQ(n, 1u);
}

TEST(HyperLogLogTest, CountsLikeRedis) {
  std::string h = NewDense();
  for (char c = 'a'; c <= 'z'; c++) Add(&h, std::string(1, c));
  uint64_t n = 0;
  ASSERT_TRUE(Count(h, &n));
  EXPECT_EQ(n, 25u);  // redis-server 7.0.15 says 25 for a..z
}

TEST(HyperLogLogTest, SparseRunsAreReadAndMadeDense) {
  // XZERO of 16384 registers: 01 111111 11111111.
  std::string s = SparseHeader();
  s.push_back(static_cast<char>(0x7f));
  s.push_back(static_cast<char>(0xff));
  ASSERT_EQ(Validate(s), Check::kValid);
  // VAL 3 for one register, then 16383 zeros: 1 00010 00, 01 111111 11111110.
  std::string one = SparseHeader();
  one.push_back(static_cast<char>(0x88));
  one.push_back(static_cast<char>(0x7f));
  one.push_back(static_cast<char>(0xfe));
  ASSERT_EQ(Validate(one), Check::kValid);
  Registers regs;
  ASSERT_TRUE(ReadRegisters(one, &regs));
  EXPECT_EQ(regs[0], 3);
  EXPECT_EQ(regs[1], 0);
  ASSERT_TRUE(MakeDense(&one));
  EXPECT_EQ(one.size(), kDenseSize);
  Registers dense;
  ASSERT_TRUE(ReadRegisters(one, &dense));
  EXPECT_EQ(dense, regs);
}

TEST(HyperLogLogTest, OtherStringsAreRefused) {
  EXPECT_EQ(Validate("hello"), Check::kNotHll);
  std::string short_dense = NewDense();
  short_dense.pop_back();
  EXPECT_EQ(Validate(short_dense), Check::kNotHll);
  std::string bad_encoding = NewDense();
  bad_encoding[4] = 2;
  EXPECT_EQ(Validate(bad_encoding), Check::kNotHll);
  std::string too_few = SparseHeader();
  too_few.push_back(0x3f);  // ZERO of 64 registers only
  EXPECT_EQ(Validate(too_few), Check::kCorrupt);
}

}  // namespace
}  // namespace vellum::storage::hll
