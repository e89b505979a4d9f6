#include "snapshot/replication.h"

#include <filesystem>

#include "common/clock.h"
#include "common/log.h"

namespace vellum::snapshot {

Replication::Replication(ReplicationOptions options, storage::Engine* engine,
                         storage::Persister* persister, storage::Keyspace* keyspace,
                         std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      engine_(engine),
      persister_(persister),
      keyspace_(keyspace),
      now_ms_(std::move(now_ms)) {
  feeder_ = std::make_unique<LogFeeder>(
      engine_, persister_, (std::filesystem::path(options_.data_dir) / "replication").string());
  // A database that followed a primary and now starts without one is a promoted replica:
  // a history of its own from here (its siblings must not resume on it).
  // Its data up to here is still the followed history: the second id.
  own_ = ReadReplIds(options_.data_dir);
  if (own_.id.empty() || (own_.following && !options_.will_follow)) {
    own_ = own_.ShiftedTo(NewReplId(), false, engine_->LatestSequence());
    if (Status st = WriteReplIds(options_.data_dir, own_); !st.ok()) {
      VLOG_WARNING("Replication: %s", st.message().c_str());
    }
  }
}

Replication::~Replication() { Stop(); }

void Replication::Stop() {
  std::lock_guard<std::mutex> role(role_mu_);
  std::unique_ptr<ReplicaLink> link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    link = std::move(link_);
  }
  link.reset();  // joins its thread
  feeder_->Stop();
}

ReplIds Replication::ids() const {
  // A replica's are its file's, also when there is none: a full sync removes it while it
  // installs another history, and no request may continue on either meanwhile.
  if (is_replica()) return ReadReplIds(options_.data_dir);
  std::lock_guard<std::mutex> lock(mu_);
  return own_;
}

uint64_t Replication::offset() const { return engine_->LatestSequence(); }

Status Replication::Follow(const std::string& host, int port, const std::string& user,
                           const std::string& password) {
  std::lock_guard<std::mutex> role(role_mu_);
  std::unique_ptr<ReplicaLink> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::move(link_);
  }
  old.reset();
  const bool was_replica = is_replica();
  // Refuse writes first, then mute the persister: no write is acknowledged in between
  // and then never written.
  replica_.store(true, std::memory_order_release);
  if (!persister_->following()) {
    {
      storage::ShardLocks all(keyspace_);
      all.AddAll();
      all.Acquire();
      persister_->SetFollowing(true);
    }
    if (Status st = persister_->Drain(10000); !st.ok()) {
      {
        storage::ShardLocks all(keyspace_);
        all.AddAll();
        all.Acquire();
        persister_->SetFollowing(false);
      }
      replica_.store(was_replica, std::memory_order_release);
      return st;
    }
  }
  LinkOptions lo;
  lo.host = host;
  lo.port = port;
  lo.user = user;
  lo.password = password;
  lo.data_dir = options_.data_dir;
  lo.listening_port = options_.listening_port;
  lo.sync_writes = options_.sync_writes;
  lo.note_written = [p = persister_] { p->NoteReplicatedWrite(); };
  lo.reload = options_.reload;
  auto link = std::make_unique<ReplicaLink>(std::move(lo), engine_, keyspace_, now_ms_);
  std::lock_guard<std::mutex> lock(mu_);
  link_ = std::move(link);
  host_ = host;
  port_ = port;
  VLOG_NOTICE("Replication: following %s:%d", host.c_str(), port);
  return Status::Ok();
}

