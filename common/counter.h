// AddToCounter: the increment of a statistics counter with one writer at a time.
#pragma once

#include <atomic>
#include <cstdint>

namespace vellum {

// Adds to a counter that only one thread writes at a time (a worker's own counter, or a
// shard's counter under that shard's lock) while others may read it: a plain load and
// store, without the locked read-modify-write of fetch_add on the hot path. (A reset by
// another thread that holds no such lock may lose against an increment in flight.)
inline void AddToCounter(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace vellum
