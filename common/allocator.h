// Allocator: what the C allocator (every operator new in vellumd goes through malloc,
// see memory.h) holds, and a way to make it give free memory back.
//
// vellumd links jemalloc, as Redis does, when it is built without sanitizers (they bring
// their own malloc): its size classes keep small objects of one size together, so the
// pages a burst of expired or evicted keys leaves behind become wholly free and go back
// to the kernel, where glibc's malloc fills their holes with the next small objects and
// keeps them resident (bench/memory_churn.py, README "Memory"). Its figures come from
// mallctl, and a background thread returns free pages after a second (malloc_conf in
// allocator.cc). The sanitizer builds use glibc's malloc, read through mallinfo2().
//
// Thread-safe: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace vellum {

struct AllocatorStats {
  // Bytes in blocks handed out and not freed (Redis's allocator.allocated).
  uint64_t allocated = 0;
  // Bytes in the pages that hold those blocks (Redis's allocator.active): glibc's arenas
  // plus its mmapped blocks; jemalloc's active pages.
  uint64_t active = 0;
  // Bytes the allocator keeps resident (Redis's allocator.resident). glibc does not say
  // which free pages of an arena are resident, so there it is `active`.
  uint64_t resident = 0;
  // Free bytes inside the active pages (active - allocated).
  uint64_t free = 0;
};

AllocatorStats ReadAllocatorStats();

// Returns the free pages to the kernel now (glibc: malloc_trim(0); jemalloc: a purge of
// every arena); MEMORY PURGE and the HeapTrimmer call it. May take a few milliseconds on
// a large, fragmented heap.
void ReleaseFreeMemory();

// The allocator's own report (MEMORY MALLOC-STATS): glibc's malloc_info() XML, or
// jemalloc's malloc_stats_print() text, as Redis returns it.
std::string AllocatorReport();

// INFO's mem_allocator: "jemalloc-5.3.0" (as Redis says) or "libc".
extern const char* const kAllocatorName;

}  // namespace vellum
