// Replication commands: REPLICAOF (SLAVEOF), ROLE, REPLCONF, and REPLSTREAM, the pull
// protocol a Vellum replica speaks to its primary (snapshot/replication.h). REPLSTREAM's
// disk work (checkpoints, file chunks, the log) runs on the LogFeeder's thread; the
// handler defers its reply, so no worker reads the disk for a replica.
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/memory.h"
#include "common/numbers.h"
#include "protocol/errors.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/server_state.h"
#include "snapshot/replication.h"

namespace vellum::server {
namespace {

constexpr uint64_t kMaxLogReply = 64u << 20;  // bytes of batches in one LOG reply, at most

constexpr char kNoReplication[] =
    "ERR replication needs persistence (storage.durability everysec or always)";

Status Service(CommandContext& ctx, snapshot::Replication** out) {
  *out = ctx.server.replication();
  if (*out == nullptr) return Status::Error(kNoReplication);
  return Status::Ok();
}

// What a reply to a replica holds until the link's output buffer has it (from then on
// Connection counts that buffer): outgoing buffer memory, not counted against maxmemory.
// The hold also covers the buffer the reply is written into, which is reserved at its
// full size first (the allocator may round it up by a quarter): while megabytes of log
// are copied there, no byte of either copy counts.
size_t ReplyRoom(size_t reply_bytes) { return reply_bytes + reply_bytes / 4; }

struct HeldChunk {
  static constexpr size_t kFraming = 32;  // $<length>\r\n ... \r\n
  explicit HeldChunk(std::string bytes)
      : data(std::move(bytes)), hold(data.size() + ReplyRoom(data.size() + kFraming)) {}
  void WriteTo(protocol::ReplyWriter& w) const {
    w.buffer()->reserve(w.buffer()->size() + data.size() + kFraming);
    w.Bulk(data);
  }
  std::string data;
  OutgoingBufferHold hold;
};

struct HeldBatches {
  // A batch's sequence, count and hash with the RESP framing of all four, at most.
  static constexpr size_t kFramingPerBatch = 100;
  explicit HeldBatches(std::vector<storage::LogBatch> b)
      : batches(std::move(b)),
        hashes(Hashes(batches)),
        reply_bytes(ReplyBytes(batches)),
        hold(reply_bytes + ReplyRoom(reply_bytes)) {}
  static std::vector<std::string> Hashes(const std::vector<storage::LogBatch>& batches) {
    std::vector<std::string> out;
    out.reserve(batches.size());
    for (const storage::LogBatch& b : batches) out.push_back(snapshot::HashHex(b.data));
    return out;
  }
  static size_t ReplyBytes(const std::vector<storage::LogBatch>& batches) {
    size_t n = 32;  // the array's header
    for (const storage::LogBatch& b : batches) n += b.data.size() + kFramingPerBatch;
    return n;
  }
  void WriteTo(protocol::ReplyWriter& w) const {
    w.buffer()->reserve(w.buffer()->size() + reply_bytes);
    w.ArrayHeader(4 * batches.size());
    for (size_t i = 0; i < batches.size(); i++) {
      const storage::LogBatch& b = batches[i];
      w.Integer(static_cast<int64_t>(b.sequence));
      w.Integer(b.count);
      w.Bulk(b.data);
      w.Bulk(hashes[i]);
    }
  }
  std::vector<storage::LogBatch> batches;
  std::vector<std::string> hashes;
  size_t reply_bytes;  // an upper bound on the reply's RESP bytes
  OutgoingBufferHold hold;
};

// The service for a REPLSTREAM request: the connection asking is a replica's link, whose
// output buffer is then not counted against maxmemory (ClientState::replica).
Status StreamService(CommandContext& ctx, snapshot::Replication** out) {
  VELLUM_RETURN_IF_ERROR(Service(ctx, out));
  ctx.client.replica.store(true, std::memory_order_relaxed);
  return Status::Ok();
}

Status ParseU64Arg(std::string_view s, uint64_t* out) {
  int64_t v = 0;
  if (!ParseInt64(s, &v) || v < 0) return Status::Error(protocol::err::kNotInteger);
  *out = static_cast<uint64_t>(v);
  return Status::Ok();
}

// REPLICAOF host port | NO ONE
Status Replicaof(CommandContext& ctx) {
  snapshot::Replication* r;
  if (Status st = Service(ctx, &r); !st.ok()) return st;
  if (EqualsIgnoreCase(ctx.arg(1), "no") && EqualsIgnoreCase(ctx.arg(2), "one")) {
    r->Unfollow();
    ctx.reply.Ok();
    return Status::Ok();
  }
  int64_t port = 0;
  if (!ParseInt64(ctx.arg(2), &port) || port <= 0 || port > 65535) {
    return Status::Error("ERR Invalid master port");
  }
  const std::string host(ctx.arg(1));
  snapshot::Replication::LinkInfo now = r->link();
  if (r->is_replica() && now.host == host && now.port == port) {
    ctx.reply.Simple("OK Already connected to specified master");
    return Status::Ok();
  }
  const conf::Config c = ctx.server.config().Snapshot();
  VELLUM_RETURN_IF_ERROR(r->Follow(host, static_cast<int>(port), c.replication_primary_user,
                                   c.replication_primary_password));
  ctx.reply.Ok();
  return Status::Ok();
}

Status Role(CommandContext& ctx) {
  snapshot::Replication* r = ctx.server.replication();
  if (r != nullptr && r->is_replica()) {
    snapshot::Replication::LinkInfo l = r->link();
    ctx.reply.ArrayHeader(5);
    ctx.reply.Bulk("slave");
    ctx.reply.Bulk(l.host);
    ctx.reply.Integer(l.port);
    ctx.reply.Bulk(l.state.status);
    ctx.reply.Integer(static_cast<int64_t>(r->offset()));
    return Status::Ok();
  }
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(r ? static_cast<int64_t>(r->offset()) : 0);
  std::vector<snapshot::Replication::Replica> replicas;
  if (r != nullptr) replicas = r->Replicas();
  ctx.reply.ArrayHeader(replicas.size());
  for (const auto& rep : replicas) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(rep.ip);
    ctx.reply.Bulk(std::to_string(rep.port));
    ctx.reply.Bulk(std::to_string(rep.acked));
  }
  return Status::Ok();
}

// REPLCONF listening-port <port> | <option> <value> ...: +OK (a replica announcing itself).
Status Replconf(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) return Status::Error(protocol::err::kSyntax);
  snapshot::Replication* r = ctx.server.replication();
  for (size_t i = 1; i + 1 < ctx.argc(); i += 2) {
    if (EqualsIgnoreCase(ctx.arg(i), "listening-port") && r != nullptr) {
      int64_t port = 0;
      if (!ParseInt64(ctx.arg(i + 1), &port)) return Status::Error(protocol::err::kNotInteger);
      std::string ip = ctx.client.addr().substr(0, ctx.client.addr().rfind(':'));
      r->NoteReplica(ctx.client.id(), ip, static_cast<int>(port));
    }
  }
  ctx.reply.Ok();
  return Status::Ok();
}

