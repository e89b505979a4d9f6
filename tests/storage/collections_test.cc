// Unit tests of the hash and set payloads (storage/hash_value.h, storage/set_value.h) and
// the CollectionTable under them: lookups, encodings, order, random picks, scan cursors
// across resizes, memory accounting, and deep copies through Entry.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/entry.h"
#include "common/memory.h"
#include "storage/hash_value.h"
#include "storage/keyspace.h"
#include "storage/scan_cursor.h"
#include "storage/set_value.h"

namespace vellum::storage {
namespace {

std::string F(int i) { return "field:" + std::to_string(i); }

TEST(HashValueTest, SetGetDelete) {
  HashValue h;
  EXPECT_TRUE(h.Set("a", "1"));
  EXPECT_FALSE(h.Set("a", "2"));
  ASSERT_TRUE(h.Get("a"));
  EXPECT_EQ(*h.Get("a"), "2");
  EXPECT_FALSE(h.Get("b"));
  EXPECT_TRUE(h.Delete("a"));
  EXPECT_FALSE(h.Delete("a"));
  EXPECT_TRUE(h.empty());
}

TEST(HashFieldTest, InlineUpTo24BytesThenHeap) {
  HashValue::Field small("name", std::string(20, 'v'));
  EXPECT_EQ(small.HeapBytes(), 0u);
  EXPECT_EQ(small.name(), "name");
  EXPECT_EQ(small.value(), std::string(20, 'v'));
  HashValue::Field big("name", std::string(21, 'v'));
  EXPECT_EQ(big.HeapBytes(), 25u);
  EXPECT_EQ(big.value(), std::string(21, 'v'));
  EXPECT_EQ(sizeof(HashValue::Field), 40u);
}

TEST(HashFieldTest, CopyMoveAndSetValueKeepContents) {
  HashValue::Field a("f", std::string(100, 'x'));
  a.hash = 7;
  HashValue::Field b(a);
  EXPECT_EQ(b.value(), a.value());
  EXPECT_EQ(b.hash, 7u);
  HashValue::Field c(std::move(a));
  EXPECT_EQ(c.value(), std::string(100, 'x'));
  EXPECT_EQ(a.name(), "");  // NOLINT: moved-from is empty by contract
  c.SetValue("short");
  EXPECT_EQ(c.name(), "f");
  EXPECT_EQ(c.value(), "short");
  EXPECT_EQ(c.HeapBytes(), 0u);
  c.SetValue(std::string(50, 'y'));
  EXPECT_EQ(c.value(), std::string(50, 'y'));
  b = c;
  EXPECT_EQ(b.value(), std::string(50, 'y'));
  b = HashValue::Field("", "");
  EXPECT_EQ(b.name(), "");
  EXPECT_EQ(b.value(), "");
  std::vector<HashValue::Field> v;
  for (int i = 0; i < 100; i++) v.emplace_back(F(i), std::string(static_cast<size_t>(i), 'z'));
  for (int i = 0; i < 100; i++) EXPECT_EQ(v[static_cast<size_t>(i)].value().size(), size_t(i));
}

TEST(HashValueTest, ManyFieldsSurviveGrowthAndShrink) {
  HashValue h;
  for (int i = 0; i < 5000; i++) h.Set(F(i), std::to_string(i));
  EXPECT_EQ(h.size(), 5000u);
  for (int i = 0; i < 5000; i += 2) ASSERT_TRUE(h.Delete(F(i)));
  EXPECT_EQ(h.size(), 2500u);
  for (int i = 0; i < 5000; i++) {
    std::optional<std::string_view> v = h.Get(F(i));
    if (i % 2 == 0) {
      EXPECT_FALSE(v) << i;
    } else {
      ASSERT_TRUE(v) << i;
      EXPECT_EQ(*v, std::to_string(i));
    }
  }
}

TEST(HashValueTest, ListpackUntil512FieldsThenHashtableForGood) {
  HashValue h;
  for (int i = 0; i < 512; i++) h.Set(F(i), "v");
  EXPECT_STREQ(h.EncodingName(), "listpack");
  h.Set(F(512), "v");
  EXPECT_STREQ(h.EncodingName(), "hashtable");
  for (int i = 0; i < 500; i++) h.Delete(F(i));
  EXPECT_STREQ(h.EncodingName(), "hashtable");
}

TEST(HashValueTest, LongFieldOrValueMeansHashtable) {
  HashValue a, b, c;
  a.Set(std::string(64, 'f'), std::string(64, 'v'));
  EXPECT_STREQ(a.EncodingName(), "listpack");
  b.Set(std::string(65, 'f'), "v");
  EXPECT_STREQ(b.EncodingName(), "hashtable");
  c.Set("f", std::string(65, 'v'));
  EXPECT_STREQ(c.EncodingName(), "hashtable");
}

TEST(HashValueTest, ListpackKeepsInsertionOrderAcrossDeletes) {
  HashValue h;
  for (const char* f : {"a", "b", "c", "d", "e"}) h.Set(f, "1");
  h.Delete("b");
  h.Set("c", "2");  // an update keeps its place
  h.Set("f", "1");
  std::vector<std::string> order;
  h.ForEach([&](HashValue::Item f) { order.push_back(std::string(f.name)); });
  EXPECT_EQ(order, (std::vector<std::string>{"a", "c", "d", "e", "f"}));
}

TEST(HashValueTest, RandomIsUniformEnough) {
  HashValue h;
  for (int i = 0; i < 10; i++) h.Set(F(i), "v");
  std::mt19937_64 rng(42);
  std::map<std::string, int> hits;
  for (int i = 0; i < 10000; i++) hits[std::string(h.Random(rng).name)]++;
  ASSERT_EQ(hits.size(), 10u);
  for (const auto& [f, n] : hits) EXPECT_GT(n, 700) << f;
}

// Scans a big hash with small steps while it grows and shrinks between steps; every field
// present for the whole scan must come back.
TEST(HashValueTest, ScanReturnsEveryStableFieldAcrossResizes) {
  HashValue h;
  for (int i = 0; i < 1000; i++) h.Set(F(i), "v");
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor =
        h.Scan(cursor, 5, [&](HashValue::Item f) { seen.insert(std::string(f.name)); });
    ++steps;
    if (steps == 20) {
      for (int i = 0; i < 5000; i++) h.Set("grow:" + std::to_string(i), "v");
    }
    if (steps == 200) {
      for (int i = 0; i < 5000; i++) h.Delete("grow:" + std::to_string(i));
    }
  } while (cursor != 0 && steps < 100000);
  EXPECT_EQ(cursor, 0u);
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(seen.count(F(i))) << i;
}

TEST(HashValueTest, ListpackScanIsOneCall) {
  HashValue h;
  for (int i = 0; i < 50; i++) h.Set(F(i), "v");
  size_t n = 0;
  EXPECT_EQ(h.Scan(12345, 1, [&](HashValue::Item) { n++; }), 0u);
  EXPECT_EQ(n, 50u);
}

TEST(HashValueTest, TheLargeFormKeepsTheVersionOnDisk) {
  HashValue h;
  h.Set("f", "v");
  h.set_disk_version(42);
  h.Set("long", std::string(100, 'x'));  // past hash-max-listpack-value: the table
  EXPECT_FALSE(h.listpack());
  EXPECT_EQ(h.disk_version(), 42u);
  HashValue copy(h);
  EXPECT_EQ(copy.disk_version(), 42u);
  EXPECT_EQ(*copy.Get("f"), "v");
  h.Delete("f");
  EXPECT_EQ(*copy.Get("f"), "v");  // a deep copy
  HashValue moved(std::move(copy));
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved.disk_version(), 42u);
}

