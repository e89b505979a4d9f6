// ListValue: the ring buffer behind a list (order, growth and shrinking, middle edits)
// and the positions the persister relies on (storage/list_value.h).
#include "storage/list_value.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace vellum::storage {
namespace {

std::deque<std::string> Contents(const ListValue& l) {
  std::deque<std::string> out;
  for (size_t i = 0; i < l.size(); i++) out.push_back(std::string(l.at(i)));
  return out;
}

TEST(ListValueTest, PushesAndPopsAtBothEndsKeepOrder) {
  ListValue l;
  l.PushBack("b");
  l.PushFront("a");
  l.PushBack("c");
  EXPECT_EQ(Contents(l), (std::deque<std::string>{"a", "b", "c"}));
  EXPECT_EQ(l.PopFront(), "a");
  EXPECT_EQ(l.PopBack(), "c");
  EXPECT_EQ(l.PopBack(), "b");
  EXPECT_TRUE(l.empty());
}

TEST(ListValueTest, RandomEditsMatchADeque) {
  std::mt19937_64 rng(42);
  ListValue l;
  std::deque<std::string> model;
  for (int step = 0; step < 20000; step++) {
    const std::string v = std::to_string(step) + std::string(step % 40, 'x');
    switch (rng() % 8) {
      case 0: case 1: l.PushFront(v); model.push_front(v); break;
      case 2: case 3: l.PushBack(v); model.push_back(v); break;
      case 4: if (!model.empty()) { EXPECT_EQ(l.PopFront(), model.front()); model.pop_front(); } break;
      case 5: if (!model.empty()) { EXPECT_EQ(l.PopBack(), model.back()); model.pop_back(); } break;
      case 6: {
        const size_t i = model.empty() ? 0 : rng() % (model.size() + 1);
        l.Insert(i, v);
        model.insert(model.begin() + static_cast<long>(i), v);
        break;
      }
      case 7:
        if (!model.empty()) {
          const size_t i = rng() % model.size();
          if (rng() % 2) {
            l.Erase(i);
            model.erase(model.begin() + static_cast<long>(i));
          } else {
            l.Set(i, v);
            model[i] = v;
          }
        }
        break;
    }
    ASSERT_EQ(l.size(), model.size());
  }
  EXPECT_EQ(Contents(l), model);
}

// LREM's removal: one pass, the first `limit` matches from the head or from the tail.
TEST(ListValueTest, RemoveEqualTakesTheFirstMatchesFromEitherEnd) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; round++) {
    ListValue l;
    std::deque<std::string> model;
    const size_t n = rng() % 40;
    for (size_t i = 0; i < n; i++) {
      const std::string v = (rng() % 3 == 0) ? "x" : "y" + std::to_string(i);
      l.PushBack(v);
      model.push_back(v);
    }
    const uint64_t limit = rng() % 5 == 0 ? UINT64_MAX : rng() % 6;
    const bool from_tail = rng() % 2 == 0;
    size_t want = 0;
    if (from_tail) {
      for (size_t i = model.size(); i-- > 0 && want < limit;) {
        if (model[i] == "x") {
          model.erase(model.begin() + static_cast<long>(i));
          want++;
        }
      }
    } else {
      for (size_t i = 0; i < model.size() && want < limit;) {
        if (model[i] == "x") {
          model.erase(model.begin() + static_cast<long>(i));
          want++;
        } else {
          i++;
        }
      }
    }
    ASSERT_EQ(l.RemoveEqual("x", limit, from_tail), want) << round;
    ASSERT_EQ(Contents(l), model) << round;
  }
}

