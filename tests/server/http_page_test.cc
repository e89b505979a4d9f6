// The HTTP edge's page rules over a real Keyspace: no sockets.
#include "server/http/page.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace vellum::server {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

class PageTest : public ::testing::Test {
 protected:
  void SetString(const std::string& key, const std::string& value, int64_t expire_at_ms = 0) {
    storage::ShardLocks locks(&ks_);
    locks.AddKey(key);
    locks.Acquire();
    bool created = false;
    storage::Entry* e = ks_.Upsert(0, key, kNow, &created);
    e->SetStr(value);
    if (expire_at_ms != 0) ks_.SetExpire(0, e, expire_at_ms);
  }
  HttpResponse Get(const std::string& target, const std::string& if_none_match = "",
                   const std::string& range = "", const std::string& method = "GET") {
    protocol::HttpRequest req;
    req.method = method;
    req.target = target;
    req.has_if_none_match = !if_none_match.empty();
    req.if_none_match = if_none_match;
    req.has_range = !range.empty();
    req.range = range;
    HttpResponse out;
    ServePage(req, config_, ks_, kNow, [] { return false; },
              [this](std::string_view key) { return key != hidden_; }, &out);
    return out;
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "<none>";
  }

  storage::Keyspace ks_;
  PageConfig config_;
  std::string hidden_ = "/hidden";
};

TEST_F(PageTest, StringPageWithETagAndDefaultCacheControl) {
  SetString("/a", "hello");
  HttpResponse r = Get("/a");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(Header(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Header(r, "ETag").size(), 34u);
}

TEST_F(PageTest, TtlGivesMaxAge) {
  SetString("/t", "x", kNow + 90'500);
  EXPECT_EQ(Header(Get("/t"), "Cache-Control"), "public, max-age=90");
  config_.stale_while_revalidate = 10;
  EXPECT_EQ(Header(Get("/t"), "Cache-Control"), "public, max-age=90, stale-while-revalidate=10");
}

TEST_F(PageTest, ConditionalAndRangeRequests) {
  SetString("/r", "0123456789");
  const std::string etag = Header(Get("/r"), "ETag");
  HttpResponse not_modified = Get("/r", "\"nope\", W/" + etag);
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_FALSE(not_modified.send_body);
  HttpResponse part = Get("/r", "", "bytes=3-5");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "345");
  EXPECT_EQ(Header(part, "Content-Range"), "bytes 3-5/10");
  EXPECT_EQ(Get("/r", "", "bytes=10-").status, 416);
  EXPECT_EQ(Get("/r", "", "bytes=-0").status, 416);
  EXPECT_EQ(Get("/r", "", "items=1-2").status, 200);
}

TEST_F(PageTest, MissesMethodsAndBadPaths) {
  EXPECT_EQ(Get("/none").status, 404);
  HttpResponse post = Get("/none", "", "", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
  EXPECT_EQ(Get("/%4").status, 400);
  EXPECT_EQ(Get("*").status, 400);
  HttpResponse head = Get("/none", "", "", "HEAD");
  EXPECT_EQ(head.status, 404);
}

TEST_F(PageTest, AKeyTheUserMayNotReadIsA404) {
  SetString("/hidden", "secret");
  EXPECT_EQ(Get("/hidden").status, 404);
}

TEST_F(PageTest, PrefixDecodingAndQuery) {
  config_.key_prefix = "page:";
  SetString("page:/a b", "spaced");
  EXPECT_EQ(Get("/a%20b?x=1").body, "spaced");
  config_.query_in_key = true;
  EXPECT_EQ(Get("/a%20b?x=1").status, 404);
}

TEST_F(PageTest, AScriptHoldingTheShardGives503) {
  SetString("/s", "x");
  storage::ShardLocks all(&ks_);
  all.AddAll();
  all.Acquire();
  protocol::HttpRequest req;
  req.method = "GET";
  req.target = "/s";
  HttpResponse out;
  std::thread t([&] {
    ServePage(req, config_, ks_, kNow, [] { return true; }, [](std::string_view) { return true; },
              &out);
  });
  t.join();
  EXPECT_EQ(out.status, 503);
  EXPECT_EQ(Header(out, "Retry-After"), "1");
}

TEST(PageHelpersTest, WireFormat) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"ETag", "\"x\""}};
  r.body = "abc";
  std::string wire;
  AppendResponse(r, false, kNow, &wire);
  EXPECT_EQ(wire.substr(0, 17), "HTTP/1.1 200 OK\r\n");
  EXPECT_NE(wire.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_NE(wire.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(wire.find("Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"), std::string::npos);
  EXPECT_EQ(wire.substr(wire.size() - 7), "\r\n\r\nabc");
}

}  // namespace
}  // namespace vellum::server
