// The reverse-binary SCAN cursor of Redis's dictScan, shared by every power-of-two
// bucket array that is scanned across calls (the keyspace Table, hash and set values).
//
// The cursor is a bucket index whose bits are incremented from the top: visiting buckets
// in that order means that, if the array doubles or halves between two calls, the
// buckets not yet visited at the old size map exactly onto those not yet visited at the
// new size. So an element present for a whole scan is returned at least once (possibly
// more often after a shrink). Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace vellum::storage {

inline uint64_t ReverseBits64(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
  return (v >> 32) | (v << 32);
}

// The cursor after `cursor` for a bucket array of mask + 1 buckets (a power of two);
// 0 when every bucket has been visited. Sets the unmasked high bits, reverses, adds one,
// reverses back.
inline uint64_t NextScanCursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;
  cursor = ReverseBits64(cursor);
  cursor++;
  return ReverseBits64(cursor);
}

}  // namespace vellum::storage