Status StreamHello(CommandContext& ctx) {
  snapshot::Replication* r;
  if (Status st = StreamService(ctx, &r); !st.ok()) return st;
  // [replid, offset, replid2 ("" if none), the last sequence replid2 covers]
  const snapshot::ReplIds ids = r->ids();
  ctx.reply.ArrayHeader(4);
  ctx.reply.Bulk(ids.id);
  ctx.reply.Integer(static_cast<int64_t>(r->offset()));
  ctx.reply.Bulk(ids.id2);
  ctx.reply.Integer(static_cast<int64_t>(ids.id2_end));
  return Status::Ok();
}

// REPLSTREAM CHECKPOINT: [id, sequence, name, size, xxh3-hex, ...]
Status StreamCheckpoint(CommandContext& ctx) {
  snapshot::Replication* r;
  if (Status st = StreamService(ctx, &r); !st.ok()) return st;
  r->sync_full.fetch_add(1, std::memory_order_relaxed);
  auto reply = ctx.client.Defer();
  r->feeder().MakeCheckpoint(ctx.client.id(), [reply](const Result<snapshot::CheckpointOffer>& offer) {
    if (!offer.ok()) {
      std::string err = "ERR checkpoint failed: " + offer.status().message();
      reply([err](protocol::ReplyWriter& w) { w.Error(err); });
      return;
    }
    snapshot::CheckpointOffer o = *offer;
    reply([o](protocol::ReplyWriter& w) {
      w.ArrayHeader(2 + 3 * o.files.size());
      w.Integer(static_cast<int64_t>(o.id));
      w.Integer(static_cast<int64_t>(o.sequence));
      for (const auto& f : o.files) {
        w.Bulk(f.name);
        w.Bulk(std::to_string(f.size));
        w.Bulk(snapshot::HexU64(f.xxh3));
      }
    });
  });
  return Status::Ok();
}

