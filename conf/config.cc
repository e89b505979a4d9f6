// The configuration schema and everything it drives (see config.h).
//
// Each FieldSpec row names where its value lives in Config (a pointer to member), so one
// pair of functions reads and prints a value of any kind: ParseText() (flags, CONFIG SET,
// TOML values turned into text) and ValueText()/TomlText() (CONFIG GET, files). Load, the
// command line, CONFIG GET/SET and CONFIG REWRITE (config_rewrite.cc) all walk the same
// table.
#include "conf/config.h"
#include "conf/config_internal.h"

#include <fcntl.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>

#include "common/glob.h"
#include "common/numbers.h"

namespace vellum::conf {
namespace internal {

constexpr int64_t kKb = 1024;
constexpr int64_t kMb = 1024 * kKb;
constexpr int64_t kGb = 1024 * kMb;
constexpr int64_t kMax = INT64_MAX;
constexpr bool kRuntime = true;   // CONFIG SET may change it
constexpr bool kStartup = false;  // fixed once the server runs

// Row builders: one line of intent per field in the table below.
FieldSpec Int(const char* toml, const char* redis, int64_t min, int64_t max, bool runtime,
              int64_t Config::*field, const char* doc) {
  return {toml, redis, ValueKind::kInt, min, max, nullptr, runtime, doc, field};
}
FieldSpec Bytes(const char* toml, const char* redis, int64_t min, bool runtime,
                int64_t Config::*field, const char* doc) {
  return {toml, redis, ValueKind::kBytes, min, kMax, nullptr, runtime, doc, field};
}
FieldSpec Octal(const char* toml, const char* redis, int64_t max, bool runtime,
                int64_t Config::*field, const char* doc) {
  return {toml, redis, ValueKind::kOctal, 0, max, nullptr, runtime, doc, field};
}
FieldSpec Str(const char* toml, const char* redis, bool runtime, std::string Config::*field,
              const char* doc) {
  return {toml, redis, ValueKind::kString, 0, 0, nullptr, runtime, doc, nullptr, field};
}
FieldSpec Bool(const char* toml, const char* redis, bool runtime, bool Config::*field,
               const char* doc) {
  return {toml, redis, ValueKind::kBool, 0, 0, nullptr, runtime, doc, nullptr, nullptr, field};
}
FieldSpec Enum(const char* toml, const char* redis, const char* values, bool runtime,
               std::string Config::*field, const char* doc) {
  return {toml, redis, ValueKind::kEnum, 0, 0, values, runtime, doc, nullptr, field};
}

FieldSpec KeyspaceEvents(const char* toml, const char* redis, std::string Config::*field,
                         const char* doc) {
  FieldSpec f = Str(toml, redis, kRuntime, field, doc);
  f.normalize = NormalizeKeyspaceEvents;
  f.invalid = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
  return f;
}

FieldSpec Aliased(FieldSpec f, const char* alias) {
  f.redis_alias = alias;
  return f;
}

// Redis's encoding thresholds: accepted and ignored (see Config).
FieldSpec Encoding(const char* toml, const char* redis, const char* alias, int64_t min,
                   int64_t Config::*field, const char* doc) {
  FieldSpec f = Int(toml, redis, min, INT_MAX, kRuntime, field, doc);
  f.redis_alias = alias;
  return f;
}

FieldSpec Duration(const char* toml, bool runtime, std::string Config::*field, const char* doc) {
  FieldSpec f = Str(toml, nullptr, runtime, field, doc);
  f.normalize = NormalizeDuration;
  f.invalid = "a duration such as 30s, 15m, 1h or 7d, or off";
  return f;
}

// The schema. Defaults are Config's member initialisers; Redis's bounds where Redis has
// the setting. Order here is the order of the example file and of CONFIG GET replies.
std::vector<FieldSpec> BuildSchema() {
  return {
      Str("server.bind", "bind", kStartup, &Config::bind,
          "Addresses to listen on, separated by spaces (as Redis's bind)."),
      Int("server.port", "port", 0, 65535, kStartup, &Config::port,
          "TCP port to listen on; 0 picks a free port."),
      Str("server.unixsocket", "unixsocket", kStartup, &Config::unixsocket,
          "Path of a Unix domain socket to listen on; empty for none."),
      Octal("server.unixsocketperm", "unixsocketperm", 0777, kStartup, &Config::unixsocketperm,
            "Permission bits of the Unix socket in octal (0o700); 0 keeps the umask's."),
      Int("server.threads", nullptr, 0, 256, kStartup, &Config::threads,
          "Worker event loops; 0 starts one per CPU core."),
      Int("server.maxclients", "maxclients", 1, 1000000, kRuntime, &Config::maxclients,
          "Most clients connected at once; further connections are refused."),
      Int("server.timeout", "timeout", 0, INT_MAX, kRuntime, &Config::timeout,
          "Close a client after this many idle seconds; 0 never does."),
      Int("server.tcp-keepalive", "tcp-keepalive", 0, INT_MAX, kRuntime, &Config::tcp_keepalive,
          "Seconds between TCP keepalive probes to clients; 0 disables them."),
      Int("server.tcp-backlog", "tcp-backlog", 0, INT_MAX, kStartup, &Config::tcp_backlog,
          "Backlog of the listening TCP socket."),
      Int("server.databases", "databases", 16, 16, kStartup, &Config::databases,
          "Number of logical databases (SELECT 0-15); fixed at 16 in Vellum."),
      Int("server.hz", "hz", 1, 500, kRuntime, &Config::hz,
          "Background task runs per second (active expiry and the like)."),
      Bytes("server.proto-max-bulk-len", "proto-max-bulk-len", kMb, kRuntime,
            &Config::proto_max_bulk_len, "Largest bulk string a client may send (at least 1mb)."),
      Bytes("server.output-buffer-limit", nullptr, 0, kRuntime, &Config::output_buffer_limit,
            "Unsent reply bytes after which a client is disconnected; 0 for no limit."),
      Str("server.requirepass", "requirepass", kRuntime, &Config::requirepass,
          "Password clients must give with AUTH; empty disables authentication."),
      KeyspaceEvents("server.notify-keyspace-events", "notify-keyspace-events",
                     &Config::notify_keyspace_events,
                     "Keyspace events published on Pub/Sub, as Redis's class letters (KEA: "
                     "all); empty for none."),
      Str("log.file", "logfile", kStartup, &Config::logfile,
          "Log file path; empty logs to standard error."),
      Enum("log.level", "loglevel", "debug|verbose|notice|warning", kRuntime, &Config::loglevel,
           "Log verbosity: debug, verbose, notice or warning."),
      Str("storage.dir", "dir", kStartup, &Config::dir, "Directory for the data files."),
      Enum("storage.durability", nullptr, "always|everysec|none", kStartup, &Config::durability,
           "always: reply after the write is synced to RocksDB's WAL; everysec: after it is in "
           "the WAL, synced every second; none: memory only, no RocksDB."),
      Bytes("storage.block-cache-size", nullptr, 0, kStartup, &Config::block_cache_size,
            "RocksDB block cache for on-disk reads."),
      Bytes("storage.write-buffer-size", nullptr, 64 * kKb, kStartup, &Config::write_buffer_size,
            "RocksDB memtable size per column family before it is flushed to a file."),
      Enum("storage.compression", nullptr, "none|lz4|zstd", kStartup, &Config::compression,
           "Compression of RocksDB's files below level 1, and of blob files: none, lz4 or zstd."),
      Int("storage.background-jobs", nullptr, 1, 64, kStartup, &Config::background_jobs,
          "RocksDB background flush and compaction threads."),
      Bytes("storage.min-blob-size", nullptr, 0, kStartup, &Config::min_blob_size,
            "Values at least this large go to RocksDB blob files (no rewrite on compaction); "
            "0 keeps every value in the tables."),
      Enum("storage.warmup", nullptr, "background|before-serving", kStartup, &Config::warmup,
           "background: serve at once after a start, reading keys not yet in memory from "
           "disk while the rest loads; before-serving: load (and check) every key first."),
      Int("storage.warmup-keys-per-sec", nullptr, 0, 1000000000, kRuntime,
          &Config::warmup_keys_per_sec,
          "Pace of the background warm-up, in keys per second; 0 loads as fast as the disk "
          "allows."),
      Int("storage.read-threads", nullptr, 1, 64, kStartup, &Config::read_threads,
          "Threads that read keys from disk for commands (during the warm-up, and values "
          "tiering left on disk), off the worker threads."),
      Bool("storage.tiering", nullptr, kRuntime, &Config::tiering,
           "Data larger than memory: eviction under maxmemory drops only a value's copy in "
           "memory, the key stays and its value is read back from disk when used (needs "
           "durability always or everysec, and an eviction policy other than noeviction)."),
      Str("snapshot.dir", nullptr, kStartup, &Config::snapshot_dir,
          "Directory of the snapshots (RocksDB backups; may be another disk); empty for "
          "<storage.dir>/snapshots."),
      Int("snapshot.max-mb-per-sec", nullptr, 0, 1000000, kStartup,
          &Config::snapshot_max_mb_per_sec,
          "Most megabytes per second a snapshot copies; 0 for no limit."),
      Duration("snapshot.interval", kStartup, &Config::snapshot_interval,
               "Take a snapshot this often (30s, 15m, 1h...); off for none."),
      Int("snapshot.keep-last", nullptr, 0, 1000000, kStartup, &Config::snapshot_keep_last,
          "Keep only this many snapshots, pruned after each new one (KEEP ones apart); 0 keeps "
          "all."),
      Duration("snapshot.max-age", kStartup, &Config::snapshot_max_age,
               "Prune snapshots older than this (7d...); the newest is always kept; off keeps "
               "all."),
      Str("snapshot.export-dir", nullptr, kStartup, &Config::snapshot_export_dir,
          "Also write every scheduled snapshot there as one archive (a mounted bucket, an "
          "NFS share); empty for none."),
      Str("replication.primary", "replicaof", kStartup, &Config::replication_primary,
          "Follow this primary from the start, as \"host port\" (REPLICAOF at run time); empty "
          "for a primary."),
      Str("replication.primary-user", "masteruser", kRuntime, &Config::replication_primary_user,
          "ACL user this replica authenticates as at its primary; empty for the default user."),
      Str("replication.primary-password", "masterauth", kRuntime,
          &Config::replication_primary_password,
          "Password this replica authenticates with at its primary; empty for no AUTH."),
      Duration("replication.backlog-ttl", kStartup, &Config::replication_backlog_ttl,
               "Keep the write-ahead log this long after its data is flushed, so a replica that "
               "was away can resume without a full sync; off for no limit by age."),
      Int("replication.backlog-mb", nullptr, 0, 1000000, kStartup, &Config::replication_backlog_mb,
          "And keep at most this many megabytes of it; 0 for no limit by size."),
      Int("replication.backlog-memory-mb", nullptr, 1, 1000000, kStartup,
          &Config::replication_backlog_memory_mb,
          "The newest megabytes of it also kept in memory once a replica follows, so replicas "
          "that keep up never read log files back (not counted against maxmemory)."),
      Bool("replication.serve-stale-data", "replica-serve-stale-data", kRuntime,
           &Config::replication_serve_stale_data,
           "A replica whose link is down or still in its first sync answers with the data it "
           "has; false refuses with -MASTERDOWN."),
      Aliased(Enum("replication.read-only", "replica-read-only", "yes", kRuntime,
                   &Config::replication_read_only,
                   "A replica refuses writes (-READONLY), always: it writes its primary's "
                   "batches with their sequence numbers, which a write of its own would "
                   "break (Redis's replica-read-only no is not supported)."),
              "slave-read-only"),
      Encoding("encoding.hash-max-listpack-entries", "hash-max-listpack-entries",
               "hash-max-ziplist-entries", 0, &Config::hash_max_listpack_entries,
               "The most fields a hash keeps packed in one string (OBJECT ENCODING listpack) "
               "before it turns into a hash table."),
      Encoding("encoding.hash-max-listpack-value", "hash-max-listpack-value",
               "hash-max-ziplist-value", 0, &Config::hash_max_listpack_value,
               "The longest field or value (bytes) a packed hash holds; Vellum packs at most "
               "255 whatever the value."),
      Encoding("encoding.set-max-intset-entries", "set-max-intset-entries", nullptr, 0,
               &Config::set_max_intset_entries,
               "Redis's intset threshold: accepted, ignored (one set representation)."),
      Encoding("encoding.set-max-listpack-entries", "set-max-listpack-entries", nullptr, 0,
               &Config::set_max_listpack_entries,
               "Redis's compact-set threshold: accepted, ignored (one set representation)."),
      Encoding("encoding.set-max-listpack-value", "set-max-listpack-value", nullptr, 0,
               &Config::set_max_listpack_value,
               "Redis's compact-set threshold: accepted, ignored (one set representation)."),
      Encoding("encoding.zset-max-listpack-entries", "zset-max-listpack-entries",
               "zset-max-ziplist-entries", 0, &Config::zset_max_listpack_entries,
               "The most members a sorted set keeps packed in one string (OBJECT ENCODING "
               "listpack) before it turns into a skip list."),
      Encoding("encoding.zset-max-listpack-value", "zset-max-listpack-value",
               "zset-max-ziplist-value", 0, &Config::zset_max_listpack_value,
               "The longest member (bytes) a packed sorted set holds; Vellum packs at most "
               "255 whatever the value."),
      Encoding("encoding.list-max-listpack-size", "list-max-listpack-size",
               "list-max-ziplist-size", INT_MIN, &Config::list_max_listpack_size,
               "Redis's list node size: accepted, ignored (a list packs up to 8 KiB, as -2 does)."),
      Encoding("encoding.list-compress-depth", "list-compress-depth", nullptr, 0,
               &Config::list_compress_depth,
               "Redis's list compression depth: accepted, ignored (lists are not compressed)."),
      Bytes("memory.maxmemory", "maxmemory", 0, kRuntime, &Config::maxmemory,
            "Memory limit for the data (units such as 4gb allowed); 0 means no limit."),
      Enum("memory.maxmemory-policy", "maxmemory-policy",
           "volatile-lru|volatile-lfu|volatile-random|volatile-ttl|"
           "allkeys-lru|allkeys-lfu|allkeys-random|noeviction",
           kRuntime, &Config::maxmemory_policy,
           "Eviction at maxmemory: {volatile,allkeys}-{lru,lfu,random}, volatile-ttl or "
           "noeviction."),
      Int("memory.maxmemory-samples", "maxmemory-samples", 1, 64, kRuntime,
          &Config::maxmemory_samples, "Keys sampled for each eviction decision."),
      Int("memory.lfu-log-factor", "lfu-log-factor", 0, INT_MAX, kRuntime,
          &Config::lfu_log_factor,
          "LFU counter growth: higher needs more accesses per step of the log counter."),
      Int("memory.lfu-decay-time", "lfu-decay-time", 0, INT_MAX, kRuntime,
          &Config::lfu_decay_time,
          "Minutes per decrement of an idle key's LFU counter; 0 never decays."),
      Int("slowlog.log-slower-than", "slowlog-log-slower-than", -1, kMax, kRuntime,
          &Config::slowlog_log_slower_than,
          "Log commands slower than this many microseconds; -1 disables, 0 logs all."),
      Int("slowlog.max-len", "slowlog-max-len", 0, LONG_MAX, kRuntime, &Config::slowlog_max_len,
          "Entries kept in the slow log."),
      Aliased(Int("scripting.busy-reply-threshold", "busy-reply-threshold", 0, LLONG_MAX,
                  kRuntime, &Config::busy_reply_threshold,
                  "Milliseconds a script may run before other clients get -BUSY and SCRIPT "
                  "KILL may stop it; 0 never answers -BUSY."),
              "lua-time-limit"),
      Int("http.port", nullptr, 0, 65535, kStartup, &Config::http_port,
          "TCP port of the HTTP edge (pages for CDNs and proxies); 0 turns it off."),
      Str("http.bind", nullptr, kStartup, &Config::http_bind,
          "Addresses the HTTP edge listens on, separated by spaces; empty: server.bind's."),
      Str("http.key-prefix", nullptr, kRuntime, &Config::http_key_prefix,
          "Prefix of the key a path is read from: GET /a/b reads <prefix>/a/b."),
      Int("http.db", nullptr, 0, 15, kRuntime, &Config::http_db,
          "Database the HTTP edge reads pages from."),
      Bool("http.query-in-key", nullptr, kRuntime, &Config::http_query_in_key,
           "Keep the query string (?a=1) in the key instead of dropping it."),
      Str("http.default-content-type", nullptr, kRuntime, &Config::http_default_content_type,
          "Content-Type of a page stored as a string (a hash may carry its own)."),
      Str("http.default-cache-control", nullptr, kRuntime, &Config::http_default_cache_control,
          "Cache-Control of a page without a TTL and without its own cache-control field."),
      Int("http.stale-while-revalidate", nullptr, 0, INT_MAX, kRuntime,
          &Config::http_stale_while_revalidate,
          "Seconds of stale-while-revalidate added to the max-age of pages with a TTL; 0: none."),
      Int("http.max-header-bytes", nullptr, 256, 1048576, kRuntime, &Config::http_max_header_bytes,
          "Largest request line plus header section; larger requests get 431."),
      Int("http.header-timeout", nullptr, 0, INT_MAX, kRuntime, &Config::http_header_timeout,
          "Milliseconds a client may take to send a request's header section; 0: no limit."),
      Str("http.metrics-path", nullptr, kRuntime, &Config::http_metrics_path,
          "Path of the Prometheus metrics page (never read from the keyspace); empty: off."),
      Str("http.user", nullptr, kRuntime, &Config::http_user,
          "ACL user HTTP requests act as: a key it may not read is a 404; disabled: no pages."),
  };
}

// ---- Small text helpers ------------------------------------------------------------------

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return glob_internal::Fold(x, true) == glob_internal::Fold(y, true);
         });
}

