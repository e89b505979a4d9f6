#include "snapshot/snapshot_service.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/clock.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/version.h"
#include "snapshot/replica_link.h"

namespace vellum::snapshot {
namespace {

std::string EventJson(const char* event, const Manifest& m, int64_t duration_ms) {
  std::string out = std::string("{\"event\":\"") + event + "\",\"id\":" + std::to_string(m.id) +
                    ",\"label\":" + JsonString(m.label) +
                    ",\"created_ms\":" + std::to_string(m.created_ms) +
                    ",\"keys\":" + std::to_string(m.keys) +
                    ",\"total_bytes\":" + std::to_string(m.total_bytes) +
                    ",\"added_bytes\":" + std::to_string(m.added_bytes);
  if (duration_ms >= 0) out += ",\"duration_ms\":" + std::to_string(duration_ms);
  return out + "}";
}

}  // namespace

Result<std::unique_ptr<SnapshotService>> SnapshotService::Open(ServiceOptions options,
                                                               storage::Engine* engine,
                                                               storage::Persister* persister,
                                                               Publish publish) {
  auto store = SnapshotStore::Open(options.snapshot_dir, options.max_bytes_per_sec, false);
  if (!store.ok()) return store.status();
  // A checkpoint left by a crash mid-snapshot.
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(options.data_dir) / "snapshot.tmp", ec);
  std::unique_ptr<SnapshotService> s(
      new SnapshotService(std::move(options), engine, persister, std::move(publish),
                          std::move(*store)));
  s->Refresh();
  for (uint32_t bad : s->store_->backups().Corrupt()) {
    VLOG_WARNING("Snapshot %u in %s is damaged and will not be listed or restored; "
                 "`vellumctl snapshot verify %u` says why", bad, s->options_.snapshot_dir.c_str(), bad);
  }
  {
    std::lock_guard<std::mutex> lock(s->mu_);
    if (!s->cache_.empty()) s->stats_.last_save_unix_s = s->cache_.back().created_ms / 1000;
  }
  return s;
}

SnapshotService::SnapshotService(ServiceOptions options, storage::Engine* engine,
                                 storage::Persister* persister, Publish publish,
                                 std::unique_ptr<SnapshotStore> store)
    : options_(std::move(options)),
      engine_(engine),
      persister_(persister),
      publish_(std::move(publish)),
      store_(std::move(store)) {
  store_->set_meter(&meter_);
  stats_.last_save_unix_s = SystemClock().NowMs() / 1000;  // as Redis: start time
}

SnapshotService::~SnapshotService() { Stop(); }

void SnapshotService::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (options_.interval_ms > 0) next_due_ms_ = MonotonicMs() + options_.interval_ms;
  }
  thread_ = std::thread([this] {
    NameThisThread("snapshots");
    Run();
  });
}

void SnapshotService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::deque<Job> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(jobs_);
  }
  const Status gone = Status::Error("the server is shutting down");
  for (Job& j : left) {
    if (j.create_done) j.create_done(gone);
    if (j.status_done) j.status_done(gone);
  }
}

bool SnapshotService::CreateQueuedLocked() const {
  if (running_create_) return true;
  for (const Job& j : jobs_) {
    if (j.kind == Job::kCreate) return true;
  }
  return false;
}

void SnapshotService::Create(std::string label, bool keep, CreateDone done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) {
      done(Status::Error("the server is shutting down"));
      return;
    }
    jobs_.push_back({Job::kCreate, std::move(label), keep, 0, std::move(done), {}});
  }
  cv_.notify_all();
}

SnapshotService::Submit SnapshotService::Background(bool schedule) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (CreateQueuedLocked()) {
      if (!schedule) return Submit::kBusy;
      scheduled_again_ = true;
      return Submit::kScheduled;
    }
    jobs_.push_back({Job::kCreate, "", false, 0, {}, {}});
  }
  cv_.notify_all();
  return Submit::kQueued;
}

void SnapshotService::Delete(uint32_t id, StatusDone done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back({Job::kDelete, "", false, id, {}, std::move(done)});
  }
  cv_.notify_all();
}

void SnapshotService::Verify(uint32_t id, StatusDone done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back({Job::kVerify, "", false, id, {}, std::move(done)});
  }
  cv_.notify_all();
}

std::vector<Manifest> SnapshotService::Snapshots() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_;
}