TEST(HashValueTest, MemoryUsageTracksLongStrings) {
  HashValue h;
  const size_t empty = h.MemoryUsage();
  h.Set("f", std::string(1000, 'x'));  // the large form from here on
  const size_t with_long = h.MemoryUsage();
  EXPECT_GE(with_long, empty + 1000);
  h.Set("f", "short");
  EXPECT_LT(h.MemoryUsage(), with_long - 900);
}

TEST(HashValueTest, SmallFormIsOneBlockOfItsEntries) {
  EXPECT_EQ(sizeof(HashValue), sizeof(void*));  // the value slot holds it in place
  HashValue h;
  h.Reserve(5, 5 * 14, 6);  // as HSET does for a new hash
  for (int i = 0; i < 5; i++) h.Set("field" + std::to_string(i), "value" + std::to_string(i));
  EXPECT_TRUE(h.listpack());
  // Five entries of 1 + 6 + 1 + 6 bytes behind a 16-byte header, in one block with no
  // slack beyond malloc's rounding (86 bytes asked, 88 usable).
  EXPECT_EQ(h.MemoryUsage(), AllocationSize(h.Items()[0].name.data() - 17));
  EXPECT_LT(h.MemoryUsage(), 16 + 5 * 14 + 16u);  // any allocator rounds by less than 16
  h.Set("field2", "a longer value");  // an update in place keeps the order
  h.Delete("field0");
  std::vector<std::string> order;
  h.ForEach([&](HashValue::Item f) { order.push_back(std::string(f.name) + "=" + std::string(f.value)); });
  EXPECT_EQ(order, (std::vector<std::string>{"field1=value1", "field2=a longer value",
                                             "field3=value3", "field4=value4"}));
  EXPECT_EQ(h.At(1).value, "a longer value");
  EXPECT_EQ(*h.Get("field4"), "value4");
  EXPECT_FALSE(h.Get("field0"));
}

