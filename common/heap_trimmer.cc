#include "common/heap_trimmer.h"

#include "common/allocator.h"

namespace vellum {

bool HeapTrimmer::Tick(uint64_t used, uint64_t high_water) {
  if (high_water > peak_) peak_ = high_water;
  if (used > peak_) peak_ = used;
  if (peak_ - used < threshold_) return false;
  ReleaseFreeMemory();
  peak_ = used;
  trims_++;
  return true;
}

}  // namespace vellum
