// MEMORY USAGE STATS DOCTOR PURGE MALLOC-STATS, as Redis 7 answers them (object.c), from
// one reading of the daemon's memory (memory_figures.h).
//
// USAGE is the only one that touches a key: its key is argv[2], so the dispatcher holds
// that key's shard lock while it runs. STATS and DOCTOR count keys and tables through the
// keyspace's self-locking iterations and so run with no shard lock, as INFO does.
#include <cstdint>
#include <string>
#include <vector>

#include "common/allocator.h"
#include "server/commands/info.h"
#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/help.h"
#include "server/commands/memory_figures.h"
#include "server/commands/registry.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

// MEMORY USAGE key [SAMPLES count]: options are checked before the key is looked up,
// without refreshing the key's access clock (Redis's LOOKUP_NOTOUCH).
Status MemoryUsage(CommandContext& ctx) {
  for (size_t i = 3; i < ctx.argc(); i++) {
    if (EqualsIgnoreCase(ctx.arg(i), "samples") && i + 1 < ctx.argc()) {
      int64_t samples = 0;
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(i + 1), &samples));
      if (samples < 0) return Status::Error(protocol::err::kSyntax);
      i++;  // Vellum's values are not sampled: they are measured whole
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  const storage::Entry* e = ctx.keyspace.FindForReadNoTouch(ctx.db, ctx.arg(2), ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  ctx.reply.Integer(static_cast<int64_t>(storage::Keyspace::EntryMemory(*e)));
  return Status::Ok();
}

double Ratio(uint64_t a, uint64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

int64_t Signed(uint64_t a, uint64_t b) { return static_cast<int64_t>(a) - static_cast<int64_t>(b); }

// MEMORY STATS: Redis's fields in Redis's order (a map in RESP3, pairs in RESP2), then
// Vellum's own: RocksDB's share and the allocator's free bytes.
Status MemoryStats(CommandContext& ctx) {
  const MemoryFigures f = MemoryFigures::Collect(ctx.server);
  int dbs_shown = 0;
  for (const auto& d : f.dbs) {
    if (d.keys > 0) dbs_shown++;
  }
  const uint64_t net = f.used > f.startup ? f.used - f.startup : 0;
  const uint64_t resident = f.allocator.resident;
  ctx.reply.MapHeader(27 + static_cast<size_t>(dbs_shown));
  auto integer = [&](const char* name, int64_t v) {
    ctx.reply.Bulk(name);
    ctx.reply.Integer(v);
  };
  auto real = [&](const char* name, double v) {
    ctx.reply.Bulk(name);
    ctx.reply.Double(v);
  };
  auto u = [](uint64_t v) { return static_cast<int64_t>(v); };
  integer("peak.allocated", u(f.peak));
  integer("total.allocated", u(f.used));
  integer("startup.allocated", u(f.startup));
  // The batches kept in memory for replicas; the rest of the backlog is log files on disk.
  integer("replication.backlog", u(f.replication_backlog));
  integer("clients.slaves", u(f.clients_slaves));
  integer("clients.normal", u(f.clients_normal));
  integer("cluster.links", 0);
  integer("aof.buffer", 0);
  integer("lua.caches", u(f.scripts));
  integer("functions.caches", 0);
  for (int db = 0; db < storage::kNumDbs; db++) {
    if (f.dbs[db].keys == 0) continue;
    ctx.reply.Bulk("db." + std::to_string(db));
    ctx.reply.MapHeader(3);
    integer("overhead.hashtable.main", u(f.dbs[db].main));
    integer("overhead.hashtable.expires", u(f.dbs[db].expires));
    integer("overhead.hashtable.slot-to-keys", 0);
  }
  integer("overhead.total", u(f.overhead));
  integer("keys.count", u(f.keys));
  integer("keys.bytes-per-key", f.keys ? u(net / f.keys) : 0);
  integer("dataset.bytes", u(f.dataset()));
  real("dataset.percentage", 100.0 * Ratio(f.dataset(), net));
  real("peak.percentage", 100.0 * Ratio(f.used, f.peak));
  integer("allocator.allocated", u(f.allocator.allocated));
  integer("allocator.active", u(f.allocator.active));
  integer("allocator.resident", u(resident));
  real("allocator-fragmentation.ratio", Ratio(f.allocator.active, f.allocator.allocated));
  integer("allocator-fragmentation.bytes", Signed(f.allocator.active, f.allocator.allocated));
  real("allocator-rss.ratio", Ratio(resident, f.allocator.active));
  integer("allocator-rss.bytes", Signed(resident, f.allocator.active));
  real("rss-overhead.ratio", Ratio(f.rss, resident));
  integer("rss-overhead.bytes", Signed(f.rss, resident));
  real("fragmentation", f.fragmentation());
  integer("fragmentation.bytes", Signed(f.rss, f.used));
  integer("rocksdb.not-counted", u(f.not_counted));
  integer("allocator.free", u(f.allocator.free));
  return Status::Ok();
}

// MEMORY DOCTOR: Redis's verdicts for an empty and for a healthy instance, word for word
// (tools match them); otherwise one paragraph per problem found, with Redis's
// thresholds: a peak over 150% of what is used now, RSS grown by more than 1.4 bytes per
// used byte (and by over 10 MB more), client buffers of over 200 KB per client, over a
// thousand cached scripts.
Status MemoryDoctor(CommandContext& ctx) {
  const MemoryFigures f = MemoryFigures::Collect(ctx.server);
  if (f.used < (5u << 20)) {
    ctx.reply.Verbatim(
        "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill "
        "it with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.\n");
    return Status::Ok();
  }
  std::vector<std::string> issues;
  if (Ratio(f.peak, f.used) > 1.5) {
    issues.push_back(
        " * Peak memory: the daemon once used " + BytesToHuman(f.peak) + ", more than 150% of the " +
        BytesToHuman(f.used) + " it uses now. Freed memory is given back to the kernel once the "
        "data shrank by 32 MB (checked every second); MEMORY PURGE gives back what is free now.");
  }
  // RSS against used memory, both counted from start: the binary's own resident pages
  // (about 15 MB: RocksDB, Lua) would otherwise read as fragmentation on a small data set.
  const uint64_t rss_grown = f.rss > f.startup_rss ? f.rss - f.startup_rss : 0;
  const uint64_t used_grown = f.used - f.startup;
  if (Ratio(rss_grown, used_grown) > 1.4 && rss_grown > used_grown + (10u << 20)) {
    issues.push_back(
        " * High total RSS: the resident set grew by " + BytesToHuman(rss_grown) + " since start, "
        "more than 1.4 times the " + BytesToHuman(used_grown) + " of memory in use that the data "
        "and clients added. After a peak this is expected and "
        "harmless: the free memory is reused as data arrives. Otherwise the workload fragments "
        "the heap (many small values freed here and there); MEMORY PURGE returns the pages "
        "that are wholly free. The allocator is \"" + std::string(kAllocatorName) + "\".");
  }
  const size_t clients = ctx.server.clients().Live().size();
  if (clients > 0 && f.clients_normal / clients > (200u << 10)) {
    issues.push_back(
        " * Big client buffers: the clients hold " + BytesToHuman(f.clients_normal) + " in "
        "query and output buffers, over 200 KB each on average. Look for clients that read "
        "their replies slowly (CLIENT LIST's omem), or for very large pipelines or values.");
  }
  if (ctx.server.scripts().size() > 1000) {
    issues.push_back(
        " * Many scripts: over a thousand scripts are cached. An application that sends EVAL "
        "with the values written into the script body, rather than passed as ARGV, fills the "
        "cache; SCRIPT FLUSH empties it.");
  }
  if (issues.empty()) {
    ctx.reply.Verbatim(
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
        "occurs on this base.\n");
    return Status::Ok();
  }
  std::string text = "Sam, I detected a few issues in this instance's memory:\n\n";
  for (const std::string& issue : issues) text += issue + "\n\n";
  text += "I'm here to keep you safe, Sam. I want to help you.\n";
  ctx.reply.Verbatim(text);
  return Status::Ok();
}

// MEMORY PURGE: gives every free page of the allocator back to the kernel now.
Status MemoryPurge(CommandContext& ctx) {
  ReleaseFreeMemory();
  ctx.reply.Ok();
  return Status::Ok();
}

Status MemoryMallocStats(CommandContext& ctx) {
  ctx.reply.Verbatim(AllocatorReport());
  return Status::Ok();
}

Status MemoryHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "MEMORY",
            {"DOCTOR", "    Return memory problems reports.", "MALLOC-STATS",
             "    Return internal statistics report from the memory allocator.", "PURGE",
             "    Attempt to purge dirty pages for reclamation by the allocator.", "STATS",
             "    Return information about the memory usage of the server.",
             "USAGE <key> [SAMPLES <count>]",
             "    Return memory in bytes used by <key> and its value. Nested values are",
             "    sampled up to <count> times (default: 5, 0 means sample all)."});
  return Status::Ok();
}

}  // namespace

