#include "snapshot/log_feeder.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/thread_name.h"

namespace vellum::snapshot {

namespace fs = std::filesystem;

Result<uint64_t> HashFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("can't read " + path);
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    XXH3_64bits_update(&state, buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Status::Error("can't read " + path);
  return static_cast<uint64_t>(XXH3_64bits_digest(&state));
}

std::string HexU64(uint64_t v) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(v));
  return hex;
}

std::string HashHex(std::string_view bytes) {
  return HexU64(static_cast<uint64_t>(XXH3_64bits(bytes.data(), bytes.size())));
}

LogFeeder::LogFeeder(storage::Engine* engine, storage::Persister* persister, std::string dir)
    : engine_(engine), persister_(persister), dir_(std::move(dir)) {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  thread_ = std::thread([this] {
    NameThisThread("log-feeder");
    Run();
  });
}

LogFeeder::~LogFeeder() {
  Stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void LogFeeder::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Checkpoints still being made answer for themselves once they find the feeder stopped.
  for (auto& maker : makers_) {
    if (maker.second.joinable()) maker.second.join();
  }
  makers_.clear();
  ReleasePins(0, /*all=*/true);
}

std::map<uint64_t, LogFeeder::Pin>::iterator LogFeeder::Unpin(
    std::map<uint64_t, Pin>::iterator pin) {
  if (Status st = engine_->UnpinFiles(); !st.ok()) {
    VLOG_WARNING("Replication: %s", st.message().c_str());
  }
  return pins_.erase(pin);
}

void LogFeeder::ReleasePins(uint64_t owner, bool all) {
  const int64_t now = MonotonicMs();
  for (auto it = pins_.begin(); it != pins_.end();) {
    if (all || (owner != 0 && it->second.owner == owner) || now >= it->second.deadline_ms) {
      it = Unpin(it);
    } else {
      ++it;
    }
  }
  for (auto it = checkpoints_.begin(); it != checkpoints_.end();) {
    const uint64_t id = it++->first;
    if (all || now >= checkpoints_[id].deadline_ms) DropCheckpoint(id);
  }
}

void LogFeeder::DropCheckpoint(uint64_t id) {
  std::error_code ec;
  fs::remove_all(CheckpointDir(id), ec);
  checkpoints_.erase(id);
}

bool LogFeeder::Submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

std::string LogFeeder::CheckpointDir(uint64_t id) const {
  return (fs::path(dir_) / std::to_string(id)).string();
}

void LogFeeder::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (parked_.empty()) return;
    notified_ = true;
  }
  cv_.notify_one();
}

void LogFeeder::ReadLog(uint64_t owner, uint64_t from, size_t max_bytes, int64_t wait_ms,
                        LogDone done) {
  engine_->KeepRecentLog();  // a replica follows: keep what it reads next in memory
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      parked_.push_back({owner, from, max_bytes, MonotonicMs() + wait_ms, std::move(done)});
      notified_ = true;  // look at once: there may be batches already
      done = nullptr;
    }
  }
  if (done) {
    done(Status::Error("the server is shutting down"), false, {});
    return;
  }
  cv_.notify_one();
}

void LogFeeder::WaitUntil(std::function<bool()> ready, int64_t deadline_ms,
                          std::function<void(bool)> done, std::function<bool()> abandoned) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      waiters_.push_back({std::move(ready), deadline_ms, std::move(done), std::move(abandoned)});
      done = nullptr;
    }
  }
  if (done) done(false);
}

size_t LogFeeder::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.size();
}

void LogFeeder::ServeWaiters(bool final) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (waiters_.empty()) return;
    waiters.swap(waiters_);
  }
  const int64_t now = MonotonicMs();
  std::vector<Waiter> still;
  for (Waiter& w : waiters) {
    if (!final && w.abandoned && w.abandoned()) continue;  // nobody to answer
    if (w.ready()) {
      w.done(true);
    } else if (final || (w.deadline_ms != 0 && now >= w.deadline_ms)) {
      w.done(false);
    } else {
      still.push_back(std::move(w));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (Waiter& w : still) waiters_.push_back(std::move(w));
}

void LogFeeder::MakeCheckpoint(uint64_t owner,
                               std::function<void(const Result<CheckpointOffer>&)> done) {
  auto shared = std::make_shared<std::function<void(const Result<CheckpointOffer>&)>>(std::move(done));
  if (!Submit([this, owner, shared] {
        // A replica starting over: what its earlier attempts held goes.
        ReleasePins(owner, false);
        for (auto it = checkpoints_.begin(); it != checkpoints_.end();) {
          const uint64_t old = it++->first;
          if (checkpoints_[old].owner == owner) DropCheckpoint(old);
        }
        const uint64_t id = next_id_++;
        std::error_code ec;
        fs::create_directories(dir_, ec);
        // Pinned before the cut: nothing from the checkpoint's sequence on can go.
        if (Status st = engine_->PinFiles(); !st.ok()) {
          (*shared)(st);
          return;
        }
        pins_[id] = {owner, MonotonicMs() + kPinMs};
        // The cut and the hashing of every file take seconds for a large database: on a
        // thread of their own, so that the other replicas' log requests go on meanwhile.
        makers_[id] = std::thread([this, id, shared] {
          NameThisThread("repl-checkpoint");
          MakeCheckpointFiles(id, shared);
        });
      })) {
    (*shared)(Status::Error("the server is shutting down"));
  }
}

Result<CheckpointOffer> LogFeeder::CutAndHash(uint64_t id) {
  const std::string dir = CheckpointDir(id);
  Result<uint64_t> seq = persister_->Checkpoint(dir);
  if (!seq.ok()) return seq.status();
  CheckpointOffer offer;
  offer.id = id;
  offer.sequence = *seq;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    Result<uint64_t> h = HashFile(entry.path().string());
    if (!h.ok()) return h.status();
    offer.files.push_back({entry.path().filename().string(), entry.file_size(), *h});
  }
  return offer;
}