std::string_view TableOf(const FieldSpec& f) {
  std::string_view name = f.toml_name;
  return name.substr(0, name.find('.'));
}

std::string_view KeyOf(const FieldSpec& f) {
  std::string_view name = f.toml_name;
  return name.substr(name.find('.') + 1);
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string OctalText(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llo", static_cast<unsigned long long>(v));
  return buf;
}

// 512mb for 536870912; plain digits when no unit divides the value.
std::string HumanBytes(int64_t v) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {kGb, "gb"}, {kMb, "mb"}, {kKb, "kb"}};
  for (auto [mul, unit] : kUnits) {
    if (v != 0 && v % mul == 0) return std::to_string(v / mul) + unit;
  }
  return std::to_string(v);
}

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// ---- Reading one value -------------------------------------------------------------------

enum class Bad { kNone, kSyntax, kRange };

bool ParseOctal(std::string_view s, int64_t* out) {
  if (s.starts_with("0o")) s.remove_prefix(2);
  if (s.empty() || s.size() > 21) return false;  // 21 octal digits still fit in int64
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + (c - '0');
  }
  *out = v;
  return true;
}

bool ParseBool(std::string_view s, bool* out) {
  if (EqualsNoCase(s, "yes") || EqualsNoCase(s, "true")) {
    *out = true;
  } else if (EqualsNoCase(s, "no") || EqualsNoCase(s, "false")) {
    *out = false;
  } else {
    return false;
  }
  return true;
}