// REPLSTREAM FILE id name offset length: the bytes (fewer at the end of the file).
Status StreamFile(CommandContext& ctx) {
  snapshot::Replication* r;
  if (Status st = StreamService(ctx, &r); !st.ok()) return st;
  uint64_t id = 0, offset = 0, length = 0;
  VELLUM_RETURN_IF_ERROR(ParseU64Arg(ctx.arg(2), &id));
  VELLUM_RETURN_IF_ERROR(ParseU64Arg(ctx.arg(4), &offset));
  VELLUM_RETURN_IF_ERROR(ParseU64Arg(ctx.arg(5), &length));
  if (length > (64u << 20)) return Status::Error("ERR chunk longer than 64 MB");
  auto reply = ctx.client.Defer();
  r->feeder().ReadFile(id, std::string(ctx.arg(3)), offset, length,
                       [reply](Result<std::string> data) {
                         if (!data.ok()) {
                           std::string err = data.status().message();
                           reply([err](protocol::ReplyWriter& w) { w.Error(err); });
                           return;
                         }
                         auto bytes = std::make_shared<HeldChunk>(std::move(*data));
                         reply([bytes](protocol::ReplyWriter& w) { bytes->WriteTo(w); });
                       });
  return Status::Ok();
}

Status StreamRelease(CommandContext& ctx) {
  snapshot::Replication* r;
  if (Status st = StreamService(ctx, &r); !st.ok()) return st;
  uint64_t id = 0;
  VELLUM_RETURN_IF_ERROR(ParseU64Arg(ctx.arg(2), &id));
  r->feeder().Release(id);
  ctx.reply.Ok();
  return Status::Ok();
}

