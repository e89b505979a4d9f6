// Warmup: serving a keyspace at once after a start, while its data set is still on disk.
//
// Start() marks the keyspace warming (Keyspace::BeginWarmup) and starts:
//  - the loader thread: walks the meta column family in key order a chunk of keys at a
//    time, each chunk through its own Engine::ReadView (so a Reopen never waits long and
//    nothing it holds goes stale), and installs each key the keyspace still needs under
//    that key's shard lock. Once the walk is over every key is in memory:
//    Keyspace::EndWarmup, then the WhenDone callbacks.
//  - `read_threads` reader threads for Fetch(): the keys one command names, read and
//    installed before it runs, so that a worker never waits on the disk.
// It is also the keyspace's DiskSource, for the lookup fallback (a key a command finds
// only as it runs, read on that command's thread), and its readers serve the values a
// tiered keyspace offloaded (Keyspace::Offload) for as long as the server runs: after a
// warm-up, or from the start without one (ServeReads).
//
// Tiering: once Options::values_fit says memory is full, the loader takes the remaining
// keys without their values (Keyspace::InstallOffloaded), so a data set larger than
// memory warms up to every key in memory and the values that fit.
//
// Staleness: a chunk or a fetch may read a key that a client changes before the record
// is installed; the keyspace then knows the key and drops the record (see Keyspace).
// A record that does not decode is logged and counted; that key is left out and the
// warm-up goes on (a command naming it gets the error). A walk that cannot go on (a
// corrupt table block, a disk that keeps failing) stops the warm-up unfinished: keys are
// still read from disk one by one as commands name them, and what needs every key in
// memory (WhenDone) gets the error.
//
// Thread-safe: Fetch, WhenDone and the getters from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/engine.h"
#include "storage/keyspace.h"

namespace vellum::storage {

class Warmup final : public DiskSource {
 public:
  struct Options {
    int read_threads = 2;
    uint64_t keys_per_sec = 0;  // the loader's pace; 0: as fast as it goes
  };
  Warmup(Engine* engine, Keyspace* keyspace, const Clock* clock, Options options);
  ~Warmup() override;  // Stop()

  // Whether the loader may still bring values into memory (unset: always). Called once
  // per chunk on the loader's thread. Set before Start.
  void set_values_fit(std::function<bool()> fn) { values_fit_ = std::move(fn); }
  // Before serving, with the keyspace empty.
  void Start();
  // Without a warm-up (everything was loaded before serving, or the disk was empty):
  // attaches the disk to the keyspace and starts the readers alone, for tiered values.
  void ServeReads();
  // Ends the threads (shutdown); an unfinished walk is abandoned, pending fetches are
  // answered with an error.
  void Stop();
  // A warm-up of another database in the same engine (a replica's full sync has just put
  // its primary's in place): the walk starts over, `before` runs with the threads stopped
  // (it empties the keyspace), pending fetches are answered with success (their commands
  // run again and read what they need), and what waits for the end waits for the new one.
  void Restart(const std::function<void()>& before);

  struct Key {
    int db = 0;
    std::string key;
  };
  // Reads the keys (those the keyspace still needs) and installs them, then calls
  // done(status) on a reader thread: an error names a key whose record could not be
  // read or does not decode.
  void Fetch(std::vector<Key> keys, std::function<void(Status)> done);
  // Calls fn once the warm-up is over (an error if it stopped unfinished): at once on this
  // thread if it is, else on the loader's thread when it ends.
  void WhenDone(std::function<void(Status)> fn);
  // Changes the loader's pace (keys per second, 0: unlimited) from now on.
  void SetPace(uint64_t keys_per_sec);

  Status Read(uint8_t pdb, std::string_view key, DiskRecord* out, bool* found) override;

  struct Stats {
    bool in_progress = false;
    bool failed = false;          // stopped unfinished (see last_error)
    uint64_t keys_loaded = 0;     // installed by the loader
    uint64_t keys_left_on_disk = 0;  // ... of which without their value (tiering)
    uint64_t keys_estimated = 0;  // RocksDB's estimate of the keys on disk at the start
    uint64_t fetched_keys = 0;    // read for commands before they ran
    uint64_t errors = 0;          // records that could not be read or decoded
    std::string last_error;
    int64_t started_ms = 0;
    int64_t duration_ms = 0;      // so far, or in all once done
  };
  Stats stats() const;

 private:
  struct Job {
    std::vector<Key> keys;
    std::function<void(Status)> done;
  };
  void StopThreads();
  void LaunchReaders();  // if not running
  // The db map as stored now, or as loaded at open if it cannot be read.
  void CurrentDbMap(uint8_t (&map)[codec::kNumPhysicalDbs]);
  void LoaderMain();
  void ReaderMain();
  // Reads one chunk of the walk (up to max_keys) after `after` (a meta key; empty: from
  // the start) and installs it. Returns false at the end of the database.
  bool LoadChunk(std::string* after, size_t max_keys, Status* error);
  void NoteError(const Status& st);
  // Sleeps up to ms unless stopped; returns false if stopped.
  bool Pause(int64_t ms);

  Engine* engine_;
  Keyspace* keyspace_;
  const Clock* clock_;
  const Options options_;
  std::function<bool()> values_fit_;
  std::thread loader_;
  std::vector<std::thread> readers_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // stop_ (the loader's pauses)
  std::condition_variable jobs_cv_;  // jobs_ or stop_ (the readers)
  bool stop_ = false;      // the threads end (Stop, or a Restart)
  bool shutdown_ = false;  // Stop(): nothing is queued any more
  std::deque<Job> jobs_;
  std::vector<std::function<void(Status)>> when_done_;
  bool started_ = false;  // Start() was called (a warm-up that never ran is not in progress)
  bool ended_ = false;  // the walk is over, done or not
  Status failed_;       // why the walk stopped unfinished
  std::string last_error_;

  std::atomic<uint64_t> keys_loaded_{0};
  std::atomic<uint64_t> keys_left_on_disk_{0};
  std::atomic<uint64_t> fetched_keys_{0};
  std::atomic<uint64_t> errors_{0};
  uint64_t keys_estimated_ = 0;  // these three: mu_
  int64_t started_us_ = 0;
  std::atomic<int64_t> finished_us_{0};
  std::atomic<uint64_t> keys_per_sec_;
  int64_t started_ms_ = 0;
};

}  // namespace vellum::storage