// The canonical spelling of `text` among the row's enum values, compared without case.
std::optional<std::string> EnumValue(const FieldSpec& f, std::string_view text) {
  std::string_view values = f.enum_values;
  while (!values.empty()) {
    size_t bar = values.find('|');
    std::string_view one = values.substr(0, bar);
    if (EqualsNoCase(one, text)) return std::string(one);
    values = bar == std::string_view::npos ? std::string_view() : values.substr(bar + 1);
  }
  return std::nullopt;
}

// Parses `text` as the row's kind, checks the bounds and stores it into *c. On failure *c
// is unchanged. Every way a value enters a Config goes through here.
Bad ParseText(const FieldSpec& f, std::string_view text, Config* c) {
  switch (f.kind) {
    case ValueKind::kBool: {
      bool b;
      if (!ParseBool(text, &b)) return Bad::kSyntax;
      c->*f.bool_field = b;
      return Bad::kNone;
    }
    case ValueKind::kString:
      if (f.normalize != nullptr) {
        std::optional<std::string> value = f.normalize(text);
        if (!value) return Bad::kSyntax;
        c->*f.string_field = std::move(*value);
        return Bad::kNone;
      }
      c->*f.string_field = std::string(text);
      return Bad::kNone;
    case ValueKind::kEnum: {
      std::optional<std::string> value = EnumValue(f, text);
      if (!value) return Bad::kSyntax;
      c->*f.string_field = std::move(*value);
      return Bad::kNone;
    }
    case ValueKind::kInt:
    case ValueKind::kBytes:
    case ValueKind::kOctal: {
      int64_t v;
      bool ok = f.kind == ValueKind::kInt     ? ParseInt64(text, &v)
                : f.kind == ValueKind::kBytes ? ParseBytes(text, &v)
                                              : ParseOctal(text, &v);
      if (!ok) return Bad::kSyntax;
      if (v < f.min || v > f.max) return Bad::kRange;
      c->*f.int_field = v;
      return Bad::kNone;
    }
  }
  return Bad::kSyntax;
}

