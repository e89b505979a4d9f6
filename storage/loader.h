// Loader: fills an empty Keyspace from the Engine at start-up.
//
// Walks the meta column family in key order; for a hash or set, reads the sub records of
// the meta's version (records of other versions are garbage awaiting the compaction
// filter). Keys whose expiry has passed are skipped. A record that does not decode stops
// the load with a Status naming the key: the caller refuses to start, and nothing on
// disk is changed.
//
// Runs before the workers start, with no WriteListener attached (a loaded key is not a
// write).
#pragma once

#include <cstdint>

#include "common/status.h"
#include "storage/engine.h"
#include "storage/keyspace.h"

namespace vellum::storage {

struct LoadResult {
  uint64_t keys = 0;          // keys loaded
  uint64_t expired = 0;       // keys skipped because their expiry had passed
  uint64_t max_version = 0;   // highest collection version seen (the persister starts above)
};

Result<LoadResult> LoadKeyspace(Engine& engine, Keyspace& keyspace, int64_t now_ms);

}  // namespace vellum::storage