void RegisterMemoryCommands(CommandTable& table) {
  constexpr uint32_t kHelpFlags = kLoading | kStale;
  static constexpr char kHelpSummary[] = "Returns helpful text about the different subcommands.";
  std::vector<CommandSpec> memory = {
      {"doctor", 2, 0, kCatSlow, 0, 0, 0, "server", "4.0.0",
       "Outputs a memory problems report.", MemoryDoctor},
      {"malloc-stats", 2, 0, kCatSlow, 0, 0, 0, "server", "4.0.0",
       "Returns the allocator statistics.", MemoryMallocStats},
      {"purge", 2, 0, kCatSlow, 0, 0, 0, "server", "4.0.0",
       "Asks the allocator to release memory.", MemoryPurge},
      {"stats", 2, 0, kCatSlow, 0, 0, 0, "server", "4.0.0",
       "Returns details about memory usage.", MemoryStats},
      {"usage", -3, kReadonly, kCatRead | kCatSlow, 2, 2, 1, "server", "4.0.0",
       "Estimates the memory usage of a key.", MemoryUsage},
      {"help", 2, kHelpFlags, kCatSlow, 0, 0, 0, "server", "4.0.0", kHelpSummary, MemoryHelp}};
  table.Register({"memory", -2, 0, kCatSlow, 0, 0, 0, "server", "4.0.0",
                  "A container for memory diagnostics commands.", nullptr, std::move(memory)});
}

}  // namespace vellum::server