ServiceStats SnapshotService::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ServiceStats s = stats_;
  // As Redis's rdb_bgsave_in_progress right after BGSAVE: a queued snapshot counts as
  // in progress (the thread may not have picked it up yet).
  s.in_progress = CreateQueuedLocked();
  s.count = cache_.size();
  if (next_due_ms_ != 0) {
    s.next_scheduled_unix_s = (SystemClock().NowMs() + (next_due_ms_ - MonotonicMs())) / 1000;
  }
  return s;
}

void SnapshotService::ExportScheduled(const Manifest& m) {
  const std::string file = (std::filesystem::path(options_.export_dir) /
                            ("vellum-snapshot-" + std::to_string(m.id) + ".varc")).string();
  std::error_code ec;
  std::filesystem::create_directories(options_.export_dir, ec);
  const int64_t start = MonotonicMs();
  Status st = store_->Export(m.id, file);
  {
    std::lock_guard<std::mutex> lock(mu_);
    (st.ok() ? stats_.exports : stats_.export_failures)++;
  }
  if (!st.ok()) {
    VLOG_WARNING("Snapshot %u: export to %s failed: %s", m.id, options_.export_dir.c_str(),
                 st.message().c_str());
    Event("{\"event\":\"export_failed\",\"id\":" + std::to_string(m.id) +
          ",\"error\":" + JsonString(st.message()) + "}");
    return;
  }
  Event("{\"event\":\"exported\",\"id\":" + std::to_string(m.id) + ",\"file\":" +
        JsonString(file) + ",\"duration_ms\":" + std::to_string(MonotonicMs() - start) + "}");
}

void SnapshotService::NoteRestore(const RestoreReport& report) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.restores++;
    stats_.last_restore = report.manifest;
  }
  Event(EventJson("restored", report.manifest, report.duration_ms));
}

void SnapshotService::Event(const std::string& json) {
  VLOG_NOTICE("Snapshot event: %s", json.c_str());
  if (publish_) publish_(json);
}

void SnapshotService::Refresh() {
  auto all = store_->List();
  if (!all.ok()) {
    VLOG_WARNING("Snapshots: %s", all.status().message().c_str());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  cache_ = std::move(*all);
}

void SnapshotService::Run() {
  // Digesting and copying a snapshot may take seconds of CPU: the workers serving clients
  // come first (Linux: nice applies per thread).
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19) != 0) {
    VLOG_VERBOSE("Snapshots: can't lower the snapshot thread's priority");
  }
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (stop_) return;
        if (!jobs_.empty()) break;
        if (next_due_ms_ != 0 && MonotonicMs() >= next_due_ms_) {
          // The schedule: a failed snapshot is retried at the next interval.
          next_due_ms_ = MonotonicMs() + options_.interval_ms;
          jobs_.push_back({Job::kCreate, "scheduled", false, 0, {}, {}, /*scheduled=*/true});
          break;
        }
        if (next_due_ms_ != 0) cv_.wait_for(lock, std::chrono::milliseconds(next_due_ms_ - MonotonicMs()));
        else cv_.wait(lock);
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (job.kind == Job::kCreate) {
        running_create_ = true;
        stats_.in_progress = true;
      }
    }
    RunJob(job);
    std::lock_guard<std::mutex> lock(mu_);
    if (job.kind == Job::kCreate) {
      running_create_ = false;
      stats_.in_progress = false;
      if (scheduled_again_) {
        scheduled_again_ = false;
        jobs_.push_back({Job::kCreate, "", false, 0, {}, {}});
      }
    }
  }
}

void SnapshotService::RunJob(Job& job) {
  struct EndStages {  // nobody reads the finished stages: drop them with the job
    ProgressMeter& meter;
    ~EndStages() {
      meter.Finish();
      (void)meter.Read();
    }
  } end_stages{meter_};
  switch (job.kind) {
    case Job::kCreate: {
      Result<Manifest> r = MakeSnapshot(job.label, job.keep);
      if (r.ok() && job.scheduled && !options_.export_dir.empty()) ExportScheduled(*r);
      if (job.create_done) job.create_done(r);
      return;
    }
    case Job::kDelete: {
      auto m = store_->Info(job.id);
      Status st = m.ok() ? store_->Delete(job.id) : m.status();
      if (st.ok()) {
        Refresh();
        Event(EventJson("deleted", *m, -1));
      }
      if (job.status_done) job.status_done(st);
      return;
    }
    case Job::kVerify: {
      Status st = store_->Verify(job.id);
      if (!st.ok()) {
        Event("{\"event\":\"verify_failed\",\"id\":" + std::to_string(job.id) +
              ",\"error\":" + JsonString(st.message()) + "}");
      }
      if (job.status_done) job.status_done(st);
      return;
    }
  }
}

