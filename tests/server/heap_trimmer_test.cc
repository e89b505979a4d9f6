// HeapTrimmer trims once the data has shrunk by its threshold below the peak since the
// last trim, and not while the data set is steady or growing.
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

}  // namespace
}  // namespace vellum