// Elements of 0 to 300 bytes (one- and two-byte lengths), the list growing past the
// small form's 8 KiB and draining back below half of it, again and again: every edit
// and both walks agree with a deque, and the list changes form both ways.
TEST(ListValueTest, RandomEditsAcrossBothFormsMatchADeque) {
  std::mt19937_64 rng(7);
  ListValue l;
  std::deque<std::string> model;
  size_t to_ring = 0, to_packed = 0;
  bool growing = true;
  for (int step = 0; step < 30000; step++) {
    const bool was_packed = l.packed();
    const std::string v(rng() % 300, static_cast<char>('a' + step % 26));
    if (model.size() > 80) growing = false;
    if (model.empty()) growing = true;
    const uint64_t op = rng() % 10;
    if (op < 4 && growing) {
      if (op % 2) { l.PushFront(v); model.push_front(v); }
      else { l.PushBack(v); model.push_back(v); }
    } else if (op < 4) {
      if (op % 2) { ASSERT_EQ(l.PopFront(), model.front()); model.pop_front(); }
      else { ASSERT_EQ(l.PopBack(), model.back()); model.pop_back(); }
    } else if (op < 6) {
      const size_t i = rng() % (model.size() + 1);
      l.Insert(i, v);
      model.insert(model.begin() + static_cast<long>(i), v);
    } else if (op < 8 && !model.empty()) {
      const size_t i = rng() % model.size();
      l.Set(i, v);
      model[i] = v;
    } else if (!model.empty() && !growing) {
      const size_t i = rng() % model.size();
      l.Erase(i);
      model.erase(model.begin() + static_cast<long>(i));
    }
    if (was_packed && !l.packed()) to_ring++;
    if (!was_packed && l.packed()) to_packed++;
    ASSERT_EQ(l.size(), model.size());
    if (step % 97 == 0 && !model.empty()) {
      ASSERT_EQ(Contents(l), model) << step;
      std::deque<std::string> backwards;
      l.Walk(l.size() - 1, l.size(), /*reverse=*/true, [&](size_t i, std::string_view e) {
        EXPECT_EQ(e, model[i]);
        backwards.push_front(std::string(e));
        return true;
      });
      ASSERT_EQ(backwards, model) << step;
    }
  }
  EXPECT_GT(to_ring, 3u);
  EXPECT_GT(to_packed, 3u);
}

TEST(ListValueTest, FiveShortElementsAreOneSmallBlock) {
  ListValue l;
  for (int i = 0; i < 5; i++) l.PushBack("element" + std::to_string(i));
  EXPECT_TRUE(l.packed());
  // The object and one block of 5 x 10 bytes (plus its length word and rounding).
  EXPECT_LE(l.MemoryUsage(), sizeof(ListValue) + 64);
  std::string big(ListValue::kPackedMaxBytes, 'x');
  l.PushBack(big);
  EXPECT_FALSE(l.packed());
  EXPECT_EQ(l.PopBack(), big);
  EXPECT_TRUE(l.packed());  // back under half the small form's room
  EXPECT_EQ(Contents(l).back(), "element4");
}

// Review findings: a copy counted the original's string capacities, and strings moved
// within the ring kept buffers nobody counted, so draining a copied or edited ring could
// wrap MEMORY USAGE below zero (about 1.8e19).
TEST(ListValueTest, MemoryUsageStaysTrueThroughCopiesAndMiddleEdits) {
  std::mt19937_64 rng(3);
  ListValue l;
  for (int i = 0; i < 200; i++) l.PushBack(std::string(60 + i % 40, 'a'));
  ASSERT_FALSE(l.packed());
  for (int i = 0; i < 50; i++) l.Set(rng() % l.size(), std::string(rng() % 40, 'b'));
  for (int i = 0; i < 20; i++) l.Insert(rng() % l.size(), std::string(rng() % 80, 'c'));
  for (int i = 0; i < 20; i++) l.Erase(rng() % l.size());
  l.RemoveEqual(std::string(0, 'b'), 5, /*from_tail=*/false);
  ListValue copy(l);
  const size_t bound = 1 << 20;
  for (ListValue* v : {&l, &copy}) {
    v->MarkAllOnDisk();  // drops the LSET positions, which MemoryUsage counts too
    while (!v->empty()) {
      ASSERT_LT(v->MemoryUsage(), bound);
      if (rng() % 2) v->PopFront();
      else v->PopBack();
    }
    EXPECT_LT(v->MemoryUsage(), sizeof(ListValue) + 64);
  }
}

TEST(ListValueTest, AMovedFromListIsEmpty) {
  ListValue a;
  a.PushBack("x");
  ListValue b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the state is the point
  EXPECT_EQ(b.size(), 1u);
  a = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(Contents(a), (std::deque<std::string>{"x"}));
}