TEST(HashValueTest, BothFormsAgreeWithAModelUnderRandomEdits) {
  std::mt19937_64 rng(7);
  HashValue h;
  std::map<std::string, std::string> model;
  for (int step = 0; step < 20000; step++) {
    const std::string f = "f" + std::to_string(rng() % 700);
    const size_t op = rng() % 10;
    if (op < 6) {
      // Mostly short values; now and then one past the small form's limit.
      const std::string v(rng() % 100 == 0 ? 70 : rng() % 12, static_cast<char>('a' + rng() % 26));
      EXPECT_EQ(h.Set(f, v), model.count(f) == 0) << step;
      model[f] = v;
    } else {
      EXPECT_EQ(h.Delete(f), model.erase(f) == 1) << step;
    }
    if (step % 997 == 0 || step == 19999) {
      ASSERT_EQ(h.size(), model.size());
      size_t seen = 0;
      h.ForEach([&](HashValue::Item it) {
        ASSERT_EQ(model.at(std::string(it.name)), it.value);
        seen++;
      });
      EXPECT_EQ(seen, model.size());
      for (const auto& [k, v] : model) EXPECT_EQ(*h.Get(k), v);
    }
  }
  EXPECT_FALSE(h.listpack());  // a 70-byte value or the 513th field turned it large
  HashValue copy(h);
  EXPECT_EQ(copy.size(), h.size());
  for (const auto& [k, v] : model) EXPECT_EQ(*copy.Get(k), v);
}

TEST(HashValueTest, ReserveForAHashThatWillNotStaySmallTurnsItLargeFirst) {
  HashValue a, b, c;
  a.Reserve(3, 30, 64);
  EXPECT_TRUE(a.listpack());
  b.Reserve(3, 300, 65);  // one argument over hash-max-listpack-value
  EXPECT_FALSE(b.listpack());
  c.Reserve(513, 5130, 5);  // more fields than hash-max-listpack-entries
  EXPECT_FALSE(c.listpack());
}

TEST(HashValueTest, ConfiguredLimitsDecideTheForm) {
  HashValue::SetListpackLimits(2, 4);
  HashValue a, b;
  a.Set("f1", "v");
  a.Set("f2", "v");
  EXPECT_TRUE(a.listpack());
  a.Set("f3", "v");
  EXPECT_FALSE(a.listpack());
  b.Set("f", "12345");
  EXPECT_FALSE(b.listpack());
  HashValue::SetListpackLimits(HashValue::kListpackEntries, HashValue::kListpackValue);
}

TEST(SetValueTest, AddContainsRemove) {
  SetValue s;
  EXPECT_TRUE(s.Add("x"));
  EXPECT_FALSE(s.Add("x"));
  EXPECT_TRUE(s.Contains("x"));
  EXPECT_FALSE(s.Contains("y"));
  EXPECT_TRUE(s.Remove("x"));
  EXPECT_FALSE(s.Remove("x"));
  EXPECT_TRUE(s.empty());
}

TEST(SetValueTest, IntsetUntil512IntegersThenHashtableForGood) {
  SetValue s;
  for (int i = 0; i < 512; i++) s.Add(std::to_string(i));
  EXPECT_STREQ(s.EncodingName(), "intset");
  s.Add("512");
  EXPECT_STREQ(s.EncodingName(), "hashtable");
  for (int i = 0; i < 500; i++) s.Remove(std::to_string(i));
  EXPECT_STREQ(s.EncodingName(), "hashtable");
}

TEST(SetValueTest, NonIntegerMemberMeansHashtable) {
  for (const char* m : {"a", "01", "+1", " 1", "1.0", "9223372036854775808"}) {
    SetValue s;
    s.Add("1");
    s.Add(m);
    EXPECT_STREQ(s.EncodingName(), "hashtable") << m;
  }
  SetValue s;
  s.Add("-9223372036854775808");
  EXPECT_STREQ(s.EncodingName(), "intset");
}

TEST(SetValueTest, IntsetIteratesInNumericOrder) {
  SetValue s;
  for (const char* m : {"3", "-5", "100", "1", "2"}) s.Add(m);
  std::vector<std::string> order;
  s.ForEach([&](const std::string& m) { order.push_back(m); });
  EXPECT_EQ(order, (std::vector<std::string>{"-5", "1", "2", "3", "100"}));
}

