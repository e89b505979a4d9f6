// The HTTP request parser: requests whole or in pieces, pipelined, and its limits.
#include "protocol/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace vellum::protocol {
namespace {

using Result = HttpRequestParser::Result;

TEST(HttpRequestTest, ParsesAGetWithTheHeadersPagesUse) {
  HttpRequestParser p(8192);
  HttpRequest req;
  size_t consumed = 0;
  const std::string wire =
      "GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nIF-NONE-MATCH: \"e1\"\r\nRange: bytes=0-1\r\n\r\n";
  ASSERT_EQ(p.Parse(wire, &consumed, &req), Result::kRequest);
  EXPECT_EQ(consumed, wire.size());
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/a%20b?x=1");
  EXPECT_TRUE(req.has_if_none_match);
  EXPECT_EQ(req.if_none_match, "\"e1\"");
  EXPECT_EQ(req.range, "bytes=0-1");
  EXPECT_TRUE(req.keep_alive);
}

TEST(HttpRequestTest, AcceptsARequestByteByByte) {
  HttpRequestParser p(8192);
  HttpRequest req;
  const std::string wire = "HEAD /p HTTP/1.0\r\nIf-None-Match: \"a\"\r\n\r\n";
  for (size_t i = 0; i + 1 < wire.size(); i++) {
    size_t consumed = 0;
    ASSERT_EQ(p.Parse(wire.substr(i, 1), &consumed, &req), Result::kNeedMore) << i;
    EXPECT_EQ(consumed, 1u);
    EXPECT_TRUE(p.in_request());
  }
  size_t consumed = 0;
  ASSERT_EQ(p.Parse(wire.substr(wire.size() - 1), &consumed, &req), Result::kRequest);
  EXPECT_EQ(req.method, "HEAD");
  EXPECT_FALSE(req.keep_alive);  // HTTP/1.0 without keep-alive
  EXPECT_FALSE(p.in_request());
}

TEST(HttpRequestTest, PipelinedRequestsComeOneAtATime) {
  HttpRequestParser p(8192);
  HttpRequest req;
  std::string wire =
      "GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\n"
      "Connection: close\r\n\r\n";
  std::vector<std::string> seen;
  while (!wire.empty()) {
    size_t consumed = 0;
    ASSERT_EQ(p.Parse(wire, &consumed, &req), Result::kRequest);
    wire.erase(0, consumed);
    seen.push_back(req.method + " " + req.target + (req.keep_alive ? "" : " close"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"GET /1", "POST /2", "GET /3 close"}));
}

TEST(HttpRequestTest, MalformedIs400AndStaysAnError) {
  HttpRequestParser p(8192);
  HttpRequest req;
  size_t consumed = 0;
  EXPECT_EQ(p.Parse("GARBAGE\r\n\r\n", &consumed, &req), Result::kError);
  EXPECT_EQ(p.error_status(), 400);
  EXPECT_EQ(p.Parse("GET / HTTP/1.1\r\n\r\n", &consumed, &req), Result::kError);
}

TEST(HttpRequestTest, AHeaderSectionOverTheLimitIs431) {
  HttpRequestParser p(256);
  HttpRequest req;
  size_t consumed = 0;
  const std::string wire = "GET / HTTP/1.1\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n";
  EXPECT_EQ(p.Parse(wire, &consumed, &req), Result::kError);
  EXPECT_EQ(p.error_status(), 431);
}

}  // namespace
}  // namespace vellum::protocol
