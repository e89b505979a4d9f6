// HeapTrimmer trims once the data has shrunk by its threshold below the peak since the
// last trim, and not while the data set is steady or growing.
#include "common/heap_trimmer.h"

#include <gtest/gtest.h>

namespace vellum {
namespace {

TEST(HeapTrimmerTest, TrimsOnlyAfterTheDataShrankByTheThreshold) {
  HeapTrimmer t(100);
  EXPECT_FALSE(t.Tick(50));
  EXPECT_FALSE(t.Tick(500));   // growing
  EXPECT_FALSE(t.Tick(500));   // steady
  EXPECT_FALSE(t.Tick(401));   // shrank 99
  EXPECT_TRUE(t.Tick(400));    // shrank 100 below the peak
  EXPECT_EQ(t.trims(), 1u);
  EXPECT_FALSE(t.Tick(390));   // the peak is now 400: not again until 100 more are freed
  EXPECT_TRUE(t.Tick(300));
  EXPECT_EQ(t.trims(), 2u);
}

}  // namespace
}  // namespace vellum
