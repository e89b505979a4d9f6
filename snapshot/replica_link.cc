#include "snapshot/replica_link.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/clock.h"
#include "common/durable_file.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "snapshot/log_feeder.h"
#include "snapshot/resp_client.h"

namespace vellum::snapshot {

namespace fs = std::filesystem;

namespace {

constexpr size_t kChunksInFlight = 2;
constexpr size_t kLogBytes = 4 << 20;
constexpr int kLogWaitMs = 1000;
constexpr int kReadTimeoutS = 30;
constexpr int kCheckpointTimeoutS = 600;

Status ReplyError(const Result<RespValue>& r, const std::string& what) {
  if (!r.ok()) return Status::Error(what + ": " + r.status().message());
  if (r->type == RespValue::kError) return Status::Error(what + ": " + r->str);
  return Status::Ok();
}

bool ParseU64(const std::string& s, uint64_t* out, int base = 10) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, base);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

// A file a database never rewrites (table and blob files), so a copy held locally can
// stand in for the primary's when its size and hash match.
bool Immutable(const std::string& name) {
  return name.ends_with(".sst") || name.ends_with(".blob");
}

}  // namespace

ReplIds ReadReplIds(const std::string& data_dir) {
  std::ifstream in(fs::path(data_dir) / "replid");
  ReplIds ids;
  std::string first, second;
  if (!std::getline(in, first)) return ids;
  std::istringstream line(first);
  std::string id, how;
  if (!(line >> id) || id.size() != 40) return ids;
  ids.id = id;
  ids.following = line >> how && how == "following";
  if (std::getline(in, second)) {
    std::istringstream line2(second);
    std::string id2;
    unsigned long long end = 0;
    if (line2 >> id2 >> end && id2.size() == 40) {
      ids.id2 = id2;
      ids.id2_end = end;
    }
  }
  return ids;
}

Status WriteReplIds(const std::string& data_dir, const ReplIds& ids) {
  const fs::path tmp = fs::path(data_dir) / "replid.tmp";
  std::string text = ids.id + (ids.following ? " following\n" : "\n");
  if (!ids.id2.empty()) text += ids.id2 + " " + std::to_string(ids.id2_end) + "\n";
  if (Status st = WriteFileDurably(tmp.string(), text); !st.ok()) return st;
  std::error_code ec;
  fs::rename(tmp, fs::path(data_dir) / "replid", ec);
  if (ec) return Status::Error("can't write the replid in " + data_dir + ": " + ec.message());
  return SyncDir(data_dir);
}

std::string ReadReplId(const std::string& data_dir, bool* following) {
  ReplIds ids = ReadReplIds(data_dir);
  if (following != nullptr) *following = ids.following;
  return ids.id;
}

Status WriteReplId(const std::string& data_dir, const std::string& id, bool following) {
  return WriteReplIds(data_dir, ReplIds{id, following, "", 0});
}

void RemoveReplId(const std::string& data_dir) {
  std::error_code ec;
  fs::remove(fs::path(data_dir) / "replid", ec);
}

std::string NewReplId() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 40; i++) id.push_back(kHex[rd() % 16]);
  return id;
}

ReplicaLink::ReplicaLink(LinkOptions options, storage::Engine* engine,
                         storage::Keyspace* keyspace, std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      engine_(engine),
      applier_(engine, keyspace),
      now_ms_(std::move(now_ms)) {
  state_.applied = engine_->LatestSequence();
  thread_ = std::thread([this] {
    NameThisThread("replica-link");
    Run();
  });
}

ReplicaLink::~ReplicaLink() { Stop(); }

void ReplicaLink::Stop() {
  stop_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (client_ != nullptr) client_->Interrupt();
  }
  if (thread_.joinable()) thread_.join();
}

ReplicaLink::State ReplicaLink::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

void ReplicaLink::SetStatus(const std::string& status, bool up, bool syncing) {
  std::lock_guard<std::mutex> lock(mu_);
  state_.status = status;
  state_.link_up = up;
  state_.sync_in_progress = syncing;
}

