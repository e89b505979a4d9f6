#include "storage/persister.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "common/clock.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/thread_name.h"

namespace vellum::storage {
namespace {

thread_local uint64_t t_ticket = 0;
// A worker's loop settles the wakes of its writes itself (DeferWakesOnThisThread).
thread_local bool t_defer_wakes = false;
thread_local bool t_wake_owed = false;
// The highest ticket of any write this thread made (never reset).
thread_local uint64_t t_newest_ticket = 0;

// A hash or set written whole: its meta record under `version`, then one sub record per
// element. for_each(put) calls put(name, value) for every field (member, with "").
template <typename ForEach>
void PutCollection(uint8_t pdb, const std::string& key, codec::DiskType type,
                   int64_t expire_at_ms, uint64_t version, ForEach&& for_each,
                   EngineBatch* out) {
  std::string meta;
  codec::EncodeCollectionMeta(&meta, type, expire_at_ms, version);
  out->PutMeta(codec::MetaKey(pdb, key), meta);
  std::string sub = codec::SubPrefix(pdb, key, version);
  const size_t prefix = sub.size();
  for_each([&](std::string_view name, std::string_view value) {
    sub.resize(prefix);
    sub.append(name);
    out->PutSub(sub, value);
  });
}


}  // namespace

Persister::Persister(Keyspace* keyspace, Engine* engine, Mode mode, uint64_t min_version)
    : keyspace_(keyspace),
      engine_(engine),
      mode_(mode),
      dirty_(keyspace->shard_count()),
      collected_(keyspace->shard_count(), 0),
      pending_words_((keyspace->shard_count() + 63) / 64),
      collecting_(engine->NewBatch()),
      // Versions only need to grow per key; starting from the clock keeps them growing
      // across restarts even if a newer version was never loaded (a deleted key).
      next_version_(std::max({min_version + 1, engine->LoadedVersionMark(), static_cast<uint64_t>(SystemClock().NowUs())})) {
  pending_bits_ = std::make_unique<std::atomic<uint64_t>[]>(pending_words_);
  for (size_t i = 0; i < pending_words_; i++) pending_bits_[i].store(0);
  engine->LoadedDbMap(db_map_);
  for (int i = 0; i < codec::kNumPhysicalDbs; i++) logical_of_[db_map_[i]] = static_cast<uint8_t>(i);
}

Persister::~Persister() { Stop(); }

void Persister::Start() {
  thread_ = std::thread([this] {
    NameThisThread("persister");
    Run();
  });
}

void Persister::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_seq_cst);
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    wake_cv_.notify_one();
  }
  thread_.join();
}

uint64_t Persister::TakeThreadTicket() {
  uint64_t t = t_ticket;
  t_ticket = 0;
  return t;
}

uint64_t Persister::PeekThreadTicket() { return t_ticket; }

void Persister::DeferWakesOnThisThread(bool on) { t_defer_wakes = on; }

uint64_t Persister::NewestThreadTicket() { return t_newest_ticket; }

bool Persister::TakeOwedWake() {
  const bool owed = t_wake_owed;
  t_wake_owed = false;
  return owed;
}

void Persister::WakeOrOwe() {
  if (t_defer_wakes)
    t_wake_owed = true;
  else
    Wake();
}

bool Persister::CommitFromLoop() {
  if (mode_ != Mode::kEverysec || stop_.load(std::memory_order_seq_cst) || failing() ||
      following() || checkpoint_pending_.load(std::memory_order_seq_cst)) {
    return false;
  }
  // A big batch (a bulk load) is encoded and written by the thread: it overlaps the
  // worker's next commands, and the loop's other clients do not wait for it. (A batch
  // of few keys but many bytes is left to it once collected: RunCycle.)
  if (pending_keys_.load(std::memory_order_relaxed) > kLoopCycleMaxKeys) return false;
  std::unique_lock<std::mutex> cycle(cycle_mu_, std::try_to_lock);
  if (!cycle.owns_lock()) return false;  // the running cycle's owner will not see ours
  if (!writing_.empty()) return false;   // a refused or stalled batch: the thread retries
  // Cycles complete under cycle_mu_: with nothing new, everything recorded is written.
  if (!HasNewWork()) return true;
  if (RunCycle(/*sync=*/false, /*cut=*/false, /*from_loop=*/true) != CycleOutcome::kWritten) {
    return false;
  }
  loop_cycles_.fetch_add(1, std::memory_order_relaxed);
  written_elsewhere_unsynced_.store(true, std::memory_order_release);
  return true;
}

