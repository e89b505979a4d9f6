// Server commands: INFO CONFIG TIME SHUTDOWN COMMAND SLOWLOG OBJECT DEBUG, with
// Redis 7's argument parsing, reply types and error texts (server.c, config.c,
// slowlog.c, object.c, debug.c).
//
// Everything COMMAND reports comes from the command table alone. OBJECT is the only one
// here that touches keys: its key is argv[2] (first_key = 2), so the dispatcher holds
// that key's shard lock while it runs; INFO counts keys through the
// keyspace's self-locking iterations and so must (and does) hold no shard lock.
//
// COMMAND is both a command and a container (COMMAND alone lists every command), which the
// dispatcher's containers cannot express; it is registered with a handler and its
// subcommands, and the handler resolves the subcommand itself with the dispatcher's
// messages. Its subcommands' calls are therefore counted under "command" in commandstats.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/glob.h"
#include "protocol/errors.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/help.h"
#include "server/commands/info.h"
#include "server/commands/registry.h"
#include "server/monitor.h"
#include "server/server_state.h"
#include "storage/digest.h"
#include "storage/engine.h"
#include "storage/eviction.h"

namespace vellum::server {
namespace {

using protocol::ReplyWriter;

// ---- shared helpers ----

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

std::string ArityError(std::string_view fullname) {
  return "ERR wrong number of arguments for '" + std::string(fullname) + "' command";
}

bool IsLfuPolicy(const std::string& policy) {
  return policy == "allkeys-lfu" || policy == "volatile-lfu";
}

// ---- INFO, TIME, SHUTDOWN, DEBUG ----

Status Info(CommandContext& ctx) {
  ctx.reply.Verbatim(BuildInfo(ctx.server, ctx.argv.subspan(1), ctx.now_ms));
  return Status::Ok();
}

// MONITOR: from now on this client gets every command any client runs (server/monitor.h).
Status Monitor(CommandContext& ctx) {
  if (ctx.server.monitors() == nullptr) return Status::Error("ERR MONITOR is not available");
  if (ctx.client.monitor.exchange(true)) return Status::Ok();  // already: no reply, as Redis
  ctx.server.monitors()->Add(ctx.client.id(), ctx.client.worker);
  ctx.reply.Ok();
  return Status::Ok();
}

Status Time(CommandContext& ctx) {
  int64_t us = ctx.server.clock().NowUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
  return Status::Ok();
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Vellum has nothing to save and no
// replicas to wait for, so every accepted form shuts down at once (and ABORT never finds
// a shutdown to abort). The client gets no reply: its connection closes once the replies
// of the commands before it are sent.
Status Shutdown(CommandContext& ctx) {
  bool nosave = false, save = false, other = false, abort = false;
  for (size_t i = 1; i < ctx.argc(); i++) {
    std::string_view a = ctx.arg(i);
    if (EqualsIgnoreCase(a, "nosave")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "save")) {
      save = true;
    } else if (EqualsIgnoreCase(a, "now") || EqualsIgnoreCase(a, "force")) {
      other = true;
    } else if (EqualsIgnoreCase(a, "abort")) {
      abort = true;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  if ((abort && (nosave || save || other)) || (nosave && save)) {
    return Status::Error(protocol::err::kSyntax);
  }
  if (abort) return Status::Error(protocol::err::kNoShutdownInProgress);
  if (ctx.server.script_run().running()) {
    // A script holds every shard on another worker, so an orderly stop would wait for it
    // forever. As in Redis, SHUTDOWN NOSAVE then ends the process at once: the script's
    // writes are not on disk (the persister cannot collect a locked shard), and every
    // acknowledged write before it is, as the durability mode promised.
    if (!nosave) return Status::Error(protocol::err::kBusyScript);
    log::Logf(log::Level::kWarning, "SHUTDOWN NOSAVE while a script runs: exiting now");
    std::_Exit(0);
  }
  ctx.server.RequestShutdown();
  ctx.client.close_after_reply = true;
  return Status::Ok();
}

// DEBUG SLEEP seconds: blocks this worker's thread, as Redis blocks its one thread.
// The argument is read like C's strtod (garbage is 0), as Redis does.
Status DebugSleep(CommandContext& ctx) {
  std::string text(ctx.arg(2));
  double seconds = std::strtod(text.c_str(), nullptr);
  if (seconds > 0 && std::isfinite(seconds)) {
    seconds = std::min(seconds, 1e9);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
  }
  ctx.reply.Ok();
  return Status::Ok();
}

// DEBUG DISK-FAULTS ON|OFF: every RocksDB write fails while on (tests of the failing-disk
// path: MISCONF on writes, reads going on, recovery once off).
Status DebugDiskFaults(CommandContext& ctx) {
  std::string_view v = ctx.arg(2);
  if (EqualsIgnoreCase(v, "on")) {
    storage::Engine::SetWriteFaults(true);
  } else if (EqualsIgnoreCase(v, "off")) {
    storage::Engine::SetWriteFaults(false);
  } else {
    return Status::Error(protocol::err::kSyntax);
  }
  ctx.reply.Ok();
  return Status::Ok();
}

// DEBUG DIGEST: one digest of every key of every database (storage/digest.h), with all
// shards locked, so it is a consistent cut. 32 hex digits; all zeros when empty. A value
// tiering left on disk is read from there, and not kept in memory.
Status DebugDigest(CommandContext& ctx) {
  storage::Digest total;
  Status read;
  for (int db = 0; db < storage::kNumDbs; db++) {
    uint64_t cursor = 0;
    do {
      cursor = ctx.keyspace.Scan(db, cursor, SIZE_MAX, ctx.now_ms, [&](const storage::Entry& e) {
        Status st = ctx.keyspace.WithValue(
            db, e, [&](const storage::Entry& v) { total.Add(storage::KeyDigest(db, v)); });
        if (!st.ok() && read.ok()) read = st;
      });
    } while (cursor != 0);
  }
  if (!read.ok()) return Status::Error("ERR can't read a key from disk: " + read.message());
  ctx.reply.Simple(total.Hex());
  return Status::Ok();
}

// DEBUG DIGEST-VALUE key [key ...]: each key's digest in the client's database (zeros
// for a missing or expired key).
Status DebugDigestValue(CommandContext& ctx) {
  std::vector<storage::Digest> digests;
  for (size_t i = 2; i < ctx.argc(); i++) {
    const storage::Entry* e = ctx.keyspace.Peek(ctx.db, ctx.arg(i));
    storage::Digest d;
    if (e != nullptr && (e->expire_at_ms == 0 || e->expire_at_ms > ctx.now_ms)) {
      // A value tiering left on disk (the dispatcher usually read it back already).
      Status st = ctx.keyspace.WithValue(
          ctx.db, *e, [&](const storage::Entry& v) { d = storage::KeyDigest(ctx.db, v); });
      if (!st.ok()) return Status::Error("ERR can't read the key from disk: " + st.message());
    }
    digests.push_back(d);
  }
  ctx.reply.ArrayHeader(digests.size());
  for (const storage::Digest& d : digests) ctx.reply.Simple(d.Hex());
  return Status::Ok();
}

Status DebugHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "DEBUG",
            {"SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
             "DIGEST", "    Output a hex digest of the whole keyspace (all databases).",
             "DIGEST-VALUE <key> [<key> ...]", "    Output a hex digest of each key's value.",
             "DISK-FAULTS ON|OFF",
             "    Make every write to the data files fail (ON) or work again (OFF)."});
  return Status::Ok();
}

// ---- CONFIG ----

Status ConfigGet(CommandContext& ctx) {
  std::vector<std::pair<std::string, std::string>> found;
  std::set<std::string> seen;
  for (size_t i = 2; i < ctx.argc(); i++) {
    for (auto& kv : ctx.server.config().Get(ctx.arg(i))) {
      if (seen.insert(kv.first).second) found.push_back(std::move(kv));
    }
  }
  ctx.reply.MapHeader(found.size());
  for (const auto& [name, value] : found) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
  return Status::Ok();
}

Status ConfigSet(CommandContext& ctx) {
  if (ctx.argc() % 2 != 0) return Status::Error(ArityError("config|set"));
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    pairs.emplace_back(std::string(ctx.arg(i)), std::string(ctx.arg(i + 1)));
  }
  VELLUM_RETURN_IF_ERROR(ctx.server.config().Set(pairs));
  ctx.reply.Ok();
  return Status::Ok();
}

// Resets INFO's counters and commandstats; the slowlog is kept, as in Redis.
Status ConfigResetstat(CommandContext& ctx) {
  ctx.server.ResetStats();
  ctx.reply.Ok();
  return Status::Ok();
}

Status ConfigRewrite(CommandContext& ctx) {
  VELLUM_RETURN_IF_ERROR(ctx.server.config().Rewrite());
  ctx.reply.Ok();
  return Status::Ok();
}

Status ConfigHelp(CommandContext& ctx) {
  ReplyHelp(
      ctx, "CONFIG",
      {"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
       "SET <directive> <value>", "    Set the configuration <directive> to <value>.", "RESETSTAT",
       "    Reset statistics reported by the INFO command.", "REWRITE",
       "    Rewrite the configuration file."});
  return Status::Ok();
}

// ---- COMMAND ----

// "get" or "config|get" (one level of subcommand), case-insensitive; nullptr if unknown.
const Command* FindByFullName(const CommandTable& table, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return table.Find(name);
  const Command* parent = table.Find(name.substr(0, bar));
  std::string_view sub = name.substr(bar + 1);
  if (parent == nullptr || sub.find('|') != std::string_view::npos) return nullptr;
  return parent->FindSubcommand(sub);
}

void ReplySimpleSet(ReplyWriter& r, const std::vector<std::string>& items) {
  r.SetHeader(items.size());
  for (const std::string& s : items) r.Simple(s);
}

// Redis 7 key specs, derived from the legacy (first, last, step) range: one spec that
// starts at first_key and covers the range. Access flags come from the command's flags,
// as precise as Vellum's table can be (Redis distinguishes insert/update/delete).
void ReplyKeySpecs(ReplyWriter& r, const CommandSpec& s) {
  if (s.first_key <= 0) {
    r.SetHeader(0);
    return;
  }
  std::vector<std::string> flags;
  if (s.flags & kWrite) {
    flags = {"RW", "access", "update"};
  } else if (s.flags & kReadonly) {
    flags = {"RO", "access"};
  } else {
    flags = {"RO"};
  }
  int lastkey = s.last_key >= 0 ? s.last_key - s.first_key : s.last_key;
  r.SetHeader(1);
  r.MapHeader(3);
  r.Bulk("flags");
  ReplySimpleSet(r, flags);
  r.Bulk("begin_search");
  r.MapHeader(2);
  r.Bulk("type");
  r.Bulk("index");
  r.Bulk("spec");
  r.MapHeader(1);
  r.Bulk("index");
  r.Integer(s.first_key);
  r.Bulk("find_keys");
  r.MapHeader(2);
  r.Bulk("type");
  r.Bulk("range");
  r.Bulk("spec");
  r.MapHeader(3);
  r.Bulk("lastkey");
  r.Integer(lastkey);
  r.Bulk("keystep");
  r.Integer(s.key_step);
  r.Bulk("limit");
  r.Integer(0);
}

// One COMMAND INFO entry: name, arity, flags, first, last, step, ACL categories, tips,
// key specs, subcommands.
void ReplyCommandInfo(ReplyWriter& r, const Command* c) {
  const CommandSpec& s = c->spec;
  bool has_keys = s.first_key > 0;
  r.ArrayHeader(10);
  r.Bulk(c->fullname);
  r.Integer(s.arity);
  ReplySimpleSet(r, FlagNames(s.flags));
  r.Integer(has_keys ? s.first_key : 0);
  r.Integer(has_keys ? s.last_key : 0);
  r.Integer(has_keys ? s.key_step : 0);
  ReplySimpleSet(r, CategoryNames(s.categories));
  r.SetHeader(0);  // tips
  ReplyKeySpecs(r, s);
  if (c->subcommands.empty()) {
    r.SetHeader(0);
  } else {
    r.ArrayHeader(c->subcommands.size());
    for (const Command* sub : c->subcommands) ReplyCommandInfo(r, sub);
  }
}

// One COMMAND DOCS entry (the value of the map): summary, since, group, subcommands.
void ReplyCommandDocs(ReplyWriter& r, const Command* c) {
  bool subs = !c->subcommands.empty();
  r.MapHeader(subs ? 4 : 3);
  r.Bulk("summary");
  r.Bulk(c->spec.summary);
  r.Bulk("since");
  r.Bulk(c->spec.since);
  r.Bulk("group");
  r.Bulk(c->spec.group);
  if (subs) {
    r.Bulk("subcommands");
    r.MapHeader(c->subcommands.size());
    for (const Command* sub : c->subcommands) {
      r.Bulk(sub->fullname);
      ReplyCommandDocs(r, sub);
    }
  }
}

Status CommandAll(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  if (ctx.argc() == 1) {
    std::vector<const Command*> top = table.TopLevel();
    ctx.reply.ArrayHeader(top.size());
    for (const Command* c : top) ReplyCommandInfo(ctx.reply, c);
    return Status::Ok();
  }
  const Command* self = table.Find("command");
  const Command* sub = self ? self->FindSubcommand(ctx.arg(1)) : nullptr;
  if (sub == nullptr) {
    return Status::Error("ERR unknown subcommand '" + std::string(ctx.arg(1).substr(0, 128)) +
                         "'. Try COMMAND HELP.");
  }
  if (!ArityOk(sub->spec.arity, ctx.argc())) return Status::Error(ArityError(sub->fullname));
  return sub->spec.handler(ctx);
}

Status CommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.commands().TopLevel().size()));
  return Status::Ok();
}

