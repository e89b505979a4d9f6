#include "storage/warmup.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/thread_name.h"
#include "storage/disk_record.h"
#include "storage/disk_walk.h"

namespace vellum::storage {
namespace {

constexpr size_t kChunkKeys = 4096;          // keys per ReadView of the walk
constexpr size_t kChunkBytes = 4 << 20;      // ... or about this many bytes of values
constexpr int64_t kRetryMs = 100;            // after a failed read of the walk
constexpr int kRetries = 30;                 // ... before the walk gives up
constexpr uint64_t kErrorsLogged = 20;       // then only counted

size_t RecordBytes(const DiskRecord& r) {
  size_t n = r.str.size();
  for (const auto& [name, value] : r.elements) n += name.size() + value.size();
  return n;
}

}  // namespace

Warmup::Warmup(Engine* engine, Keyspace* keyspace, const Clock* clock, Options options)
    : engine_(engine), keyspace_(keyspace), clock_(clock), options_(options),
      keys_per_sec_(options.keys_per_sec) {}

void Warmup::SetPace(uint64_t keys_per_sec) {
  keys_per_sec_.store(keys_per_sec, std::memory_order_relaxed);
  // A loader waiting at the old pace looks again within 100 ms.
}

Warmup::~Warmup() { Stop(); }

void Warmup::Start() {
  // Read before mu_: a thread holding a ReadView (the engine's shared lock) may wait for
  // mu_ (NoteError), so mu_ is never held while asking the engine.
  const uint64_t estimated = engine_->EstimatedKeys();
  {
    // Under mu_: a replica restarts the warm-up while INFO reads these (stats()).
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
    started_ = true;
    ended_ = false;
    failed_ = Status::Ok();
    keys_estimated_ = estimated;
    started_us_ = MonotonicUs();
    started_ms_ = clock_->NowMs();
  }
  keys_loaded_.store(0, std::memory_order_relaxed);
  keys_left_on_disk_.store(0, std::memory_order_relaxed);
  uint8_t map[codec::kNumPhysicalDbs];
  CurrentDbMap(map);
  keyspace_->BeginWarmup(this, map);
  LaunchReaders();
  loader_ = std::thread([this] {
    NameThisThread("warmup");
    LoaderMain();
  });
}

void Warmup::CurrentDbMap(uint8_t (&map)[codec::kNumPhysicalDbs]) {
  if (!engine_->ReadDbMap(map).ok()) engine_->LoadedDbMap(map);
}

void Warmup::ServeReads() {
  uint8_t map[codec::kNumPhysicalDbs];
  CurrentDbMap(map);
  keyspace_->AttachDisk(this, map);
  LaunchReaders();
}

void Warmup::LaunchReaders() {
  if (!readers_.empty()) return;
  for (int i = 0; i < std::max(1, options_.read_threads); i++) {
    readers_.emplace_back([this] {
      NameThisThread("warmup-read");
      ReaderMain();
    });
  }
}

void Warmup::StopThreads() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  jobs_cv_.notify_all();
  if (loader_.joinable()) loader_.join();
  for (std::thread& t : readers_) {
    if (t.joinable()) t.join();
  }
  readers_.clear();
}

void Warmup::Restart(const std::function<void()>& before) {
  StopThreads();
  std::deque<Job> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(jobs_);
  }
  before();
  Start();
  // Their commands run again: a key still missing is then read by the keyspace (or
  // fetched again), from the new database.
  for (Job& job : pending) job.done(Status::Ok());
}

void Warmup::Stop() {
  std::deque<Job> orphans;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  StopThreads();
  {
    std::lock_guard<std::mutex> lock(mu_);
    orphans.swap(jobs_);
  }
  for (Job& job : orphans) job.done(Status::Error("ERR the server is shutting down"));
  std::vector<std::function<void(Status)>> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting.swap(when_done_);
  }
  for (auto& fn : waiting) fn(Status::Error("ERR the server is shutting down"));
}

void Warmup::NoteError(const Status& st) {
  const uint64_t n = errors_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n <= kErrorsLogged) {
    VLOG_WARNING("Warm-up: %s%s", st.message().c_str(),
                 n == kErrorsLogged ? " (further errors are only counted in INFO)" : "");
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = st.message();
}

bool Warmup::Pause(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
  return !stop_;
}

