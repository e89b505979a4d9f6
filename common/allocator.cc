#include "common/allocator.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

namespace vellum {

AllocatorStats ReadAllocatorStats() {
  const struct mallinfo2 mi = ::mallinfo2();
  AllocatorStats s;
  s.allocated = mi.uordblks + mi.hblkhd;
  s.active = mi.arena + mi.hblkhd;
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

}  // namespace vellum
