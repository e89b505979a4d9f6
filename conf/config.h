// Config: every setting of vellumd, from one schema table.
//
// The schema (config.cc) lists each key once: its dotted TOML name ("server.port"), the
// Redis name where Redis has the same setting ("port"), its type, default, bounds and
// whether CONFIG SET may change it at run time. That one table drives:
//   - parsing conf/vellum.toml (tomlplusplus) with file:line:reason errors,
//   - command-line overrides: --server.port 7000 or Redis's own --port 7000,
//   - CONFIG GET / SET / REWRITE,
//   - the documented example file (tests check the two agree).
//
// ConfigStore is thread-safe: any worker may Get/Set; Snapshot() returns a copy.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vellum::conf {

// One [[acl.user]] table of the config file: a user and its ACL SETUSER rules
// ("on >secret ~pages:* +@read"). The rules are checked when the server builds its ACL
// (server/acl.h), which reports FILE:LINE with `line`, where the table was declared.
struct AclUserConfig {
  std::string name;
  std::string rules;
  uint32_t line = 0;
  friend bool operator==(const AclUserConfig& a, const AclUserConfig& b) {
    return a.name == b.name && a.rules == b.rules;  // not the line: CONFIG REWRITE moves it
  }
};

// Plain values; a copy is a consistent snapshot of the configuration.
struct Config {
  // [server]
  std::string bind = "127.0.0.1";
  int64_t port = 6379;
  std::string unixsocket;          // empty: no unix socket
  int64_t unixsocketperm = 0;      // octal permission bits, 0 = umask default
  int64_t threads = 0;             // worker loops; 0 = number of cores
  int64_t maxclients = 10000;
  int64_t timeout = 0;             // idle seconds before a client is closed; 0 = never
  int64_t tcp_keepalive = 300;     // seconds; 0 = off
  int64_t tcp_backlog = 511;
  int64_t databases = 16;
  int64_t hz = 10;                 // background ticks per second (active expiry)
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t output_buffer_limit = 512LL * 1024 * 1024;  // per-client unsent reply bytes
  std::string requirepass;
  std::string notify_keyspace_events;  // Redis's event class letters ("KEA"); empty: off
  // [log]
  std::string logfile;             // empty: stderr
  std::string loglevel = "notice"; // debug | verbose | notice | warning
  // [storage]
  std::string dir = "./data";
  std::string durability = "everysec";  // always | everysec | none (storage/persister.h)
  int64_t block_cache_size = 32LL * 1024 * 1024;   // RocksDB block cache
  int64_t write_buffer_size = 16LL * 1024 * 1024;  // RocksDB memtable per column family
  std::string compression = "lz4";                 // none | lz4 | zstd
  int64_t background_jobs = 2;                     // RocksDB flush/compaction threads
  int64_t min_blob_size = 4096;                    // values >= this go to blob files; 0 = off
  std::string warmup = "background";               // background | before-serving (storage/warmup.h)
  int64_t warmup_keys_per_sec = 0;                 // the background warm-up's pace; 0 = unlimited
  bool tiering = false;                            // eviction drops values to disk only
  int64_t read_threads = 2;                        // readers of keys for commands while warming
  // [snapshot]
  std::string snapshot_dir;              // empty: <storage.dir>/snapshots
  int64_t snapshot_max_mb_per_sec = 0;   // copy rate limit; 0 = unlimited
  std::string snapshot_interval = "off"; // a duration ("15m", "1h") or off
  int64_t snapshot_keep_last = 0;        // 0 = keep every snapshot
  std::string snapshot_max_age = "off";  // a duration ("7d") or off
  std::string snapshot_export_dir;       // empty: no archives of scheduled snapshots
  // [replication]
  std::string replication_primary;          // "host port" to follow at start; empty: primary
  std::string replication_primary_user;     // AUTH user at the primary (masteruser)
  std::string replication_primary_password; // AUTH password at the primary (masterauth)
  std::string replication_backlog_ttl = "1h";  // keep the log this long for replicas
  int64_t replication_backlog_mb = 1024;       // and at most this many MB of it
  int64_t replication_backlog_memory_mb = 32;  // the newest part also kept in memory
  bool replication_serve_stale_data = true;    // a replica without its link still answers
  std::string replication_read_only = "yes";   // replica-read-only: always yes
  // [encoding]: Redis's compact-encoding thresholds. Accepted (tools, tuning scripts and
  // Redis's own test suite set them) and ignored: Vellum's hashes and sets have one
  // representation each (README, "Where Vellum differs").
  int64_t hash_max_listpack_entries = 512;  // Redis 7.0's compiled-in defaults
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t set_max_listpack_entries = 128;
  int64_t set_max_listpack_value = 64;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
  int64_t list_max_listpack_size = -2;
  int64_t list_compress_depth = 0;
  // [memory]
  int64_t maxmemory = 0;            // bytes; 0 = no limit
  std::string maxmemory_policy = "noeviction";
  int64_t maxmemory_samples = 5;
  int64_t lfu_log_factor = 10;      // LFU counter: higher needs more hits per increment
  int64_t lfu_decay_time = 1;       // minutes per LFU counter decrement; 0 = never
  // [slowlog]
  int64_t slowlog_log_slower_than = 10000;  // microseconds; -1 disables, 0 logs all
  int64_t slowlog_max_len = 128;
  int64_t busy_reply_threshold = 5000;
  // HTTP edge: pages and metrics over HTTP/1.1 on the worker loops.
  int64_t http_port = 0;                    // 0: no HTTP listener
  std::string http_bind;                    // empty: server.bind
  std::string http_key_prefix;              // key = prefix + decoded path
  int64_t http_db = 0;
  bool http_query_in_key = false;
  std::string http_default_content_type = "text/html; charset=utf-8";
  std::string http_default_cache_control = "no-cache";
  int64_t http_stale_while_revalidate = 0;  // seconds added to max-age responses; 0: none
  int64_t http_max_header_bytes = 8192;
  int64_t http_header_timeout = 10000;      // ms for a request's header section
  std::string http_metrics_path = "/metrics";  // Prometheus text format; empty: off
  std::string http_user = "default";         // ACL user of HTTP requests  // ms a script runs before others get -BUSY; 0: never

