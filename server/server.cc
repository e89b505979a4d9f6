#include "server/server.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/heap_trimmer.h"
#include "common/numbers.h"
#include "common/memory.h"
#include "common/log.h"
#include "server/acl.h"
#include "server/blocking.h"
#include "server/command_table.h"
#include "server/commands/registry.h"
#include "server/engine_config.h"
#include "server/keyspace_events.h"
#include "server/listener.h"
#include "server/monitor.h"
#include "server/pubsub.h"
#include "server/server_state.h"
#include "server/watch_registry.h"
#include "server/worker.h"
#include "snapshot/replication.h"
#include "snapshot/snapshot_service.h"
#include "snapshot/snapshot_store.h"
#include "storage/dir_lock.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "storage/loader.h"
#include "storage/persister.h"
#include "storage/write_listener_list.h"
#include "storage/zset_value.h"

namespace vellum::server {
namespace {

// The control loop's handles and what its callbacks need.
struct ControlLoop {
  uv_loop_t loop;
  uv_signal_t sigterm, sigint;
  uv_timer_t expire_timer;
  uv_async_t shutdown_async;
  ServerState* state = nullptr;
  int64_t hz = 10;
  // Gives freed heap back to the kernel once the data shrank by 32 MiB (FLUSHALL, expiry
  // churn); checked once a second.
  HeapTrimmer trimmer{32ull << 20};
  int64_t ticks = 0;
};

log::Level ParseLevel(const std::string& s) {
  if (s == "debug") return log::Level::kDebug;
  if (s == "verbose") return log::Level::kVerbose;
  if (s == "warning") return log::Level::kWarning;
  return log::Level::kNotice;
}

void StopControlLoop(ControlLoop* c) {
  uv_close(reinterpret_cast<uv_handle_t*>(&c->sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->sigint), nullptr);
  uv_timer_stop(&c->expire_timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->expire_timer), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->shutdown_async), nullptr);
}

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string w;
  while (ss >> w) out.push_back(w);
  return out;
}

}  // namespace