Status CommandInfo(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  if (ctx.argc() == 2) {
    std::vector<const Command*> top = table.TopLevel();
    ctx.reply.ArrayHeader(top.size());
    for (const Command* c : top) ReplyCommandInfo(ctx.reply, c);
    return Status::Ok();
  }
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    const Command* c = FindByFullName(table, ctx.arg(i));
    if (c) {
      ReplyCommandInfo(ctx.reply, c);
    } else {
      ctx.reply.Null();
    }
  }
  return Status::Ok();
}

// Unknown names are left out of the map, as Redis does.
Status CommandDocs(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  std::vector<const Command*> found;
  if (ctx.argc() == 2) {
    found = table.TopLevel();
  } else {
    for (size_t i = 2; i < ctx.argc(); i++) {
      if (const Command* c = FindByFullName(table, ctx.arg(i))) found.push_back(c);
    }
  }
  ctx.reply.MapHeader(found.size());
  for (const Command* c : found) {
    ctx.reply.Bulk(c->fullname);
    ReplyCommandDocs(ctx.reply, c);
  }
  return Status::Ok();
}

// The ACL category bit named `name` ("read", "string", ...; no '@'), or 0.
uint32_t CategoryByName(std::string_view name) {
  for (int bit = 0; bit < 32; bit++) {
    std::vector<std::string> names = CategoryNames(1u << bit);
    if (!names.empty() && EqualsIgnoreCase(std::string_view(names[0]).substr(1), name)) {
      return 1u << bit;
    }
  }
  return 0;
}

// COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]: every command and subcommand.
Status CommandList(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view arg;
  uint32_t category = 0;
  if (ctx.argc() == 5 && EqualsIgnoreCase(ctx.arg(2), "filterby")) {
    arg = ctx.arg(4);
    if (EqualsIgnoreCase(ctx.arg(3), "module")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(ctx.arg(3), "aclcat")) {
      filter = Filter::kAclCat;
    } else if (EqualsIgnoreCase(ctx.arg(3), "pattern")) {
      filter = Filter::kPattern;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
    if (filter == Filter::kAclCat) category = CategoryByName(arg);
  } else if (ctx.argc() != 2) {
    return Status::Error(protocol::err::kSyntax);
  }
  auto matches = [&](const Command* c) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;  // no modules
      case Filter::kAclCat:
        return category != 0 && (c->spec.categories & category) != 0;
      case Filter::kPattern:
        return GlobMatch(arg, c->fullname, true);
    }
    return false;
  };
  std::vector<const Command*> out;
  for (const Command* c : ctx.server.commands().TopLevel()) {
    if (matches(c)) out.push_back(c);
    for (const Command* sub : c->subcommands) {
      if (matches(sub)) out.push_back(sub);
    }
  }
  ctx.reply.ArrayHeader(out.size());
  for (const Command* c : out) ctx.reply.Bulk(c->fullname);
  return Status::Ok();
}

