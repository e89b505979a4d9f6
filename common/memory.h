// Memory: how many bytes the daemon has allocated, as Redis's zmalloc counts them.
//
// memory.cc replaces the global operator new/delete family (every sized, aligned and
// nothrow variant) with versions that call malloc/free and count malloc_usable_size() of
// each block. Each thread keeps its own running delta and folds it into one global atomic
// only when it has drifted by kFlushBytes (64 KiB) either way, so allocation never contends
// across threads; the price is that UsedMemory() may be off by up to 64 KiB per thread
// (the calling thread's own delta is always included). Blocks taken with plain malloc (libuv
// internals, C libraries) are not counted.
//
// Thread-safe: every function may be called from any thread at any time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vellum {

// Bytes a thread may allocate or free before folding its delta into the global count.
inline constexpr int64_t kMemoryFlushBytes = 64 * 1024;

// Bytes currently allocated through operator new (INFO used_memory, maxmemory checks).
uint64_t UsedMemory();
// The highest UsedMemory() value seen at a flush (INFO used_memory_peak).
uint64_t PeakMemory();
// The highest UsedMemory() value seen at a flush since the previous call (at least the
// value now); the heap trimmer's window, so a rise and fall between its ticks is seen.
uint64_t TakeMemoryHighWater();
// Bytes of UsedMemory() that maxmemory does not count (Redis's "not counted" memory,
// there AOF and replica buffers; here RocksDB's block cache and memtables, which have
// their own fixed budget). Published by the storage engine; 0 without persistence.
//
// An increase counts at once; a decrease only as the heap follows it. RocksDB takes a
// flushed memtable off its books before its arena is freed (0.35 s and more seen under
// TSan, in the tiering tests, with tiering's reads going on): believed at once,
// the memtable's bytes would count against the keyspace meanwhile, and eviction, with no
// value left to drop, would refuse writes with -OOM. So a decrease is believed as far as
// UsedMemory() has fallen since it was first reported, and in full kNotCountedLagMs later.
void SetNotCountedMemory(uint64_t bytes);
inline constexpr int64_t kNotCountedLagMs = 2000;
// The same at a given steady-clock time in milliseconds (tests).
void SetNotCountedMemoryAt(uint64_t bytes, int64_t now_ms);
// What the engine published, and the outgoing buffer memory below (INFO
// mem_not_counted_for_evict).
uint64_t NotCountedMemory();
// UsedMemory() less NotCountedMemory(): what eviction compares with maxmemory.
uint64_t UsedMemoryForEviction();

// Bytes held on their way out, to the disk or to replicas: the persister's encoded
// batches until their cycle is written (Redis's AOF buffer), the recent log kept for
// replicas (its replication backlog), the log batches read for a replica and a replica's
// replies not yet sent (its replicas' output buffers). Not counted, as Redis counts
// neither its AOF buffer nor its replicas' output buffers: they are copies of what a
// write burst brings, and counted, a burst was refused with -OOM while the data itself
// fitted (seen with a replica attached, while RocksDB switched memtables: a cycle then
// waits tens of ms while the copies pile up). Exact
// and live: each holder adds what it holds and takes it back when it lets go, so that
// the bytes move from here to the engine's published memory with no gap between.
void AddOutgoingBufferMemory(int64_t delta);
uint64_t OutgoingBufferMemory();

// Counts bytes as outgoing buffer memory for as long as it lives: `bytes` from the
// start, then whatever Set says its holder holds now. Not thread-safe itself: one holder.
class OutgoingBufferHold {
 public:
  explicit OutgoingBufferHold(size_t bytes = 0) { Set(bytes); }
  ~OutgoingBufferHold() { Set(0); }
  OutgoingBufferHold(const OutgoingBufferHold&) = delete;
  OutgoingBufferHold& operator=(const OutgoingBufferHold&) = delete;

  void Set(size_t bytes) {
    AddOutgoingBufferMemory(static_cast<int64_t>(bytes) - static_cast<int64_t>(bytes_));
    bytes_ = bytes;
  }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_ = 0;
};

// The bytes usable in a block from operator new (at least what was asked for; the
// allocator's rounding included), so that a structure can use the slack it paid for.
size_t AllocationSize(const void* p);

// Bytes a std::string holds on the heap beyond itself (MEMORY USAGE): none while its
// bytes fit the 15-byte small-string buffer, else its capacity and the terminator.
inline size_t StringHeapBytes(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

// Resident set size of this process, from /proc/self/statm (INFO used_memory_rss); 0 if
// it cannot be read.
uint64_t ProcessRssBytes();

}  // namespace vellum