bool Warmup::LoadChunk(std::string* after, size_t max_keys, Status* error) {
  struct Item {
    uint8_t pdb = 0;
    std::string key;
    DiskRecord record;  // the type and expiry alone when keys_only
  };
  // A tiered keyspace whose memory is full takes the rest of the keys without their
  // values (they stay on disk, read back when a command names them).
  const bool keys_only = values_fit_ && !values_fit_();
  std::vector<Item> chunk;
  bool more = true;
  {
    Result<std::unique_ptr<Engine::ReadView>> view = engine_->OpenReadView();
    if (!view.ok()) {
      *error = view.status();
      return true;
    }
    std::unique_ptr<Engine::Iterator> meta = (*view)->NewMetaIterator(/*fill_cache=*/false);
    if (after->empty()) {
      meta->SeekToFirst();
    } else {
      meta->Seek(*after);
      if (meta->Valid() && meta->key() == *after) meta->Next();
    }
    const int64_t now_ms = clock_->NowMs();
    size_t bytes = 0;
    for (; meta->Valid() && chunk.size() < max_keys && bytes < kChunkBytes; meta->Next()) {
      after->assign(meta->key());
      Item item;
      std::string_view key;
      codec::Meta m;
      if (Status st = DecodeMetaRecord(meta->key(), meta->value(), engine_->dir(), &item.pdb,
                                       &key, &m);
          !st.ok()) {
        NoteError(st);
        continue;
      }
      if (m.expire_at_ms != 0 && m.expire_at_ms <= now_ms) continue;  // gone while down
      item.key.assign(key);
      if (keys_only) {
        item.record.type = m.type;
        item.record.expire_at_ms = m.expire_at_ms;
        chunk.push_back(std::move(item));
        continue;
      }
      bool found = false;
      Status st = ReadDiskRecord(**view, item.pdb, key, m, /*empty_is_absent=*/false,
                                 &item.record, &found);
      if (!st.ok()) {
        NoteError(Status::Error(st.message() + " (" + engine_->dir() + ")"));
        continue;
      }
      if (!found) continue;
      bytes += RecordBytes(item.record);
      chunk.push_back(std::move(item));
    }
    if (Status st = meta->status(); !st.ok()) {
      *error = st;
      return true;
    }
    more = meta->Valid();
  }
  engine_->PublishMemory();  // what the reads added to the block cache (see ReaderMain)
  // Installed outside the view: a Reopen need not wait for the shard locks.
  const int64_t now_ms = clock_->NowMs();
  for (const Item& item : chunk) {
    std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf(item.key)));
    if (keys_only) {
      if (keyspace_->InstallOffloaded(item.pdb, item.key, ValueTypeOf(item.record.type),
                                      item.record.expire_at_ms, now_ms)) {
        keys_loaded_.fetch_add(1, std::memory_order_relaxed);
        keys_left_on_disk_.fetch_add(1, std::memory_order_relaxed);
      }
      continue;
    }
    // Read epoch 0: a key whose value was offloaded meanwhile is in memory already.
    Result<bool> installed =
        keyspace_->InstallFromDisk(item.pdb, item.key, &item.record, now_ms, /*read_epoch=*/0);
    if (!installed.ok()) NoteError(installed.status());
    else if (*installed) keys_loaded_.fetch_add(1, std::memory_order_relaxed);
  }
  return more;
}

void Warmup::LoaderMain() {
  const int64_t loader_started_us = MonotonicUs();
  std::string after;
  uint64_t paced_rate = 0, paced_walked = 0;
  int64_t paced_since_us = MonotonicUs();
  int failures = 0;
  Status outcome;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    // Paced, a chunk is a quarter second's keys (so the pace is smooth, and a slow pace
    // leaves most keys on disk for a while: the tests rely on it).
    const uint64_t pace = keys_per_sec_.load(std::memory_order_relaxed);
    const size_t chunk = pace == 0 ? kChunkKeys
                                   : static_cast<size_t>(std::clamp<uint64_t>(pace / 4, 16, kChunkKeys));
    Status error;
    const bool more = LoadChunk(&after, chunk, &error);
    if (!error.ok()) {
      // A failing disk, or a database closed by a failed reopen: try again from the same
      // place (the records read so far are installed). A corrupt block fails every time.
      NoteError(error);
      if (++failures < kRetries) {
        if (!Pause(kRetryMs)) return;
        continue;
      }
      outcome = Status::Error("ERR the warm-up from disk stopped unfinished (" +
                              error.message() + "); keys are read from disk as commands "
                              "name them, and what needs every key in memory is refused");
      VLOG_WARNING("%s", outcome.message().c_str());
      break;
    }
    failures = 0;
    if (!more) break;
    // The pace: each chunk waits until the keys walked so far are due (since the pace
    // was last set, so a change applies from now on).
    for (;;) {
      const uint64_t pace = keys_per_sec_.load(std::memory_order_relaxed);
      if (pace == 0) {
        paced_walked = 0;
        paced_since_us = MonotonicUs();
        break;
      }
      if (pace != paced_rate) {
        paced_rate = pace;
        paced_walked = 0;
        paced_since_us = MonotonicUs();
      }
      const int64_t due_us =
          paced_since_us + static_cast<int64_t>((paced_walked + chunk) * 1'000'000 / pace);
      const int64_t wait_us = due_us - MonotonicUs();
      if (wait_us <= 0) break;
      if (!Pause(std::min<int64_t>((wait_us + 999) / 1000, 100))) return;
    }
    paced_walked += chunk;
  }
  if (outcome.ok()) keyspace_->EndWarmup();  // else the keyspace keeps asking the disk
  finished_us_.store(MonotonicUs(), std::memory_order_relaxed);
  std::vector<std::function<void(Status)>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    failed_ = outcome;
    ended_ = true;
    callbacks.swap(when_done_);
  }
  if (outcome.ok()) {
    VLOG_NOTICE("Warm-up done: %llu keys loaded in %.3f seconds",
                static_cast<unsigned long long>(keys_loaded_.load()),
                static_cast<double>(finished_us_.load() - loader_started_us) / 1e6);
  }
  for (auto& fn : callbacks) fn(outcome);
}