std::string Persister::last_error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return last_error_.empty() ? "ok" : last_error_;
}

void Persister::NoteTicket() {
  // Cycles 1..started_ have started: this write is collected by cycle started_ at the
  // earliest (if that cycle has not visited the shard yet) and by started_ + 1 at the
  // latest (it cannot visit the shard before this command releases the lock). The ticket
  // is the latest, so cycle started_ + 1 must run even if started_ collected the write:
  // written_since_start_ says so. Order matters (all seq_cst): the dirty bit, then
  // started_, then the flag here; RunCycle resets the flag, then bumps started_.
  uint64_t ticket = started_.load(std::memory_order_seq_cst) + 1;
  if (ticket > t_ticket) t_ticket = ticket;
  if (ticket > t_newest_ticket) t_newest_ticket = ticket;
  if (!written_since_start_.load(std::memory_order_seq_cst)) {
    written_since_start_.store(true, std::memory_order_seq_cst);
    WakeOrOwe();
  }
}

void Persister::Wake() {
  if (sleeping_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lock(wake_mu_);
    wake_cv_.notify_one();
  }
}

void Persister::MarkDirty(int db, std::string_view key) {
  if (following()) return;
  auto it = Dirty(db, key, /*whole=*/true);
  it->second.reset();  // whole, whatever fields were noted before
  NoteTicket();
}

void Persister::OnFieldsWritten(int db, std::string_view key,
                                std::span<const std::string_view> fields) {
  if (following()) return;
  auto it = Dirty(db, key, /*whole=*/false);
  if (it->second != nullptr) {
    for (std::string_view f : fields) {
      if (it->second->find(f) == it->second->end()) it->second->emplace(f);
    }
  }
  NoteTicket();
}

Persister::DirtyKeys::iterator Persister::Dirty(int db, std::string_view key, bool whole) {
  const size_t shard = keyspace_->ShardOf(key);
  DirtyKeys& keys = dirty_[shard].keys[db_map_[db]];
  auto it = keys.find(key);
  if (it != keys.end()) return it;  // already dirty: one record will cover both writes
  it = keys.emplace(std::string(key), whole ? nullptr : std::make_unique<FieldSet>()).first;
  pending_keys_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t bit = uint64_t{1} << (shard & 63);
  std::atomic<uint64_t>& word = pending_bits_[shard >> 6];
  if ((word.load(std::memory_order_relaxed) & bit) == 0) {
    word.fetch_or(bit, std::memory_order_seq_cst);
    WakeOrOwe();
  }
  return it;
}

void Persister::OnDbFlushed(int db) {
  if (following()) return;
  // Every shard lock is held: no cycle is inside a shard, and no write can interleave.
  {
    std::lock_guard<std::mutex> lock(batch_mu_);
    for (int pdb = 0; pdb < codec::kNumPhysicalDbs; pdb++) {
      if (db != -1 && pdb != db_map_[db]) continue;
      collecting_->DeleteDb(static_cast<uint8_t>(pdb));
      // Keys dirty in that db are gone in memory too: drop them rather than write deletes.
      for (ShardDirty& d : dirty_) {
        pending_keys_.fetch_sub(static_cast<int64_t>(d.keys[pdb].size()),
                                std::memory_order_relaxed);
        d.keys[pdb].clear();
      }
    }
    barrier_pending_.store(true, std::memory_order_seq_cst);
  }
  NoteTicket();
  WakeOrOwe();
}

void Persister::OnDbSwapped(int a, int b) {
  if (following()) return;
  {
    std::lock_guard<std::mutex> lock(batch_mu_);
    std::swap(db_map_[a], db_map_[b]);
    logical_of_[db_map_[a]] = static_cast<uint8_t>(a);
    logical_of_[db_map_[b]] = static_cast<uint8_t>(b);
    collecting_->PutDbMap(db_map_);
    barrier_pending_.store(true, std::memory_order_seq_cst);
  }
  NoteTicket();
  WakeOrOwe();
}

