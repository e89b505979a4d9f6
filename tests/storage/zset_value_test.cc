// ZSetValue: the skip list with spans and the member index behind a sorted set
// (storage/zset_value.h), checked against a std::set model under random edits.
#include "storage/zset_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace vellum::storage {
namespace {

using Model = std::set<std::pair<double, std::string>>;

std::vector<std::pair<double, std::string>> Contents(const ZSetValue& z) {
  std::vector<std::pair<double, std::string>> out;
  z.Walk(0, z.size(), /*reverse=*/false, [&](ZSetValue::Item it) {
    out.emplace_back(it.score, std::string(it.member));
    return true;
  });
  return out;
}

// The same items, read by walking down from the last rank (so in ascending order again).
std::vector<std::pair<double, std::string>> ContentsWalkedDown(const ZSetValue& z) {
  std::vector<std::pair<double, std::string>> down;
  if (z.empty()) return down;
  z.Walk(z.size() - 1, z.size(), /*reverse=*/true, [&](ZSetValue::Item it) {
    down.emplace_back(it.score, std::string(it.member));
    return true;
  });
  return {down.rbegin(), down.rend()};
}

TEST(ZSetValueTest, OrdersByScoreThenMemberBytes) {
  ZSetValue z;
  EXPECT_TRUE(z.Set("b", 1));
  EXPECT_TRUE(z.Set("a", 1));
  EXPECT_TRUE(z.Set("c", 0.5));
  EXPECT_TRUE(z.Set("\xff", 1));
  EXPECT_TRUE(z.Set("", 1));
  const std::vector<std::pair<double, std::string>> want = {
      {0.5, "c"}, {1, ""}, {1, "a"}, {1, "b"}, {1, "\xff"}};
  EXPECT_EQ(Contents(z), want);
  EXPECT_EQ(z.Rank("\xff"), 4u);
  EXPECT_EQ(z.Rank("c"), 0u);
  EXPECT_FALSE(z.Rank("zz").has_value());
}

TEST(ZSetValueTest, ChangingAScoreMovesTheMember) {
  ZSetValue z;
  z.Set("a", 1);
  z.Set("b", 2);
  z.Set("c", 3);
  EXPECT_FALSE(z.Set("a", 10));
  EXPECT_EQ(z.Rank("a"), 2u);
  EXPECT_FALSE(z.Set("a", 2.5));  // stays between b and c: updated in place
  EXPECT_EQ(z.Rank("a"), 1u);
  EXPECT_EQ(*z.Score("a"), 2.5);
  EXPECT_EQ(z.size(), 3u);
}

TEST(ZSetValueTest, WalksDownFromARank) {
  ZSetValue z;
  for (int i = 0; i < 10; i++) z.Set("m" + std::to_string(i), i);
  std::vector<double> seen;
  z.Walk(7, 3, /*reverse=*/true, [&](ZSetValue::Item it) {
    seen.push_back(it.score);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<double>{7, 6, 5}));
  seen.clear();
  z.Walk(1, 100, /*reverse=*/true, [&](ZSetValue::Item it) {
    seen.push_back(it.score);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<double>{1, 0}));
}

TEST(ZSetValueTest, CountsBelowScoresAndMembers) {
  ZSetValue z;
  const double inf = std::numeric_limits<double>::infinity();
  z.Set("a", -inf);
  z.Set("b", 1);
  z.Set("c", 1);
  z.Set("d", inf);
  EXPECT_EQ(z.CountBelow(-inf, false), 0u);
  EXPECT_EQ(z.CountBelow(-inf, true), 1u);
  EXPECT_EQ(z.CountBelow(1, false), 1u);
  EXPECT_EQ(z.CountBelow(1, true), 3u);
  EXPECT_EQ(z.CountBelow(inf, true), 4u);
  EXPECT_EQ(z.CountBelowLex("b", false), 1u);
  EXPECT_EQ(z.CountBelowLex("b", true), 2u);
}

TEST(ZSetValueTest, LabelsListpackUntilRedisWouldConvert) {
  ZSetValue z;
  for (size_t i = 0; i < ZSetValue::kListpackEntries; i++) z.Set(std::to_string(i), 1);
  EXPECT_STREQ(z.EncodingName(), "listpack");
  z.Set("one more", 1);
  EXPECT_STREQ(z.EncodingName(), "skiplist");
  z.Remove("one more");
  EXPECT_STREQ(z.EncodingName(), "skiplist");  // never back by itself
  z.RelabelEncoding();
  EXPECT_STREQ(z.EncodingName(), "listpack");
  z.Set(std::string(ZSetValue::kListpackValue + 1, 'x'), 2);
  EXPECT_STREQ(z.EncodingName(), "skiplist");
}

// Random edits on `members` distinct names: 100 keep the small (packed) form throughout,
// 600 turn it into the skip list early on.
void RandomEditsMatchASortedModel(int members, const char* encoding) {
  std::mt19937_64 rng(7);
  ZSetValue z;
  Model model;
  std::map<std::string, double> scores;
  for (int step = 0; step < 30000; step++) {
    const std::string m = "m" + std::to_string(rng() % static_cast<uint64_t>(members));
    const double score = static_cast<double>(rng() % 50) / 2;
    switch (rng() % 6) {
      case 0: case 1: case 2: {
        const bool fresh = !scores.count(m);
        if (!fresh) model.erase({scores[m], m});
        EXPECT_EQ(z.Set(m, score), fresh);
        scores[m] = score;
        model.insert({score, m});
        break;
      }
      case 3: {
        const bool had = scores.count(m) != 0;
        if (had) {
          model.erase({scores[m], m});
          scores.erase(m);
        }
        EXPECT_EQ(z.Remove(m), had);
        break;
      }
      case 4: {
        if (model.empty()) break;
        const size_t from = rng() % model.size();
        const size_t to = std::min(model.size(), from + rng() % 4);
        std::vector<std::string> removed;
        z.RemoveRanks(from, to, [&](std::string_view member) { removed.emplace_back(member); });
        auto first = std::next(model.begin(), static_cast<long>(from));
        auto last = std::next(model.begin(), static_cast<long>(to));
        std::vector<std::string> want;
        for (auto it = first; it != last; ++it) {
          want.push_back(it->second);
          scores.erase(it->second);
        }
        model.erase(first, last);
        EXPECT_EQ(removed, want);
        break;
      }
      case 5: {  // queries
        ASSERT_EQ(z.size(), model.size());
        const size_t below = static_cast<size_t>(std::distance(
            model.begin(), model.lower_bound({score, std::string()})));
        EXPECT_EQ(z.CountBelow(score, false), below);
        if (!model.empty()) {
          const size_t r = rng() % model.size();
          auto it = std::next(model.begin(), static_cast<long>(r));
          EXPECT_EQ(z.At(r).member, it->second);
          EXPECT_EQ(z.At(r).score, it->first);
          EXPECT_EQ(z.Rank(it->second), r);
        }
        break;
      }
    }
  }
  const std::vector<std::pair<double, std::string>> want(model.begin(), model.end());
  EXPECT_EQ(Contents(z), want);
  EXPECT_STREQ(z.EncodingName(), encoding);
  ZSetValue copy(z);
  EXPECT_EQ(Contents(copy), want);
  EXPECT_EQ(ContentsWalkedDown(z), want);
}

TEST(ZSetValueTest, RandomEditsMatchASortedModelInTheSmallForm) {
  RandomEditsMatchASortedModel(100, "listpack");
}

TEST(ZSetValueTest, RandomEditsMatchASortedModelInTheSkipList) {
  RandomEditsMatchASortedModel(600, "skiplist");
}

TEST(ZSetValueTest, TheSmallFormTurnsIntoTheSkipListWithItsContents) {
  ZSetValue z;
  for (int i = 0; i < 128; i++) z.Set("m" + std::to_string(i), 128 - i);
  ASSERT_TRUE(z.listpack());
  const size_t small = z.MemoryUsage();
  z.Set("last", -1);
  EXPECT_FALSE(z.listpack());
  EXPECT_GT(z.MemoryUsage(), small);
  EXPECT_EQ(z.size(), 129u);
  EXPECT_EQ(z.At(0).member, "last");
  EXPECT_EQ(z.At(128).member, "m0");
  EXPECT_EQ(z.Rank("m127"), 1u);
}

TEST(ZSetValueTest, NegativeZeroKeepsItsSignOnlyInTheSkipList) {
  ZSetValue small;
  small.Set("e", -0.0);
  EXPECT_FALSE(std::signbit(*small.Score("e")));
  ZSetValue large;
  large.LabelSkiplist();
  large.Set("e", -0.0);
  EXPECT_TRUE(std::signbit(*large.Score("e")));
}

// Review finding: ZADD normalised -0 before it knew the set would turn large.
TEST(ZSetValueTest, NegativeZeroKeepsItsSignWhenItsZaddTurnsTheSetLarge) {
  ZSetValue z;
  for (int i = 0; i < 128; i++) z.Set("m" + std::to_string(i), i);
  ASSERT_TRUE(z.listpack());
  z.Set("zero", -0.0);  // the 129th member: the skip list, which keeps the sign
  ASSERT_FALSE(z.listpack());
  EXPECT_TRUE(std::signbit(*z.Score("zero")));
}

TEST(ZSetValueTest, ScanOfALargeSetVisitsEveryMember) {
  ZSetValue z;
  for (int i = 0; i < 1000; i++) z.Set("m" + std::to_string(i), i);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = z.Scan(cursor, 10, [&](ZSetValue::Item it) { seen.emplace(it.member); });
  } while (cursor != 0 && ++calls < 10000);
  EXPECT_EQ(seen.size(), 1000u);
}

