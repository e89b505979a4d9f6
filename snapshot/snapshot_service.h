// SnapshotService: the daemon's snapshots (SNAPSHOT CREATE, BGSAVE, SAVE, the schedule,
// retention, events), on one thread of its own.
//
// A snapshot: the engine's memtables are flushed (writes go on), so that the checkpoint
// holds table files that earlier snapshots already share; then the persister takes a
// point-in-time checkpoint between two of its cycles
// (Persister::Checkpoint: hard links under the data directory, so the workers pause only
// for the persister's cut); this thread then counts and digests its keys, backs it up
// into `snapshot.dir` (SnapshotStore::Create, rate-limited), prunes by `keep-last` and
// `max-age`, logs and publishes the event. One snapshot runs at a time; requests queue.
//
// Events are JSON objects ({"event":"created","id":3,...}) handed to `publish` (the
// server puts them on the `__vellum__:snapshots` channel) and logged.
//
// Thread-safe: every public method may be called from any thread. Callbacks run on the
// service's thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/progress.h"
#include "common/status.h"
#include "snapshot/manifest.h"
#include "snapshot/snapshot_store.h"
#include "storage/engine.h"
#include "storage/persister.h"

namespace vellum::snapshot {

struct ServiceOptions {
  std::string snapshot_dir;
  std::string data_dir;  // the checkpoint is made under it (same file system: hard links)
  uint64_t max_bytes_per_sec = 0;  // 0: unlimited
  int64_t interval_ms = 0;         // 0: no schedule
  uint32_t keep_last = 0;          // 0: no limit
  int64_t max_age_ms = 0;          // 0: no limit
  std::string export_dir;          // scheduled snapshots also become archives there
  storage::EngineOptions engine_options;  // for opening checkpoints
};

struct ServiceStats {
  bool in_progress = false;         // running or queued
  bool last_ok = true;
  int64_t last_save_unix_s = 0;     // last success (the server's start time before any)
  int64_t last_duration_ms = -1;
  uint64_t saves = 0;               // successes since start
  uint64_t failures = 0;            // failures since start
  std::string last_error;
  uint64_t records_at_last_save = 0;  // persister records written at the last cut
  Manifest last;                    // the last snapshot made (id 0: none since start)
  size_t count = 0;                 // snapshots in the directory
  int64_t next_scheduled_unix_s = 0;  // 0: no schedule
  uint64_t exports = 0;             // archives written to export_dir
  uint64_t export_failures = 0;
  uint64_t restores = 0;
  Manifest last_restore;
};

class SnapshotService {
 public:
  using Publish = std::function<void(const std::string& json)>;
  using CreateDone = std::function<void(const Result<Manifest>&)>;
  using StatusDone = std::function<void(const Status&)>;

  static Result<std::unique_ptr<SnapshotService>> Open(ServiceOptions options,
                                                       storage::Engine* engine,
                                                       storage::Persister* persister,
                                                       Publish publish);
  ~SnapshotService();  // Stop()
  void Start();
  // Finishes the snapshot in progress, fails the queued requests, joins the thread.
  void Stop();

  enum class Submit { kQueued, kBusy, kScheduled };
  // SNAPSHOT CREATE and SAVE: queued behind any running snapshot.
  void Create(std::string label, bool keep, CreateDone done);
  // BGSAVE: kQueued, or kBusy when one is running or queued; with `schedule`, kScheduled
  // instead of kBusy (one more snapshot after the current one, as BGSAVE SCHEDULE).
  Submit Background(bool schedule);
  void Delete(uint32_t id, StatusDone done);
  void Verify(uint32_t id, StatusDone done);

  // The snapshots in the directory as of the last change (no disk access).
  std::vector<Manifest> Snapshots() const;
  ServiceStats stats() const;
  // A restore made at start-up (before Start): counted, logged and published.
  void NoteRestore(const RestoreReport& report);

  const std::string& dir() const { return options_.snapshot_dir; }
  int64_t interval_ms() const { return options_.interval_ms; }
  // The stage the running job is in (false: none), for INFO snapshot and through it
  // vellumctl's progress while SNAPSHOT CREATE waits. Any thread.
  bool CurrentStage(ProgressMeter::Stage* out) const { return meter_.Current(out); }

 private:
  struct Job {
    enum Kind { kCreate, kDelete, kVerify } kind;
    std::string label;
    bool keep = false;
    uint32_t id = 0;
    CreateDone create_done;
    StatusDone status_done;
    bool scheduled = false;  // made by snapshot.interval
  };
  SnapshotService(ServiceOptions options, storage::Engine* engine, storage::Persister* persister,
                  Publish publish, std::unique_ptr<SnapshotStore> store);
  void Run();
  void RunJob(Job& job);
  Result<Manifest> MakeSnapshot(const std::string& label, bool keep);
  // snapshot.export-dir: <dir>/vellum-snapshot-<id>.varc, written under a temporary name.
  void ExportScheduled(const Manifest& m);
  void Refresh();  // reloads the cached list (service thread)
  void Event(const std::string& json);
  bool CreateQueuedLocked() const;

  const ServiceOptions options_;
  storage::Engine* engine_;
  storage::Persister* persister_;
  Publish publish_;
  ProgressMeter meter_;                   // the running job's stages; outlives store_
  std::unique_ptr<SnapshotStore> store_;  // service thread only (and Open)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stop_ = false;
  bool running_create_ = false;
  bool scheduled_again_ = false;
  int64_t next_due_ms_ = 0;  // steady clock; 0: none
  ServiceStats stats_;
  std::vector<Manifest> cache_;
  std::thread thread_;
};

}  // namespace vellum::snapshot
