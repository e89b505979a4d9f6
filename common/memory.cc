// Counting replacements of the global operator new/delete (see memory.h).
//
// Every variant goes through Allocate()/Release(), which call malloc (or posix_memalign)
// and free and count malloc_usable_size() bytes: what the allocator really handed out,
// rounding included, so the count tracks RSS rather than the sizes programs asked for.
#include "common/memory.h"

#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <new>

namespace vellum {
namespace {

// Global total of the deltas flushed so far. Signed: one thread may free (and flush) what
// another allocated before that one has flushed.
std::atomic<int64_t> g_used{0};
std::atomic<int64_t> g_peak{0};
// Like g_peak, but reset by each TakeMemoryHighWater().
std::atomic<int64_t> g_high_water{0};

void RaiseTo(std::atomic<int64_t>& mark, int64_t now) {
  int64_t seen = mark.load(std::memory_order_relaxed);
  while (now > seen && !mark.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

// A thread's unflushed delta. On thread exit the destructor folds what is left in, so
// short-lived threads (FLUSHALL ASYNC) leave no drift behind.
struct ThreadDelta {
  int64_t bytes = 0;
  ~ThreadDelta() {
    g_used.fetch_add(bytes, std::memory_order_relaxed);
    bytes = 0;
  }
};
thread_local ThreadDelta t_delta;

void Flush(ThreadDelta& d) {
  int64_t now = g_used.fetch_add(d.bytes, std::memory_order_relaxed) + d.bytes;
  d.bytes = 0;
  RaiseTo(g_peak, now);
  RaiseTo(g_high_water, now);
}

inline void Count(int64_t bytes) {
  ThreadDelta& d = t_delta;
  d.bytes += bytes;
  if (d.bytes >= kMemoryFlushBytes || d.bytes <= -kMemoryFlushBytes) Flush(d);
}

void* TryAllocate(size_t size, size_t align) {
  if (size == 0) size = 1;  // a unique non-null pointer even for zero bytes
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = malloc(size);
  } else if (posix_memalign(&p, align, size) != 0) {
    p = nullptr;
  }
  if (p != nullptr) Count(static_cast<int64_t>(malloc_usable_size(p)));
  return p;
}

// As the standard asks: on failure call the new-handler and retry, or throw.
void* Allocate(size_t size, size_t align) {
  for (;;) {
    if (void* p = TryAllocate(size, align)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* AllocateNoThrow(size_t size, size_t align) noexcept {
  try {
    return Allocate(size, align);
  } catch (...) {
    return nullptr;
  }
}

void Release(void* p) noexcept {
  if (p == nullptr) return;
  Count(-static_cast<int64_t>(malloc_usable_size(p)));
  free(p);
}

}  // namespace

uint64_t UsedMemory() {
  int64_t v = g_used.load(std::memory_order_relaxed) + t_delta.bytes;
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

namespace {
std::atomic<uint64_t> g_not_counted{0};

// A decrease reported but not yet believed in full (see SetNotCountedMemoryAt).
struct NotCountedDrop {
  std::mutex mu;
  bool pending = false;
  uint64_t from = 0;     // what was published before the decrease was first reported
  uint64_t heap = 0;     // UsedMemory() then
  int64_t since_ms = 0;  // when
};
NotCountedDrop g_drop;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void SetNotCountedMemory(uint64_t bytes) { SetNotCountedMemoryAt(bytes, SteadyMs()); }

void SetNotCountedMemoryAt(uint64_t bytes, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(g_drop.mu);
  const uint64_t published = g_not_counted.load(std::memory_order_relaxed);
  if (bytes >= published) {
    g_drop.pending = false;
    g_not_counted.store(bytes, std::memory_order_relaxed);
    return;
  }
  const uint64_t heap = UsedMemory();
  if (!g_drop.pending) {
    g_drop.pending = true;
    g_drop.from = published;
    g_drop.heap = heap;
    g_drop.since_ms = now_ms;
  }
  // Believed as far as the heap has fallen since; in full after the lag.
  const uint64_t freed = g_drop.heap > heap ? g_drop.heap - heap : 0;
  uint64_t believed = g_drop.from > freed ? g_drop.from - freed : 0;
  if (now_ms - g_drop.since_ms >= kNotCountedLagMs || believed <= bytes) {
    believed = bytes;
    g_drop.pending = false;
  }
  g_not_counted.store(std::min(believed, published), std::memory_order_relaxed);
}

namespace {
std::atomic<int64_t> g_outgoing_buffers{0};
}  // namespace

void AddOutgoingBufferMemory(int64_t delta) {
  g_outgoing_buffers.fetch_add(delta, std::memory_order_relaxed);
}

uint64_t OutgoingBufferMemory() {
  const int64_t v = g_outgoing_buffers.load(std::memory_order_relaxed);
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

uint64_t NotCountedMemory() {
  return g_not_counted.load(std::memory_order_relaxed) + OutgoingBufferMemory();
}

uint64_t UsedMemoryForEviction() {
  uint64_t used = UsedMemory(), not_counted = NotCountedMemory();
  return used > not_counted ? used - not_counted : 0;
}

uint64_t TakeMemoryHighWater() {
  int64_t used = static_cast<int64_t>(UsedMemory());
  int64_t seen = g_high_water.exchange(used, std::memory_order_relaxed);
  return static_cast<uint64_t>(std::max(seen, used));
}

uint64_t PeakMemory() {
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  uint64_t used = UsedMemory();
  return peak > 0 && static_cast<uint64_t>(peak) > used ? static_cast<uint64_t>(peak) : used;
}

size_t AllocationSize(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }

uint64_t ProcessRssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace vellum

// ---- the replaced global allocation functions ----
using vellum::Allocate;
using vellum::AllocateNoThrow;
using vellum::Release;

void* operator new(size_t n) { return Allocate(n, 0); }
void* operator new[](size_t n) { return Allocate(n, 0); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return AllocateNoThrow(n, 0); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return AllocateNoThrow(n, 0); }
void* operator new(size_t n, std::align_val_t a) { return Allocate(n, static_cast<size_t>(a)); }
void* operator new[](size_t n, std::align_val_t a) { return Allocate(n, static_cast<size_t>(a)); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateNoThrow(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateNoThrow(n, static_cast<size_t>(a));
}

void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