TEST(ListValueTest, TrimOfARingCutsBothEndsAndKeepsPositions) {
  ListValue l;
  for (int i = 0; i < 3000; i++) l.PushBack(std::to_string(i) + std::string(10, 'x'));
  ASSERT_FALSE(l.packed());
  l.MarkAllOnDisk();
  const uint64_t h = l.head_position();
  l.Trim(1000, 1003);
  EXPECT_TRUE(l.packed());  // three elements: packed again, once
  EXPECT_EQ(l.head_position(), h + 1000);
  EXPECT_EQ(l.clean_from(), h + 1000);
  EXPECT_EQ(l.clean_to(), h + 1003);
  EXPECT_EQ(std::string(l.at(0)), "1000" + std::string(10, 'x'));
  ListValue big;
  for (int i = 0; i < 3000; i++) big.PushBack(std::string(100, 'y'));
  big.Trim(10, 2000);  // stays a ring, shrunk to fit
  EXPECT_FALSE(big.packed());
  EXPECT_EQ(big.size(), 1990u);
  EXPECT_LT(big.MemoryUsage(), 2 * 4096 * sizeof(std::string) + 1990 * 130);
}

TEST(ListValueTest, TrimKeepsTheRangeAndADrainedRingIsFreed) {
  ListValue l;
  for (int i = 0; i < 1000; i++) l.PushBack(std::to_string(i));
  const size_t full = l.MemoryUsage();
  l.Trim(10, 13);
  EXPECT_EQ(Contents(l), (std::deque<std::string>{"10", "11", "12"}));
  EXPECT_LT(l.MemoryUsage(), full / 10);  // the ring shrank with the list
}

TEST(ListValueTest, CopyIsDeepAndKeepsPositions) {
  ListValue l;
  l.PushBack("x");
  l.PushFront("w");
  ListValue copy(l);
  copy.PushBack("y");
  EXPECT_EQ(Contents(l), (std::deque<std::string>{"w", "x"}));
  EXPECT_EQ(Contents(copy), (std::deque<std::string>{"w", "x", "y"}));
  EXPECT_EQ(copy.head_position(), l.head_position());
}

TEST(ListValueTest, PositionsOfRemainingElementsNeverChangeAtTheEnds) {
  ListValue l;
  l.PushBack("a");
  const uint64_t a = l.head_position();
  l.PushFront("z");
  EXPECT_EQ(l.head_position(), a - 1);
  l.PushBack("b");
  l.PopFront();
  EXPECT_EQ(l.head_position(), a);  // "a" is still at its position
}

TEST(ListValueTest, CleanRangeShrinksWithEveryEndChange) {
  ListValue l;
  for (int i = 0; i < 4; i++) l.PushBack(std::to_string(i));
  l.MarkAllOnDisk();
  const uint64_t h = l.head_position();
  EXPECT_EQ(l.clean_from(), h);
  EXPECT_EQ(l.clean_to(), h + 4);
  l.PopFront();
  l.PushFront("new");  // same position as the popped one, another value
  EXPECT_EQ(l.clean_from(), h + 1);
  l.PopBack();
  EXPECT_EQ(l.clean_to(), h + 3);
  EXPECT_FALSE(l.rewrite_needed());
  l.Set(1, "edited");  // LSET: that position, no rewrite
  EXPECT_FALSE(l.rewrite_needed());
  EXPECT_EQ(std::vector<uint64_t>(l.set_positions().begin(), l.set_positions().end()),
            std::vector<uint64_t>{l.head_position() + 1});
  for (int i = 0; i < 64; i++) l.Set(0, "again");  // many: one rewrite instead
  EXPECT_TRUE(l.rewrite_needed());
  EXPECT_TRUE(l.set_positions().empty());
  l.MarkAllOnDisk();
  EXPECT_FALSE(l.rewrite_needed());
  EXPECT_EQ(l.disk_head(), h);
  EXPECT_EQ(l.disk_size(), 3u);
}

TEST(ListBuilderTest, RefusesAGapInPositions) {
  ListValue l;
  ListBuilder b(&l);
  EXPECT_TRUE(b.Add(100, "a"));
  EXPECT_TRUE(b.Add(101, "b"));
  EXPECT_FALSE(b.Add(103, "d"));
  ListValue m;
  ListBuilder ok(&m);
  ASSERT_TRUE(ok.Add(7, "a"));
  ASSERT_TRUE(ok.Add(8, "b"));
  ok.Finish();
  EXPECT_EQ(m.head_position(), 7u);
  EXPECT_EQ(m.disk_head(), 7u);
  EXPECT_EQ(m.disk_size(), 2u);
  m.PushFront("z");
  EXPECT_EQ(m.head_position(), 6u);
}

}  // namespace
}  // namespace vellum::storage
