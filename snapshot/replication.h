// Replication: this server's role (primary, or replica of a primary) and what each side
// keeps: the LogFeeder that serves replicas, the replicas attached (for INFO and ROLE),
// and, on a replica, the ReplicaLink that follows the primary.
//
// The replication id names the history a database holds: a primary makes one (kept in
// <data dir>/replid, so it survives restarts and replicas resume across them); a replica
// takes its primary's after a full sync, and serves it to its own replicas (a chain sees
// one history). Promotion (REPLICAOF NO ONE) starts a new id and keeps the old one as the
// second id, up to the last sequence it covers, so that the other replicas of the old
// primary (and the old primary itself, if it took no write since) continue on the
// promoted one without a full sync, as Redis's PSYNC does with master_replid2.
//
// Thread-safe: commands call it from any worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "snapshot/log_feeder.h"
#include "snapshot/replica_link.h"

namespace vellum::snapshot {

struct ReplicationOptions {
  std::string data_dir;  // storage.dir
  int listening_port = 0;
  bool sync_writes = false;
  bool will_follow = false;  // replication.primary is set: the server follows from the start
  std::function<void()> reload;  // LinkOptions::reload
};

class Replication {
 public:
  Replication(ReplicationOptions options, storage::Engine* engine, storage::Persister* persister,
              storage::Keyspace* keyspace, std::function<int64_t()> now_ms);
  ~Replication();  // Stop()
  // Stops the link and the feeder (shutdown, while the workers still run): requests made
  // afterwards fail at once. Idempotent.
  void Stop();

  LogFeeder& feeder() { return *feeder_; }
  std::string replid() const { return ids().id; }
  // This database's history ids: on a replica the followed primary's (as its file holds
  // them), otherwise its own.
  ReplIds ids() const;
  uint64_t offset() const;  // the last sequence number this database holds

  // ---- role ----
  // Follow host:port (REPLICAOF): stops following anyone else, mutes the persister and
  // starts a link. Data is replaced at the first full sync.
  Status Follow(const std::string& host, int port, const std::string& user,
                const std::string& password);
  // Become a primary (REPLICAOF NO ONE): stop the link, unmute the persister, new id.
  void Unfollow();
  bool is_replica() const { return replica_.load(std::memory_order_acquire); }
  struct LinkInfo {
    std::string host;
    int port = 0;
    ReplicaLink::State state;
  };
  LinkInfo link() const;
  // Following, with the link up and the first sync done.
  bool link_up() const;

  // ---- replicas attached to this server ----
  struct Replica {
    std::string ip;
    int port = 0;
    uint64_t acked = 0;      // the last sequence number it asked beyond
    int64_t last_ms = 0;     // monotonic ms of its last request
  };
  void NoteReplica(uint64_t client_id, const std::string& ip, int port);
  void NoteAck(uint64_t client_id, uint64_t acked);
  void Forget(uint64_t client_id);
  // The replicas heard from in the last 10 seconds (older ones are forgotten).
  std::vector<Replica> Replicas() const;

  // Whether a replica whose last batch ends at `sequence` with this XXH3 (hex) may resume
  // here: this log holds a batch ending there with that hash (kSame). kWentApart: this
  // log's batch there differs, or none of its batches ends there. kNotHeld: the log no
  // longer holds that batch, so the two histories cannot be compared; such a replica
  // gets a full sync too, since the next batches being held proves nothing (a primary
  // that went back in time under its id and wrote past the replica's position holds
  // them). Disk: the feeder's thread.
  enum class LastBatch { kSame, kWentApart, kNotHeld };
  LastBatch CheckLastBatch(uint64_t sequence, const std::string& hash);
  // WAIT: calls done(n) with the number of replicas that acknowledged every write made
  // before the call, once n >= numreplicas or at the deadline (monotonic ms, 0 = none).
  void Wait(int64_t numreplicas, int64_t deadline_ms, std::function<void(int64_t)> done,
            std::function<bool()> abandoned = {});
  // Replicas whose acknowledged position is at least `sequence`.
  int64_t CountAcked(uint64_t sequence) const;

  std::atomic<uint64_t> sync_full{0}, sync_partial_ok{0}, sync_partial_err{0};

 private:
  const ReplicationOptions options_;
  storage::Engine* engine_;
  storage::Persister* persister_;
  storage::Keyspace* keyspace_;
  std::function<int64_t()> now_ms_;
  std::unique_ptr<LogFeeder> feeder_;
  std::mutex role_mu_;  // serialises Follow/Unfollow
  std::atomic<bool> replica_{false};
  mutable std::mutex mu_;
  ReplIds own_;                             // guarded by mu_: the ids as a primary
  std::unique_ptr<ReplicaLink> link_;       // guarded by mu_ (created/destroyed under role_mu_)
  std::string host_;                        // guarded by mu_
  int port_ = 0;                            // guarded by mu_
  mutable std::map<uint64_t, Replica> replicas_;  // guarded by mu_
};

}  // namespace vellum::snapshot