void Persister::SetFollowing(bool on) {
  if (!on && following()) {
    uint8_t map[codec::kNumPhysicalDbs];
    if (engine_->ReadDbMap(map).ok()) {
      std::lock_guard<std::mutex> lock(batch_mu_);
      for (int i = 0; i < codec::kNumPhysicalDbs; i++) {
        db_map_[i] = map[i];
        logical_of_[map[i]] = static_cast<uint8_t>(i);
      }
    }
    uint64_t floor = std::max(engine_->ReadVersionMark(), static_cast<uint64_t>(SystemClock().NowUs()));
    version_floor_.store(floor, std::memory_order_relaxed);
  }
  following_.store(on, std::memory_order_relaxed);
}

bool Persister::Idle() const {
  return !HasNewWork() &&
         completed_.load(std::memory_order_acquire) == started_.load(std::memory_order_acquire);
}

Status Persister::Drain(int64_t timeout_ms) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  for (;;) {
    if (Idle()) return Status::Ok();
    if (MonotonicMs() > deadline) {
      return Status::Error("the persister did not finish its pending writes in time");
    }
    Wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool Persister::OnDisk(int db, std::string_view key) {
  // A replica's keyspace holds only what its link installed after writing the primary's
  // batch to the engine (ReplicaApplier::Apply), or what a warm-up read from the engine:
  // every value it holds is on disk. (Clients cannot write to a replica.)
  if (following()) return true;
  // A failing disk may have lost the batch being retried.
  if (failing()) return false;
  const size_t shard = keyspace_->ShardOf(key);
  const uint8_t pdb = db_map_[db];
  const ShardDirty& d = dirty_[shard];
  if (d.keys[pdb].contains(key)) return false;
  return collected_[shard] <= completed_cycles() || !d.in_flight[pdb].contains(key);
}

bool Persister::HasNewWork() const {
  if (written_since_start_.load(std::memory_order_seq_cst) ||
      barrier_pending_.load(std::memory_order_seq_cst)) {
    return true;
  }
  for (size_t i = 0; i < pending_words_; i++) {
    if (pending_bits_[i].load(std::memory_order_seq_cst) != 0) return true;
  }
  return false;
}

void Persister::NoteSynced() {
  syncs_.fetch_add(1, std::memory_order_relaxed);
  last_sync_s_.store(SystemClock().NowMs() / 1000, std::memory_order_relaxed);
}

void Persister::EncodeKey(uint8_t pdb, const std::string& key, const FieldSet* fields,
                          EngineBatch* out) {
  const int db = logical_of_[pdb];
  Entry* e = keyspace_->Peek(db, key);
  if (e == nullptr) {
    out->DeleteMeta(codec::MetaKey(pdb, key));  // its sub records are orphans for the filter
    return;
  }
  if (e->on_disk) return;  // tiering: the disk holds this value (every write reads it back)
  if (e->type == ValueType::kList) {
    ListValue* list = e->list_value.get();
    if (fields != nullptr && list->disk_version != 0 && !list->rewrite_needed()) {
      EncodeListEnds(pdb, key, list, out);
    } else {
      EncodeWhole(pdb, key, e, out);
    }
    return;
  }
  // Only some fields changed, and the disk holds this collection's version: write those.
  uint64_t version = 0;
  if (fields != nullptr) {
    if (e->type == ValueType::kHash) version = e->hash_value->disk_version();
    if (e->type == ValueType::kSet) version = e->set_value->disk_version;
    if (e->type == ValueType::kZSet) version = e->zset_value->disk_version();
  }
  if (version == 0) {
    EncodeWhole(pdb, key, e, out);
    return;
  }
  std::string sub = codec::SubPrefix(pdb, key, version);
  const size_t prefix = sub.size();
  for (const std::string& f : *fields) {
    sub.resize(prefix);
    sub.append(f);
    if (e->type == ValueType::kHash) {
      std::optional<std::string_view> v = e->hash_value->Get(f);
      if (v) out->PutSub(sub, *v);
      else out->DeleteSub(sub);
    } else if (e->type == ValueType::kZSet) {
      std::optional<double> score = e->zset_value->Score(f);
      if (score) out->PutSub(sub, codec::ZSetScore(*score));
      else out->DeleteSub(sub);
    } else if (e->set_value->Contains(f)) {
      out->PutSub(sub, {});
    } else {
      out->DeleteSub(sub);
    }
  }
}

void Persister::EncodeListEnds(uint8_t pdb, const std::string& key, ListValue* list,
                               EngineBatch* out) {
  // Positions in memory: [head, tail); on disk: [disk_head, disk_tail). Put the ones in
  // memory outside the clean range, delete the ones on disk no longer in memory.
  const uint64_t head = list->head_position();
  const uint64_t tail = head + list->size();
  const uint64_t disk_head = list->disk_head();
  const uint64_t disk_tail = disk_head + list->disk_size();
  uint64_t clean_from = std::clamp(list->clean_from(), head, tail);
  uint64_t clean_to = std::clamp(list->clean_to(), head, tail);
  if (clean_from >= clean_to) clean_from = clean_to = tail;  // nothing known clean
  std::string sub = codec::SubPrefix(pdb, key, list->disk_version);
  const size_t prefix = sub.size();
  auto name = [&](uint64_t position) -> const std::string& {
    sub.resize(prefix);
    sub.append(codec::ListPosition(position));
    return sub;
  };
  auto put = [&](size_t i, std::string_view v) {
    out->PutSub(name(head + i), v);
    return true;
  };
  list->Walk(0, clean_from - head, /*reverse=*/false, put);
  list->Walk(clean_to - head, tail - clean_to, /*reverse=*/false, put);
  for (uint64_t p : list->set_positions()) {  // LSETs inside the clean range
    if (p >= clean_from && p < clean_to) out->PutSub(name(p), list->at(p - head));
  }
  for (uint64_t p = disk_head; p < std::min(disk_tail, head); p++) out->DeleteSub(name(p));
  for (uint64_t p = std::max(disk_head, tail); p < disk_tail; p++) out->DeleteSub(name(p));
  list->MarkAllOnDisk();
}

void Persister::EncodeWhole(uint8_t pdb, const std::string& key, Entry* e, EngineBatch* out) {
  switch (e->type) {
    case ValueType::kString:
      out->PutString(pdb, key, e->expire_at_ms, e->str());  // the page is copied once
      return;
    case ValueType::kHash: {
      const uint64_t version = next_version_++;
      e->hash_value->set_disk_version(version);
      PutCollection(pdb, key, codec::DiskType::kHash, e->expire_at_ms, version, [&](auto put) {
        e->hash_value->ForEach([&](HashValue::Item f) { put(f.name, f.value); });
      }, out);
      return;
    }
    case ValueType::kSet: {
      const uint64_t version = e->set_value->disk_version = next_version_++;
      PutCollection(pdb, key, codec::DiskType::kSet, e->expire_at_ms, version, [&](auto put) {
        e->set_value->ForEach([&](std::string_view member) { put(member, {}); });
      }, out);
      return;
    }
    case ValueType::kZSet: {
      const uint64_t version = next_version_++;
      e->zset_value->set_disk_version(version);
      PutCollection(pdb, key, codec::DiskType::kZSet, e->expire_at_ms, version, [&](auto put) {
        e->zset_value->Walk(0, e->zset_value->size(), /*reverse=*/false,
                            [&](ZSetValue::Item it) {
                              put(it.member, codec::ZSetScore(it.score));
                              return true;
                            });
      }, out);
      return;
    }
    case ValueType::kList: {
      ListValue* list = e->list_value.get();
      const uint64_t version = list->disk_version = next_version_++;
      PutCollection(pdb, key, codec::DiskType::kList, e->expire_at_ms, version, [&](auto put) {
        const uint64_t head = list->head_position();
        list->Walk(0, list->size(), /*reverse=*/false, [&](size_t i, std::string_view v) {
          put(codec::ListPosition(head + i), v);
          return true;
        });
      }, out);
      list->MarkAllOnDisk();
      return;
    }
  }
}

void Persister::CollectShard(size_t shard, bool locked) {
  std::unique_lock<ShardMutexType> shard_lock(keyspace_->ShardMutex(shard), std::defer_lock);
  if (!locked) shard_lock.lock();
  std::lock_guard<std::mutex> lock(batch_mu_);
  pending_bits_[shard >> 6].fetch_and(~(uint64_t{1} << (shard & 63)), std::memory_order_seq_cst);
  ShardDirty& d = dirty_[shard];
  collected_[shard] = started_.load(std::memory_order_relaxed);
  int64_t n = 0;
  for (int pdb = 0; pdb < codec::kNumPhysicalDbs; pdb++) {
    for (const auto& [key, fields] : d.keys[pdb]) {
      EncodeKey(static_cast<uint8_t>(pdb), key, fields.get(), collecting_.get());
      if (collecting_->bytes() >= kBatchBytes) Seal();
    }
    n += static_cast<int64_t>(d.keys[pdb].size());
    // They stay known as in flight until this cycle completes (OnDisk); the previous
    // cycle's, completed (a cycle starts only once the last one is written), go.
    d.in_flight[pdb].swap(d.keys[pdb]);
    d.keys[pdb].clear();
  }
  pending_keys_.fetch_sub(n, std::memory_order_relaxed);
}

void Persister::Seal() {
  // A following persister writes nothing at all, not even the mark: every sequence
  // number of a replica's database is its primary's.
  if (!following() && next_version_ != version_mark_written_) {
    collecting_->PutVersionMark(next_version_);  // in the same batch as the versions
    version_mark_written_ = next_version_;
  }
  sealed_.push_back(std::move(collecting_));
  collecting_ = engine_->NewBatch();
}

Persister::CycleOutcome Persister::RunCycle(bool sync, bool cut, bool from_loop) {
  if (writing_.empty()) {
    // A new cycle: everything dirty now, and every barrier appended meanwhile.
    ShardLocks all(keyspace_);
    struct LockTimer {
      std::atomic<int64_t>* out = nullptr;
      std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
      ~LockTimer() {
        if (out == nullptr) return;
        out->store(std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - start).count(),
                   std::memory_order_relaxed);
      }
    } lock_timer;
    if (cut) {
      lock_timer = {&cut_lock_us_, std::chrono::steady_clock::now()};
      all.AddAll();
      all.Acquire();
    }
    written_since_start_.store(false, std::memory_order_seq_cst);
    started_.fetch_add(1, std::memory_order_seq_cst);
    next_version_ = std::max(next_version_, version_floor_.load(std::memory_order_relaxed));
    for (size_t w = 0; w < pending_words_; w++) {
      uint64_t bits = pending_bits_[w].load(std::memory_order_seq_cst);
      while (bits != 0) {
        const int b = __builtin_ctzll(bits);
        bits &= bits - 1;
        CollectShard(w * 64 + static_cast<size_t>(b), cut);
      }
    }
    std::lock_guard<std::mutex> lock(batch_mu_);
    // The last piece (a sealed one is never empty, so a sync of the last covers them all).
    if (!collecting_->empty() || sealed_.empty()) Seal();
    sealed_.swap(writing_);  // writing_ was empty
    size_t bytes = 0;
    for (const auto& piece : writing_) bytes += piece->bytes();
    writing_hold_.Set(bytes);
    barrier_pending_.store(false, std::memory_order_seq_cst);
    if (from_loop && bytes > kLoopCycleMaxBytes) {
      // Too big for a loop to write (large values, other workers' writes): the thread
      // writes it while this worker goes on.
      Wake();
      return CycleOutcome::kStalled;
    }
  }
  // (A retried batch keeps its cycle number: started_ did not move for it.) Only the
  // cycle's last piece is synced: the sync covers every write before it.
  while (!writing_.empty()) {
    EngineBatch& piece = *writing_.front();
    const bool last = writing_.size() == 1;
    if (!piece.empty()) {
      bool stalled = false;
      Status st = from_loop ? engine_->WriteWithoutStall(piece, &stalled)
                            : engine_->Write(piece, sync && last);
      if (stalled) return CycleOutcome::kStalled;
      if (!st.ok()) {
        NoteDiskError(st, &write_failing_);
        return CycleOutcome::kRefused;
      }
      ClearDiskError(&write_failing_);
      records_.fetch_add(piece.count(), std::memory_order_relaxed);
      bytes_.fetch_add(piece.bytes(), std::memory_order_relaxed);
    }
    if (sync && last && !piece.empty()) NoteSynced();
    writing_.pop_front();
  }
  // seq_cst: a worker registering a held reply reads completed_ after it publishes that
  // it waits, and on_cycle_ reads that after this store (server/worker.h).
  completed_.store(started_.load(std::memory_order_acquire), std::memory_order_seq_cst);
  // After every cycle, also a loop's: eviction weighs the keyspace against maxmemory by
  // what RocksDB holds now (the memtable this cycle filled is not the keyspace's).
  PublishEngineMemory();
  writing_hold_.Set(0);  // now the memtable's
  if (on_cycle_) on_cycle_();
  return CycleOutcome::kWritten;
}

