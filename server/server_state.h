// ServerState: what commands may see of the running server beyond their own client:
// configuration, statistics, the registry of clients, the slowlog, and a way to ask for
// shutdown. Thread-safe: counters are atomics, collections have their own locks.
//
// Per-command statistics are kept per worker (one writer each, no cache-line sharing on
// the hot path) and summed when INFO asks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/counter.h"
#include "conf/config.h"
#include "server/client_state.h"
#include "server/command_table.h"
#include "server/http/page.h"
#include "server/scripting/script_cache.h"
#include "server/scripting/script_run.h"
#include "server/slowlog.h"
#include "storage/eviction.h"
#include "storage/keyspace.h"
#include "storage/persister.h"
#include "storage/warmup.h"

namespace vellum::snapshot {
class Replication;
class SnapshotService;
}

namespace vellum::server {

class PubSub;          // server/pubsub.h
class MonitorRegistry; // server/monitor.h
class BlockingRegistry;  // server/blocking.h
class KeyspaceEvents;  // server/keyspace_events.h
class WatchRegistry;   // server/watch_registry.h
class Acl;             // server/acl.h

struct CommandStat {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> rejected_calls{0};
  std::atomic<uint64_t> failed_calls{0};
};

struct WorkerStats {
  explicit WorkerStats(size_t commands) : command(new CommandStat[commands]), count(commands) {}
  std::unique_ptr<CommandStat[]> command;
  size_t count;
  std::atomic<uint64_t> commands_processed{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
};

class ClientRegistry {
 public:
  void Add(std::shared_ptr<ClientState> client);
  void Remove(uint64_t id);
  std::shared_ptr<ClientState> Find(uint64_t id) const;
  std::vector<std::shared_ptr<ClientState>> All() const;  // ordered by id
  // All() without the clients already asked to close (CLIENT KILL): what CLIENT LIST,
  // CLIENT KILL and INFO report.
  std::vector<std::shared_ptr<ClientState>> Live() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<ClientState>> clients_;
};

class ServerState {
 public:
  ServerState(conf::ConfigStore* config, const CommandTable* commands,
              storage::Keyspace* keyspace, const Clock* clock, int workers);

  conf::ConfigStore& config() { return *config_; }
  const CommandTable& commands() const { return *commands_; }
  storage::Keyspace& keyspace() { return *keyspace_; }
  const Clock& clock() const { return *clock_; }
  int worker_count() const { return static_cast<int>(worker_stats_.size()); }
  WorkerStats& worker_stats(int i) { return *worker_stats_[static_cast<size_t>(i)]; }
  ClientRegistry& clients() { return clients_; }
  Slowlog& slowlog() { return slowlog_; }
  // Pub/Sub registry and keyspace-event notifier, owned by Server (null in unit tests
  // that build a bare ServerState).
  PubSub* pubsub() { return pubsub_; }
  KeyspaceEvents* keyspace_events() { return keyspace_events_; }
  void set_pubsub(PubSub* p, KeyspaceEvents* e) { pubsub_ = p; keyspace_events_ = e; }
  // WATCH's registry, owned by Server (null in unit tests that build a bare ServerState).
  WatchRegistry* watch_registry() { return watch_registry_; }
  void set_watch_registry(WatchRegistry* r) { watch_registry_ = r; }
  // The ACL user table, owned by Server (null in unit tests that build a bare ServerState:
  // then every client runs as an unrestricted default user).
  Acl* acl() { return acl_; }
  void set_acl(Acl* a) { acl_ = a; }
  // The persister and its engine, owned by Server; null with storage.durability none (and
  // in unit tests that build a bare ServerState).
  storage::Persister* persister() { return persister_; }
  storage::Engine* engine() { return engine_; }
  void set_persistence(storage::Persister* p, storage::Engine* e) { persister_ = p; engine_ = e; }
  // The warm-up after a start (storage/warmup.h), owned by Server; null when the data set
  // was loaded before serving (or there is none).
  storage::Warmup* warmup() { return warmup_; }
  void set_warmup(storage::Warmup* w) { warmup_ = w; }
  // MONITOR's registry, owned by Server (null in unit tests).
  // Scripts: the server's cache of bodies, and the one script running now.
  ScriptCache& scripts() { return scripts_; }
  ScriptRun& script_run() { return script_run_; }
  // A script has run past busy-reply-threshold: other commands get -BUSY.
  bool ScriptBusy() const {
    if (!script_run_.running()) return false;  // one relaxed-cost load on the hot path
    return script_run_.Busy(clock_->NowMs(), busy_reply_threshold_ms.load(std::memory_order_relaxed));
  }

  MonitorRegistry* monitors() { return monitors_; }
  void set_monitors(MonitorRegistry* m) { monitors_ = m; }
  // Clients blocked on list keys (BLPOP and the like); null in unit tests without one.
  BlockingRegistry* blocking() { return blocking_; }
  void set_blocking(BlockingRegistry* b) { blocking_ = b; }
  // Snapshots (snapshot/snapshot_service.h), owned by Server; null without persistence.
  snapshot::SnapshotService* snapshots() { return snapshots_; }
  void set_snapshots(snapshot::SnapshotService* s) { snapshots_ = s; }
  // Replication (snapshot/replication.h); null without persistence.
  snapshot::Replication* replication() const { return replication_; }
  void set_replication(snapshot::Replication* r) { replication_ = r; }
  // A replica follows its primary: it refuses writes, and neither expires nor evicts
  // keys by itself (its primary's log does).
  bool is_replica() const;