void ReplicaLink::Run() {
  while (!stop_.load()) {
    Status st = Session();
    SetStatus("connect", false, false);
    if (stop_.load()) break;
    VLOG_WARNING("Replication: link to %s:%d down: %s", options_.host.c_str(), options_.port,
                 st.message().c_str());
    {
      std::lock_guard<std::mutex> lock(mu_);
      state_.last_error = st.message();
    }
    for (int i = 0; i < 10 && !stop_.load(); i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

Status ReplicaLink::Session() {
  Result<std::unique_ptr<RespClient>> connected =
      RespClient::Connect(options_.host, options_.port, kReadTimeoutS);
  if (!connected.ok()) return connected.status();
  RespClient& c = **connected;
  {
    std::lock_guard<std::mutex> lock(mu_);
    client_ = &c;
    if (stop_.load()) c.Interrupt();
  }
  struct Forget {
    ReplicaLink* link;
    ~Forget() {
      std::lock_guard<std::mutex> lock(link->mu_);
      link->client_ = nullptr;
    }
  } forget{this};

  if (!options_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options_.user.empty()) auth.push_back(options_.user);
    auth.push_back(options_.password);
    if (Status st = ReplyError(c.Call(auth), "AUTH"); !st.ok()) return st;
  }
  (void)c.Call({"REPLCONF", "listening-port", std::to_string(options_.listening_port)});
  Result<RespValue> hello = c.Call({"REPLSTREAM", "HELLO"});
  if (Status st = ReplyError(hello, "REPLSTREAM HELLO"); !st.ok()) return st;
  if (hello->type != RespValue::kArray || hello->elements.size() < 2) {
    return Status::Error("REPLSTREAM HELLO: unexpected reply");
  }
  // [replid, offset] and, from a primary that changed history, [replid2, its last sequence].
  const std::string replid = hello->elements[0].str;
  ReplIds primary_ids{replid, false, "", 0};
  if (hello->elements.size() >= 4 && hello->elements[2].str.size() == 40) {
    primary_ids.id2 = hello->elements[2].str;
    primary_ids.id2_end = static_cast<uint64_t>(hello->elements[3].integer);
  }
  SetStatus("sync", true, false);
  bool resumed = false;
  // The history both databases hold up to this one's last sequence, if any: the same id,
  // or one's shared past under the other's second id (a failover: the primary is a
  // promoted sibling, or this database is a promoted replica that took no write since).
  const ReplIds mine = ReadReplIds(options_.data_dir);
  const uint64_t last = engine_->LatestSequence();
  std::string shared;
  if (mine.Continues(primary_ids.id, last)) {
    shared = primary_ids.id;
  } else if (mine.Continues(primary_ids.id2, last) &&
             primary_ids.Continues(primary_ids.id2, last)) {
    shared = primary_ids.id2;
  }
  if (!shared.empty()) {
    // Resume if the primary's log still reaches back to where this database is.
    const uint64_t from = last + 1;
    // The hash of this database's last batch, for the primary to compare with its own
    // there ("-" when this log no longer holds it: right after a full sync's install).
    std::string last_hash = "-";
    storage::LogBatch b;
    if (engine_->BatchEndingAt(last, &b) == storage::Engine::LogPosition::kBatchEndsHere) {
      last_hash = HashHex(b.data);
    }
    Result<RespValue> probe =
        c.Call({"REPLSTREAM", "LOG", std::to_string(from), "0", "0", shared, last_hash});
    if (!probe.ok()) return probe.status();
    resumed = probe->type != RespValue::kError;
    if (!resumed) {
      VLOG_NOTICE("Replication: the primary can't continue from sequence %llu (%s); full sync",
                  static_cast<unsigned long long>(from), probe->str.c_str());
    }
  }
  if (resumed && mine.id != replid) {
    // This database goes on under the primary's id; its replicas may still continue
    // under the one it had, up to here.
    if (Status st = WriteReplIds(options_.data_dir, mine.ShiftedTo(replid, true, last)); !st.ok()) {
      return st;
    }
    VLOG_NOTICE("Replication: continuing history %s as %s (failover, no full sync)", shared.c_str(),
                replid.c_str());
  }
  if (resumed) {
    std::lock_guard<std::mutex> lock(mu_);
    state_.partial_syncs++;
    VLOG_NOTICE("Replication: resumed from sequence %llu of %s:%d",
                static_cast<unsigned long long>(engine_->LatestSequence() + 1),
                options_.host.c_str(), options_.port);
  } else {
    SetStatus("sync", true, true);
    if (Status st = FullSync(c, replid); !st.ok()) return st;
  }
  SetStatus("connected", true, false);
  return Follow(c, replid);
}

Status ReplicaLink::FullSync(RespClient& c, const std::string& replid) {
  const int64_t start = MonotonicMs();
  // Making and hashing a large checkpoint takes a while: a longer wait for this reply.
  c.SetTimeout(kCheckpointTimeoutS);
  Result<RespValue> offer = c.Call({"REPLSTREAM", "CHECKPOINT"});
  c.SetTimeout(kReadTimeoutS);
  if (Status st = ReplyError(offer, "REPLSTREAM CHECKPOINT"); !st.ok()) return st;
  const auto& el = offer->elements;
  if (offer->type != RespValue::kArray || el.size() < 2 || (el.size() - 2) % 3 != 0 ||
      el[0].type != RespValue::kInteger || el[1].type != RespValue::kInteger ||
      el[1].integer < 0) {
    return Status::Error("REPLSTREAM CHECKPOINT: unexpected reply");
  }
  const std::string id = std::to_string(el[0].integer);
  const uint64_t sequence = static_cast<uint64_t>(el[1].integer);
  const fs::path tmp = fs::path(options_.data_dir) / "replica-sync.tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::Error("can't create " + tmp.string() + ": " + ec.message());
  uint64_t fetched = 0, reused = 0;
  std::vector<FileToFetch> files;
  for (size_t i = 2; i < el.size(); i += 3) {
    const std::string& name = el[i].str;
    uint64_t size = 0, hash = 0;
    if (name.empty() || name.find('/') != std::string::npos || !ParseU64(el[i + 1].str, &size) ||
        !ParseU64(el[i + 2].str, &hash, 16)) {
      return Status::Error("REPLSTREAM CHECKPOINT: a malformed file entry");
    }
    const fs::path local = fs::path(engine_->dir()) / name;
    if (Immutable(name) && fs::exists(local, ec) && fs::file_size(local, ec) == size) {
      Result<uint64_t> h = HashFile(local.string());
      if (h.ok() && *h == hash && fs::copy_file(local, tmp / name, ec)) {
        reused += size;
        continue;
      }
    }
    files.push_back({name, size, hash});
  }
  const int64_t offered_ms = MonotonicMs();
  if (Status st = FetchCheckpointFiles(c, id, tmp, files, stop_, &fetched); !st.ok()) {
    fs::remove_all(tmp, ec);
    return st;
  }
  (void)c.Call({"REPLSTREAM", "RELEASE", id});
  if (stop_.load()) return Status::Error("stopped");  // REPLICAOF NO ONE: nothing installed
  const int64_t received_ms = MonotonicMs();
  // Everything received and verified: put it in place.
  RemoveReplId(options_.data_dir);
  if (Status st = engine_->ReplaceWith(tmp.string()); !st.ok()) return st;
  // At least the announced sequence: a chained primary (itself a replica) may copy a log
  // that goes a little further than the cut it reported.
  if (engine_->LatestSequence() < sequence) {
    return Status::Error("the installed checkpoint ends at sequence " +
                         std::to_string(engine_->LatestSequence()) + ", before " +
                         std::to_string(sequence));
  }
  Result<uint64_t> keys = engine_->EstimatedKeys();
  if (options_.reload) {
    options_.reload();
    applier_.Reset();
  } else {
    keys = applier_.ReloadAll(now_ms_());
  }
  if (!keys.ok()) return keys.status();
  if (Status st = WriteReplId(options_.data_dir, replid, /*following=*/true); !st.ok()) return st;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_.full_syncs++;
    state_.applied = engine_->LatestSequence();
  }
  const int64_t done_ms = MonotonicMs();
  VLOG_NOTICE(
      "Replication: full sync from %s:%d done: %llu keys at sequence %llu, %llu bytes "
      "received, %llu reused, in %lld ms (checkpoint %lld, transfer %lld, install %lld)",
      options_.host.c_str(), options_.port, static_cast<unsigned long long>(*keys),
      static_cast<unsigned long long>(sequence), static_cast<unsigned long long>(fetched),
      static_cast<unsigned long long>(reused), static_cast<long long>(done_ms - start),
      static_cast<long long>(offered_ms - start), static_cast<long long>(received_ms - offered_ms),
      static_cast<long long>(done_ms - received_ms));
  return Status::Ok();
}

Status FetchCheckpointFiles(RespClient& c, const std::string& id, const fs::path& dir,
                            const std::vector<FileToFetch>& files, const std::atomic<bool>& stop,
                            uint64_t* fetched) {
  // Every chunk of every file, in order (an empty file has none); kChunksInFlight requests
  // are out at a time, so the primary reads the next chunk while this thread writes the
  // last one.
  struct Chunk {
    size_t file;
    uint64_t offset, length;
  };
  std::vector<Chunk> chunks;
  for (size_t f = 0; f < files.size(); f++) {
    for (uint64_t off = 0; off < files[f].size; off += kCheckpointChunkBytes) {
      chunks.push_back({f, off, std::min<uint64_t>(kCheckpointChunkBytes, files[f].size - off)});
    }
  }
  size_t sent = 0, next = 0;
  for (size_t f = 0; f < files.size(); f++) {
    if (stop.load()) return Status::Error("stopped");
    const FileToFetch& file = files[f];
    const fs::path dst = dir / file.name;
    // Written and hashed as its bytes arrive: checked at its end without a second read.
    std::ofstream out(dst, std::ios::binary | std::ios::trunc);
    XXH3_state_t hash;
    XXH3_64bits_reset(&hash);
    for (; next < chunks.size() && chunks[next].file == f; next++) {
      if (stop.load()) return Status::Error("stopped");
      for (; sent < chunks.size() && sent < next + kChunksInFlight; sent++) {
        const Chunk& k = chunks[sent];
        if (Status st = c.Send({"REPLSTREAM", "FILE", id, files[k.file].name,
                                std::to_string(k.offset), std::to_string(k.length)});
            !st.ok()) {
          return Status::Error("REPLSTREAM FILE: " + st.message());
        }
      }
      const Chunk& k = chunks[next];
      Result<RespValue> chunk = c.ReceiveBulk([&](std::string_view piece) {
        out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        XXH3_64bits_update(&hash, piece.data(), piece.size());
        return out ? Status::Ok() : Status::Error("can't write " + dst.string());
      });
      if (Status st = ReplyError(chunk, "REPLSTREAM FILE"); !st.ok()) return st;
      if (chunk->type != RespValue::kBulk || static_cast<uint64_t>(chunk->integer) != k.length) {
        return Status::Error("REPLSTREAM FILE: " + file.name + " is shorter than announced");
      }
      *fetched += k.length;
    }
    out.close();
    if (!out) return Status::Error("can't write " + dst.string());
    if (static_cast<uint64_t>(XXH3_64bits_digest(&hash)) != file.hash) {
      return Status::Error("checkpoint file " + file.name +
                           " does not match its checksum; refused");
    }
  }
  return Status::Ok();
}

Status ReplicaLink::Follow(RespClient& c, const std::string& replid) {
  struct SyncOnExit {
    storage::ReplicaApplier& applier;
    ~SyncOnExit() { (void)applier.Sync(); }
  } sync_on_exit{applier_};
  while (!stop_.load()) {
    const uint64_t from = engine_->LatestSequence() + 1;
    Result<RespValue> r = c.Call({"REPLSTREAM", "LOG", std::to_string(from),
                                  std::to_string(kLogBytes), std::to_string(kLogWaitMs), replid});
    if (Status st = ReplyError(r, "REPLSTREAM LOG"); !st.ok()) return st;
    if (r->type != RespValue::kArray || r->elements.size() % 4 != 0) {
      return Status::Error("REPLSTREAM LOG: unexpected reply");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      state_.last_io_ms = MonotonicMs();
    }
    for (size_t i = 0; i < r->elements.size(); i += 4) {
      storage::LogBatch b;
      b.sequence = static_cast<uint64_t>(r->elements[i].integer);
      b.count = static_cast<uint32_t>(r->elements[i + 1].integer);
      b.data = std::move(r->elements[i + 2].str);
      if (HashHex(b.data) != r->elements[i + 3].str) {
        // Damaged on the way: nothing of it was written; the next session asks again.
        return Status::Error("log batch at sequence " + std::to_string(b.sequence) +
                             " does not match its checksum; refused");
      }
      if (Status st = applier_.Apply(b, options_.sync_writes, now_ms_()); !st.ok()) {
        // This database no longer follows the primary's log (a gap, a record of its own,
        // a batch that does not decode): only a full sync makes it equal again.
        RemoveReplId(options_.data_dir);
        return Status::Error(st.message() + "; a full sync follows");
      }
      std::lock_guard<std::mutex> lock(mu_);
      state_.applied = b.sequence + b.count - 1;
      state_.batches++;
    }
    // everysec: synced within a second by the persister, off this thread (see
    // ReplicaApplier::Sync for why a sync matters beyond durability).
    if (!r->elements.empty() && options_.note_written) options_.note_written();
  }
  return Status::Ok();
}

}  // namespace vellum::snapshot