Result<Manifest> SnapshotService::MakeSnapshot(const std::string& label, bool keep) {
  const int64_t start = MonotonicMs();
  Manifest m;
  m.label = label;
  m.keep = keep;
  m.server_version = kVellumVersion;
  const std::string replid_before = ReadReplId(options_.data_dir);
  const std::string checkpoint =
      (std::filesystem::path(options_.data_dir) / "snapshot.tmp").string();
  std::error_code ec;
  std::filesystem::remove_all(checkpoint, ec);
  meter_.Begin("flushing and cutting the keyspace", ProgressMeter::Unit::kBytes, 0);
  // A failed flush only makes the snapshot share less; the checkpoint decides.
  Status flushed = engine_->Flush();
  if (!flushed.ok()) VLOG_WARNING("Snapshot: %s", flushed.message().c_str());
  m.created_ms = SystemClock().NowMs();
  const uint64_t records = persister_->records_written();
  Result<uint64_t> seq = persister_->Checkpoint(checkpoint);
  if (seq.ok()) m.sequence = *seq;
  // The history the cut belongs to. A shift of ids during the cut (a promotion, a replica
  // continuing under its primary's new id) keeps the data in the new history, which shares
  // everything before the shift; a history replaced meanwhile (a full sync) leaves the
  // cut unlabelled, and a replica restored from it then makes a full sync.
  const ReplIds after = ReadReplIds(options_.data_dir);
  m.replid = after.id == replid_before || after.id2 == replid_before ? after.id : "";
  Result<Manifest> made =
      seq.ok() ? store_->Create(checkpoint, m, options_.engine_options) : Result<Manifest>(seq.status());
  std::filesystem::remove_all(checkpoint, ec);
  const int64_t duration = MonotonicMs() - start;
  if (!made.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.failures++;
      stats_.last_ok = false;
      stats_.last_error = made.status().message();
      stats_.last_duration_ms = duration;
    }
    VLOG_WARNING("Snapshot failed after %lld ms: %s", static_cast<long long>(duration),
                 made.status().message().c_str());
    Event("{\"event\":\"failed\",\"id\":0,\"label\":" + JsonString(label) +
          ",\"error\":" + JsonString(made.status().message()) + "}");
    return made;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.saves++;
    stats_.last_ok = true;
    stats_.last_error.clear();
    stats_.last_save_unix_s = m.created_ms / 1000;
    stats_.last_duration_ms = duration;
    stats_.records_at_last_save = records;
    stats_.last = *made;
  }
  Refresh();
  std::string created = EventJson("created", *made, duration);
  created.pop_back();
  const SnapshotStore::CreateTimings t = store_->last_create_timings();
  created += ",\"open_ms\":" + std::to_string(t.open_ms) + ",\"digest_ms\":" +
             std::to_string(t.digest_ms) + ",\"backup_ms\":" + std::to_string(t.backup_ms);
  created += ",\"cut_lock_us\":" + std::to_string(persister_->last_cut_lock_us()) +
             ",\"checkpoint_us\":" + std::to_string(persister_->last_checkpoint_us()) + "}";
  Event(created);
  if (options_.keep_last > 0 || options_.max_age_ms > 0) {
    // Retention after every snapshot; a prune that fails is logged, the snapshot stands.
    std::vector<Manifest> before = Snapshots();
    auto pruned = store_->Prune(options_.keep_last, options_.max_age_ms, SystemClock().NowMs());
    if (!pruned.ok()) {
      VLOG_WARNING("Snapshot pruning failed: %s", pruned.status().message().c_str());
    } else if (!pruned->empty()) {
      Refresh();
      for (uint32_t id : *pruned) {
        for (const Manifest& old : before) {
          if (old.id == id) Event(EventJson("pruned", old, -1));
        }
      }
    }
  }
  return made;
}

}  // namespace vellum::snapshot