// The value as written in a TOML file: byte counts with units, octal as 0o700.
std::string TomlText(const Config& c, const FieldSpec& f) {
  switch (f.kind) {
    case ValueKind::kBool:
      return c.*f.bool_field ? "true" : "false";
    case ValueKind::kInt:
      return std::to_string(c.*f.int_field);
    case ValueKind::kBytes: {
      std::string human = HumanBytes(c.*f.int_field);
      return human == std::to_string(c.*f.int_field) ? human : TomlString(human);
    }
    case ValueKind::kOctal:
      return c.*f.int_field == 0 ? "0" : "0o" + OctalText(c.*f.int_field);
    case ValueKind::kString:
    case ValueKind::kEnum:
      return TomlString(c.*f.string_field);
  }
  return "";
}

bool SameValue(const Config& a, const Config& b, const FieldSpec& f) {
  return ValueText(a, f) == ValueText(b, f);
}

// ---- Error texts -------------------------------------------------------------------------

// " between 0 and 65535", " >= -1", " equal to 16", ", at least 1mb" (byte counts), with
// numbers written as the kind reads them; empty when any value of the type will do.
std::string RangeText(const FieldSpec& f) {
  auto number = [&f](int64_t v) {
    if (f.kind == ValueKind::kOctal) return v == 0 ? std::string("0") : "0" + OctalText(v);
    return std::to_string(v);
  };
  if (f.kind == ValueKind::kBytes) return f.min == 0 ? "" : ", at least " + HumanBytes(f.min);
  if (f.min == f.max) return " equal to " + number(f.min);
  if (f.max == kMax) return " >= " + number(f.min);
  return " between " + number(f.min) + " and " + number(f.max);
}

