// Snapshot commands: SNAPSHOT CREATE | LIST | INFO | DELETE | VERIFY, and Redis's BGSAVE,
// SAVE and LASTSAVE, on snapshot/snapshot_service.h.
//
// SNAPSHOT CREATE, SAVE, DELETE and VERIFY wait for the service's thread without
// blocking the worker: the handler defers its reply (ClientState::Defer) and the service
// delivers it. BGSAVE returns at once, as in Redis.
#include <string>

#include "protocol/errors.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/server_state.h"
#include "snapshot/snapshot_service.h"

namespace vellum::server {
namespace {

constexpr char kNoSnapshots[] =
    "ERR snapshots need storage.durability always or everysec (this server keeps no data "
    "on disk)";
constexpr char kNoSuchSnapshot[] = "ERR no such snapshot";

Status Service(CommandContext& ctx, snapshot::SnapshotService** out) {
  *out = ctx.server.snapshots();
  if (*out == nullptr) return Status::Error(kNoSnapshots);
  return Status::Ok();
}

Status ParseId(std::string_view arg, uint32_t* id) {
  int64_t v = 0;
  if (!ParseInt64(arg, &v) || v <= 0 || v > UINT32_MAX) {
    return Status::Error("ERR invalid snapshot id");
  }
  *id = static_cast<uint32_t>(v);
  return Status::Ok();
}

// A manifest as field/value pairs: a map in RESP3, a flat array in RESP2.
void ReplyManifest(protocol::ReplyWriter& w, const snapshot::Manifest& m, bool full) {
  w.MapHeader(full ? 13 : 9);
  w.Bulk("id");
  w.Integer(m.id);
  w.Bulk("label");
  w.Bulk(m.label);
  w.Bulk("created_ms");
  w.Integer(m.created_ms);
  w.Bulk("keys");
  w.Integer(static_cast<int64_t>(m.keys));
  w.Bulk("total_bytes");
  w.Integer(static_cast<int64_t>(m.total_bytes));
  w.Bulk("added_bytes");
  w.Integer(static_cast<int64_t>(m.added_bytes));
  w.Bulk("digest");
  w.Bulk(m.digest);
  w.Bulk("sequence");
  w.Integer(static_cast<int64_t>(m.sequence));
  w.Bulk("keep");
  w.Integer(m.keep ? 1 : 0);
  if (!full) return;
  w.Bulk("server_version");
  w.Bulk(m.server_version);
  w.Bulk("format_version");
  w.Integer(m.format_version);
  w.Bulk("keys_by_db");
  w.Bulk(snapshot::KeysByDbText(m));
  w.Bulk("files");
  w.Integer(m.files);
}

// SNAPSHOT CREATE [LABEL text] [KEEP]: waits for the snapshot; replies its id.
Status SnapshotCreate(CommandContext& ctx) {
  snapshot::SnapshotService* svc;
  if (Status st = Service(ctx, &svc); !st.ok()) return st;
  std::string label;
  bool keep = false;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (EqualsIgnoreCase(ctx.arg(i), "label") && i + 1 < ctx.argc()) {
      label = std::string(ctx.arg(++i));
      if (label.size() > 256) return Status::Error("ERR snapshot label longer than 256 bytes");
    } else if (EqualsIgnoreCase(ctx.arg(i), "keep")) {
      keep = true;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  auto reply = ctx.client.Defer();
  svc->Create(std::move(label), keep, [reply](const Result<snapshot::Manifest>& r) {
    if (r.ok()) {
      const int64_t id = r->id;
      reply([id](protocol::ReplyWriter& w) { w.Integer(id); });
    } else {
      std::string err = "ERR snapshot failed: " + r.status().message();
      reply([err](protocol::ReplyWriter& w) { w.Error(err); });
    }
  });
  return Status::Ok();
}

Status SnapshotList(CommandContext& ctx) {
  snapshot::SnapshotService* svc;
  if (Status st = Service(ctx, &svc); !st.ok()) return st;
  std::vector<snapshot::Manifest> all = svc->Snapshots();
  ctx.reply.ArrayHeader(all.size());
  for (const snapshot::Manifest& m : all) ReplyManifest(ctx.reply, m, false);
  return Status::Ok();
}

Status SnapshotInfo(CommandContext& ctx) {
  snapshot::SnapshotService* svc;
  if (Status st = Service(ctx, &svc); !st.ok()) return st;
  uint32_t id = 0;
  if (Status st = ParseId(ctx.arg(2), &id); !st.ok()) return st;
  for (const snapshot::Manifest& m : svc->Snapshots()) {
    if (m.id == id) {
      ReplyManifest(ctx.reply, m, true);
      return Status::Ok();
    }
  }
  return Status::Error(kNoSuchSnapshot);
}

// DELETE and VERIFY: run on the service's thread (the disk), +OK or the error.
template <void (snapshot::SnapshotService::*Op)(uint32_t, snapshot::SnapshotService::StatusDone)>
Status SnapshotIdOp(CommandContext& ctx) {
  snapshot::SnapshotService* svc;
  if (Status st = Service(ctx, &svc); !st.ok()) return st;
  uint32_t id = 0;
  if (Status st = ParseId(ctx.arg(2), &id); !st.ok()) return st;
  bool known = false;
  for (const snapshot::Manifest& m : svc->Snapshots()) known |= m.id == id;
  if (!known) return Status::Error(kNoSuchSnapshot);
  auto reply = ctx.client.Defer();
  (svc->*Op)(id, [reply](const Status& st) {
    if (st.ok()) {
      reply([](protocol::ReplyWriter& w) { w.Simple("OK"); });
    } else {
      std::string err = "ERR " + st.message();
      reply([err](protocol::ReplyWriter& w) { w.Error(err); });
    }
  });
  return Status::Ok();
}

Status SnapshotHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "SNAPSHOT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE [LABEL <text>] [KEEP]",
      "    Take a point-in-time snapshot and wait for it; replies its id. KEEP exempts it",
      "    from retention.",
      "LIST",
      "    List the snapshots, oldest first.",
      "INFO <id>",
      "    Show one snapshot's manifest.",
      "DELETE <id>",
      "    Delete a snapshot (files other snapshots share stay).",
      "VERIFY <id>",
      "    Check every file's size and checksum, and the manifest.",
      "HELP",
      "    Print this help."};
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.Simple(l);
  return Status::Ok();
}

// BGSAVE [SCHEDULE]
Status Bgsave(CommandContext& ctx) {
  snapshot::SnapshotService* svc;
  if (Status st = Service(ctx, &svc); !st.ok()) return st;
  bool schedule = false;
  if (ctx.argc() == 2) {
    if (!EqualsIgnoreCase(ctx.arg(1), "schedule")) return Status::Error(protocol::err::kSyntax);
    schedule = true;
  } else if (ctx.argc() > 2) {
    return Status::Error(protocol::err::kSyntax);
  }
  switch (svc->Background(schedule)) {
    case snapshot::SnapshotService::Submit::kQueued:
      ctx.reply.Simple("Background saving started");
      break;
    case snapshot::SnapshotService::Submit::kScheduled:
      ctx.reply.Simple("Background saving scheduled");
      break;
    case snapshot::SnapshotService::Submit::kBusy:
      return Status::Error("ERR Background save already in progress");
  }
  return Status::Ok();
}

// SAVE: a snapshot like BGSAVE's, but the reply waits for it (the server keeps serving).
Status Save(CommandContext& ctx) {
  snapshot::SnapshotService* svc;
  if (Status st = Service(ctx, &svc); !st.ok()) return st;
  auto reply = ctx.client.Defer();
  svc->Create("", false, [reply](const Result<snapshot::Manifest>& r) {
    if (r.ok()) {
      reply([](protocol::ReplyWriter& w) { w.Simple("OK"); });
    } else {
      std::string err = "ERR " + r.status().message();
      reply([err](protocol::ReplyWriter& w) { w.Error(err); });
    }
  });
  return Status::Ok();
}

Status Lastsave(CommandContext& ctx) {
  snapshot::SnapshotService* svc = ctx.server.snapshots();
  // Without persistence, as a Redis that never saved: its start time.
  ctx.reply.Integer(svc != nullptr ? svc->stats().last_save_unix_s
                                   : ctx.server.start_ms() / 1000);
  return Status::Ok();
}

}  // namespace

