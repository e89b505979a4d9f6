// HeapTrimmer: gives memory the data no longer uses back to the kernel.
//
// glibc's malloc keeps freed memory in its arenas; after FLUSHALL, or after heavy expiry
// churn, RSS stays at its peak while used_memory is small, and a container sized to
// maxmemory gets OOM-killed. Tick(used, high_water) is called about once a second (the
// control loop) with the used memory now and the highest value it reached since the last
// tick (TakeMemoryHighWater(): a load and a FLUSHALL between two ticks must still count).
// Once used memory has fallen `threshold` bytes below its highest value since the last
// trim, or to half of it (by at least threshold/8, so that a tiny data set is left alone),
// it calls malloc_trim(0), which returns the free pages of every arena. The second rule
// serves a FLUSHALL after an expiry churn, whose last trims left the peak just above what
// FLUSHALL frees. A steady data set never trims; a fragmented one is not trimmed again
// until more is freed.
//
// Not thread-safe: one owner (the control loop).
#pragma once

#include <cstdint>

namespace vellum {

class HeapTrimmer {
 public:
  explicit HeapTrimmer(uint64_t threshold) : threshold_(threshold) {}
  // True when it trimmed.
  bool Tick(uint64_t used, uint64_t high_water);
  uint64_t trims() const { return trims_; }

 private:
  const uint64_t threshold_;
  uint64_t peak_ = 0;
  uint64_t trims_ = 0;
};

}  // namespace vellum