// What a value of this row must look like, for file and flag errors.
std::string Requirement(const FieldSpec& f) {
  if (f.invalid != nullptr) return std::string("must be valid: ") + f.invalid;
  switch (f.kind) {
    case ValueKind::kBool:
      return "must be yes or no";
    case ValueKind::kString:
      return "must be a string";
    case ValueKind::kEnum:
      return std::string("must be one of ") + f.enum_values;
    case ValueKind::kInt:
      return "must be an integer" + RangeText(f);
    case ValueKind::kBytes:
      return "must be a byte count such as 64mb" + RangeText(f);
    case ValueKind::kOctal:
      return "must be an octal number" + RangeText(f);
  }
  return "";
}

// Redis 7's reason texts for CONFIG SET.
std::string SetReason(const FieldSpec& f, Bad bad) {
  if (f.invalid != nullptr && bad == Bad::kSyntax) return f.invalid;
  if (bad == Bad::kRange) {
    auto number = [&f](int64_t v) {
      return f.kind == ValueKind::kOctal ? OctalText(v) : std::to_string(v);
    };
    return "argument must be between " + number(f.min) + " and " + number(f.max) + " inclusive";
  }
  switch (f.kind) {
    case ValueKind::kBool:
      return "argument must be 'yes' or 'no'";
    case ValueKind::kBytes:
      return "argument must be a memory value";
    case ValueKind::kEnum: {
      std::string out = "argument(s) must be one of the following: ";
      for (const char* c = f.enum_values; *c != '\0'; c++) {
        if (*c == '|') {
          out += ", ";
        } else {
          out += *c;
        }
      }
      return out;
    }
    default:
      return "argument couldn't be parsed into an integer";
  }
}

std::string SetError(std::string_view name, std::string_view reason) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
         std::string(reason);
}

// ---- TOML files --------------------------------------------------------------------------


const FieldSpec* FindTomlField(std::string_view name) {
  for (const FieldSpec& f : Schema()) {
    if (name == f.toml_name) return &f;
  }
  return nullptr;
}

bool IsSchemaTable(std::string_view table) {
  for (const FieldSpec& f : Schema()) {
    if (TableOf(f) == table) return true;
  }
  return false;
}

// " (did you mean 'memory.maxmemory'?)" when the last part of `name` is some field's key or
// Redis name; empty otherwise.
std::string Suggestion(std::string_view name) {
  std::string_view key = name.substr(name.rfind('.') + 1);
  for (const FieldSpec& f : Schema()) {
    if (KeyOf(f) == key || (f.redis_name && key == f.redis_name) ||
        (f.redis_alias && key == f.redis_alias)) {
      return std::string(" (did you mean '") + f.toml_name + "'?)";
    }
  }
  return "";
}

std::string NodeTypeName(const toml::node& n) {
  // Indexed by toml::node_type, whose order toml++ documents (none, table, array, ...).
  static constexpr const char* kNames[] = {"nothing",    "a table",    "an array",  "a string",
                                           "an integer", "a float",    "a boolean", "a date",
                                           "a time",     "a date-time"};
  static_assert(static_cast<int>(toml::node_type::date_time) == 9);
  return kNames[static_cast<int>(n.type())];
}

std::string ExpectedType(const FieldSpec& f) {
  switch (f.kind) {
    case ValueKind::kBool:
      return "a boolean";
    case ValueKind::kInt:
      return "an integer";
    case ValueKind::kBytes:
      return "an integer or a string such as \"64mb\"";
    case ValueKind::kOctal:
      return "an octal integer such as 0o700";
    default:
      return "a string";
  }
}