void LogFeeder::MakeCheckpointFiles(
    uint64_t id, std::shared_ptr<std::function<void(const Result<CheckpointOffer>&)>> done) {
  auto made = std::make_shared<Result<CheckpointOffer>>(CutAndHash(id));
  // Offered on the feeder's thread, which owns the pins and the checkpoints' table.
  const bool submitted = Submit([this, id, made, done] {
    auto maker = makers_.find(id);
    if (maker != makers_.end()) {
      maker->second.join();  // it has only this lambda's submission left to return from
      makers_.erase(maker);
    }
    auto pin = pins_.find(id);
    if (made->ok() && pin == pins_.end()) {
      // Its owner started over, or the pin expired, while it was being made.
      *made = Status::Error("ERR the checkpoint was superseded by a newer request");
    }
    if (!made->ok()) {
      if (pin != pins_.end()) Unpin(pin);
      DropCheckpoint(id);
      (*done)(*made);
      return;
    }
    Offered& offered = checkpoints_[id];
    offered.owner = pin->second.owner;
    offered.deadline_ms = pin->second.deadline_ms;
    for (const CheckpointFile& f : (*made)->files) offered.files.insert(f.name);
    (*done)(*made);
  });
  if (!submitted) {  // stopping: Stop() unpins everything after joining this thread
    std::error_code ec;
    fs::remove_all(CheckpointDir(id), ec);  // not DropCheckpoint: the table is the feeder's
    (*done)(Status::Error("the server is shutting down"));
  }
}

void LogFeeder::ReadFile(uint64_t id, std::string name, uint64_t offset, uint64_t length,
                         std::function<void(Result<std::string>)> done) {
  auto shared = std::make_shared<std::function<void(Result<std::string>)>>(std::move(done));
  if (!Submit([this, id, name = std::move(name), offset, length, shared] {
        auto& done = *shared;
      auto offered = checkpoints_.find(id);
      if (offered == checkpoints_.end() || offered->second.files.count(name) == 0) {
        done(Status::Error("ERR no such checkpoint file"));  // only what was offered
        return;
      }
      std::ifstream in(fs::path(CheckpointDir(id)) / name, std::ios::binary);
      if (!in) {
        done(Status::Error("ERR no such checkpoint file"));
        return;
      }
      // A chunk for a replica: outgoing buffer memory, not counted (common/memory.h).
      OutgoingBufferHold reading(length);
      std::string data(length, '\0');
      in.seekg(static_cast<std::streamoff>(offset));
      in.read(data.data(), static_cast<std::streamsize>(length));
      data.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
      done(std::move(data));
      })) {
    (*shared)(Status::Error("the server is shutting down"));
  }
}

void LogFeeder::Release(uint64_t id) {
  (void)Submit([this, id] { DropCheckpoint(id); });
}

void LogFeeder::ServeParked(bool final) {
  std::vector<Parked> parked;
  {
    std::lock_guard<std::mutex> lock(mu_);
    parked.swap(parked_);
  }
  const int64_t now = MonotonicMs();
  std::vector<Parked> still;
  for (Parked& p : parked) {
    std::vector<storage::LogBatch> batches;
    bool gone = false;
    Status st = engine_->ReadLog(p.from, p.max_bytes, &batches, &gone);
    if (st.ok() && !pins_.empty()) ReleasePins(p.owner, false);  // its replica reads on
    if (!st.ok() || !batches.empty() || final || now >= p.deadline_ms) {
      p.done(st, gone, std::move(batches));
    } else {
      still.push_back(std::move(p));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (Parked& p : still) parked_.push_back(std::move(p));
}

void LogFeeder::Run() {
  for (;;) {
    std::function<void()> job;
    bool look = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // A parked request's wait runs out without a write: look every 10 ms at most.
      cv_.wait_for(lock, std::chrono::milliseconds(10),
                   [this] { return stop_ || notified_ || !jobs_.empty(); });
      if (stop_) break;
      if (!jobs_.empty()) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      look = notified_ || !parked_.empty();
      notified_ = false;
    }
    if (job) job();
    if (look) ServeParked(false);
    if (!pins_.empty() || !checkpoints_.empty()) ReleasePins(0, false);  // the expired ones
    ServeWaiters(false);
  }
  ServeParked(true);
  ServeWaiters(true);
}

}  // namespace vellum::snapshot