int RunServer(const conf::Config& config, const StartupRestore& restore) {
  log::SetLevel(ParseLevel(config.loglevel));
  if (!config.logfile.empty() && !log::SetFile(config.logfile.c_str())) {
    VLOG_WARNING("Can't open the log file: %s", config.logfile.c_str());
    return 1;
  }
  ::signal(SIGPIPE, SIG_IGN);

  conf::ConfigStore store(config);
  CommandTable table;
  RegisterAllCommands(table);
  storage::Keyspace keyspace(8);
  // What the daemon holds before any data (INFO used_memory_startup, MEMORY STATS).
  const uint64_t startup_memory = UsedMemory();
  const uint64_t startup_rss = ProcessRssBytes();
  SystemClock clock;
  // Persistence: lock <dir>, load RocksDB's <dir>/db before anything listens to the
  // keyspace (a loaded key is not a write), and only then open it for writing. The load
  // reads from a read-only open, so a corrupt or missing file stops start-up before
  // RocksDB's own open has rewritten or deleted anything.
  std::unique_ptr<storage::DirLock> dir_lock;
  std::unique_ptr<storage::Engine> engine;
  std::unique_ptr<storage::Persister> persister;
  std::unique_ptr<storage::Warmup> warmup;
  bool warm_at_start = false;
  storage::EngineOptions engine_options;
  std::optional<snapshot::RestoreReport> startup_restore;
  if (config.durability == "none" && config.tiering) {
    VLOG_WARNING("storage.tiering needs storage.durability always or everysec: the values it "
                 "drops from memory are read back from disk");
    return 1;
  }
  if (config.durability == "none" && !restore.from.empty()) {
    VLOG_WARNING("Can't restore a snapshot with storage.durability none (no data directory)");
    return 1;
  }
  if (config.durability != "none") {
    const std::filesystem::path dir(config.dir.empty() ? "." : config.dir);
    Result<std::unique_ptr<storage::DirLock>> locked =
        storage::DirLock::Acquire((dir / "vellumd.lock").string());
    if (!locked.ok()) {
      VLOG_WARNING("Can't use the data directory: %s", locked.status().message().c_str());
      return 1;
    }
    dir_lock = std::move(*locked);
    storage::EngineOptions eo = EngineOptionsFor(config, (dir / "db").string());
    engine_options = eo;
    snapshot::RemoveRestoreDebris(dir.string());
    {
      std::error_code ec;  // an archive unpacked by a restore that crashed
      std::filesystem::remove_all(dir / "restore-archive.tmp", ec);
    }
    if (!restore.from.empty()) {
      // Verified, restored into a staging directory and checked against its manifest
      // before the current database is moved aside: a bad snapshot changes nothing.
      // An exported archive is checked whole and unpacked into a scratch snapshot
      // directory first (removed once restored).
      std::string from_dir = restore.from;
      const std::filesystem::path unpacked = dir / "restore-archive.tmp";
      std::error_code ec;
      std::filesystem::remove_all(unpacked, ec);
      struct Cleanup {
        std::filesystem::path p;
        ~Cleanup() {
          std::error_code e;
          std::filesystem::remove_all(p, e);
        }
      } cleanup{unpacked};
      bool from_archive = false;
      if (std::filesystem::is_regular_file(restore.from, ec)) {
        Status st = snapshot::UnpackArchive(restore.from, unpacked.string());
        if (!st.ok()) {
          VLOG_WARNING("Can't restore from %s: %s", restore.from.c_str(), st.message().c_str());
          return 1;
        }
        from_archive = true;  // one snapshot in it: --snapshot does not apply
        from_dir = unpacked.string();
      }
      auto from = snapshot::SnapshotStore::Open(from_dir, 0, /*read_only=*/true);
      Result<uint32_t> id = !from.ok()                     ? Result<uint32_t>(from.status())
                            : restore.id != 0 && !from_archive ? Result<uint32_t>(restore.id)
                                                               : (*from)->Latest();
      Result<snapshot::RestoreReport> report =
          id.ok() ? (*from)->Restore(*id, dir.string(), /*force=*/true, eo)
                  : Result<snapshot::RestoreReport>(id.status());
      if (!report.ok()) {
        VLOG_WARNING("Can't restore from %s: %s", restore.from.c_str(),
                     report.status().message().c_str());
        return 1;
      }
      VLOG_NOTICE("Restored snapshot %u (label '%s', taken at %lld ms, %llu keys) from %s in "
                  "%lld ms%s%s", report->manifest.id, report->manifest.label.c_str(),
                  static_cast<long long>(report->manifest.created_ms),
                  static_cast<unsigned long long>(report->manifest.keys), restore.from.c_str(),
                  static_cast<long long>(report->duration_ms),
                  report->moved_aside.empty() ? "" : "; the previous database is now ",
                  report->moved_aside.c_str());
      // The restored data is another history than the directory's replid named: a
      // replica of the snapshot's primary resumes from the snapshot's sequence; anything
      // else starts a new history (its old replicas must not resume on it).
      if (!config.replication_primary.empty() && !report->manifest.replid.empty()) {
        if (Status st = snapshot::WriteReplId(dir.string(), report->manifest.replid,
                                              /*following=*/true);
            !st.ok()) {
          VLOG_WARNING("%s", st.message().c_str());
          return 1;
        }
      } else {
        snapshot::RemoveReplId(dir.string());
      }
      startup_restore = std::move(*report);
    }
    const int64_t load_start_us = MonotonicUs();
    Result<storage::LoadResult> loaded = storage::LoadResult{};
    // storage.warmup background: serve at once, the keys coming in behind (storage/
    // warmup.h). A replica too: the batches it applies meanwhile go through the keyspace's
    // warm rules (a key they delete is read through, found absent and remembered as gone,
    // so the loader never brings it back), and a full sync restarts the warm-up.
    const bool warm_in_background = config.warmup == "background";
    if (Status st = storage::Engine::FinishReplace(eo.dir); !st.ok()) {
      VLOG_WARNING("Can't open the data directory: %s", st.message().c_str());
      return 1;
    }
    Result<bool> exists = storage::Engine::Exists(eo.dir);
    if (!exists.ok()) {
      VLOG_WARNING("Can't open the data directory: %s", exists.status().message().c_str());
      return 1;
    }
    if (*exists) {
      storage::EngineOptions ro = eo;
      ro.read_only = true;
      Result<std::unique_ptr<storage::Engine>> reader = storage::Engine::Open(ro);
      if (!reader.ok()) {
        VLOG_WARNING("Can't open the data directory: %s", reader.status().message().c_str());
        return 1;
      }
      // Loaded hashes and sorted sets take the form the configured limits call for.
      storage::ZSetValue::SetListpackLimits(static_cast<size_t>(config.zset_max_listpack_entries),
                                            static_cast<size_t>(config.zset_max_listpack_value));
      storage::HashValue::SetListpackLimits(static_cast<size_t>(config.hash_max_listpack_entries),
                                            static_cast<size_t>(config.hash_max_listpack_value));
      // The read-only open has checked that the database opens (its MANIFEST, files and
      // log) before RocksDB's own open may rewrite anything; loading first checks every
      // record too.
      if (!warm_in_background) {
        loaded = storage::LoadKeyspace(**reader, keyspace, clock.NowMs());
        if (!loaded.ok()) {
          VLOG_WARNING("Can't load the data directory: %s", loaded.status().message().c_str());
          return 1;
        }
      }
    }
    Result<std::unique_ptr<storage::Engine>> opened = storage::Engine::Open(eo);
    if (!opened.ok()) {
      VLOG_WARNING("Can't open the data directory: %s", opened.status().message().c_str());
      return 1;
    }
    engine = std::move(*opened);
    // Also made when it does not run at start: a replica's full sync warms up with it.
    storage::Warmup::Options wo;
    wo.read_threads = static_cast<int>(config.read_threads);
    wo.keys_per_sec = static_cast<uint64_t>(config.warmup_keys_per_sec);
    warmup = std::make_unique<storage::Warmup>(engine.get(), &keyspace, &clock, wo);
    warm_at_start = *exists && warm_in_background;
    if (warm_at_start) {
      VLOG_NOTICE("DB opened in %.3f seconds; serving while about %llu keys warm up from disk",
                  static_cast<double>(MonotonicUs() - load_start_us) / 1e6,
                  static_cast<unsigned long long>(engine->EstimatedKeys()));
    } else {
      VLOG_NOTICE("DB loaded from disk: %llu keys (%llu expired skipped) in %.3f seconds",
                  static_cast<unsigned long long>(loaded->keys),
                  static_cast<unsigned long long>(loaded->expired),
                  static_cast<double>(MonotonicUs() - load_start_us) / 1e6);
    }
    persister = std::make_unique<storage::Persister>(
        &keyspace, engine.get(),
        config.durability == "always" ? storage::Persister::Mode::kAlways
                                      : storage::Persister::Mode::kEverysec,
        loaded->max_version);
  }
  // Consumers of keyspace writes (WATCH, keyspace notifications, ...) add themselves here
  // before the workers start.
  storage::WriteListenerList write_listeners;
  keyspace.set_listener(&write_listeners);
  // WATCH: marks the clients watching a written key. Declared before the ServerState (and
  // so destroyed after every client), since a client's destructor unwatches.
  WatchRegistry watch_registry;
  write_listeners.Add(&watch_registry);
  if (persister) write_listeners.Add(persister.get());
  int threads = static_cast<int>(config.threads);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // ACL users: "default" takes requirepass as its password (nopass without one), then the
  // [[acl.user]] tables of the config file apply, in file order. A bad rule stops start-up.
  Acl acl(&table);
  acl.SetDefaultPassword(config.requirepass);
  for (const conf::AclUserConfig& u : config.acl_users) {
    Status st = acl.SetUserFromText(u.name, u.rules);
    if (!st.ok()) {
      std::fprintf(stderr, "vellumd: bad configuration: %s:%u: acl.user '%s': %s\n",
                   config.config_file.c_str(), u.line, u.name.c_str(), st.message().c_str());
      return 1;
    }
  }
  store.OnChange([&acl](const conf::Config& c, const std::vector<std::string>& changed) {
    for (const std::string& name : changed) {
      if (name == "server.requirepass") acl.SetDefaultPassword(c.requirepass);
    }
  });
  ServerState state(&store, &table, &keyspace, &clock, threads);
  state.startup_memory = startup_memory;
  state.startup_rss = startup_rss;
  state.set_acl(&acl);
  state.set_watch_registry(&watch_registry);
  state.set_persistence(persister.get(), engine.get());
  state.set_warmup(warmup.get());
  if (persister) {
    // Tiering (storage.tiering): a value leaves memory only once the persister has
    // written it; keys beyond memory warm up without their values (up to nine tenths of
    // maxmemory, so that the values clients then read back have room).
    keyspace.set_offload_guard(persister.get());
    // A replica tiers too (ServerState::FreeMemoryIfNeeded); without tiering it keeps its
    // whole data set in memory, as Redis's replicas ignore maxmemory.
    warmup->set_values_fit([&state] {
      const uint64_t max = state.maxmemory.load(std::memory_order_relaxed);
      return !state.tiering.load(std::memory_order_relaxed) || max == 0 ||
             UsedMemoryForEviction() < max / 10 * 9;
    });
  }
  store.OnChange([&state, w = warmup.get()](const conf::Config& c, const std::vector<std::string>&) {
    if (w != nullptr) w->SetPace(static_cast<uint64_t>(c.warmup_keys_per_sec));
    state.ApplyConfig(c);
    log::SetLevel(ParseLevel(c.loglevel));
  });
  if (!config.dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.dir, ec);
    if (ec) {
      VLOG_WARNING("Can't create the data directory %s: %s", config.dir.c_str(),
                   ec.message().c_str());
      return 1;
    }
  }

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; i++) workers.push_back(std::make_unique<Worker>(i, &state));
  // Pub/Sub: PUBLISH (and keyspace events) post to each subscriber's worker. The notifier
  // hears expiry from the keyspace; commands raise every other event themselves.
  std::vector<Worker*> worker_ptrs;
  for (auto& w : workers) worker_ptrs.push_back(w.get());
  MonitorRegistry monitors(worker_ptrs);
  state.set_monitors(&monitors);
  BlockingRegistry blocking(threads);
  state.set_blocking(&blocking);
  WorkerPubSubWaker pubsub_waker(std::move(worker_ptrs));
  PubSub pubsub(threads, &pubsub_waker);
  KeyspaceEvents keyspace_events(&pubsub);
  keyspace_events.SetFlags(std::max(0, KeyspaceEvents::ParseFlags(config.notify_keyspace_events)));
  write_listeners.Add(&keyspace_events);
  state.set_pubsub(&pubsub, &keyspace_events);
  // Evictions raise the 'evicted' keyspace event (storage knows nothing of Pub/Sub).
  state.evictor().set_on_evicted([&keyspace_events](int db, std::string_view key) {
    keyspace_events.Notify(KeyspaceEvents::kEvicted, "evicted", db, key);
  });
  store.OnChange([&keyspace_events](const conf::Config& c, const std::vector<std::string>&) {
    keyspace_events.SetFlags(std::max(0, KeyspaceEvents::ParseFlags(c.notify_keyspace_events)));
  });

  // Snapshots: events go to the __vellum__:snapshots channel.
  std::unique_ptr<snapshot::SnapshotService> snapshots;
  if (persister) {
    snapshot::ServiceOptions so;
    const std::filesystem::path dir(config.dir.empty() ? "." : config.dir);
    so.data_dir = dir.string();
    so.snapshot_dir = config.snapshot_dir.empty() ? (dir / "snapshots").string() : config.snapshot_dir;
    so.max_bytes_per_sec = static_cast<uint64_t>(config.snapshot_max_mb_per_sec) << 20;
    so.interval_ms = conf::DurationMs(config.snapshot_interval);
    so.keep_last = static_cast<uint32_t>(config.snapshot_keep_last);
    so.max_age_ms = conf::DurationMs(config.snapshot_max_age);
    so.export_dir = config.snapshot_export_dir;
    so.engine_options = engine_options;
    so.engine_options.block_cache_bytes = 8 << 20;  // a checkpoint is read once
    auto opened = snapshot::SnapshotService::Open(
        std::move(so), engine.get(), persister.get(),
        [&pubsub](const std::string& json) { pubsub.Publish("__vellum__:snapshots", json); });
    if (!opened.ok()) {
      VLOG_WARNING("Can't open the snapshot directory: %s", opened.status().message().c_str());
      return 1;
    }
    snapshots = std::move(*opened);
    if (startup_restore) snapshots->NoteRestore(*startup_restore);
    state.set_snapshots(snapshots.get());
  }

  // TCP: one SO_REUSEPORT socket per worker per address; the first bind fixes port 0.
  int port = static_cast<int>(config.port);
  int backlog = static_cast<int>(config.tcp_backlog);
  if (port != 0 || !config.bind.empty()) {
    for (const std::string& host : SplitSpaces(config.bind)) {
      for (auto& w : workers) {
        Result<int> fd = ListenTcp(host, port, backlog);
        if (!fd.ok()) {
          VLOG_WARNING("%s", fd.status().message().c_str());
          return 1;
        }
        if (port == 0) port = BoundPort(*fd);
        Status st = w->AdoptTcpListener(*fd);
        if (!st.ok()) {
          VLOG_WARNING("%s", st.message().c_str());
          return 1;
        }
      }
    }
  }
  state.tcp_port = port;
  // The HTTP edge (server/http/): the same workers, a socket of its own per worker.
  if (config.http_port != 0) {
    const std::string& hosts = config.http_bind.empty() ? config.bind : config.http_bind;
    for (const std::string& host : SplitSpaces(hosts)) {
      for (auto& w : workers) {
        Result<int> fd = ListenTcp(host, static_cast<int>(config.http_port), backlog);
        Status st = fd.ok() ? w->AdoptHttpListener(*fd) : fd.status();
        if (!st.ok()) {
          VLOG_WARNING("http: %s", st.message().c_str());
          return 1;
        }
      }
    }
    VLOG_NOTICE("HTTP edge listening on %s port %d", hosts.c_str(), static_cast<int>(config.http_port));
  }
  if (!config.unixsocket.empty()) {
    Result<int> fd = ListenUnix(config.unixsocket, static_cast<int>(config.unixsocketperm), backlog);
    if (!fd.ok()) {
      VLOG_WARNING("%s", fd.status().message().c_str());
      return 1;
    }
    for (auto& w : workers) {
      Status st = w->AdoptPipeListener(::dup(*fd));
      if (!st.ok()) {
        VLOG_WARNING("%s", st.message().c_str());
        return 1;
      }
    }
    ::close(*fd);
  }

  ControlLoop control;
  control.state = &state;
  control.hz = config.hz;
  uv_loop_init(&control.loop);
  uv_async_init(&control.loop, &control.shutdown_async,
                [](uv_async_t* h) { StopControlLoop(static_cast<ControlLoop*>(h->data)); });
  control.shutdown_async.data = &control;
  state.set_shutdown_hook([&control] { uv_async_send(&control.shutdown_async); });
  auto on_signal = [](uv_signal_t* h, int signum) {
    auto* c = static_cast<ControlLoop*>(h->data);
    VLOG_NOTICE("Received %s scheduling shutdown...", signum == SIGINT ? "SIGINT" : "SIGTERM");
    c->state->RequestShutdown();
  };
  uv_signal_init(&control.loop, &control.sigterm);
  uv_signal_init(&control.loop, &control.sigint);
  control.sigterm.data = control.sigint.data = &control;
  uv_signal_start(&control.sigterm, on_signal, SIGTERM);
  uv_signal_start(&control.sigint, on_signal, SIGINT);
  uv_timer_init(&control.loop, &control.expire_timer);
  control.expire_timer.data = &control;
  uint64_t period_ms = static_cast<uint64_t>(1000 / std::max<int64_t>(1, config.hz));
  uv_timer_start(
      &control.expire_timer,
      [](uv_timer_t* h) {
        auto* c = static_cast<ControlLoop*>(h->data);
        // 25% of each tick at most, as Redis's slow expire cycle.
        int64_t budget_us = 250000 / std::max<int64_t>(1, c->hz);
        // A replica's keys expire when its primary's log deletes them (as in Redis).
        if (!c->state->is_replica()) {
          c->state->keyspace().ActiveExpireCycle(c->state->clock().NowMs(), budget_us);
        }
        // Over maxmemory with no traffic (CONFIG SET lowered it): evict here too, as
        // Redis's eviction time proc does. One relaxed load when maxmemory is 0.
        c->state->FreeMemoryIfNeeded(c->state->clock().NowMs());
        if (++c->ticks % std::max<int64_t>(1, c->hz) == 0) {
          c->trimmer.Tick(UsedMemory(), TakeMemoryHighWater());
        }
      },
      period_ms, period_ms);

  // replication.primary: "host port", checked before anything starts.
  std::string primary_host;
  int64_t primary_port = 0;
  if (!config.replication_primary.empty()) {
    std::vector<std::string> hp = SplitSpaces(config.replication_primary);
    if (hp.size() != 2 || !ParseInt64(hp[1], &primary_port) || primary_port <= 0 ||
        primary_port > 65535) {
      std::fprintf(stderr, "vellumd: bad configuration: replication.primary must be \"host port\", "
                   "got '%s'\n", config.replication_primary.c_str());
      return 1;
    }
    primary_host = hp[0];
    if (!persister) {
      std::fprintf(stderr, "vellumd: bad configuration: replication.primary needs persistence "
                   "(storage.durability everysec or always)\n");
      return 1;
    }
  }
  // Replication (snapshot/replication.h): a primary serves its log to replicas; a server
  // started with replication.primary follows one at once.
  std::unique_ptr<snapshot::Replication> replication;
  if (persister) {
    snapshot::ReplicationOptions ro;
    ro.data_dir = config.dir.empty() ? "." : config.dir;
    ro.listening_port = state.tcp_port;
    ro.sync_writes = config.durability == "always";
    ro.will_follow = !primary_host.empty();
    ro.reload = [&keyspace, w = warmup.get()] {
      w->Restart([&keyspace] {
        storage::ShardLocks all(&keyspace);
        all.AddAll();
        all.Acquire();
        keyspace.FlushAll();
      });
    };
    replication = std::make_unique<snapshot::Replication>(
        std::move(ro), engine.get(), persister.get(), &keyspace,
        [&clock] { return clock.NowMs(); });
    state.set_replication(replication.get());
  }
  if (persister) {
    // After each cycle, workers whose connections hold replies for the disk flush them,
    // and replicas waiting for the log look again.
    persister->set_on_cycle([&workers, feeder = &replication->feeder()] {
      for (auto& w : workers) w->NotifyDurable();
      feeder->Notify();
    });
    persister->Start();
  }
  // Before the replica link's thread exists: its full sync restarts the warm-up's threads
  // (Warmup::Restart), which must not race their launch here.
  if (warm_at_start) {
    warmup->Start();
  } else if (warmup) {
    warmup->ServeReads();
  }
  if (replication && !primary_host.empty()) {
    Status st = replication->Follow(primary_host, static_cast<int>(primary_port),
                                    config.replication_primary_user,
                                    config.replication_primary_password);
    if (!st.ok()) {
      persister->Stop();  // its cycles call back into the workers destroyed on return
      VLOG_WARNING("Can't follow %s: %s", config.replication_primary.c_str(), st.message().c_str());
      return 1;
    }
  }
  if (snapshots) snapshots->Start();
  for (auto& w : workers) w->Start();
  VLOG_NOTICE("Vellum 0.1.0 started, pid=%d, %d worker threads", static_cast<int>(::getpid()),
              threads);
  VLOG_NOTICE("Ready to accept connections tcp on %s port %d", config.bind.c_str(), port);

  uv_run(&control.loop, UV_RUN_DEFAULT);

  VLOG_NOTICE("User requested shutdown...");
  // A snapshot in progress finishes (it needs the persister); queued requests fail, and
  // their clients get the error while the workers still run.
  if (snapshots) snapshots->Stop();
  // The link stops writing the keyspace; replicas waiting for the log get their reply.
  if (replication) replication->Stop();
  for (auto& w : workers) w->BeginShutdown();
  for (auto& w : workers) w->Join();
  // Commands waiting for keys from disk are gone with their workers.
  if (warmup) warmup->Stop();
  // Every worker has stopped writing: the last cycle, then the WAL synced.
  if (persister) persister->Stop();
  // Memtables to table files, so that the next start has no log to replay before it
  // serves (RocksDB's close keeps them in the log).
  if (engine && !engine->Flush().ok()) VLOG_WARNING("Can't flush the database at shutdown");
  workers.clear();
  uv_loop_close(&control.loop);
  if (!config.unixsocket.empty()) ::unlink(config.unixsocket.c_str());
  VLOG_NOTICE("Vellum is now ready to exit, bye bye...");
  return 0;
}

}  // namespace vellum::server