// The TOML value as text for ParseText, or nullopt when its TOML type cannot hold this
// kind. Octal fields take 0o700 (or 0, or a string); a decimal 700 would be a trap.
std::optional<std::string> NodeText(const FieldSpec& f, const toml::node& n) {
  const toml::value<int64_t>* i = n.as_integer();
  const toml::value<std::string>* s = n.as_string();
  switch (f.kind) {
    case ValueKind::kBool:
      if (const auto* b = n.as_boolean()) return b->get() ? "yes" : "no";
      break;
    case ValueKind::kInt:
      if (i) return std::to_string(i->get());
      break;
    case ValueKind::kBytes:
      if (i) return std::to_string(i->get());
      if (s) return s->get();
      break;
    case ValueKind::kOctal: {
      bool octal = i && (static_cast<unsigned>(i->flags()) &
                         static_cast<unsigned>(toml::value_flags::format_as_octal));
      if (i && (octal || i->get() == 0)) return OctalText(i->get());
      if (s) return s->get();
      break;
    }
    case ValueKind::kString:
    case ValueKind::kEnum:
      if (s) return s->get();
      break;
  }
  return std::nullopt;
}

// Stores the TOML value `n` of row f into *c; returns the reason when it cannot.
std::optional<std::string> ApplyNode(const FieldSpec& f, const toml::node& n, Config* c) {
  std::string name = Quoted(f.toml_name);
  std::optional<std::string> text = NodeText(f, n);
  if (!text) {
    std::string got = NodeTypeName(n);
    if (f.kind == ValueKind::kOctal && n.is_integer()) got = "a decimal integer";
    return name + " must be " + ExpectedType(f) + ", got " + got;
  }
  if (ParseText(f, *text, c) == Bad::kNone) return std::nullopt;
  std::string got = n.is_string() ? Quoted(*text) : *text;
  if (f.kind == ValueKind::kOctal && n.is_integer()) got = "0o" + got;
  return name + " " + Requirement(f) + ", got " + got;
}

// The [acl] table: only `user`, an array of tables ([[acl.user]]) each with a string `name`
// and a string `rules`. Fills c->acl_users; returns the first problem in file order.
std::optional<Problem> ApplyAclTable(const toml::table& acl, Config* c) {
  std::optional<Problem> first;
  auto report = [&first](const toml::source_region& where, std::string message) {
    if (!first || where.begin.line < first->line) first = Problem{where.begin.line, message};
  };
  c->acl_users.clear();
  for (auto&& [key, node] : acl) {
    std::string name = "acl." + std::string(key.str());
    const toml::array* users = node.as_array();
    if (name != "acl.user") {
      report(key.source(), "unknown key '" + name + "'");
      continue;
    }
    if (users == nullptr || !users->is_array_of_tables()) {
      report(node.source(), "'acl.user' must be an array of tables ([[acl.user]]), got " +
                                NodeTypeName(node));
      continue;
    }
    for (const toml::node& entry : *users) {
      const toml::table& t = *entry.as_table();
      AclUserConfig user;
      user.line = entry.source().begin.line;
      bool has_name = false;
      for (auto&& [field, value] : t) {
        std::string field_name(field.str());
        const toml::value<std::string>* text = value.as_string();
        if (field_name != "name" && field_name != "rules") {
          report(field.source(), "unknown key 'acl.user." + field_name + "'");
        } else if (text == nullptr) {
          report(value.source(),
                 "'acl.user." + field_name + "' must be a string, got " + NodeTypeName(value));
        } else if (field_name == "name") {
          user.name = text->get();
          has_name = true;
        } else {
          user.rules = text->get();
        }
      }
      if (!has_name || user.name.empty()) {
        report(entry.source(), "'acl.user' needs a non-empty 'name'");
        continue;
      }
      c->acl_users.push_back(std::move(user));
    }
  }
  return first;
}

// Applies every key of a parsed file to *c. Returns the problem nearest the top of the
// file (toml++ tables iterate in key order, not file order).
std::optional<Problem> ApplyToml(const toml::table& root, Config* c) {
  std::optional<Problem> first;
  auto report = [&first](const toml::source_region& where, std::string message) {
    if (!first || where.begin.line < first->line) first = Problem{where.begin.line, message};
  };
  auto report_at = [&first](uint32_t line, std::string message) {
    if (!first || line < first->line) first = Problem{line, message};
  };
  for (auto&& [table_key, table_node] : root) {
    std::string table_name(table_key.str());
    const toml::table* table = table_node.as_table();
    if (table && table_name == "acl") {
      if (std::optional<Problem> p = ApplyAclTable(*table, c)) report_at(p->line, p->message);
      continue;
    }
    if (!table || !IsSchemaTable(table_name)) {
      report(table_key.source(), std::string("unknown ") + (table ? "table" : "key") + " '" +
                                     table_name + "'" + Suggestion(table_name));
      continue;
    }
    for (auto&& [key, node] : *table) {
      std::string name = table_name + "." + std::string(key.str());
      const FieldSpec* f = FindTomlField(name);
      if (!f) {
        report(key.source(), "unknown key '" + name + "'" + Suggestion(name));
      } else if (std::optional<std::string> why = ApplyNode(*f, node, c)) {
        report(node.source(), *why);
      }
    }
  }
  return first;
}

