#include "common/allocator.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef VELLUM_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

#include <cstring>

#ifdef VELLUM_JEMALLOC
// Read by jemalloc at its first allocation. A background thread gives dirty pages back
// after about a second (Redis keeps jemalloc's 10 s and defragments actively instead);
// muzzy pages are skipped, so what is returned leaves RSS at once. (jemalloc.h declares
// it extern "C".)
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
#endif

namespace vellum {

#ifdef VELLUM_JEMALLOC

#define VELLUM_STR2(x) #x
#define VELLUM_STR(x) VELLUM_STR2(x)
const char* const kAllocatorName = "jemalloc-" VELLUM_STR(JEMALLOC_VERSION_MAJOR) "." VELLUM_STR(
    JEMALLOC_VERSION_MINOR) "." VELLUM_STR(JEMALLOC_VERSION_BUGFIX);

namespace {

uint64_t ReadSize(const char* name) {
  size_t value = 0;
  size_t len = sizeof(value);
  return ::mallctl(name, &value, &len, nullptr, 0) == 0 ? value : 0;
}

}  // namespace

AllocatorStats ReadAllocatorStats() {
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  ::mallctl("epoch", &epoch, &len, &epoch, len);  // refreshes the statistics
  AllocatorStats s;
  s.allocated = ReadSize("stats.allocated");
  s.active = ReadSize("stats.active");
  s.resident = ReadSize("stats.resident");
  s.free = s.active > s.allocated ? s.active - s.allocated : 0;
  return s;
}

void ReleaseFreeMemory() {
  char name[32];
  std::snprintf(name, sizeof(name), "arena.%u.purge", MALLCTL_ARENAS_ALL);
  ::mallctl(name, nullptr, nullptr, nullptr, 0);
}

std::string AllocatorReport() {
  std::string out;
  ::malloc_stats_print(
      [](void* opaque, const char* text) { static_cast<std::string*>(opaque)->append(text); },
      &out, nullptr);
  return out;
}

#else  // glibc's malloc

const char* const kAllocatorName = "libc";

AllocatorStats ReadAllocatorStats() {
  const struct mallinfo2 mi = ::mallinfo2();
  AllocatorStats s;
  s.allocated = mi.uordblks + mi.hblkhd;
  s.active = mi.arena + mi.hblkhd;
  s.resident = s.active;
  s.free = mi.fordblks;
  return s;
}

void ReleaseFreeMemory() { ::malloc_trim(0); }

std::string AllocatorReport() {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = ::open_memstream(&buf, &len);
  if (f == nullptr) return "malloc_info is not available";
  ::malloc_info(0, f);
  std::fclose(f);
  std::string out(buf, len);
  ::free(buf);  // open_memstream's buffer comes from malloc
  return out;
}

#endif

}  // namespace vellum