// COMMAND GETKEYS command [arg ...]: the keys of a full command line, from its spec.
Status CommandGetkeys(CommandContext& ctx) {
  std::span<const std::string_view> line = ctx.argv.subspan(2);
  const Command* c = ctx.server.commands().Find(line[0]);
  if (c && !c->subcommands.empty() && line.size() >= 2) c = c->FindSubcommand(line[1]);
  if (c == nullptr) return Status::Error(protocol::err::kInvalidCommandSpecified);
  const CommandSpec& s = c->spec;
  if (s.first_key <= 0) return Status::Error(protocol::err::kCommandHasNoKeys);
  if (!ArityOk(s.arity, line.size())) return Status::Error(protocol::err::kGetkeysBadArity);
  std::vector<std::string_view> keys;
  ForEachKeyIndex(s, line, [&](size_t i) {
    keys.push_back(line[i]);
    return true;
  });
  ctx.reply.ArrayHeader(keys.size());
  for (std::string_view k : keys) ctx.reply.Bulk(k);
  return Status::Ok();
}

Status CommandHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "COMMAND",
            {"(no subcommand)", "    Return details about all Redis commands.", "COUNT",
             "    Return the total number of commands in this Redis server.", "LIST",
             "    Return a list of all commands in this Redis server.", "INFO [<command-name> ...]",
             "    Return details about multiple Redis commands.",
             "    If no command names are given, documentation details for all",
             "    commands are returned.", "DOCS [<command-name> ...]",
             "    Return documentation details about multiple Redis commands.",
             "    If no command names are given, documentation details for all",
             "    commands are returned.", "GETKEYS <full-command>",
             "    Return the keys from a full Redis command."});
  return Status::Ok();
}

