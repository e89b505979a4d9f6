// RespClient against a loopback server that writes canned bytes: pipelined replies in
// order, and ReceiveBulk's bytes handed to the sink, never past the end of the reply.
#include "snapshot/resp_client.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/snapshot/canned_server.h"

namespace vellum::snapshot {
namespace {

using testing_support::Bulk;
using testing_support::CannedServer;

std::string Letters(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>('a' + (i * 7919) % 26);
  return s;
}

struct Collected {
  std::string bytes;
  int pieces = 0;
  std::function<Status(std::string_view)> sink() {
    return [this](std::string_view p) {
      bytes.append(p);
      pieces++;
      return Status::Ok();
    };
  }
};

TEST(RespClientTest, PipelinedRepliesComeBackInTheOrderSent) {
  CannedServer server("+OK\r\n:42\r\n" + Bulk("three"), 0);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(c.ok());
  for (const char* cmd : {"A", "B", "C"}) ASSERT_TRUE((*c)->Send({cmd}).ok());
  Result<RespValue> a = (*c)->Receive(), b = (*c)->Receive(), d = (*c)->Receive();
  ASSERT_TRUE(a.ok() && b.ok() && d.ok());
  EXPECT_EQ(a->type, RespValue::kSimple);
  EXPECT_EQ(a->str, "OK");
  EXPECT_EQ(b->integer, 42);
  EXPECT_EQ(d->str, "three");
}

TEST(RespClientTest, ReceiveBulkHandsALargeBulkToTheSinkAndStopsAtItsEnd) {
  const std::string big = Letters((3 << 20) + 12345);
  CannedServer server(Bulk(big) + "+NEXT\r\n", 0);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(c.ok());
  Collected got;
  Result<RespValue> r = (*c)->ReceiveBulk(got.sink());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->type, RespValue::kBulk);
  EXPECT_EQ(r->integer, static_cast<int64_t>(big.size()));
  EXPECT_TRUE(r->str.empty());
  EXPECT_TRUE(got.bytes == big);
  EXPECT_GT(got.pieces, 1);  // streamed, not collected first
  // The reply after it was not read into the bulk.
  Result<RespValue> next = (*c)->Receive();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->str, "NEXT");
}

TEST(RespClientTest, ReceiveBulkSplitAcrossManySmallWritesArrivesWhole) {
  const std::string body = Letters(3000);
  CannedServer server(Bulk(body) + Bulk("tail"), 97);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(c.ok());
  Collected first, second;
  Result<RespValue> r1 = (*c)->ReceiveBulk(first.sink());
  Result<RespValue> r2 = (*c)->ReceiveBulk(second.sink());
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_TRUE(first.bytes == body);
  EXPECT_EQ(second.bytes, "tail");
}

TEST(RespClientTest, ReceiveBulkReturnsOtherRepliesAsReceiveDoes) {
  CannedServer server("-ERR no such checkpoint file\r\n$-1\r\n*1\r\n$1\r\nx\r\n" + Bulk(""), 0);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(c.ok());
  Collected got;
  Result<RespValue> err = (*c)->ReceiveBulk(got.sink());
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->type, RespValue::kError);
  EXPECT_EQ(err->str, "ERR no such checkpoint file");
  Result<RespValue> null = (*c)->ReceiveBulk(got.sink());
  ASSERT_TRUE(null.ok());
  EXPECT_EQ(null->type, RespValue::kNull);
  Result<RespValue> array = (*c)->ReceiveBulk(got.sink());
  ASSERT_TRUE(array.ok());
  ASSERT_EQ(array->type, RespValue::kArray);
  EXPECT_EQ(array->elements.at(0).str, "x");
  Result<RespValue> empty = (*c)->ReceiveBulk(got.sink());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->type, RespValue::kBulk);
  EXPECT_EQ(empty->integer, 0);
  EXPECT_EQ(got.pieces, 0);
}

TEST(RespClientTest, ReceiveBulkRefusesABulkNotEndedByCrlf) {
  CannedServer server("$3\r\nabcXY", 0);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(c.ok());
  Collected got;
  Result<RespValue> r = (*c)->ReceiveBulk(got.sink());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("CRLF"), std::string::npos);
}

// Regression: ReceiveBulk parsed the length on its own, as an unsigned number, and took a
// length past INT64_MAX (which Receive refuses) for bytes to stream.
TEST(RespClientTest, ReceiveBulkRefusesALengthReceiveRefuses) {
  CannedServer server("$18446744073709551615\r\nabc", 0);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(c.ok());
  (*c)->SetTimeout(1);  // before the fix: a wait for more bytes, until this timeout
  Collected got;
  Result<RespValue> r = (*c)->ReceiveBulk(got.sink());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "protocol error: bad number");
  EXPECT_EQ(got.pieces, 0);
}

TEST(RespClientTest, ASinkErrorEndsTheRead) {
  CannedServer server(Bulk(Letters(1 << 20)), 0);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(c.ok());
  int calls = 0;
  Result<RespValue> r = (*c)->ReceiveBulk([&](std::string_view) {
    calls++;
    return Status::Error("disk full");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "disk full");
  EXPECT_EQ(calls, 1);
}

TEST(RespClientTest, ABulkCutShortIsAnErrorAfterItsBytesSoFar) {
  CannedServer server("$100\r\nonly some", 0);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  ASSERT_TRUE(c.ok());
  // The server keeps the connection open until this client closes: the short timeout
  // ends the wait instead.
  (*c)->SetTimeout(1);
  Collected got;
  Result<RespValue> r = (*c)->ReceiveBulk(got.sink());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(got.bytes, "only some");
}

}  // namespace
}  // namespace vellum::snapshot