void Persister::NoteDiskError(const Status& st, std::atomic<bool>* which) {
  write_errors_.fetch_add(1, std::memory_order_relaxed);
  if (!failing()) {
    // The first error of an outage is its cause; later retries may only say that the
    // database is being reopened.
    VLOG_WARNING("Persister: %s", st.message().c_str());
    std::lock_guard<std::mutex> lock(error_mu_);
    last_error_ = st.message();
  }
  which->store(true, std::memory_order_release);
  failing_.store(true, std::memory_order_release);
  if (on_cycle_) on_cycle_();  // workers shutting down drop replies that cannot leave now
}

void Persister::ClearDiskError(std::atomic<bool>* which) {
  if (!which->exchange(false, std::memory_order_acq_rel)) return;
  if (write_failing_.load(std::memory_order_acquire) || sync_failing_.load(std::memory_order_acquire)) {
    return;
  }
  failing_.store(false, std::memory_order_release);
  VLOG_NOTICE("Persister: writes to disk resumed");
  std::lock_guard<std::mutex> lock(error_mu_);
  last_error_.clear();
}

void Persister::Recover() {
  // RocksDB keeps some errors (a failed WAL write) as a background error that Resume
  // cannot clear: then reopen the database (the WAL replays what was written); a kept
  // batch is retried whole, its puts and deletes being idempotent.
  if (!engine_->Resume().ok()) {
    Status reopened = engine_->Reopen();
    if (!reopened.ok()) VLOG_VERBOSE("Persister: %s", reopened.message().c_str());
  }
}

