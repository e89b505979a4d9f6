// ReplicaApplier: keeps a replica's memory equal to its disk while the primary's log is
// applied to that disk.
//
// A replica's database is its primary's, batch for batch: a full sync puts a checkpoint
// of the primary in place (Engine::ReplaceWith, then ReloadAll), and each batch of the
// primary's log is then written unchanged (Engine::ApplyLog), so both databases carry the
// same sequence numbers and the replica's position is its own LatestSequence(). What a
// batch changed is read back from the replica's disk and installed in the keyspace: the
// keys it wrote (their value as the whole batch left it), the databases it flushed, the
// databases it swapped. A batch is installed under the shard locks of every key it
// touched (all of them for a flush or swap), so clients see each primary batch whole.
//
// The persister must be following (Persister::SetFollowing) so that installing a key is
// not written a second time. Expiry is the primary's: a replica never deletes a key on
// disk by itself.
//
// Not thread-safe: one owner (the replica link's thread).
#pragma once

#include <cstdint>

#include "common/status.h"
#include "storage/codec.h"
#include "storage/engine.h"
#include "storage/keyspace.h"

namespace vellum::storage {

class ReplicaApplier {
 public:
  ReplicaApplier(Engine* engine, Keyspace* keyspace) : engine_(engine), keyspace_(keyspace) {}

  // Writes the batch to the engine and installs what it changed in the keyspace.
  Status Apply(const LogBatch& batch, bool sync, int64_t now_ms);
  // Syncs the WAL if a batch was applied without a sync since the last call. Something
  // must sync about once a second (everysec): besides durability, a sync moves the
  // snapshot the engine's sub compaction filter judges fields by; without it, a
  // compaction would drop the fields of every hash or set written since the engine was
  // opened. The daemon lets its persister do it (Persister::NoteReplicatedWrite), off
  // the link's thread; this is for tests and for the link's last batches.
  Status Sync();
  // The keyspace becomes exactly the engine's contents (after a full sync), under every
  // shard lock. Returns the number of keys loaded.
  Result<uint64_t> ReloadAll(int64_t now_ms);
  // The engine holds another database now, and the keyspace is being made its by other
  // means (a warm-up): the db map is read again before the next batch.
  void Reset() { map_known_ = false; }

 private:
  Engine* engine_;
  Keyspace* keyspace_;
  uint8_t db_map_[codec::kNumPhysicalDbs] = {};
  bool map_known_ = false;
  bool unsynced_ = false;
};

}  // namespace vellum::storage