  // Settings read on hot paths, refreshed whenever CONFIG SET changes them.
  void ApplyConfig(const conf::Config& c);
  std::atomic<int64_t> maxclients{10000};
  std::atomic<bool> serve_stale_data{true};  // replication.serve-stale-data
  std::atomic<int64_t> timeout_s{0};
  std::atomic<int64_t> output_buffer_limit{0};
  std::atomic<int64_t> proto_max_bulk_len{0};
  std::atomic<int64_t> slowlog_slower_than_us{10000};
  std::atomic<int64_t> slowlog_max_len{128};
  std::atomic<int64_t> busy_reply_threshold_ms{5000};
  std::atomic<int64_t> lua_memory{0};
  // UsedMemory() before any data was loaded; set once before the workers start.
  uint64_t startup_memory = 0;
  uint64_t startup_rss = 0;  // ProcessRssBytes() then (the binary's own pages)
  // HTTP edge (server/http/): limits read per connection, the page rules' settings (a
  // snapshot replaced whole when CONFIG SET changes one), responses counted by status.
  std::atomic<int64_t> http_max_header_bytes{8192};
  std::atomic<int64_t> http_header_timeout_ms{10000};
  std::shared_ptr<const PageConfig> page_config() const {
    std::lock_guard<std::mutex> lock(mu_);
    return page_config_;
  }
  // Bumped after each replacement of the page settings (workers cache them by it).
  uint64_t page_config_generation() const {
    return page_config_generation_.load(std::memory_order_acquire);
  }
  void CountHttpResponse(int status);
  uint64_t HttpResponses(int status) const;  // one of kHttpStatusCodes (/metrics)  // bytes held by every worker's Lua VM (INFO used_memory_lua)  // busy-reply-threshold (lua-time-limit)
  std::atomic<bool> has_requirepass{false};
  // maxmemory and eviction (storage/eviction.h); maxmemory 0 = no limit, and then the
  // dispatcher's OOM stage costs one relaxed load.
  std::atomic<uint64_t> maxmemory{0};
  std::atomic<storage::EvictionPolicy> maxmemory_policy{storage::EvictionPolicy::kNoEviction};
  std::atomic<int> maxmemory_samples{5};
  std::atomic<bool> tiering{false};  // storage.tiering, with persistence on
  std::atomic<int64_t> lfu_decay_time{1};
  storage::Evictor& evictor() { return *evictor_; }
  // Redis's performEvictions: while used memory is over maxmemory, evicts as the policy
  // says. Returns false if memory is still over the limit. Call with no shard lock held.
  bool FreeMemoryIfNeeded(int64_t now_ms);
  std::string requirepass() const;

  // Server-wide counters (INFO).
  std::atomic<uint64_t> total_connections_received{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> output_buffer_disconnections{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> next_client_id{1};
  void ResetStats();
  // Sums over the workers (INFO stats).
  uint64_t TotalCommandsProcessed() const;
  uint64_t TotalNetInputBytes() const;
  uint64_t TotalNetOutputBytes() const;
  // Error replies: failed and rejected calls of every command, plus protocol errors.
  // (Unknown-command errors are not counted: the dispatcher has no counter for them.)
  uint64_t TotalErrorReplies() const;
  // INFO stats: commands per second over the last window of at least one second that
  // ended at a call of this function (0 until two calls a second apart).
  int64_t SampleOpsPerSec(int64_t now_ms, uint64_t total_commands);

  // Identity.
  int64_t start_ms() const { return start_ms_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& replid() const { return replid_; }  // INFO replication master_replid
  std::atomic<int> tcp_port{0};
  std::string executable;

  // Asks the server to shut down (any thread). Set by Server.
  void RequestShutdown();
  void set_shutdown_hook(std::function<void()> fn) { shutdown_hook_ = std::move(fn); }
  bool shutting_down() const { return shutting_down_.load(); }

 private:
  conf::ConfigStore* config_;
  const CommandTable* commands_;
  storage::Keyspace* keyspace_;
  const Clock* clock_;
  std::vector<std::unique_ptr<WorkerStats>> worker_stats_;
  ClientRegistry clients_;
  Slowlog slowlog_;
  mutable std::mutex mu_;
  std::string requirepass_;
  int64_t start_ms_;
  std::string run_id_;
  std::string replid_;
  std::unique_ptr<storage::Evictor> evictor_;
  std::mutex ops_mu_;
  int64_t ops_sample_ms_ = 0;       // time of the window's start (0: no sample yet)
  uint64_t ops_sample_count_ = 0;   // commands processed at that time
  int64_t ops_per_sec_ = 0;         // rate over the last complete window
  std::function<void()> shutdown_hook_;
  PubSub* pubsub_ = nullptr;
  KeyspaceEvents* keyspace_events_ = nullptr;
  WatchRegistry* watch_registry_ = nullptr;
  Acl* acl_ = nullptr;
  storage::Persister* persister_ = nullptr;
  storage::Engine* engine_ = nullptr;
  storage::Warmup* warmup_ = nullptr;
  snapshot::SnapshotService* snapshots_ = nullptr;
  snapshot::Replication* replication_ = nullptr;
  MonitorRegistry* monitors_ = nullptr;
  BlockingRegistry* blocking_ = nullptr;
  ScriptCache scripts_;
  std::shared_ptr<const PageConfig> page_config_;  // guarded by mu_
  std::atomic<uint64_t> page_config_generation_{1};
  std::atomic<uint64_t> http_responses_[std::size(kHttpStatusCodes)] = {};
  ScriptRun script_run_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace vellum::server