// The small form stores a whole score in 1, 2, 4 or 6 bytes and anything else as a
// double, with a member's length in its code byte below 31 and in a byte of its own
// from 31 on: every form and both member shapes read back exactly, in order, both ways.
TEST(ZSetValueTest, EveryScoreFormAndMemberShapeReadsBack) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> scores = {
      0, 1, -1, 127, -128, 128, -129, 32767, -32768, 32768, -32769, 2147483647.0,
      -2147483648.0, 2147483648.0, 1733400000, 1733400000123.0, -1733400000123.0,
      0x1p47 - 1, -(0x1p47 - 1), 0x1p47, -0x1p47, 0x1p53, 0.5, -2.25, 1e-300, 1e300,
      inf, -inf, 3.141592653589793};
  for (size_t member_len : {0u, 1u, 30u, 31u, 64u, 200u}) {
    ZSetValue::SetListpackLimits(128, 255);
    ZSetValue z;
    Model model;
    for (size_t i = 0; i < scores.size(); i++) {
      std::string m(member_len, 'm');
      m += std::to_string(i);
      z.Set(m, scores[i]);
      model.emplace(scores[i], m);
    }
    ASSERT_TRUE(z.listpack()) << member_len;
    const std::vector<std::pair<double, std::string>> want(model.begin(), model.end());
    EXPECT_EQ(Contents(z), want) << member_len;
    EXPECT_EQ(ContentsWalkedDown(z), want) << member_len;
    for (const auto& [score, member] : model) EXPECT_EQ(z.Score(member), score) << member;
  }
  ZSetValue::SetListpackLimits(ZSetValue::kListpackEntries, ZSetValue::kListpackValue);
}

