// LogFeeder: the primary's side of replication, on a thread of its own so that no
// worker reads the disk for a replica.
//
// A replica pulls. It asks for a checkpoint (a point-in-time cut of the persister,
// Persister::Checkpoint, kept under <data dir>/replication/<id> until released), whose
// files it then reads in chunks, each file with its XXH3-64 so the replica can verify
// what it received; then it asks again and again for the log from its position
// (Engine::ReadLog). A log request with nothing to send is parked until new batches are
// written (Notify, after each persister cycle) or its wait runs out, then answered empty:
// a long poll, so a replica's lag is one persister cycle, not a polling period.
//
// A checkpoint belongs to the connection that asked for it (its owner). From the moment
// it is made until that connection reads the log after installing it (or kPinMs pass: a
// replica that died mid-sync), the engine's files are pinned (Engine::PinFiles): however
// long the transfer takes and however much is written meanwhile, the log that replica
// needs next is still there, so a full sync can never be followed by another one for
// want of log. Only the files a checkpoint offered can be read from it; its directory
// goes at RELEASE, at its owner's next checkpoint, or after kPinMs.
//
// A checkpoint is made on a thread of its own (the cut, then the hash of every file: seconds
// for a large database), so that the other replicas' log requests are not held up by it.
//
// Every request is answered through its callback, on the feeder's thread (the server
// turns that into a deferred reply); a checkpoint still being made at Stop answers on its
// own thread. Thread-safe: requests may come from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "storage/engine.h"
#include "storage/persister.h"

namespace vellum::snapshot {

struct CheckpointFile {
  std::string name;
  uint64_t size = 0;
  uint64_t xxh3 = 0;
};

struct CheckpointOffer {
  uint64_t id = 0;
  uint64_t sequence = 0;  // the last sequence number it holds: the log follows from +1
  std::vector<CheckpointFile> files;
};

// The XXH3-64 of a file's contents.
Result<uint64_t> HashFile(const std::string& path);
// 16 lower-case hex digits; the XXH3-64 of bytes in that form (how REPLSTREAM sends them).
std::string HexU64(uint64_t v);
std::string HashHex(std::string_view bytes);

class LogFeeder {
 public:
  static constexpr int64_t kPinMs = 30 * 60 * 1000;

  // `dir`: where checkpoints are made (emptied at start: what is there is debris).
  LogFeeder(storage::Engine* engine, storage::Persister* persister, std::string dir);
  ~LogFeeder();  // Stop()
  LogFeeder(const LogFeeder&) = delete;
  LogFeeder& operator=(const LogFeeder&) = delete;

  using LogDone = std::function<void(const Status&, bool gone, std::vector<storage::LogBatch>)>;
  // `owner`: the requesting connection's id.
  void ReadLog(uint64_t owner, uint64_t from, size_t max_bytes, int64_t wait_ms, LogDone done);
  void MakeCheckpoint(uint64_t owner, std::function<void(const Result<CheckpointOffer>&)> done);
  // The bytes are handed over (moved), not copied.
  void ReadFile(uint64_t id, std::string name, uint64_t offset, uint64_t length,
                std::function<void(Result<std::string>)> done);
  void Release(uint64_t id);
  // Calls done(true) once ready() holds (checked on the feeder's thread after each
  // persister cycle and every 10 ms), or done(false) at the deadline (monotonic ms; 0 for
  // none) or at Stop. For WAIT. A wait whose abandoned() says so (its client has gone) is
  // dropped without a call.
  void WaitUntil(std::function<bool()> ready, int64_t deadline_ms, std::function<void(bool)> done,
                 std::function<bool()> abandoned = {});
  // The waits not answered yet (INFO).
  size_t waiting() const;
  // New batches were written: parked log requests look again.
  void Notify();
  // Answers the parked log requests, drops queued jobs, joins the thread; requests made
  // afterwards fail at once. Idempotent.
  void Stop();


 private:
  struct Parked {
    uint64_t owner;
    uint64_t from;
    size_t max_bytes;
    int64_t deadline_ms;
    LogDone done;
  };
  void Run();
  // Queues a job, or returns false once stopped.
  bool Submit(std::function<void()> job);
  // Answers the parked requests that now have batches (or whose wait ran out).
  void ServeParked(bool final);
  void ServeWaiters(bool final);
  std::string CheckpointDir(uint64_t id) const;
  // Unpins the files pinned for `owner` (0: none), and the expired pins; `all`: every pin.
  void ReleasePins(uint64_t owner, bool all);
  // Removes checkpoint `id`'s directory and forgets its files.
  void DropCheckpoint(uint64_t id);
  // The persister's cut into checkpoint `id`'s directory, and the hash of each file.
  Result<CheckpointOffer> CutAndHash(uint64_t id);
  // On checkpoint `id`'s maker thread: CutAndHash; then, on the feeder's thread, the
  // offer (or the error) through done.
  void MakeCheckpointFiles(
      uint64_t id, std::shared_ptr<std::function<void(const Result<CheckpointOffer>&)>> done);

  storage::Engine* engine_;
  storage::Persister* persister_;
  const std::string dir_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  std::vector<Parked> parked_;              // guarded by mu_
  struct Waiter {
    std::function<bool()> ready;
    int64_t deadline_ms;
    std::function<void(bool)> done;
    std::function<bool()> abandoned;
  };
  std::vector<Waiter> waiters_;             // guarded by mu_
  bool notified_ = false;                   // guarded by mu_
  bool stop_ = false;                       // guarded by mu_
  uint64_t next_id_ = 1;                    // feeder thread only
  struct Pin {
    uint64_t owner;
    int64_t deadline_ms;  // monotonic
  };
  std::map<uint64_t, Pin> pins_;            // by checkpoint id; feeder thread only (and Stop)
  // Unpins the engine's files once for `pin` and forgets it; the next pin.
  std::map<uint64_t, Pin>::iterator Unpin(std::map<uint64_t, Pin>::iterator pin);
  // Checkpoints being made, by id; feeder thread only (and Stop, after it ends).
  std::map<uint64_t, std::thread> makers_;
  struct Offered {
    uint64_t owner;
    int64_t deadline_ms;
    std::set<std::string> files;
  };
  std::map<uint64_t, Offered> checkpoints_;  // feeder thread only
  std::thread thread_;
};

}  // namespace vellum::snapshot