// Reads a whole file; on failure returns false with errno in *err.
bool ReadFile(const std::string& path, std::string* out, int* err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) *err = errno;
    if (n <= 0) {
      ::close(fd);
      return n == 0;
    }
    out->append(buf, static_cast<size_t>(n));
  }
}

// toml++ parse with its error turned into "FILE:LINE: description".
Result<toml::table> ParseToml(const std::string& text, const std::string& path) {
  auto error = [&path](const toml::parse_error& e) {
    return Status::Error(path + ":" + std::to_string(e.source().begin.line) + ": " +
                         std::string(e.description()));
  };
#if TOML_EXCEPTIONS
  try {
    return toml::parse(std::string_view(text), std::string_view(path));
  } catch (const toml::parse_error& e) {
    return error(e);
  } catch (const std::exception& e) {
    return Status::Error(path + ": " + e.what());
  }
#else
  toml::parse_result result = toml::parse(std::string_view(text), std::string_view(path));
  if (!result) return error(result.error());
  return std::move(result).table();
#endif
}

// Reads, parses and applies a config file over *c.
Status LoadFile(const std::string& path, Config* c) {
  std::string text;
  int err = 0;
  if (!ReadFile(path, &text, &err)) return Status::Error(path + ": " + ErrnoText(err));
  Result<toml::table> root = ParseToml(text, path);
  if (!root.ok()) return root.status();
  if (std::optional<Problem> p = ApplyToml(*root, c)) {
    return Status::Error(path + ":" + std::to_string(p->line) + ": " + p->message);
  }
  return Status::Ok();
}

}  // namespace internal

using namespace internal;  // NOLINT: this file is the home of those helpers

// ---- Public API --------------------------------------------------------------------------

std::optional<std::string> NormalizeKeyspaceEvents(std::string_view classes) {
  static constexpr std::string_view kAll = "g$lshzxetd";     // what 'A' stands for
  static constexpr std::string_view kOrder = "g$lshzxetdn";  // Redis's order without A
  static constexpr std::string_view kValid = "Ag$lshzxeKEtmdn";
  std::string seen;
  for (char c : classes) {
    if (kValid.find(c) == std::string_view::npos) return std::nullopt;
    if (c == 'A') {
      seen.append(kAll);
    } else {
      seen += c;
    }
  }
  auto has = [&seen](char c) { return seen.find(c) != std::string::npos; };
  bool all = std::all_of(kAll.begin(), kAll.end(), has);
  std::string out;
  if (all) {
    out += 'A';
  } else {
    for (char c : kOrder) {
      if (has(c)) out += c;
    }
  }
  // Redis 7.0 writes 'n' only without A (so its CONFIG GET loses it); we keep it.
  if (all && has('n')) out += 'n';
  for (char c : std::string_view("KEm")) {
    if (has(c)) out += c;
  }
  return out;
}

const std::vector<FieldSpec>& Schema() {
  static const std::vector<FieldSpec>* const schema = new std::vector<FieldSpec>(BuildSchema());
  return *schema;
}

const FieldSpec* FindField(std::string_view name) {
  for (const FieldSpec& f : Schema()) {
    if (EqualsNoCase(name, f.toml_name) || (f.redis_name && EqualsNoCase(name, f.redis_name)) ||
        (f.redis_alias && EqualsNoCase(name, f.redis_alias))) {
      return &f;
    }
  }
  return nullptr;
}

std::string ValueText(const Config& config, const FieldSpec& field) {
  switch (field.kind) {
    case ValueKind::kBool:
      return config.*field.bool_field ? "yes" : "no";
    case ValueKind::kInt:
    case ValueKind::kBytes:
      return std::to_string(config.*field.int_field);
    case ValueKind::kOctal:
      return OctalText(config.*field.int_field);
    case ValueKind::kString:
    case ValueKind::kEnum:
      return config.*field.string_field;
  }
  return "";
}

std::optional<std::string> NormalizeDuration(std::string_view text) {
  std::string t;
  for (char c : text) t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (t == "off" || t == "0") return std::string("off");
  size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') digits++;
  if (digits == 0 || digits > 12) return std::nullopt;
  const std::string unit = t.substr(digits);
  if (unit != "ms" && unit != "s" && unit != "m" && unit != "h" && unit != "d") return std::nullopt;
  return t;
}

int64_t DurationMs(std::string_view text) {
  std::optional<std::string> t = NormalizeDuration(text);
  if (!t || *t == "off") return 0;
  size_t digits = 0;
  while ((*t)[digits] >= '0' && (*t)[digits] <= '9') digits++;
  const int64_t n = std::stoll(t->substr(0, digits));
  const std::string unit = t->substr(digits);
  const int64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000
                        : unit == "h" ? 3600000 : 86400000;
  return n * scale;
}

bool ParseBytes(std::string_view text, int64_t* out) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') digits++;
  if (digits == 0) return false;
  static constexpr std::pair<const char*, int64_t> kUnits[] = {{"", 1},
                                                               {"b", 1},
                                                               {"k", 1000},
                                                               {"kb", kKb},
                                                               {"m", 1000 * 1000},
                                                               {"mb", kMb},
                                                               {"g", 1000 * 1000 * 1000},
                                                               {"gb", kGb}};
  std::string_view unit = text.substr(digits);
  int64_t mul = 0;
  for (auto [name, value] : kUnits) {
    if (EqualsNoCase(unit, name)) mul = value;
  }
  if (mul == 0) return false;
  int64_t v = 0;
  for (char c : text.substr(0, digits)) {
    if (v > (kMax - (c - '0')) / 10) return false;
    v = v * 10 + (c - '0');
  }
  if (v > kMax / mul) return false;
  *out = v * mul;
  return true;
}