void Replication::Unfollow() {
  std::lock_guard<std::mutex> role(role_mu_);
  std::unique_ptr<ReplicaLink> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::move(link_);
  }
  if (!old && !is_replica()) return;
  old.reset();
  {
    storage::ShardLocks all(keyspace_);
    all.AddAll();
    all.Acquire();
    persister_->SetFollowing(false);
  }
  // The data held so far is the followed history's (the link has stopped): the second id.
  ReplIds ids =
      ReadReplIds(options_.data_dir).ShiftedTo(NewReplId(), false, engine_->LatestSequence());
  if (Status st = WriteReplIds(options_.data_dir, ids); !st.ok()) {
    // Unrecorded, the shared past is not offered: nobody continues on this server (they
    // make full syncs), rather than trusting a second id a restart could not confirm.
    VLOG_WARNING("Replication: %s; replicas of the old history will need a full sync",
                 st.message().c_str());
    ids.id2.clear();
    ids.id2_end = 0;
  }
  std::lock_guard<std::mutex> lock(mu_);
  own_ = ids;  // before the role changes: ids() never answers with a stale own id
  replica_.store(false, std::memory_order_release);
  host_.clear();
  port_ = 0;
  VLOG_NOTICE("Replication: now a primary (replication id %s; %s up to sequence %llu)",
              ids.id.c_str(), ids.id2.empty() ? "-" : ids.id2.c_str(),
              static_cast<unsigned long long>(ids.id2_end));
}

Replication::LinkInfo Replication::link() const {
  std::lock_guard<std::mutex> lock(mu_);
  LinkInfo info;
  info.host = host_;
  info.port = port_;
  if (link_) info.state = link_->state();
  return info;
}

bool Replication::link_up() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!link_) return false;
  ReplicaLink::State st = link_->state();
  return st.link_up && st.status == "connected";
}

void Replication::NoteReplica(uint64_t client_id, const std::string& ip, int port) {
  std::lock_guard<std::mutex> lock(mu_);
  Replica& r = replicas_[client_id];
  r.ip = ip;
  r.port = port;
  r.last_ms = MonotonicMs();
}

void Replication::NoteAck(uint64_t client_id, uint64_t acked) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replicas_.find(client_id);
  if (it == replicas_.end()) return;
  it->second.acked = acked;
  it->second.last_ms = MonotonicMs();
}

void Replication::Forget(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  replicas_.erase(client_id);
}

Replication::LastBatch Replication::CheckLastBatch(uint64_t sequence, const std::string& hash) {
  storage::LogBatch b;
  switch (engine_->BatchEndingAt(sequence, &b)) {
    case storage::Engine::LogPosition::kBatchEndsHere:
      return HashHex(b.data) == hash ? LastBatch::kSame : LastBatch::kWentApart;
    case storage::Engine::LogPosition::kInsideABatch:
      return LastBatch::kWentApart;
    case storage::Engine::LogPosition::kNotHeld:
      return LastBatch::kNotHeld;
  }
  return LastBatch::kNotHeld;
}

int64_t Replication::CountAcked(uint64_t sequence) const {
  int64_t n = 0;
  for (const Replica& r : Replicas()) n += r.acked >= sequence ? 1 : 0;
  return n;
}

void Replication::Wait(int64_t numreplicas, int64_t deadline_ms,
                       std::function<void(int64_t)> done, std::function<bool()> abandoned) {
  // Every write made before now is in cycle started + 1 at the latest, or already written
  // if the persister is idle; once it is, the engine's last sequence covers them all.
  struct Target {
    uint64_t cycle;
    uint64_t sequence = 0;
    bool known = false;
  };
  auto target = std::make_shared<Target>(Target{persister_->started_cycles() + 1});
  auto ready = [this, target, numreplicas] {
    if (!target->known) {
      if (persister_->completed_cycles() < target->cycle && !persister_->Idle()) return false;
      target->sequence = engine_->LatestSequence();
      target->known = true;
    }
    return CountAcked(target->sequence) >= numreplicas;
  };
  feeder_->WaitUntil(ready, deadline_ms, [this, target, done = std::move(done)](bool) {
    done(target->known ? CountAcked(target->sequence) : 0);
  }, std::move(abandoned));
}

std::vector<Replication::Replica> Replication::Replicas() const {
  // A replica long-polls at least once a second; one silent for 10 s has gone.
  const int64_t cutoff = MonotonicMs() - 10000;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Replica> out;
  for (auto it = replicas_.begin(); it != replicas_.end();) {
    if (it->second.last_ms < cutoff) {
      it = replicas_.erase(it);
    } else {
      out.push_back(it->second);
      ++it;
    }
  }
  return out;
}

}  // namespace vellum::snapshot