void RegisterSnapshotCommands(CommandTable& table) {
  constexpr uint32_t kFlags = kAdmin | kNoScript;
  constexpr uint32_t kCats = kCatAdmin | kCatSlow | kCatDangerous;
  std::vector<CommandSpec> sub = {
      {"create", -2, kFlags | kNoMulti, kCats, 0, 0, 0, "server", "vellum",
       "Takes a point-in-time snapshot and replies its id.", SnapshotCreate},
      {"list", 2, kFlags | kLoading | kStale, kCats, 0, 0, 0, "server", "vellum",
       "Lists the snapshots.", SnapshotList},
      {"info", 3, kFlags | kLoading | kStale, kCats, 0, 0, 0, "server", "vellum",
       "Shows one snapshot's manifest.", SnapshotInfo},
      {"delete", 3, kFlags | kNoMulti, kCats, 0, 0, 0, "server", "vellum",
       "Deletes a snapshot.", SnapshotIdOp<&snapshot::SnapshotService::Delete>},
      {"verify", 3, kFlags | kNoMulti, kCats, 0, 0, 0, "server", "vellum",
       "Verifies a snapshot's files and manifest.", SnapshotIdOp<&snapshot::SnapshotService::Verify>},
      {"help", 2, kLoading | kStale, kCatSlow, 0, 0, 0, "server", "vellum",
       "Returns helpful text about the different subcommands.", SnapshotHelp}};
  table.Register({"snapshot", -2, 0, kCatSlow, 0, 0, 0, "server", "vellum",
                  "A container for snapshot commands.", nullptr, std::move(sub)});
  table.Register({"bgsave", -1, kFlags, kCats, 0, 0, 0, "server", "1.0.0",
                  "Asynchronously saves the database(s) to disk.", Bgsave});
  table.Register({"save", 1, kFlags | kNoMulti, kCats, 0, 0, 0, "server", "1.0.0",
                  "Synchronously saves the database(s) to disk.", Save});
  table.Register({"lastsave", 1, kLoading | kStale | kFast, kCatFast | kCatAdmin | kCatDangerous,
                  0, 0, 0, "server", "1.0.0",
                  "Returns the Unix timestamp of the last successful save to disk.", Lastsave});
}

}  // namespace vellum::server
