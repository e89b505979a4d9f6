#include "server/commands/info.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <set>

#include "common/clock.h"
#include "common/memory.h"
#include "common/version.h"
#include "server/blocking.h"
#include "server/commands/memory_figures.h"
#include "server/pubsub.h"
#include "snapshot/replication.h"
#include "snapshot/snapshot_service.h"
#include "storage/keyspace.h"

namespace vellum::server {
namespace {

constexpr char kRedisVersion[] = "7.0.0";  // what clients feature-check against
using vellum::kVellumVersion;

// Appends one "name:value\r\n" line.
class InfoText {
 public:
  void Header(const char* title) {
    if (sections_++ > 0) text_ += "\r\n";
    text_ += "# ";
    text_ += title;
    text_ += "\r\n";
  }
  void Field(std::string_view name, std::string_view value) {
    text_.append(name);
    text_ += ':';
    text_.append(value);
    text_ += "\r\n";
  }
  void Field(std::string_view name, uint64_t v) { Field(name, std::to_string(v)); }
  void Field(std::string_view name, int64_t v) { Field(name, std::to_string(v)); }
  void Field(std::string_view name, int v) { Field(name, std::to_string(v)); }
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
  int sections_ = 0;
};

std::string Printf(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

std::string TimevalText(const timeval& tv) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  return buf;
}

std::string ExecutablePath(const ServerState& server) {
  if (!server.executable.empty()) return server.executable;
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string AbsolutePath(const std::string& path) {
  if (path.empty()) return path;
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

// What every section generator sees.
struct InfoInput {
  ServerState& server;
  const conf::Config& config;
  int64_t now_ms;
};

void ServerSection(const InfoInput& in, InfoText& out) {
  utsname name{};
  uname(&name);
  int64_t uptime_s = (in.now_ms - in.server.start_ms()) / 1000;
  out.Header("Server");
  out.Field("redis_version", kRedisVersion);
  out.Field("redis_git_sha1", "00000000");
  out.Field("redis_git_dirty", 0);
  out.Field("redis_mode", "standalone");
  out.Field("vellum_version", kVellumVersion);
  out.Field("os", std::string(name.sysname) + " " + name.release + " " + name.machine);
  out.Field("arch_bits", static_cast<int>(sizeof(void*) * 8));
  out.Field("monotonic_clock", "POSIX clock_gettime");
  out.Field("multiplexing_api", "epoll");
  out.Field("atomicvar_api", "c11-builtin");
#if defined(__GNUC__)
  out.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                               std::to_string(__GNUC_PATCHLEVEL__));
#endif
  out.Field("process_id", static_cast<int64_t>(getpid()));
  out.Field("process_supervised", "no");
  out.Field("run_id", in.server.run_id());
  out.Field("tcp_port", in.server.tcp_port.load());
  out.Field("server_time_usec", in.server.clock().NowUs());
  out.Field("uptime_in_seconds", uptime_s);
  out.Field("uptime_in_days", uptime_s / 86400);
  out.Field("hz", in.config.hz);
  out.Field("configured_hz", in.config.hz);
  out.Field("lru_clock", (in.now_ms / 1000) & ((1 << 24) - 1));
  out.Field("executable", ExecutablePath(in.server));
  out.Field("config_file", AbsolutePath(in.config.config_file));
  out.Field("io_threads_active", 0);
}

void ClientsSection(const InfoInput& in, InfoText& out) {
  size_t max_in = 0, max_out = 0;
  std::vector<std::shared_ptr<ClientState>> clients = in.server.clients().Live();
  for (const auto& c : clients) {
    max_in = std::max(max_in, c->query_buffer_bytes.load(std::memory_order_relaxed));
    max_out = std::max(max_out, c->output_bytes.load(std::memory_order_relaxed));
  }
  out.Header("Clients");
  out.Field("connected_clients", static_cast<uint64_t>(clients.size()));
  out.Field("cluster_connections", 0);
  out.Field("maxclients", in.server.maxclients.load());
  out.Field("client_recent_max_input_buffer", static_cast<uint64_t>(max_in));
  out.Field("client_recent_max_output_buffer", static_cast<uint64_t>(max_out));
  const BlockingRegistry* blocking = in.server.blocking();
  const uint64_t blocked = blocking ? blocking->blocked_clients() : 0;
  out.Field("blocked_clients", blocked);
  out.Field("tracking_clients", 0);
  out.Field("clients_in_timeout_table", blocked);
}

void MemorySection(const InfoInput& in, InfoText& out) {
  const MemoryFigures f = MemoryFigures::Collect(in.server);
  const uint64_t used = f.used, peak = f.peak, rss = f.rss;
  const uint64_t net = used > f.startup ? used - f.startup : 0;
  const uint64_t resident = f.allocator.resident;
  uint64_t system =
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t maxmemory = static_cast<uint64_t>(in.config.maxmemory);
  auto ratio = [](uint64_t a, uint64_t b) {
    return Printf("%.2f", b ? static_cast<double>(a) / static_cast<double>(b) : 0.0);
  };
  auto diff = [](uint64_t a, uint64_t b) {
    return static_cast<int64_t>(a) - static_cast<int64_t>(b);
  };
  out.Header("Memory");
  out.Field("used_memory", used);
  out.Field("used_memory_human", BytesToHuman(used));
  out.Field("used_memory_rss", rss);
  out.Field("used_memory_rss_human", BytesToHuman(rss));
  out.Field("used_memory_peak", peak);
  out.Field("used_memory_peak_human", BytesToHuman(peak));
  out.Field(
      "used_memory_peak_perc",
      Printf("%.2f%%", peak ? 100.0 * static_cast<double>(used) / static_cast<double>(peak) : 0.0));
  out.Field("used_memory_overhead", f.overhead);
  out.Field("used_memory_startup", f.startup);
  out.Field("used_memory_dataset", f.dataset());
  out.Field("used_memory_dataset_perc",
            Printf("%.2f%%", net ? 100.0 * static_cast<double>(f.dataset()) /
                                       static_cast<double>(net)
                                 : 0.0));
  out.Field("allocator_allocated", f.allocator.allocated);
  out.Field("allocator_active", f.allocator.active);
  out.Field("allocator_resident", resident);
  out.Field("allocator_free", f.allocator.free);
  out.Field("total_system_memory", system);
  out.Field("total_system_memory_human", BytesToHuman(system));
  // Scripts: the Lua VMs of every worker, and the cached bodies.
  const uint64_t lua = static_cast<uint64_t>(
      std::max<int64_t>(0, in.server.lua_memory.load(std::memory_order_relaxed)));
  out.Field("used_memory_lua", lua);
  out.Field("used_memory_vm_eval", lua);
  out.Field("used_memory_lua_human", BytesToHuman(lua));
  out.Field("used_memory_scripts_eval", in.server.scripts().memory());
  out.Field("number_of_cached_scripts", in.server.scripts().size());
  out.Field("used_memory_scripts", in.server.scripts().memory());
  out.Field("maxmemory", maxmemory);
  out.Field("maxmemory_human", BytesToHuman(maxmemory));
  out.Field("maxmemory_policy", in.config.maxmemory_policy);
  out.Field("allocator_frag_ratio", ratio(f.allocator.active, f.allocator.allocated));
  out.Field("allocator_frag_bytes", diff(f.allocator.active, f.allocator.allocated));
  out.Field("allocator_rss_ratio", ratio(resident, f.allocator.active));
  out.Field("allocator_rss_bytes", diff(resident, f.allocator.active));
  out.Field("rss_overhead_ratio", ratio(rss, resident));
  out.Field("rss_overhead_bytes", diff(rss, resident));
  out.Field("mem_fragmentation_ratio", ratio(rss, used));
  out.Field("mem_fragmentation_bytes", diff(rss, used));
  out.Field("mem_not_counted_for_evict", f.not_counted);
  // The newest batches kept in memory for replicas (storage/recent_log.h); the log files
  // behind them are on disk.
  out.Field("mem_replication_backlog", f.replication_backlog);
  out.Field("mem_clients_slaves", f.clients_slaves);
  out.Field("mem_clients_normal", f.clients_normal);
  out.Field("mem_aof_buffer", 0);
  out.Field("mem_allocator", kAllocatorName);  // counted by common/memory.h
}

void PersistenceSection(const InfoInput& in, InfoText& out) {
  out.Header("Persistence");
  out.Field("loading", 0);
  out.Field("async_loading", 0);
  storage::Persister* p = in.server.persister();
  // Redis's RDB fields, from the snapshots (snapshot/snapshot_service.h). "Changes" are
  // the records the persister wrote since the last snapshot's cut.
  snapshot::SnapshotService* snaps = in.server.snapshots();
  snapshot::ServiceStats ss;
  if (snaps != nullptr) ss = snaps->stats();
  else ss.last_save_unix_s = in.server.start_ms() / 1000;
  const uint64_t records = p != nullptr ? p->records_written() : 0;
  out.Field("rdb_changes_since_last_save",
            records > ss.records_at_last_save ? records - ss.records_at_last_save : 0);
  out.Field("rdb_bgsave_in_progress", ss.in_progress ? 1 : 0);
  out.Field("rdb_last_save_time", ss.last_save_unix_s);
  out.Field("rdb_last_bgsave_status", ss.last_ok ? "ok" : "err");
  out.Field("rdb_last_bgsave_time_sec",
            ss.last_duration_ms < 0 ? -1 : (ss.last_duration_ms + 500) / 1000);
  out.Field("rdb_saves", ss.saves);
  storage::Engine* engine = in.server.engine();
  out.Field("aof_enabled", p != nullptr ? 1 : 0);
  out.Field("aof_rewrite_in_progress", 0);
  out.Field("aof_rewrite_scheduled", 0);
  out.Field("aof_last_bgrewrite_status", "ok");
  out.Field("aof_last_write_status", p != nullptr && p->failing() ? "err" : "ok");
  out.Field("vellum_durability", in.config.durability);
  if (p == nullptr || engine == nullptr) return;
  out.Field("vellum_persister_cycles", p->cycles());
  out.Field("vellum_persister_loop_cycles", p->loop_cycles());
  out.Field("vellum_persister_records", p->records_written());
  out.Field("vellum_persister_bytes", p->bytes_written());
  out.Field("vellum_persister_pending_keys", std::max<int64_t>(0, p->pending_keys()));
  out.Field("vellum_persister_write_errors", p->write_errors());
  out.Field("vellum_persister_last_error", p->last_error());
  // The warm-up after a start (storage/warmup.h): `loading` stays 0 throughout, since
  // every command is served meanwhile (clients that wait for loading:0 do not wait).
  storage::Warmup* w = in.server.warmup();
  const storage::Warmup::Stats ws = w != nullptr ? w->stats() : storage::Warmup::Stats{};
  out.Field("vellum_warmup_in_progress", ws.in_progress ? 1 : 0);
  out.Field("vellum_warmup_status", ws.in_progress ? "loading" : ws.failed ? "failed" : "done");
  out.Field("vellum_warmup_keys_loaded", ws.keys_loaded);
  out.Field("vellum_warmup_keys_left_on_disk", ws.keys_left_on_disk);
  out.Field("vellum_warmup_keys_estimated", ws.keys_estimated);
  const double perc = !ws.in_progress && !ws.failed ? 100.0
                     : ws.keys_estimated == 0 ? 0.0
                                              : 100.0 * static_cast<double>(ws.keys_loaded) /
                                                    static_cast<double>(ws.keys_estimated);
  out.Field("vellum_warmup_perc", Printf("%.2f%%", std::min(100.0, perc)));
  out.Field("vellum_warmup_seconds", Printf("%.3f", static_cast<double>(ws.duration_ms) / 1000.0));
  out.Field("vellum_warmup_fetched_keys", ws.fetched_keys);
  out.Field("vellum_warmup_sync_reads", in.server.keyspace().sync_disk_reads());
  out.Field("vellum_warmup_errors", ws.errors);
  out.Field("vellum_warmup_last_error", ws.last_error);
  // Tiering (storage.tiering): keys whose value is on disk only, values dropped to disk
  // by eviction and read back, and the keyspace hits served from memory or from disk (a
  // hit whose value had to be read back first).
  storage::Keyspace& ks = in.server.keyspace();
  const uint64_t disk_hits = ks.disk_hits();
  const uint64_t hits = ks.hits();
  out.Field("vellum_tiering", in.server.tiering.load(std::memory_order_relaxed) ? 1 : 0);
  out.Field("vellum_tiering_keys_on_disk_only", ks.OnDiskSize());
  out.Field("vellum_tiering_offloaded_values", ks.offloads());
  out.Field("vellum_tiering_values_read_back", ks.reads_back());
  out.Field("vellum_tiering_memory_hits", hits > disk_hits ? hits - disk_hits : 0);
  out.Field("vellum_tiering_disk_hits", disk_hits);
  out.Field("vellum_tiering_offload_behind", in.server.evictor().behind());
  out.Field("vellum_wal_syncs", p->syncs());
  out.Field("vellum_wal_last_sync_time", p->last_sync_unix_s());
  out.Field("vellum_rocksdb_dir", engine->dir());
  out.Field("vellum_rocksdb_estimated_keys", engine->EstimatedKeys());
  out.Field("vellum_rocksdb_live_data_bytes", engine->LiveDataBytes());
  out.Field("vellum_rocksdb_block_cache_bytes", engine->BlockCacheBytes());
  out.Field("vellum_rocksdb_memtable_bytes", engine->MemtableBytes());
  out.Field("vellum_rocksdb_compactions_running", engine->CompactionsRunning());
  out.Field("vellum_rocksdb_compaction_pending_bytes", engine->CompactionPendingBytes());
}

// Vellum's own: the snapshots (snapshot/snapshot_service.h).
void SnapshotSection(const InfoInput& in, InfoText& out) {
  out.Header("Snapshot");
  snapshot::SnapshotService* snaps = in.server.snapshots();
  out.Field("snapshot_enabled", snaps != nullptr ? 1 : 0);
  if (snaps == nullptr) return;
  snapshot::ServiceStats ss = snaps->stats();
  out.Field("snapshot_dir", snaps->dir());
  out.Field("snapshots", static_cast<uint64_t>(ss.count));
  out.Field("snapshot_in_progress", ss.in_progress ? 1 : 0);
  // The running job's stage: what vellumctl shows while SNAPSHOT CREATE waits.
  ProgressMeter::Stage stage;
  const bool staged = snaps->CurrentStage(&stage);
  out.Field("snapshot_stage", staged ? stage.name : "");
  out.Field("snapshot_stage_unit", stage.unit == ProgressMeter::Unit::kKeys ? "keys" : "bytes");
  out.Field("snapshot_stage_done", staged ? stage.done : uint64_t{0});
  out.Field("snapshot_stage_total", staged ? stage.total : uint64_t{0});
  out.Field("snapshot_interval_ms", snaps->interval_ms());
  out.Field("snapshot_next_scheduled_time", ss.next_scheduled_unix_s);
  out.Field("snapshot_saves", ss.saves);
  out.Field("snapshot_failures", ss.failures);
  out.Field("snapshot_last_status", ss.last_ok ? "ok" : "err");
  out.Field("snapshot_last_error", ss.last_error);
  out.Field("snapshot_last_id", static_cast<uint64_t>(ss.last.id));
  out.Field("snapshot_last_label", ss.last.label);
  out.Field("snapshot_last_duration_ms", ss.last_duration_ms);
  if (in.server.persister() != nullptr) {
    // The cut: every shard locked while one persister cycle collects (the workers'
    // pause), then RocksDB's checkpoint (the persister's).
    out.Field("snapshot_last_cut_lock_us", in.server.persister()->last_cut_lock_us());
    out.Field("snapshot_last_checkpoint_us", in.server.persister()->last_checkpoint_us());
  }
  out.Field("snapshot_last_keys", ss.last.keys);
  out.Field("snapshot_last_total_bytes", ss.last.total_bytes);
  out.Field("snapshot_last_added_bytes", ss.last.added_bytes);
  out.Field("snapshot_exports", ss.exports);
  out.Field("snapshot_export_failures", ss.export_failures);
  out.Field("snapshot_restores", ss.restores);
  out.Field("snapshot_last_restore_id", static_cast<uint64_t>(ss.last_restore.id));
}

void StatsSection(const InfoInput& in, InfoText& out) {
  ServerState& s = in.server;
  storage::Keyspace& ks = s.keyspace();
  uint64_t commands = s.TotalCommandsProcessed();
  out.Header("Stats");
  out.Field("total_connections_received", s.total_connections_received.load());
  out.Field("total_commands_processed", commands);
  out.Field("instantaneous_ops_per_sec", s.SampleOpsPerSec(in.now_ms, commands));
  out.Field("total_net_input_bytes", s.TotalNetInputBytes());
  out.Field("total_net_output_bytes", s.TotalNetOutputBytes());
  out.Field("rejected_connections", s.rejected_connections.load());
  snapshot::Replication* repl = s.replication();
  out.Field("sync_full", repl ? repl->sync_full.load() : 0);
  out.Field("sync_partial_ok", repl ? repl->sync_partial_ok.load() : 0);
  out.Field("sync_partial_err", repl ? repl->sync_partial_err.load() : 0);
  out.Field("expired_keys", ks.expired_keys());
  out.Field("expired_stale_perc", "0.00");
  out.Field("evicted_keys", ks.evicted_keys());
  out.Field("evicted_clients", 0);
  out.Field("keyspace_hits", ks.hits());
  out.Field("keyspace_misses", ks.misses());
  out.Field("pubsub_channels",
            static_cast<uint64_t>(s.pubsub() ? s.pubsub()->NumChannels() : 0));
  out.Field("pubsub_patterns", static_cast<uint64_t>(s.pubsub() ? s.pubsub()->NumPat() : 0));
  out.Field("latest_fork_usec", 0);
  out.Field("total_forks", 0);
  out.Field("client_output_buffer_limit_disconnections", s.output_buffer_disconnections.load());
  out.Field("total_error_replies", s.TotalErrorReplies());
}

// Offsets are RocksDB sequence numbers: the primary's log position, which a replica's
// database shares (snapshot/replication.h).
void ReplicationSection(const InfoInput& in, InfoText& out) {
  snapshot::Replication* r = in.server.replication();
  out.Header("Replication");
  const uint64_t offset = r ? r->offset() : 0;
  if (r != nullptr && r->is_replica()) {
    snapshot::Replication::LinkInfo l = r->link();
    out.Field("role", "slave");
    out.Field("master_host", l.host);
    out.Field("master_port", l.port);
    out.Field("master_link_status", l.state.link_up && l.state.status == "connected" ? "up" : "down");
    out.Field("master_last_io_seconds_ago",
              l.state.last_io_ms == 0 ? int64_t{-1} : (MonotonicMs() - l.state.last_io_ms) / 1000);
    out.Field("master_sync_in_progress", l.state.sync_in_progress ? 1 : 0);
    out.Field("slave_read_repl_offset", offset);
    out.Field("slave_repl_offset", offset);
    out.Field("slave_priority", 100);
    out.Field("slave_read_only", 1);
    out.Field("replica_announced", 1);
    out.Field("master_link_last_error", l.state.last_error.empty() ? "none" : l.state.last_error);
    out.Field("vellum_full_syncs", l.state.full_syncs);
    out.Field("vellum_partial_syncs", l.state.partial_syncs);
    out.Field("vellum_batches_applied", l.state.batches);
  } else {
    out.Field("role", "master");
  }
  std::vector<snapshot::Replication::Replica> replicas;
  if (r != nullptr) replicas = r->Replicas();
  out.Field("connected_slaves", static_cast<uint64_t>(replicas.size()));
  for (size_t i = 0; i < replicas.size(); i++) {
    const auto& rep = replicas[i];
    out.Field("slave" + std::to_string(i),
              "ip=" + rep.ip + ",port=" + std::to_string(rep.port) + ",state=online,offset=" +
                  std::to_string(rep.acked) + ",lag=" +
                  std::to_string((MonotonicMs() - rep.last_ms) / 1000));
  }
  out.Field("master_failover_state", "no-failover");
  const snapshot::ReplIds ids = r ? r->ids() : snapshot::ReplIds{in.server.replid(), false, "", 0};
  out.Field("master_replid", ids.id);
  out.Field("master_replid2", ids.id2.empty() ? std::string(40, '0') : ids.id2);
  out.Field("master_repl_offset", offset);
  // As Redis: the first position the second id no longer covers (-1: no second id).
  out.Field("second_repl_offset",
            ids.id2.empty() ? int64_t{-1} : static_cast<int64_t>(ids.id2_end + 1));
  // The backlog is the log files kept for replicas (replication.backlog-mb/-ttl), in
  // sequence numbers as the offsets are: first + histlen - 1 is master_repl_offset.
  storage::Engine* engine = in.server.engine();
  const storage::Engine::LogBacklog backlog =
      engine ? engine->log_backlog() : storage::Engine::LogBacklog{};
  const uint64_t first = backlog.first_sequence;
  out.Field("repl_backlog_active", backlog.kept ? 1 : 0);
  out.Field("repl_backlog_size", backlog.limit_bytes);
  out.Field("repl_backlog_first_byte_offset", first);
  out.Field("repl_backlog_histlen", first != 0 && offset + 1 >= first ? offset + 1 - first : 0);
  out.Field("vellum_repl_backlog_bytes", backlog.bytes);
  out.Field("vellum_wait_pending", r != nullptr ? static_cast<uint64_t>(r->feeder().waiting()) : 0);
}

void CpuSection(const InfoInput&, InfoText& out) {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  out.Header("CPU");
  out.Field("used_cpu_sys", TimevalText(self.ru_stime));
  out.Field("used_cpu_user", TimevalText(self.ru_utime));
  out.Field("used_cpu_sys_children", TimevalText(children.ru_stime));
  out.Field("used_cpu_user_children", TimevalText(children.ru_utime));
}

void ModulesSection(const InfoInput&, InfoText& out) { out.Header("Modules"); }

void CommandstatsSection(const InfoInput& in, InfoText& out) {
  out.Header("Commandstats");
  ServerState& s = in.server;
  for (const auto& cmd : s.commands().all()) {
    uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
    for (int w = 0; w < s.worker_count(); w++) {
      WorkerStats& ws = s.worker_stats(w);
      if (static_cast<size_t>(cmd->id) >= ws.count) continue;
      const CommandStat& st = ws.command[cmd->id];
      calls += st.calls.load(std::memory_order_relaxed);
      usec += st.usec.load(std::memory_order_relaxed);
      rejected += st.rejected_calls.load(std::memory_order_relaxed);
      failed += st.failed_calls.load(std::memory_order_relaxed);
    }
    if (calls == 0 && rejected == 0 && failed == 0) continue;
    double per_call = calls ? static_cast<double>(usec) / static_cast<double>(calls) : 0.0;
    out.Field("cmdstat_" + cmd->fullname,
              "calls=" + std::to_string(calls) + ",usec=" + std::to_string(usec) +
                  ",usec_per_call=" + Printf("%.2f", per_call) + ",rejected_calls=" +
                  std::to_string(rejected) + ",failed_calls=" + std::to_string(failed));
  }
}

void ClusterSection(const InfoInput&, InfoText& out) {
  out.Header("Cluster");
  out.Field("cluster_enabled", 0);
}

void KeyspaceSection(const InfoInput& in, InfoText& out) {
  out.Header("Keyspace");
  storage::Keyspace& ks = in.server.keyspace();
  for (int db = 0; db < storage::kNumDbs; db++) {
    size_t keys = ks.DbSize(db);
    if (keys == 0) continue;
    out.Field("db" + std::to_string(db), "keys=" + std::to_string(keys) + ",expires=" +
                                             std::to_string(ks.VolatileSize(db)) + ",avg_ttl=0");
  }
}

struct Section {
  const char* name;
  bool in_default;
  void (*generate)(const InfoInput&, InfoText&);
};

// Redis's order: sections always come out in this order.
constexpr Section kSections[] = {
    {"server", true, ServerSection},
    {"clients", true, ClientsSection},
    {"memory", true, MemorySection},
    {"persistence", true, PersistenceSection},
    {"snapshot", false, SnapshotSection},  // Vellum's own: asked for by name, or "all"
    {"stats", true, StatsSection},
    {"replication", true, ReplicationSection},
    {"cpu", true, CpuSection},
    {"modules", true, ModulesSection},
    {"commandstats", false, CommandstatsSection},
    {"cluster", true, ClusterSection},
    {"keyspace", true, KeyspaceSection},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string BytesToHuman(uint64_t n) {
  constexpr double kK = 1024.0;
  const double d = static_cast<double>(n);
  if (n < 1024) return std::to_string(n) + "B";
  if (d < kK * kK) return Printf("%.2fK", d / kK);
  if (d < kK * kK * kK) return Printf("%.2fM", d / (kK * kK));
  if (d < kK * kK * kK * kK) return Printf("%.2fG", d / (kK * kK * kK));
  if (d < kK * kK * kK * kK * kK) return Printf("%.2fT", d / (kK * kK * kK * kK));
  if (d < kK * kK * kK * kK * kK * kK) return Printf("%.2fP", d / (kK * kK * kK * kK * kK));
  return std::to_string(n) + "B";
}

std::string BuildInfo(ServerState& server, std::span<const std::string_view> sections,
                      int64_t now_ms) {
  std::set<std::string> wanted;
  if (sections.empty()) wanted.insert("default");
  for (std::string_view s : sections) wanted.insert(Lower(s));
  bool all = wanted.count("all") || wanted.count("everything");
  bool defaults = wanted.count("default");

  conf::Config config = server.config().Snapshot();
  InfoInput in{server, config, now_ms};
  InfoText out;
  for (const Section& section : kSections) {
    if (all || (defaults && section.in_default) || wanted.count(section.name)) {
      section.generate(in, out);
    }
  }
  return out.Take();
}

}  // namespace vellum::server