TEST(ZSetValueTest, FiveMembersWithTimestampScoresAreOneSmallBlock) {
  EXPECT_EQ(sizeof(ZSetValue), sizeof(void*));  // the value slot holds it in place
  ZSetValue z;
  for (int i = 0; i < 5; i++) z.Set("member" + std::to_string(i), 1733400000 + i);
  // A 16-byte header and five entries of 2 + 7 + 4 bytes (a 4-byte whole score).
  EXPECT_LE(z.MemoryUsage(), 16 + 5 * 13 + 16u);
  z.Set("member2", 0.5);  // a double takes 8 bytes, in its new place
  EXPECT_EQ(z.At(0).member, "member2");
  EXPECT_EQ(z.At(0).score, 0.5);
  EXPECT_EQ(z.At(4).score, 1733400004);
}

TEST(ZSetValueTest, MemoryUsageFallsBackWhenMembersGo) {
  ZSetValue z;
  const size_t empty = z.MemoryUsage();
  for (int i = 0; i < 100; i++) z.Set(std::string(30, 'a') + std::to_string(i), i);
  EXPECT_GT(z.MemoryUsage(), empty + 100 * 30);
  for (int i = 0; i < 100; i++) z.Remove(std::string(30, 'a') + std::to_string(i));
  EXPECT_LE(z.MemoryUsage(), empty + 64);
}

}  // namespace
}  // namespace vellum::storage
