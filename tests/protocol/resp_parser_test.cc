#include "protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vellum::protocol {
namespace {

// Feeds `input` in pieces of `step` bytes, as reads would arrive, and collects the commands.
struct Parsed {
  std::vector<std::vector<std::string>> commands;
  ParseStatus last = ParseStatus::kIncomplete;
  std::string error;
  size_t leftover = 0;
};

Parsed ParseAll(const std::string& input, size_t step = 0, ParserLimits limits = {}) {
  RespParser parser(limits);
  Parsed out;
  std::string buf;
  size_t fed = 0;
  if (step == 0) step = input.size();
  std::vector<std::string_view> argv;
  while (fed < input.size()) {
    size_t n = std::min(step, input.size() - fed);
    buf.append(input, fed, n);
    fed += n;
    for (;;) {
      size_t consumed = 0;
      out.last = parser.Parse(buf.data(), buf.size(), &consumed, &argv);
      if (out.last == ParseStatus::kError) {
        out.error = parser.error();
        return out;
      }
      if (out.last == ParseStatus::kIncomplete) break;
      if (!argv.empty()) out.commands.emplace_back(argv.begin(), argv.end());
      buf.erase(0, consumed);
    }
  }
  out.leftover = buf.size();
  return out;
}

using Cmd = std::vector<std::string>;

TEST(RespParserTest, MultibulkCommand) {
  Parsed p = ParseAll("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0], (Cmd{"GET", "key"}));
  EXPECT_EQ(p.leftover, 0u);
}

TEST(RespParserTest, PipelinedCommandsInOneRead) {
  std::string in;
  for (int i = 0; i < 100; i++) in += "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) + "\r\n";
  Parsed p = ParseAll(in);
  ASSERT_EQ(p.commands.size(), 100u);
  EXPECT_EQ(p.commands[99], (Cmd{"SET", "k", "99"}));
}

TEST(RespParserTest, BulkSplitAcrossReadsAtEveryByte) {
  const std::string in = "*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$11\r\nhello world\r\n*1\r\n$4\r\nPING\r\n";
  for (size_t step = 1; step <= in.size(); step++) {
    Parsed p = ParseAll(in, step);
    ASSERT_EQ(p.commands.size(), 2u) << "step " << step;
    EXPECT_EQ(p.commands[0], (Cmd{"SET", "hello", "hello world"})) << "step " << step;
    EXPECT_EQ(p.commands[1], (Cmd{"PING"}));
  }
}

TEST(RespParserTest, BinarySafeBulk) {
  std::string value("a\0b\r\nc", 6);
  std::string in = "*2\r\n$4\r\nECHO\r\n$6\r\n" + value + "\r\n";
  Parsed p = ParseAll(in, 3);
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0][1], value);
}

TEST(RespParserTest, EmptyBulkAndEmptyMultibulk) {
  Parsed p = ParseAll("*0\r\n*-1\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0], (Cmd{"ECHO", ""}));
}

TEST(RespParserTest, InlineCommand) {
  Parsed p = ParseAll("SET key value\r\nGET key\n");
  ASSERT_EQ(p.commands.size(), 2u);
  EXPECT_EQ(p.commands[0], (Cmd{"SET", "key", "value"}));
  EXPECT_EQ(p.commands[1], (Cmd{"GET", "key"}));
}

TEST(RespParserTest, InlineQuotesAndEscapes) {
  Parsed p = ParseAll("SET \"a b\\n\\x41\" 'it\\'s'\r\n");
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0], (Cmd{"SET", "a b\nA", "it's"}));
}

TEST(RespParserTest, InlineEmptyLineIsSkipped) {
  Parsed p = ParseAll("\r\n\r\nPING\r\n");
  ASSERT_EQ(p.commands.size(), 1u);
}

TEST(RespParserTest, InlineUnbalancedQuotesIsProtocolError) {
  Parsed p = ParseAll("SET \"abc\r\n");
  EXPECT_EQ(p.last, ParseStatus::kError);
  EXPECT_EQ(p.error, "ERR Protocol error: unbalanced quotes in request");
  p = ParseAll("SET \"abc\"def\r\n");
  EXPECT_EQ(p.error, "ERR Protocol error: unbalanced quotes in request");
}

TEST(RespParserTest, InlineTooBig) {
  ParserLimits limits;
  limits.max_inline_len = 1024;
  Parsed p = ParseAll(std::string(2000, 'a'), 0, limits);
  EXPECT_EQ(p.error, "ERR Protocol error: too big inline request");
}

TEST(RespParserTest, BadMultibulkLength) {
  EXPECT_EQ(ParseAll("*abc\r\n").error, "ERR Protocol error: invalid multibulk length");
  EXPECT_EQ(ParseAll("*99999999999\r\n").error, "ERR Protocol error: invalid multibulk length");
}

TEST(RespParserTest, ExpectedDollar) {
  EXPECT_EQ(ParseAll("*1\r\n+PING\r\n").error, "ERR Protocol error: expected '$', got '+'");
}

TEST(RespParserTest, BadBulkLength) {
  EXPECT_EQ(ParseAll("*1\r\n$-5\r\n").error, "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(ParseAll("*1\r\n$x\r\n").error, "ERR Protocol error: invalid bulk length");
}

TEST(RespParserTest, BulkLongerThanProtoMaxBulkLen) {
  ParserLimits limits;
  limits.max_bulk_len = 100;
  EXPECT_EQ(ParseAll("*1\r\n$101\r\n", 0, limits).error, "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(ParseAll("*1\r\n$100\r\n" + std::string(100, 'x') + "\r\n", 0, limits).commands.size(),
            1u);
}

TEST(RespParserTest, HugeMultibulkCountDoesNotAllocateUpFront) {
  // A billion arguments announced, none sent: incomplete, and no giant reservation.
  Parsed p = ParseAll("*1000000000\r\n$1\r\na\r\n");
  EXPECT_EQ(p.last, ParseStatus::kIncomplete);
}

TEST(RespParserTest, TooBigCountString) {
  ParserLimits limits;
  limits.max_inline_len = 64;
  EXPECT_EQ(ParseAll("*" + std::string(100, '1'), 0, limits).error,
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(ParseAll("*1\r\n$" + std::string(100, '1'), 0, limits).error,
            "ERR Protocol error: too big bulk count string");
}

TEST(RespParserTest, BytesNeededHintsLargeBulk) {
  RespParser parser;
  std::string buf = "*2\r\n$3\r\nSET\r\n$1000000\r\nabc";
  size_t consumed;
  std::vector<std::string_view> argv;
  EXPECT_EQ(parser.Parse(buf.data(), buf.size(), &consumed, &argv), ParseStatus::kIncomplete);
  EXPECT_EQ(parser.BytesNeeded(), buf.size() - 3 + 1000000 + 2);
}

TEST(SplitInlineArgsTest, SpacesAndTabs) {
  std::vector<std::string> out;
  ASSERT_TRUE(SplitInlineArgs("  a\tb   c  ", &out));
  EXPECT_EQ(out, (Cmd{"a", "b", "c"}));
}

}  // namespace
}  // namespace vellum::protocol