void Warmup::WhenDone(std::function<void(Status)> fn) {
  Status outcome;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_ && !ended_) {
      when_done_.push_back(std::move(fn));
      return;
    }
    outcome = failed_;
  }
  fn(outcome);
}

void Warmup::Fetch(std::vector<Key> keys, std::function<void(Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutdown_) {  // during a Restart the new readers take it
      jobs_.push_back(Job{std::move(keys), std::move(done)});
      jobs_cv_.notify_one();
      return;
    }
  }
  done(Status::Error("ERR the server is shutting down"));
}

void Warmup::ReaderMain() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      jobs_cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    struct Read {
      uint8_t pdb = 0;
      bool found = false;
      DiskRecord record;
    };
    std::vector<Read> reads(job.keys.size());
    Status status;
    const uint64_t read_epoch = keyspace_->offload_epoch();  // before reading
    Result<std::unique_ptr<Engine::ReadView>> view = engine_->OpenReadView();
    if (!view.ok()) status = view.status();
    for (size_t i = 0; i < job.keys.size() && status.ok(); i++) {
      reads[i].pdb = keyspace_->DiskDbOf(job.keys[i].db);
      status = ReadDiskRecord(**view, reads[i].pdb, job.keys[i].key, /*empty_is_absent=*/false,
                              &reads[i].record, &reads[i].found);
    }
    if (view.ok()) view->reset();
    if (status.ok()) {
      const int64_t now_ms = clock_->NowMs();
      for (size_t i = 0; i < job.keys.size() && status.ok(); i++) {
        const std::string& key = job.keys[i].key;
        std::lock_guard<ShardMutexType> lock(keyspace_->ShardMutex(keyspace_->ShardOf(key)));
        Result<bool> installed = keyspace_->InstallFromDisk(
            reads[i].pdb, key, reads[i].found ? &reads[i].record : nullptr, now_ms, read_epoch);
        if (!installed.ok()) status = installed.status();
      }
      fetched_keys_.fetch_add(job.keys.size(), std::memory_order_relaxed);
    }
    // The reads grew RocksDB's block cache, which maxmemory does not count: said now, not
    // at the persister's next cycle (eviction would count it against the keyspace).
    engine_->PublishMemory();
    if (!status.ok()) {
      NoteError(status);
      status = Status::Error("ERR can't read the key from disk: " + status.message());
    }
    job.done(status);
  }
}

Status Warmup::Read(uint8_t pdb, std::string_view key, DiskRecord* out, bool* found) {
  Result<std::unique_ptr<Engine::ReadView>> view = engine_->OpenReadView();
  Status st = view.ok() ? ReadDiskRecord(**view, pdb, key, /*empty_is_absent=*/false, out, found)
                        : view.status();
  if (!st.ok()) NoteError(st);
  return st;
}

Warmup::Stats Warmup::stats() const {
  Stats s;
  int64_t started_us = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.in_progress = started_ && !ended_;
    s.failed = !failed_.ok();
    s.keys_estimated = keys_estimated_;
    s.started_ms = started_ms_;
    started_us = started_us_;
    s.last_error = last_error_;
  }
  s.keys_loaded = keys_loaded_.load(std::memory_order_relaxed);
  s.keys_left_on_disk = keys_left_on_disk_.load(std::memory_order_relaxed);
  s.fetched_keys = fetched_keys_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  const int64_t end_us = !s.in_progress ? finished_us_.load(std::memory_order_relaxed) : MonotonicUs();
  s.duration_ms = started_us == 0 ? 0 : (end_us - started_us) / 1000;
  return s;
}

}  // namespace vellum::storage
