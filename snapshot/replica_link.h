// ReplicaLink: the replica's side of replication, one thread that keeps this server's
// data equal to its primary's.
//
// It connects to the primary (AUTH with replication.primary-user/-password when set),
// then either resumes: the primary's replication id (persisted in <data dir>/replid) is
// the one this data came from and the primary's log still reaches back to this
// database's LatestSequence() + 1; or makes a full sync: it asks for a checkpoint,
// receives its files into <data dir>/replica-sync.tmp (a table or blob file it already
// holds with the same size and XXH3 is copied locally, not sent again), verifies each
// file's XXH3 and only then puts the checkpoint in place of its database
// (Engine::ReplaceWith) and loads it. A transfer that fails or does not verify is thrown
// away and the sync starts over; a partial transfer is never opened. Then it follows the
// log: long-polled batches, applied in order (storage::ReplicaApplier). After an error
// or a lost link it waits a second and connects again, resuming where its disk is.
//
// The replid file is removed before a database is put in place and written after it is
// loaded, so a crash in between leaves a replica that makes a full sync, never one that
// resumes on a half-installed database.
//
// Thread-safe: state() and Stop() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "storage/persister.h"
#include "storage/replica_applier.h"

namespace vellum::snapshot {

class RespClient;

// What a data directory's `replid` file holds: the id of the history its data belongs to
// (its own, or a followed primary's: `following`) and, once it changed history without
// losing its data (a promotion, or a resume on a primary that was promoted), the id it had
// before and the last sequence number of that shared past: Redis's master_replid2 and
// second_repl_offset - 1. A replica of the old history at a position up to `id2_end` may
// continue from this database's log.
//
// File format: "<id>[ following]\n" and, when there is a second id, "<id2> <id2_end>\n".
struct ReplIds {
  std::string id;  // "" if none
  bool following = false;
  std::string id2;  // "" if none
  uint64_t id2_end = 0;
  // Whether a database at `last` of history `replid` holds this one's data: the same
  // history, or the shared past of the second id.
  bool Continues(const std::string& replid, uint64_t last) const {
    return !replid.empty() && (replid == id || (replid == id2 && last <= id2_end));
  }
  // The ids after a change of history that keeps the data: `new_id` first, this one's
  // first id (if any) second, covering up to `at` (the database's last sequence).
  ReplIds ShiftedTo(std::string new_id, bool new_following, uint64_t at) const {
    return id.empty() ? ReplIds{std::move(new_id), new_following, "", 0}
                      : ReplIds{std::move(new_id), new_following, id, at};
  }
};
ReplIds ReadReplIds(const std::string& data_dir);
// Written to a temporary file, synced, renamed over the old one, directory synced.
Status WriteReplIds(const std::string& data_dir, const ReplIds& ids);
// The first id alone ("" if none); *following as in ReplIds.
std::string ReadReplId(const std::string& data_dir, bool* following = nullptr);
// A history with no second id (after a full sync or a restore: nothing shared before).
Status WriteReplId(const std::string& data_dir, const std::string& id, bool following);
void RemoveReplId(const std::string& data_dir);
// A new random replication id: 40 hex digits, as Redis's.
std::string NewReplId();

// A file of a checkpoint the primary offered (REPLSTREAM CHECKPOINT).
struct FileToFetch {
  std::string name;
  uint64_t size = 0;
  uint64_t hash = 0;  // XXH3, as the primary announced it
};
// The bytes a REPLSTREAM FILE request asks for at a time.
constexpr size_t kCheckpointChunkBytes = 4 << 20;
// A full sync's transfer: fetches the files of checkpoint `id` into `dir` over `c`
// (REPLSTREAM FILE, a few chunks requested ahead), each written and hashed as its bytes
// arrive and refused at its end if the hash differs; adds the bytes received to
// *fetched. Returns early once `stop` is set. After an error the connection is out of
// step: close it.
Status FetchCheckpointFiles(RespClient& c, const std::string& id, const std::filesystem::path& dir,
                            const std::vector<FileToFetch>& files, const std::atomic<bool>& stop,
                            uint64_t* fetched);

struct LinkOptions {
  std::string host;
  int port = 0;
  std::string user;      // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  std::string data_dir;  // storage.dir: replid, replica-sync.tmp
  int listening_port = 0;
  bool sync_writes = false;  // durability always: each applied batch is synced
  // Otherwise called after batches are applied: the persister syncs them within a second
  // (Persister::NoteReplicatedWrite), so the link never waits for an fsync.
  std::function<void()> note_written;
  // After a full sync's install: makes the keyspace the new database's. The daemon empties
  // it and warms it up from disk in the background (storage/warmup.h), so the replica's
  // clients are served at once; unset (tests), ReplicaApplier::ReloadAll loads it whole
  // under every shard lock.
  std::function<void()> reload;
};

class ReplicaLink {
 public:
  // The persister must already be following and drained.
  ReplicaLink(LinkOptions options, storage::Engine* engine, storage::Keyspace* keyspace,
              std::function<int64_t()> now_ms);
  ~ReplicaLink();  // Stop()
  ReplicaLink(const ReplicaLink&) = delete;
  ReplicaLink& operator=(const ReplicaLink&) = delete;

  void Stop();

  struct State {
    std::string status = "connect";  // connect | sync | connected
    bool link_up = false;
    bool sync_in_progress = false;
    int64_t last_io_ms = 0;          // monotonic ms of the last reply from the primary
    uint64_t applied = 0;            // the last sequence number applied
    uint64_t full_syncs = 0, partial_syncs = 0, batches = 0;
    std::string last_error;
  };
  State state() const;
  const LinkOptions& options() const { return options_; }

 private:
  void Run();
  Status Session();
  Status FullSync(RespClient& c, const std::string& replid);
  Status Follow(RespClient& c, const std::string& replid);
  void SetStatus(const std::string& status, bool up, bool syncing);

  const LinkOptions options_;
  storage::Engine* engine_;
  storage::ReplicaApplier applier_;
  std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  State state_;                   // guarded by mu_
  RespClient* client_ = nullptr;  // guarded by mu_: the live connection, to interrupt
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace vellum::snapshot