Result<Config> Load(const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& overrides) {
  Config config;
  if (!path.empty()) {
    Status status = LoadFile(path, &config);
    if (!status.ok()) return status;
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    config.config_file = ec ? path : absolute.string();
  }
  for (const auto& [name, value] : overrides) {
    const FieldSpec* f = FindField(name);
    if (f == nullptr) return Status::Error("--" + name + ": unknown option");
    if (ParseText(*f, value, &config) != Bad::kNone) {
      return Status::Error("--" + name + ": " + Requirement(*f) + ", got " + Quoted(value));
    }
  }
  return config;
}

// Like redis-server: a first argument that is not an option names the config file; values
// after "--key" are joined with spaces up to the next "--" option ("--bind 10.0.0.1 ::1").
Result<CommandLine> ParseCommandLine(int argc, char** argv) {
  CommandLine cl;
  auto is_option = [](std::string_view a) { return a.starts_with("--") || a == "-h" || a == "-v"; };
  int i = 1;
  if (argc > 1 && argv[1][0] != '-') cl.config_file = argv[i++];
  while (i < argc) {
    std::string_view arg = argv[i++];
    if (arg == "--help" || arg == "-h") {
      cl.help = true;
    } else if (arg == "--version" || arg == "-v") {
      cl.version = true;
    } else if (arg == "--commands-markdown") {
      cl.commands_markdown = true;
    } else if (!arg.starts_with("--") || arg.size() == 2) {
      return Status::Error(Quoted(arg) + ": unexpected argument (options are --key value)");
    } else if (i >= argc || std::string_view(argv[i]).starts_with("--")) {
      return Status::Error(std::string(arg) + ": missing value");
    } else {
      std::string value = argv[i++];
      while (i < argc && !is_option(argv[i])) value += std::string(" ") + argv[i++];
      std::string name(arg.substr(2));
      if (name != "config") {
        cl.overrides.emplace_back(std::move(name), std::move(value));
      } else if (!cl.config_file.empty()) {
        return Status::Error("--config: config file already given as " + Quoted(cl.config_file));
      } else {
        cl.config_file = std::move(value);
      }
    }
  }
  return cl;
}

ConfigStore::ConfigStore(Config initial) : config_(std::move(initial)) {}

Config ConfigStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

std::vector<std::pair<std::string, std::string>> ConfigStore::Get(std::string_view pattern) const {
  Config config = Snapshot();
  std::vector<std::pair<std::string, std::string>> out;
  for (const FieldSpec& f : Schema()) {
    const char* name = nullptr;
    if (f.redis_name && GlobMatch(pattern, f.redis_name, true)) {
      name = f.redis_name;
    } else if (GlobMatch(pattern, f.toml_name, true)) {
      name = f.toml_name;
    }
    if (name) out.emplace_back(name, ValueText(config, f));
    if (f.redis_alias && GlobMatch(pattern, f.redis_alias, true)) {
      out.emplace_back(f.redis_alias, ValueText(config, f));  // as Redis 7 lists both
    }
  }
  // Redis's AOF settings, read-only, as the equivalents of storage.durability: tools
  // that check persistence read these two.
  const bool persistent = config.durability != "none";
  if (GlobMatch(pattern, "appendonly", true)) out.emplace_back("appendonly", persistent ? "yes" : "no");
  if (GlobMatch(pattern, "appendfsync", true)) {
    out.emplace_back("appendfsync", persistent ? config.durability : "everysec");
  }
  return out;
}

// Redis 7's CONFIG SET: every name is checked first (unknown, immutable, duplicate), then
// every value is parsed into a copy, which replaces the running config only if all pass.
Status ConfigStore::Set(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::lock_guard<std::mutex> set_lock(set_mu_);
  std::vector<const FieldSpec*> fields;
  for (const auto& [name, value] : pairs) {
    const FieldSpec* f = FindField(name);
    if (f == nullptr) {
      return Status::Error("ERR Unknown option or number of arguments for CONFIG SET - '" + name +
                           "'");
    }
    if (!f->runtime) return Status::Error(SetError(name, "can't set immutable config"));
    if (std::find(fields.begin(), fields.end(), f) != fields.end()) {
      return Status::Error(SetError(name, "duplicate parameter"));
    }
    fields.push_back(f);
  }
  const Config old = Snapshot();
  Config next = old;
  for (size_t i = 0; i < pairs.size(); i++) {
    Bad bad = ParseText(*fields[i], pairs[i].second, &next);
    if (bad != Bad::kNone) {
      return Status::Error(SetError(pairs[i].first, SetReason(*fields[i], bad)));
    }
  }
  std::vector<std::string> changed;
  for (const FieldSpec* f : fields) {
    if (!SameValue(old, next, *f)) changed.emplace_back(f->toml_name);
  }
  std::vector<std::function<void(const Config&, const std::vector<std::string>&)>> listeners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    config_ = next;
    listeners = listeners_;
  }
  if (!changed.empty()) {
    for (const auto& listener : listeners) listener(next, changed);
  }
  return Status::Ok();
}

void ConfigStore::OnChange(std::function<void(const Config&, const std::vector<std::string>&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.push_back(std::move(fn));
}

}  // namespace vellum::conf