// REPLSTREAM LOG from max-bytes wait-ms [replid [last-batch-xxh3]]: [sequence, count, bytes, xxh3-hex, ...]
// (the hash computed on the feeder's thread, checked by the replica before it writes a
// byte, so a batch damaged on the way is refused, never applied), empty when
// nothing came within wait-ms; -LOGGONE when the log no longer reaches back to `from`.
// max-bytes 0 asks only whether it does (a replica deciding between resuming and a full
// sync): counted as sync_partial_ok or sync_partial_err.
Status StreamLog(CommandContext& ctx) {
  snapshot::Replication* r;
  if (Status st = StreamService(ctx, &r); !st.ok()) return st;
  uint64_t from = 0, max_bytes = 0, wait_ms = 0;
  VELLUM_RETURN_IF_ERROR(ParseU64Arg(ctx.arg(2), &from));
  VELLUM_RETURN_IF_ERROR(ParseU64Arg(ctx.arg(3), &max_bytes));
  VELLUM_RETURN_IF_ERROR(ParseU64Arg(ctx.arg(4), &wait_ms));
  if (wait_ms > 60000) wait_ms = 60000;
  if (max_bytes > kMaxLogReply) max_bytes = kMaxLogReply;
  const bool probe = max_bytes == 0;
  // The history the replica's data belongs to: after a primary's restore or a chained
  // replica's new full sync the same sequence numbers name other writes. After a
  // failover, the promoted server's second id covers the past it shares with its siblings.
  const std::string asked = ctx.argc() >= 6 ? std::string(ctx.arg(5)) : "";
  const uint64_t position = from == 0 ? 0 : from - 1;  // the replica's last sequence
  if (!asked.empty() && !r->ids().Continues(asked, position)) {
    if (probe) r->sync_partial_err.fetch_add(1);
    return Status::Error("LOGGONE the replication id changed: another history");
  }
  // A resuming replica also shows the hash of its last batch ("-": unknown); it must be
  // this database's batch there, or the two went apart under one id.
  std::string last_hash = ctx.argc() >= 7 ? std::string(ctx.arg(6)) : "-";
  if (from > 0) r->NoteAck(ctx.client.id(), from - 1);
  auto reply = ctx.client.Defer();
  r->feeder().ReadLog(
      ctx.client.id(), from, probe ? 1 : max_bytes, probe ? 0 : static_cast<int64_t>(wait_ms),
      [reply, r, probe, from, position, asked, last_hash](const Status& st, bool gone,
                                                          std::vector<storage::LogBatch> batches) {
        // Under the second id only its shared past is served, judged now, not when the
        // request was parked: a replica following a server that was promoted meanwhile (a
        // chain below it) gets the batches up to the promotion, then -LOGGONE, and
        // reconnects to continue under the new id, never taking new writes under the old
        // one (its next resume would then need a full sync).
        if (!asked.empty()) {
          const snapshot::ReplIds ids = r->ids();
          if (!ids.Continues(asked, position)) {  // changed while parked
            if (probe) r->sync_partial_err.fetch_add(1);
            reply([](protocol::ReplyWriter& w) {
              w.Error("LOGGONE the replication id changed: another history");
            });
            return;
          }
          if (asked != ids.id) {
            const uint64_t last_shared = ids.id2_end;
            while (!batches.empty() &&
                   batches.back().sequence + batches.back().count - 1 > last_shared) {
              batches.pop_back();
            }
            if (!probe && batches.empty() && from > last_shared) {
              reply([id = ids.id](protocol::ReplyWriter& w) {
                w.Error("LOGGONE the history goes on under replication id " + id);
              });
              return;
            }
          }
        }
        if (st.ok() && probe && last_hash != "-" && from > 1) {
          const char* why = nullptr;
          switch (r->CheckLastBatch(from - 1, last_hash)) {
            case snapshot::Replication::LastBatch::kSame:
              break;
            case snapshot::Replication::LastBatch::kWentApart:
              why = "LOGGONE the replica's last batch is not this log's: the histories went apart";
              break;
            case snapshot::Replication::LastBatch::kNotHeld:
              why =
                  "LOGGONE the log no longer holds the replica's last batch: the histories "
                  "cannot be compared";
              break;
          }
          if (why != nullptr) {
            r->sync_partial_err.fetch_add(1);
            reply([why](protocol::ReplyWriter& w) { w.Error(why); });
            return;
          }
        }
        if (probe) (gone ? r->sync_partial_err : r->sync_partial_ok).fetch_add(1);
        if (!st.ok()) {
          std::string err = (gone ? "LOGGONE " : "ERR ") + st.message();
          reply([err](protocol::ReplyWriter& w) { w.Error(err); });
          return;
        }
        if (probe) batches.clear();
        auto held = std::make_shared<HeldBatches>(std::move(batches));
        reply([held](protocol::ReplyWriter& w) { held->WriteTo(w); });
      });
  return Status::Ok();
}

