// Allocator: what the C allocator (glibc's malloc, which every operator new in vellumd
// goes through, see memory.h) holds, and a way to make it give free memory back.
//
// Redis links jemalloc and reads its statistics through mallctl; Vellum uses glibc's
// malloc, whose figures come from mallinfo2(). Measured side by side (bench/memory_churn.py)
// glibc plus the HeapTrimmer's malloc_trim gives RSS back after FLUSHALL as Redis does,
// so no second allocator is linked (the README's "Memory" section shows the figures).
//
// Thread-safe: every function may be called from any thread (glibc locks each arena).
#pragma once

#include <cstdint>
#include <string>

namespace vellum {

struct AllocatorStats {
  // Bytes in blocks handed out and not freed (Redis's allocator.allocated).
  uint64_t allocated = 0;
  // Bytes the allocator took from the kernel and still holds: its arenas plus its
  // mmapped blocks (Redis's allocator.active). glibc does not say which free pages of
  // an arena are resident, so this is also what Vellum reports as allocator.resident.
  uint64_t active = 0;
  // Free bytes inside the arenas (active - allocated, as glibc counts them).
  uint64_t free = 0;
};

AllocatorStats ReadAllocatorStats();

// Returns the free pages of every arena to the kernel (malloc_trim(0)); MEMORY PURGE and
// the HeapTrimmer call it. May take a few milliseconds on a large, fragmented heap.
void ReleaseFreeMemory();

// The allocator's own report (MEMORY MALLOC-STATS): glibc's malloc_info() XML.
std::string AllocatorReport();

// INFO's mem_allocator.
inline constexpr const char* kAllocatorName = "libc";

}  // namespace vellum