  // [[acl.user]]: an array of tables, so not a schema row (no flag, no CONFIG GET/SET);
  // parsed by its own step of Load().
  std::vector<AclUserConfig> acl_users;

  // Not a setting: the file the daemon was started with ("" = embedded defaults). Load()
  // stores it as an absolute path so CONFIG REWRITE works whatever the working directory.
  std::string config_file;

  friend bool operator==(const Config&, const Config&) = default;
};

enum class ValueKind { kBool, kInt, kBytes, kString, kEnum, kOctal };

// One row of the schema.
struct FieldSpec {
  const char* toml_name;    // "server.port"
  const char* redis_name;   // "port", or nullptr when Redis has no such setting
  ValueKind kind;
  int64_t min;              // bounds for kInt/kBytes/kOctal
  int64_t max;
  const char* enum_values;  // "a|b|c" for kEnum
  bool runtime;             // CONFIG SET may change it
  const char* doc;          // one line, used in the example file
  // Where the value lives in Config: exactly the one matching `kind` is set.
  int64_t Config::*int_field = nullptr;         // kInt, kBytes, kOctal
  std::string Config::*string_field = nullptr;  // kString, kEnum
  bool Config::*bool_field = nullptr;           // kBool
  // kString only: checks a value and returns its canonical spelling (nullopt: invalid, and
  // `invalid` is the reason CONFIG SET gives). nullptr: any string is valid as it is.
  std::optional<std::string> (*normalize)(std::string_view text) = nullptr;
  const char* invalid = nullptr;
  // Redis's older name for the same setting ("hash-max-ziplist-entries"): accepted
  // wherever redis_name is, and shown by CONFIG GET under the name asked for.
  const char* redis_alias = nullptr;
};

const std::vector<FieldSpec>& Schema();

// notify-keyspace-events: the canonical spelling of Redis's event class letters as Redis
// 7.0's CONFIG GET shows them ("KEA" -> "AKE", "Ex" -> "xE"), or nullopt if a character is
// not a class (server/keyspace_events.h maps the letters to flags).
std::optional<std::string> NormalizeKeyspaceEvents(std::string_view classes);

// A duration: "off" (or "0"), or a whole number with a unit: ms, s, m, h, d ("90s",
// "15m"). Canonical spelling as given, lower case; nullopt if invalid.
std::optional<std::string> NormalizeDuration(std::string_view text);
// Milliseconds of a valid duration; 0 for off.
int64_t DurationMs(std::string_view text);

// The field called `name`: its TOML name ("server.port") or Redis name ("port"), any case.
const FieldSpec* FindField(std::string_view name);

// The value as CONFIG GET shows it: integers and byte counts in decimal, octal fields in
// octal ("700"), booleans as yes/no, strings as they are.
std::string ValueText(const Config& config, const FieldSpec& field);

// Parses "1gb", "512mb", "100k", "42" as Redis's memtoll (k=1000, kb=1024, ...).
bool ParseBytes(std::string_view text, int64_t* out);

// Reads the TOML file (if path non-empty) over the defaults, then applies argv overrides
// ("--key value" pairs, after the optional leading config path / --config FILE).
// Errors: "FILE:LINE: reason" for file problems, "--flag: reason" for flags.
Result<Config> Load(const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& overrides);

// Parses vellumd's argv: [config-file] [--config FILE] [--key value]...
struct CommandLine {
  std::string config_file;
  std::vector<std::pair<std::string, std::string>> overrides;
  bool help = false;
  bool version = false;
  bool commands_markdown = false;  // --commands-markdown: print the reference, exit
};
Result<CommandLine> ParseCommandLine(int argc, char** argv);

class ConfigStore {
 public:
  explicit ConfigStore(Config initial);

  Config Snapshot() const;
  // CONFIG GET: (name, value) pairs whose Redis name (or TOML name) matches the glob.
  std::vector<std::pair<std::string, std::string>> Get(std::string_view pattern) const;
  // CONFIG SET name value [name value ...]: all or nothing; Redis's error texts.
  Status Set(const std::vector<std::pair<std::string, std::string>>& pairs);
  // CONFIG REWRITE: writes the running values into the file we started with.
  Status Rewrite() const;
  // Called (outside the lock) after a successful Set, with the new snapshot and the
  // TOML names whose value changed (not called when nothing changed). A listener must not
  // call Set().
  void OnChange(std::function<void(const Config&, const std::vector<std::string>&)> fn);

 private:
  std::mutex set_mu_;  // serialises Set() so listeners see changes in commit order
  mutable std::mutex mu_;
  Config config_;
  std::vector<std::function<void(const Config&, const std::vector<std::string>&)>> listeners_;
};

}  // namespace vellum::conf