TEST(SetValueTest, RemoveAtRandomEmptiesTheSet) {
  SetValue s;
  for (int i = 0; i < 1000; i++) s.Add("m" + std::to_string(i));
  std::mt19937_64 rng(7);
  std::set<std::string> popped;
  while (!s.empty()) {
    size_t i = s.RandomIndex(rng);
    popped.insert(s.at(i).name);
    s.RemoveAt(i);
  }
  EXPECT_EQ(popped.size(), 1000u);
}

TEST(SetValueTest, ScanReturnsEveryStableMemberAcrossResizes) {
  SetValue s;
  for (int i = 0; i < 1000; i++) s.Add("m" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = s.Scan(cursor, 10, [&](const std::string& m) { seen.insert(m); });
    ++steps;
    if (steps == 5) {
      for (int i = 0; i < 3000; i++) s.Add("g" + std::to_string(i));
    }
    if (steps == 50) {
      for (int i = 0; i < 3000; i++) s.Remove("g" + std::to_string(i));
    }
  } while (cursor != 0 && steps < 100000);
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(seen.count("m" + std::to_string(i))) << i;
}

TEST(ScanCursorTest, VisitsEveryBucketOnce) {
  const uint64_t mask = 63;
  std::set<uint64_t> visited;
  uint64_t cursor = 0;
  do {
    EXPECT_TRUE(visited.insert(cursor & mask).second);
    cursor = NextScanCursor(cursor, mask);
  } while (cursor != 0);
  EXPECT_EQ(visited.size(), 64u);
}

TEST(EntryTest, CopyDeepCopiesCollections) {
  Entry* a = Entry::New("a");
  a->type = ValueType::kHash;
  a->hash_value.emplace()->Set("f", "v");
  Entry* b = Entry::NewCopy(*a, "b");
  b->hash_value->Set("f", "changed");
  EXPECT_EQ(*a->hash_value->Get("f"), "v");
  EXPECT_STREQ(TypeName(ValueType::kHash), "hash");
  EXPECT_STREQ(TypeName(ValueType::kSet), "set");

  Entry* c = Entry::New("c");
  c->type = ValueType::kSet;
  c->set_value.emplace()->Add("m");
  Entry* d = Entry::NewCopy(*c, "d");
  d->set_value->Remove("m");
  EXPECT_TRUE(c->set_value->Contains("m"));
  for (Entry* e : {a, b, c, d}) Entry::Delete(e);
}

TEST(EntryTest, KeyOver4GiBIsRefusedBeforeAllocating) {
  const char byte = 'k';
  // Only the length is looked at before the refusal; no byte past the first is read.
  const std::string_view huge(&byte, size_t{UINT32_MAX} + 1);
  EXPECT_THROW(Entry::New(huge), std::length_error);
  EXPECT_THROW(Entry::AllocateFor(huge), std::length_error);
}

TEST(EntryTest, KeyLivesBehindTheEntry) {
  const std::string long_key(300, 'k');
  Entry* e = Entry::New(long_key);
  EXPECT_EQ(e->key(), long_key);
  EXPECT_EQ(static_cast<const void*>(e->key().data()), static_cast<const void*>(e + 1));
  e->SetStr("value");
  e->expire_at_ms = 42;
  e->access_clock = 7;
  Entry* copy = Entry::NewCopy(*e, "");
  EXPECT_EQ(copy->key(), "");
  EXPECT_EQ(copy->str(), "value");
  EXPECT_EQ(copy->expire_at_ms, 42);
  EXPECT_EQ(copy->access_clock, 0u);  // fresh statistics
  Entry* renamed = Entry::NewRenamed(Entry::AllocateFor("new-name", e->InlineRoomNeeded()), e,
                                     "new-name");  // frees e
  EXPECT_EQ(renamed->key(), "new-name");
  EXPECT_EQ(renamed->str(), "value");
  EXPECT_EQ(renamed->access_clock, 7u);  // a rename keeps them
  Entry::Delete(copy);
  Entry::Delete(renamed);
}

TEST(KeyspaceCollectionsTest, CopyAndMemoryUsage) {
  Keyspace ks(2);
  Entry* e = ks.Create(0, "h", 1000);
  e->type = ValueType::kHash;
  e->hash_value.emplace();
  for (int i = 0; i < 100; i++) e->hash_value->Set(F(i), std::string(100, 'v'));
  EXPECT_GT(Keyspace::EntryMemory(*e), 100u * 100u);
  ASSERT_TRUE(ks.Copy(0, "h", 1, "h2", 1000));
  Entry* c = ks.Find(1, "h2", 1000);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->type, ValueType::kHash);
  EXPECT_EQ(c->hash_value->size(), 100u);
  e->hash_value->Delete(F(0));
  EXPECT_EQ(c->hash_value->size(), 100u);
}

}  // namespace
}  // namespace vellum::storage