void Persister::PublishEngineMemory() { engine_->PublishMemory(); }

void Persister::Run() {
  using Steady = std::chrono::steady_clock;
  const bool always = mode_ == Mode::kAlways;
  auto last_sync = Steady::now();
  auto last_trim = Steady::now();
  bool unsynced = false;
  for (;;) {
    const bool stopping = stop_.load(std::memory_order_seq_cst);
    if (Steady::now() - last_trim >= std::chrono::seconds(1)) {
      // Replication's backlog within its size limit (Engine::TrimLogArchive says why).
      if (uint64_t removed = engine_->TrimLogArchive(); removed > 0) {
        VLOG_VERBOSE("Persister: removed %llu bytes of archived log past replication.backlog-mb",
                     static_cast<unsigned long long>(removed));
      }
      engine_->MeasureLogBacklog();  // for INFO's repl_backlog_*
      last_trim = Steady::now();
    }
    if (written_elsewhere_unsynced_.exchange(false, std::memory_order_acq_rel) && !always) {
      unsynced = true;
    }
    bool work = false;
    CycleOutcome outcome = CycleOutcome::kWritten;
    {
      std::lock_guard<std::mutex> cycle(cycle_mu_);
      if (checkpoint_pending_.load(std::memory_order_seq_cst)) {
        RunCheckpoints(always || stopping);
        unsynced = !always && !stopping;
      }
      work = HasNewWork() || !writing_.empty();
      if (work) outcome = RunCycle(always || stopping);
    }
    if (work) {
      if (outcome == CycleOutcome::kWritten) {
        unsynced = !always && !stopping;
      } else {
        // The disk refuses writes: keep the batch, retry after a pause. RocksDB holds a
        // background error after a failed WAL write until Resume() clears it, which
        // succeeds once the disk takes writes again.
        if (stopping) break;  // give up at shutdown: nothing more can be made durable
        {
          std::unique_lock<std::mutex> lock(wake_mu_);
          wake_cv_.wait_for(lock, std::chrono::milliseconds(100));
        }
        Recover();
        continue;
      }
    }
    if (!always && (unsynced || sync_failing_.load(std::memory_order_acquire)) &&
        Steady::now() - last_sync >= std::chrono::seconds(1)) {
      // Without cycle_mu_: workers go on writing into the WAL while it syncs.
      Status st = engine_->SyncWal();
      if (st.ok()) {
        NoteSynced();
        unsynced = false;
        ClearDiskError(&sync_failing_);
      } else {
        // As Redis after a failed everysec fsync: refuse writes until a sync succeeds
        // (after an fsync error the kernel may have dropped the dirty pages).
        NoteDiskError(st, &sync_failing_);
        Recover();
      }
      last_sync = Steady::now();
    }
    if (stopping && !work) break;
    if (!work) PublishEngineMemory();  // flushes and compactions change it too
    if (work) continue;
    std::unique_lock<std::mutex> lock(wake_mu_);
    sleeping_.store(true, std::memory_order_seq_cst);
    if (!HasNewWork() && !stop_.load(std::memory_order_seq_cst) &&
        !checkpoint_pending_.load(std::memory_order_seq_cst)) {
      // In everysec, workers write without waking this thread: look every 100 ms for
      // their unsynced writes, and for RocksDB's memory to publish.
      wake_cv_.wait_for(lock, std::chrono::milliseconds(always ? 1000 : 100));
    }
    sleeping_.store(false, std::memory_order_seq_cst);
  }
  // Always, in everysec: RocksDB's Close does not sync the WAL, and the last cycles may
  // have been written without a sync.
  if (!always) (void)engine_->SyncWal();
  std::lock_guard<std::mutex> cycle(cycle_mu_);
  if (!writing_.empty()) {
    size_t changes = 0;
    for (const auto& piece : writing_) changes += piece->count();
    VLOG_WARNING("Persister: stopped with %zu changes the disk refused; their replies were "
                 "never sent", changes);
  }
  FailCheckpoints("the server is shutting down");
}

