#include "common/numbers.h"

#include <gtest/gtest.h>

#include <string>

namespace vellum {
namespace {

TEST(NumbersTest, ParseInt64IsStrictAsRedis) {
  int64_t v = 0;
  EXPECT_TRUE(ParseInt64("0", &v));
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v));
  EXPECT_FALSE(ParseInt64("9223372036854775808", &v));
  EXPECT_FALSE(ParseInt64("-0", &v));
  EXPECT_FALSE(ParseInt64("01", &v));
  EXPECT_FALSE(ParseInt64("+1", &v));
  EXPECT_FALSE(ParseInt64(" 1", &v));
  EXPECT_FALSE(ParseInt64("1 ", &v));
  EXPECT_FALSE(ParseInt64("", &v));
}

TEST(NumbersTest, ParseLongDoubleRejectsEmbeddedNulAndOverlongText) {
  long double v = 0;
  EXPECT_TRUE(ParseLongDouble("1.5e3", &v));
  EXPECT_EQ(v, 1500.0L);
  EXPECT_FALSE(ParseLongDouble(std::string("1\0abc", 5), &v));
  EXPECT_FALSE(ParseLongDouble(std::string(5120, '1'), &v));
  EXPECT_FALSE(ParseLongDouble(" 1", &v));
  EXPECT_FALSE(ParseLongDouble("nan", &v));
}

TEST(NumbersTest, FormatLongDoubleHumanTrimsZeros) {
  EXPECT_EQ(FormatLongDoubleHuman(3.0L), "3");
  EXPECT_EQ(FormatLongDoubleHuman(10.5L), "10.5");
  EXPECT_EQ(FormatLongDoubleHuman(-0.0L), "0");
}

}  // namespace
}  // namespace vellum
