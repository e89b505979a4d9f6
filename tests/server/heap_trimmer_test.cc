// HeapTrimmer trims once the data has shrunk by its threshold, or to half, below the peak
// since the last trim, and not while the data set is steady or growing.
#include "common/heap_trimmer.h"

#include <gtest/gtest.h>

namespace vellum {
namespace {

TEST(HeapTrimmerTest, TrimsOnlyAfterTheDataShrankByTheThreshold) {
  HeapTrimmer t(100);
  EXPECT_FALSE(t.Tick(50, 50));
  EXPECT_FALSE(t.Tick(500, 500));  // growing
  EXPECT_FALSE(t.Tick(500, 500));  // steady
  EXPECT_FALSE(t.Tick(401, 401));  // shrank 99
  EXPECT_TRUE(t.Tick(400, 400));    // shrank 100 below the peak
  EXPECT_EQ(t.trims(), 1u);
  EXPECT_FALSE(t.Tick(390, 390));  // the peak is now 400: not again until 100 more are freed
  EXPECT_TRUE(t.Tick(300, 300));
  EXPECT_EQ(t.trims(), 2u);
}

// The last CI failure: a load that rose and was flushed between two once-a-second ticks
// was never seen at its height, so the drop looked small and the heap was never trimmed.
// The high-water mark since the last tick carries the spike.
TEST(HeapTrimmerTest, TrimsAfterASpikeThatRoseAndFellBetweenTwoTicks) {
  HeapTrimmer t(100);
  EXPECT_FALSE(t.Tick(/*used=*/50, /*high_water=*/50));
  EXPECT_TRUE(t.Tick(/*used=*/10, /*high_water=*/600));
  EXPECT_EQ(t.trims(), 1u);
}

// Found by bench/memory_churn.py: an expiry churn trimmed as the data fell from 133 MB,
// the last trim left the peak at about 30 MB, and the FLUSHALL that followed freed only
// 29 MB more, under the 32 MB threshold: RSS stayed at 145 MB with 1 MB in use. A data
// set that falls to half of its peak is trimmed too, once the drop is worth a trim.
TEST(HeapTrimmerTest, TrimsWhenTheDataFallsToHalfOfItsPeak) {
  HeapTrimmer t(/*threshold=*/32 << 20);
  EXPECT_FALSE(t.Tick(30 << 20, 30 << 20));
  EXPECT_TRUE(t.Tick(1 << 20, 1 << 20));  // FLUSHALL: 29 MB freed, under 32 MB
  EXPECT_EQ(t.trims(), 1u);
  // Half of a tiny data set is not worth a trim: the drop must be 1/8 of the threshold.
  HeapTrimmer small(/*threshold=*/32 << 20);
  EXPECT_FALSE(small.Tick(6 << 20, 6 << 20));
  EXPECT_FALSE(small.Tick(3 << 20, 3 << 20));
  EXPECT_TRUE(small.Tick(1 << 20, 1 << 20));  // 5 MB below the peak, a sixth of it
}

}  // namespace
}  // namespace vellum