Result<uint64_t> Persister::Checkpoint(const std::string& dir) {
  std::future<Result<uint64_t>> done;
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    if (stop_.load(std::memory_order_seq_cst) || !thread_.joinable()) {
      return Status::Error("the server is shutting down");
    }
    checkpoints_.push_back({dir, {}});
    done = checkpoints_.back().done.get_future();
    checkpoint_pending_.store(true, std::memory_order_seq_cst);
    wake_cv_.notify_one();
  }
  return done.get();
}

void Persister::FailCheckpoints(const std::string& why) {
  std::vector<CheckpointRequest> requests;
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    requests.swap(checkpoints_);
    checkpoint_pending_.store(false, std::memory_order_seq_cst);
  }
  for (auto& r : requests) r.done.set_value(Status::Error(why));
}

void Persister::RunCheckpoints(bool sync) {
  std::vector<CheckpointRequest> requests;
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    requests.swap(checkpoints_);
    checkpoint_pending_.store(false, std::memory_order_seq_cst);
  }
  // A batch the disk refused earlier goes first; then the cut cycle (cycle_mu_ is held
  // until the checkpoint is taken: no cycle may come between).
  bool ok = writing_.empty() || RunCycle(sync) == CycleOutcome::kWritten;
  if (ok) ok = RunCycle(sync, /*cut=*/true) == CycleOutcome::kWritten;
  for (auto& r : requests) {
    if (!ok) {
      r.done.set_value(Status::Error("the disk refuses writes: " + last_error()));
      continue;
    }
    uint64_t seq = 0;
    const auto start = std::chrono::steady_clock::now();
    Status st = engine_->CreateCheckpoint(r.dir, &seq);
    checkpoint_us_.store(std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start).count(),
                         std::memory_order_relaxed);
    if (st.ok()) r.done.set_value(seq);
    else r.done.set_value(st);
  }
}

}  // namespace vellum::storage