// ---- SLOWLOG ----

Status SlowlogGet(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    return Status::Error("ERR unknown subcommand or wrong number of arguments for '" +
                         std::string(ctx.arg(1)) + "'. Try SLOWLOG HELP.");
  }
  size_t count = 10;
  if (ctx.argc() == 3) {
    int64_t n = 0;
    if (!ParseInt64(ctx.arg(2), &n) || n < -1) {
      return Status::Error(protocol::err::kSlowlogBadCount);
    }
    count = n == -1 ? SIZE_MAX : static_cast<size_t>(n);
  }
  std::vector<SlowlogEntry> entries = ctx.server.slowlog().Get(count);
  ctx.reply.ArrayHeader(entries.size());
  for (const SlowlogEntry& e : entries) {
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.time_s);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(e.argv.size());
    for (const std::string& a : e.argv) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
  return Status::Ok();
}

Status SlowlogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog().Len()));
  return Status::Ok();
}

Status SlowlogReset(CommandContext& ctx) {
  ctx.server.slowlog().Reset();
  ctx.reply.Ok();
  return Status::Ok();
}

Status SlowlogHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "SLOWLOG",
            {"GET [<count>]",
             "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
             "    Entries are made of:",
             "    id, timestamp, time in microseconds, arguments array, client IP and port,",
             "    client name", "LEN", "    Return the length of the slowlog.", "RESET",
             "    Reset the slowlog."});
  return Status::Ok();
}