// WAIT numreplicas timeout: how many replicas acknowledged this client's writes.
Status Wait(CommandContext& ctx) {
  int64_t numreplicas = 0, timeout = 0;
  if (!ParseInt64(ctx.arg(1), &numreplicas)) return Status::Error(protocol::err::kNotInteger);
  if (!ParseInt64(ctx.arg(2), &timeout)) return Status::Error("ERR timeout is not an integer or out of range");
  if (timeout < 0) return Status::Error("ERR timeout is negative");
  snapshot::Replication* r = ctx.server.replication();
  if (r != nullptr && r->is_replica()) {
    return Status::Error("ERR WAIT cannot be used with replica instances. Please also note that "
                         "since Redis 4.0 if a replica is configured to be writable (which is "
                         "not the default) writes to replicas are just local and are not "
                         "propagated.");
  }
  if (r == nullptr) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  auto reply = ctx.client.Defer();
  const int64_t deadline = timeout == 0 ? 0 : MonotonicMs() + timeout;
  // A client that disconnects stops waiting (a WAIT without a timeout would otherwise
  // stay parked until a replica acknowledged, or forever).
  std::weak_ptr<ClientState> client = ctx.client.weak_from_this();
  r->Wait(numreplicas, deadline, [reply](int64_t n) {
    reply([n](protocol::ReplyWriter& w) { w.Integer(n); });
  }, [client] { return client.expired(); });
  return Status::Ok();
}

}  // namespace

void RegisterReplicationCommands(CommandTable& table) {
  constexpr uint32_t kFlags = kAdmin | kNoScript;
  constexpr uint32_t kCats = kCatAdmin | kCatSlow | kCatDangerous;
  table.Register({"replicaof", 3, kFlags | kNoMulti | kStale | kAwaitWarm, kCats, 0, 0, 0, "server", "5.0.0",
                  "Configures a server as replica of another, or promotes it to a master.",
                  Replicaof});
  table.Register({"slaveof", 3, kFlags | kNoMulti | kStale | kAwaitWarm, kCats, 0, 0, 0, "server", "1.0.0",
                  "Sets a Redis server as a replica of another, or promotes it to being a master.",
                  Replicaof});
  table.Register({"role", 1, kNoScript | kLoading | kStale | kFast, kCatAdmin | kCatFast | kCatDangerous,
                  0, 0, 0, "server", "2.8.12",
                  "Returns the replication role.", Role});
  table.Register({"replconf", -1, kFlags | kLoading | kStale, kCats, 0, 0, 0, "server", "3.0.0",
                  "An internal command for configuring the replication stream.", Replconf});
  table.Register({"wait", 3, kNoScript, kCatSlow | kCatConnection, 0, 0, 0, "generic", "3.0.0",
                  "Blocks until the asynchronous replication of all preceding write commands "
                  "sent by the connection is completed.", Wait});
  std::vector<CommandSpec> sub = {
      {"hello", 2, kFlags | kStale, kCats, 0, 0, 0, "server", "vellum",
       "The replication ids (and the last sequence the second covers) and the last sequence "
       "number.",
       StreamHello},
      {"checkpoint", 2, kFlags | kNoMulti | kStale, kCats, 0, 0, 0, "server", "vellum",
       "Takes a checkpoint for a full sync and lists its files.", StreamCheckpoint},
      {"file", 6, kFlags | kNoMulti | kStale, kCats, 0, 0, 0, "server", "vellum",
       "Reads a chunk of a checkpoint file.", StreamFile},
      {"release", 3, kFlags | kStale, kCats, 0, 0, 0, "server", "vellum",
       "Deletes a checkpoint a replica has received.", StreamRelease},
      {"log", -5, kFlags | kNoMulti | kStale, kCats, 0, 0, 0, "server", "vellum",
       "Reads the write-ahead log from a sequence number (long poll).", StreamLog}};
  table.Register({"replstream", -2, 0, kCatSlow, 0, 0, 0, "server", "vellum",
                  "The pull protocol of Vellum replicas.", nullptr, std::move(sub)});
}

}  // namespace vellum::server
