// Digests: equal for the same data however it was built, different when anything a
// client can observe differs (value, type, expiry, database, name).
#include "storage/digest.h"

#include <gtest/gtest.h>

#include <mutex>

#include "storage/keyspace.h"

namespace vellum::storage {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

Digest Of(Keyspace& ks, int db, std::string_view key) {
  Entry* e = ks.Peek(db, key);
  return e ? KeyDigest(db, *e) : Digest{};
}

Entry* Hash(Keyspace& ks, int db, std::string_view key) {
  Entry* e = ks.Create(db, key, kNow);
  e->type = ValueType::kHash;
  e->hash_value.emplace();
  return e;
}

TEST(DigestTest, HashFieldOrderDoesNotMatter) {
  Keyspace a(2), b(2);
  Entry* ha = Hash(a, 0, "h");
  ha->hash_value->Set("f1", "1");
  ha->hash_value->Set("f2", "2");
  Entry* hb = Hash(b, 0, "h");
  hb->hash_value->Set("f2", "2");
  hb->hash_value->Set("f1", "1");
  EXPECT_EQ(Of(a, 0, "h").Hex(), Of(b, 0, "h").Hex());
  hb->hash_value->Set("f1", "changed");
  EXPECT_NE(Of(a, 0, "h").Hex(), Of(b, 0, "h").Hex());
}

TEST(DigestTest, ListOrderMatters) {
  Keyspace a(2), b(2);
  for (Keyspace* ks : {&a, &b}) {
    Entry* e = ks->Create(0, "l", kNow);
    e->type = ValueType::kList;
    e->list_value.emplace();
  }
  a.Peek(0, "l")->list_value->PushBack("x");
  a.Peek(0, "l")->list_value->PushBack("y");
  b.Peek(0, "l")->list_value->PushFront("y");
  b.Peek(0, "l")->list_value->PushFront("x");  // same list, other positions
  EXPECT_EQ(Of(a, 0, "l").Hex(), Of(b, 0, "l").Hex());
  b.Peek(0, "l")->list_value->PopFront();
  b.Peek(0, "l")->list_value->PushBack("x");  // y, x
  EXPECT_NE(Of(a, 0, "l").Hex(), Of(b, 0, "l").Hex());
}

TEST(DigestTest, SortedSetScoresCountInsertionOrderDoesNot) {
  Keyspace a(2), b(2);
  for (Keyspace* ks : {&a, &b}) {
    Entry* e = ks->Create(0, "z", kNow);
    e->type = ValueType::kZSet;
    e->zset_value.emplace();
  }
  a.Peek(0, "z")->zset_value->Set("x", 1);
  a.Peek(0, "z")->zset_value->Set("y", 2);
  b.Peek(0, "z")->zset_value->Set("y", 2);
  b.Peek(0, "z")->zset_value->Set("x", 1);
  EXPECT_EQ(Of(a, 0, "z").Hex(), Of(b, 0, "z").Hex());
  b.Peek(0, "z")->zset_value->Set("x", 1.5);
  EXPECT_NE(Of(a, 0, "z").Hex(), Of(b, 0, "z").Hex());
}

TEST(DigestTest, NameDatabaseTypeAndExpiryAllCount) {
  Keyspace ks(2);
  ks.Create(0, "k", kNow)->SetStr("v");
  ks.Create(1, "k", kNow)->SetStr("v");
  ks.Create(0, "j", kNow)->SetStr("v");
  Entry* ttl = ks.Create(0, "t", kNow);
  ttl->SetStr("v");
  const std::string base = Of(ks, 0, "k").Hex();
  EXPECT_NE(base, Of(ks, 1, "k").Hex());
  EXPECT_NE(base, Of(ks, 0, "j").Hex());
  const std::string before = Of(ks, 0, "t").Hex();
  ks.SetExpire(0, ttl, kNow + 1000);
  EXPECT_NE(before, Of(ks, 0, "t").Hex());
  // A set holding "v" is not the string "v".
  Entry* s = ks.Create(2, "k", kNow);
  s->type = ValueType::kSet;
  s->set_value.emplace()->Add("v");
  Entry* str = ks.Create(3, "k", kNow);
  str->SetStr("v");
  EXPECT_NE(KeyDigest(0, *s).Hex(), KeyDigest(0, *str).Hex());
}

TEST(DigestTest, SumIsOrderFreeAndEmptyIsZero) {
  Digest empty;
  EXPECT_EQ(empty.Hex(), std::string(32, '0'));
  Digest x{1, 2}, y{3, 4}, xy = x, yx = y;
  xy.Add(y);
  yx.Add(x);
  EXPECT_EQ(xy.Hex(), yx.Hex());
}

}  // namespace
}  // namespace vellum::storage
