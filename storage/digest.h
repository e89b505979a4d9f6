// Digest: a fingerprint of keys and their values, to prove that two keyspaces (before and
// after a restart, a primary and its replica, a snapshot and its restore) hold the same
// data.
//
// A key's digest covers its database, name, type, absolute expiry and value; a hash's or
// set's value digest does not depend on the order of its fields or members, a list's
// does depend on the order of its elements. The digest of
// a whole keyspace is the sum (mod 2^64, per half) of its keys' digests, so it does not
// depend on iteration order, shard layout or encoding. 128 bits, printed as 32 hex
// digits; an empty keyspace is all zeros.
//
// Pure functions over an Entry; the caller holds the entry's shard lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/entry.h"

namespace vellum::storage {

struct Digest {
  uint64_t hi = 0;
  uint64_t lo = 0;
  void Add(const Digest& d) {
    hi += d.hi;
    lo += d.lo;
  }
  bool zero() const { return hi == 0 && lo == 0; }
  std::string Hex() const;
  bool operator==(const Digest&) const = default;
};

Digest KeyDigest(int db, const Entry& e);

// The parts KeyDigest is made of, for digests computed from something other than an
// Entry (the records on disk, storage/disk_walk.h): one hash field (name, value) or one
// set member (member, empty); a value's digest is the sum of its elements' digests.
Digest ElementDigest(std::string_view a, std::string_view b = {});
// One list element: its index in the list (0 = head) and its value, so that a list's
// digest depends on the order of its elements.
Digest ListElementDigest(uint64_t index, std::string_view value);
Digest KeyDigestOf(int db, std::string_view key, ValueType type, int64_t expire_at_ms,
                   const Digest& value);

}  // namespace vellum::storage
