#include "storage/replica_applier.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/disk_record.h"
#include "storage/disk_walk.h"
#include "storage/loader.h"

namespace vellum::storage {
namespace {

// A whole-database change of a batch, in logical db numbers as they were at that point.
struct DbOp {
  enum Kind { kFlush, kSwap } kind;
  int a = 0, b = 0;
};

// Collects what a batch changed: the meta keys it touched, and its flushes and swaps.
class ChangeCollector final : public LogVisitor {
 public:
  explicit ChangeCollector(const uint8_t (&map)[codec::kNumPhysicalDbs]) {
    for (int i = 0; i < codec::kNumPhysicalDbs; i++) map_[i] = map[i];
  }
  void OnMeta(std::string_view meta_key) override { keys_.emplace(meta_key); }
  void OnSub(std::string_view sub_key) override {
    std::string_view meta_key, field;
    uint64_t version = 0;
    if (codec::ParseSubKey(sub_key, &meta_key, &version, &field)) keys_.emplace(meta_key);
  }
  void OnDbDeleted(uint8_t pdb) override {
    for (int i = 0; i < codec::kNumPhysicalDbs; i++) {
      if (map_[i] == pdb) ops_.push_back({DbOp::kFlush, i, 0});
    }
  }
  void OnDefault(std::string_view key, std::string_view value) override {
    if (key != codec::kDbMapKey) return;  // the format and version marks: disk only
    uint8_t next[codec::kNumPhysicalDbs];
    if (!codec::DecodeDbMap(value, next).ok()) {
      bad_map_ = true;
      return;
    }
    // SWAPDB changes two entries; a map is a permutation, so swapping each pair that
    // differs, in order, turns the old map into the new one.
    for (int a = 0; a < codec::kNumPhysicalDbs; a++) {
      if (map_[a] == next[a]) continue;
      for (int b = a + 1; b < codec::kNumPhysicalDbs; b++) {
        if (map_[b] == next[a]) {
          ops_.push_back({DbOp::kSwap, a, b});
          std::swap(map_[a], map_[b]);
          break;
        }
      }
    }
  }

  const std::set<std::string>& keys() const { return keys_; }
  const std::vector<DbOp>& ops() const { return ops_; }
  const uint8_t (&map() const)[codec::kNumPhysicalDbs] { return map_; }
  bool bad_map() const { return bad_map_; }

 private:
  uint8_t map_[codec::kNumPhysicalDbs];
  std::set<std::string> keys_;
  std::vector<DbOp> ops_;
  bool bad_map_ = false;
};

// A key as the batch left it on disk, read before any shard lock is taken.
struct KeyState {
  int db = 0;
  std::string key;
  bool present = false;
  DiskRecord record;
};

Status ReadKeyState(Engine& engine, std::string_view meta_key, const uint8_t* logical_of,
                    KeyState* out) {
  uint8_t pdb = 0;
  std::string_view key;
  if (!codec::ParseMetaKey(meta_key, &pdb, &key) || pdb >= codec::kNumPhysicalDbs) {
    return Status::Error("a replicated record with a malformed key");
  }
  out->db = logical_of[pdb];
  out->key.assign(key);
  Result<std::unique_ptr<Engine::ReadView>> view = engine.OpenReadView();
  if (!view.ok()) return view.status();
  // A collection is never empty: its elements arrive in the batch that writes its meta.
  Status st = ReadDiskRecord(**view, pdb, key, /*empty_is_absent=*/true, &out->record,
                             &out->present);
  if (!st.ok()) return Status::Error("replicated " + st.message());
  return Status::Ok();
}

// Replaces the key's entry with what the disk holds (checked whole by ReadDiskRecord, so
// FillEntry cannot refuse it).
void Install(Keyspace& ks, const KeyState& s, int64_t now_ms) {
  ks.Erase(s.db, s.key);
  if (!s.present) return;
  const DiskRecord& r = s.record;
  Entry* e = ks.Create(s.db, s.key, now_ms,
                       ValueRoomOf(r));
  (void)FillEntry(e, s.key, {}, r);
  if (r.expire_at_ms != 0) ks.SetExpire(s.db, e, r.expire_at_ms);
}

}  // namespace

Status ReplicaApplier::Apply(const LogBatch& batch, bool sync, int64_t now_ms) {
  if (!map_known_) {
    if (Status st = engine_->ReadDbMap(db_map_); !st.ok()) return st;
    map_known_ = true;
  }
  ChangeCollector changes(db_map_);
  if (Status st = engine_->VisitLog(batch.data, changes); !st.ok()) return st;
  if (changes.bad_map()) return Status::Error("a replicated batch with a malformed db map");
  if (Status st = engine_->ApplyLog(batch, sync); !st.ok()) return st;
  if (!sync) unsynced_ = true;

  uint8_t logical_of[codec::kNumPhysicalDbs];
  for (int i = 0; i < codec::kNumPhysicalDbs; i++) logical_of[changes.map()[i]] = static_cast<uint8_t>(i);
  std::vector<KeyState> states(changes.keys().size());
  size_t n = 0;
  for (const std::string& meta_key : changes.keys()) {
    if (Status st = ReadKeyState(*engine_, meta_key, logical_of, &states[n++]); !st.ok()) {
      return st;
    }
  }

  ShardLocks locks(keyspace_);
  if (!changes.ops().empty()) {
    locks.AddAll();
  } else {
    for (const KeyState& s : states) locks.AddKey(s.key);
  }
  locks.Acquire();
  for (const DbOp& op : changes.ops()) {
    if (op.kind == DbOp::kFlush) {
      keyspace_->FlushDb(op.a);
    } else {
      keyspace_->SwapDb(op.a, op.b);
    }
  }
  for (const KeyState& s : states) Install(*keyspace_, s, now_ms);
  for (int i = 0; i < codec::kNumPhysicalDbs; i++) db_map_[i] = changes.map()[i];
  return Status::Ok();
}

Status ReplicaApplier::Sync() {
  if (!unsynced_) return Status::Ok();
  Status st = engine_->SyncWal();
  if (st.ok()) unsynced_ = false;
  return st;
}

Result<uint64_t> ReplicaApplier::ReloadAll(int64_t now_ms) {
  if (Status st = engine_->ReadDbMap(db_map_); !st.ok()) return st;
  map_known_ = true;
  ShardLocks locks(keyspace_);
  locks.AddAll();
  locks.Acquire();
  keyspace_->FlushAll();
  Result<LoadResult> loaded = LoadKeyspace(*engine_, *keyspace_, now_ms);
  if (!loaded.ok()) return loaded.status();
  return loaded->keys;
}

}  // namespace vellum::storage