// ---- OBJECT ----
// These look the key up without refreshing its access clock (Redis's LOOKUP_NOTOUCH), so
// inspecting a key neither makes it look recently used to eviction nor resets IDLETIME.
// OBJECT counts a keyspace hit or miss, as Redis does.

// The live entry at argv[2], or nullptr.
const storage::Entry* Lookup(CommandContext& ctx) {
  return ctx.keyspace.FindForReadNoTouch(ctx.db, ctx.arg(2), ctx.now_ms);
}

// The same for what the key's entry alone answers (its access clocks): with tiering, a
// value on disk stays there (the subcommands are kNoValueRead).
const storage::Entry* LookupKeyOnly(CommandContext& ctx) {
  return ctx.keyspace.FindKeyOnly(ctx.db, ctx.arg(2), ctx.now_ms, /*count_lookup=*/true);
}

// Redis's encoding of a string value: "int" for a strict int64 of at most 20 characters,
// "embstr" up to 44 bytes, "raw" beyond.
const char* StringEncoding(std::string_view s) {
  int64_t v = 0;
  if (s.size() <= 20 && ParseInt64(s, &v)) return "int";
  return s.size() <= 44 ? "embstr" : "raw";
}

Status ObjectEncoding(CommandContext& ctx) {
  const storage::Entry* e = Lookup(ctx);
  if (e == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  switch (e->type) {
    case storage::ValueType::kString:
      ctx.reply.Bulk(StringEncoding(e->str()));
      return Status::Ok();
    case storage::ValueType::kHash:
      ctx.reply.Bulk(e->hash_value->EncodingName());
      return Status::Ok();
    case storage::ValueType::kSet:
      ctx.reply.Bulk(e->set_value->EncodingName());
      return Status::Ok();
    case storage::ValueType::kList:
      ctx.reply.Bulk(e->list_value->EncodingName());
      return Status::Ok();
    case storage::ValueType::kZSet:
      ctx.reply.Bulk(e->zset_value->EncodingName());
      return Status::Ok();
  }
  ctx.reply.Bulk("unknown");
  return Status::Ok();
}

Status ObjectFreq(CommandContext& ctx) {
  const storage::Entry* e = LookupKeyOnly(ctx);
  if (e == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  if (!IsLfuPolicy(ctx.server.config().Snapshot().maxmemory_policy)) {
    return Status::Error(protocol::err::kLfuNotSelected);
  }
  // The counter as decayed by now, as Redis's LFUDecrAndReturn (decay is applied lazily).
  ctx.reply.Integer(storage::LfuDecayed(e->lfu_counter, e->access_clock,
                                        static_cast<uint32_t>(ctx.now_ms / 1000),
                                        ctx.server.lfu_decay_time.load()));
  return Status::Ok();
}

// Seconds since the last access that touched the key.
Status ObjectIdletime(CommandContext& ctx) {
  const storage::Entry* e = LookupKeyOnly(ctx);
  if (e == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  if (IsLfuPolicy(ctx.server.config().Snapshot().maxmemory_policy)) {
    return Status::Error(protocol::err::kLfuSelected);
  }
  int64_t idle = ctx.now_ms / 1000 - static_cast<int64_t>(e->access_clock);
  ctx.reply.Integer(idle > 0 ? idle : 0);
  return Status::Ok();
}

Status ObjectRefcount(CommandContext& ctx) {
  if (LookupKeyOnly(ctx) == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Integer(1);
  }
  return Status::Ok();
}

Status ObjectHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "OBJECT",
            {"ENCODING <key>",
             "    Return the kind of internal representation used in order to store the value",
             "    associated with a <key>.", "FREQ <key>",
             "    Return the access frequency index of the <key>. The returned integer is",
             "    proportional to the logarithm of the recent access frequency of the key.",
             "IDLETIME <key>",
             "    Return the idle time of the <key>, that is the approximated number of",
             "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
             "    Return the number of references of the value associated with the specified",
             "    <key>."});
  return Status::Ok();
}

}  // namespace

