#include "protocol/reply_writer.h"

#include <gtest/gtest.h>

namespace vellum::protocol {
namespace {

std::string Write(int resp, void (*fn)(ReplyWriter&)) {
  std::string out;
  ReplyWriter w(&out, resp);
  fn(w);
  return out;
}

TEST(ReplyWriterTest, SimpleTypes) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Ok(); }), "+OK\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Integer(-42); }), ":-42\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bulk("hey"); }), "$3\r\nhey\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bulk(""); }), "$0\r\n\r\n");
}

TEST(ReplyWriterTest, ErrorNewlinesBecomeSpaces) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error("ERR a\r\nb"); }), "-ERR a  b\r\n");
}

TEST(ReplyWriterTest, NullsPerProtocol) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Null(); }), "$-1\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Null(); }), "_\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.NullArray(); }), "_\r\n");
}

TEST(ReplyWriterTest, MapDegradesToFlatArrayInResp2) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.MapHeader(2); }), "*4\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.MapHeader(2); }), "%2\r\n");
}

TEST(ReplyWriterTest, SetAndPush) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.SetHeader(3); }), "*3\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.SetHeader(3); }), "~3\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.PushHeader(3); }), ">3\r\n");
}

TEST(ReplyWriterTest, DoublePerProtocol) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Double(1.5); }), "$3\r\n1.5\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(1.5); }), ",1.5\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Double(1.0 / 0.0); }), ",inf\r\n");
}

TEST(ReplyWriterTest, BoolPerProtocol) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Bool(true); }), ":1\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Bool(false); }), "#f\r\n");
}

TEST(ReplyWriterTest, VerbatimPerProtocol) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Verbatim("hi"); }), "$2\r\nhi\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Verbatim("hi"); }), "=6\r\ntxt:hi\r\n");
}

TEST(ReplyWriterTest, BigNumberPerProtocol) {
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.BigNumber("123"); }), "$3\r\n123\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.BigNumber("123"); }), "(123\r\n");
}

}  // namespace
}  // namespace vellum::protocol
