#include "common/heap_trimmer.h"

#include "common/allocator.h"

namespace vellum {

bool HeapTrimmer::Tick(uint64_t used, uint64_t high_water) {
  if (high_water > peak_) peak_ = high_water;
  if (used > peak_) peak_ = used;
  const uint64_t drop = peak_ - used;
  const bool halved = used <= peak_ / 2 && drop >= threshold_ / 8;
  if (drop < threshold_ && !halved) return false;
  ReleaseFreeMemory();
  peak_ = used;
  trims_++;
  return true;
}

}  // namespace vellum