void RegisterServerCommands(CommandTable& table) {
  constexpr uint32_t kAdminFlags = kAdmin | kNoScript | kLoading | kStale;
  constexpr uint32_t kAdminCats = kCatAdmin | kCatSlow | kCatDangerous;
  constexpr uint32_t kHelpFlags = kLoading | kStale;
  constexpr uint32_t kObj = kCatKeyspace | kCatRead | kCatSlow;
  constexpr uint32_t kCmdCats = kCatSlow | kCatConnection;
  constexpr uint32_t kSlowlogFlags = kAdmin | kLoading | kStale;
  static constexpr char kHelpSummary[] = "Returns helpful text about the different subcommands.";

  table.Register({"info", -1, kLoading | kStale, kCatSlow | kCatDangerous, 0, 0, 0, "server",
                  "1.0.0", "Returns information and statistics about the server.", Info});
  table.Register({"monitor", 1, kAdminFlags | kNoMulti, kAdminCats, 0, 0, 0, "server", "1.0.0",
                  "Listens for all requests received by the server in real-time.", Monitor});
  table.Register({"time", 1, kLoading | kStale | kFast, kCatFast, 0, 0, 0, "server", "2.6.0",
                  "Returns the server time.", Time});
  table.Register({"shutdown", -1, kAdminFlags | kAllowBusy | kNoMulti, kAdminCats, 0, 0, 0, "server", "1.0.0",
                  "Shuts down the server.", Shutdown});

  std::vector<CommandSpec> debug = {
      {"sleep", 3, kAdminFlags, kAdminCats, 0, 0, 0, "server", "1.0.0",
       "Blocks the worker thread for a number of seconds.", DebugSleep},
      {"digest", 2, kAdminFlags | kLockAll | kAwaitWarm, kAdminCats, 0, 0, 0, "server", "1.0.0",
       "Outputs a digest of the whole keyspace.", DebugDigest},
      {"digest-value", -3, kAdminFlags, kAdminCats, 2, -1, 1, "server", "1.0.0",
       "Outputs a digest of each key's value.", DebugDigestValue},
      {"disk-faults", 3, kAdminFlags, kAdminCats, 0, 0, 0, "server", "1.0.0",
       "Makes every write to the data files fail, or work again.", DebugDiskFaults},
      {"help", 2, kHelpFlags, kCatSlow, 0, 0, 0, "server", "1.0.0", kHelpSummary, DebugHelp}};
  table.Register({"debug", -2, kAdminFlags, kAdminCats, 0, 0, 0, "server", "1.0.0",
                  "A container for debugging commands.", nullptr, std::move(debug)});

  std::vector<CommandSpec> config = {
      {"get", -3, kAdminFlags, kAdminCats, 0, 0, 0, "server", "2.0.0",
       "Returns the effective values of configuration parameters.", ConfigGet},
      {"set", -4, kAdminFlags, kAdminCats, 0, 0, 0, "server", "2.0.0",
       "Sets configuration parameters in-flight.", ConfigSet},
      {"resetstat", 2, kAdminFlags, kAdminCats, 0, 0, 0, "server", "2.0.0",
       "Resets the server's statistics.", ConfigResetstat},
      {"rewrite", 2, kAdminFlags, kAdminCats, 0, 0, 0, "server", "2.8.0",
       "Persists the effective configuration to file.", ConfigRewrite},
      {"help", 2, kHelpFlags, kCatSlow, 0, 0, 0, "server", "5.0.0", kHelpSummary, ConfigHelp}};
  table.Register({"config", -2, 0, kCatSlow, 0, 0, 0, "server", "2.0.0",
                  "A container for server configuration commands.", nullptr, std::move(config)});

  std::vector<CommandSpec> command = {
      {"count", 2, kHelpFlags, kCmdCats, 0, 0, 0, "server", "2.8.13",
       "Returns a count of commands.", CommandCount},
      {"docs", -2, kHelpFlags, kCmdCats, 0, 0, 0, "server", "7.0.0",
       "Returns documentary information about one, multiple or all commands.", CommandDocs},
      {"getkeys", -4, kHelpFlags, kCmdCats, 0, 0, 0, "server", "2.8.13",
       "Extracts the key names from an arbitrary command.", CommandGetkeys},
      {"info", -2, kHelpFlags, kCmdCats, 0, 0, 0, "server", "2.8.13",
       "Returns information about one, multiple or all commands.", CommandInfo},
      {"list", -2, kHelpFlags, kCmdCats, 0, 0, 0, "server", "7.0.0",
       "Returns a list of command names.", CommandList},
      {"help", 2, kHelpFlags, kCmdCats, 0, 0, 0, "server", "5.0.0", kHelpSummary, CommandHelp}};
  table.Register({"command", -1, kHelpFlags, kCmdCats, 0, 0, 0, "server", "2.8.13",
                  "Returns detailed information about all commands.", CommandAll,
                  std::move(command)});

  std::vector<CommandSpec> slowlog = {
      {"get", -2, kSlowlogFlags, kAdminCats, 0, 0, 0, "server", "2.2.12",
       "Returns the slow log's entries.", SlowlogGet},
      {"len", 2, kSlowlogFlags, kAdminCats, 0, 0, 0, "server", "2.2.12",
       "Returns the number of entries in the slow log.", SlowlogLen},
      {"reset", 2, kSlowlogFlags, kAdminCats, 0, 0, 0, "server", "2.2.12",
       "Clears all entries from the slow log.", SlowlogReset},
      {"help", 2, kHelpFlags, kCatSlow, 0, 0, 0, "server", "6.2.0", kHelpSummary, SlowlogHelp}};
  table.Register({"slowlog", -2, 0, kCatSlow, 0, 0, 0, "server", "2.2.12",
                  "A container for slow log commands.", nullptr, std::move(slowlog)});

  std::vector<CommandSpec> object = {
      {"encoding", 3, kReadonly, kObj, 2, 2, 1, "generic", "2.2.3",
       "Returns the internal encoding of a Redis object.", ObjectEncoding},
      {"freq", 3, kReadonly | kNoValueRead, kObj, 2, 2, 1, "generic", "4.0.0",
       "Returns the logarithmic access frequency counter of a Redis object.", ObjectFreq},
      {"idletime", 3, kReadonly | kNoValueRead, kObj, 2, 2, 1, "generic", "2.2.3",
       "Returns the time since the last access to a Redis object.", ObjectIdletime},
      {"refcount", 3, kReadonly | kNoValueRead, kObj, 2, 2, 1, "generic", "2.2.3",
       "Returns the reference count of a value of a key.", ObjectRefcount},
      {"help", 2, kHelpFlags, kCatKeyspace | kCatSlow, 0, 0, 0, "generic", "6.2.0", kHelpSummary,
       ObjectHelp}};
  table.Register({"object", -2, 0, kCatSlow, 0, 0, 0, "generic", "2.2.3",
                  "A container for object introspection commands.", nullptr, std::move(object)});
}

}  // namespace vellum::server
