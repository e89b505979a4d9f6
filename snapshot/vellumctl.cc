// vellumctl: Vellum's operator tool for snapshots.
//
//   vellumctl [-h HOST] [-p PORT] [-a PASSWORD] snapshot create [--label L] [--keep]
//   vellumctl [-h ..] snapshot list | info ID | verify ID | delete ID        (over RESP)
//   vellumctl --snapshot-dir DIR | --config FILE  snapshot
//       list | info ID | verify ID | delete ID | prune [--keep-last N] [--max-age D]
//       | restore ID --to DATA_DIR [--force] | drill ID | export ID FILE | import FILE
//
// With --snapshot-dir (or --config, which names it) the tool works on the directory
// itself, with the daemon running or not for reading, and only with it stopped for
// changes (the daemon holds the directory's lock). Without, it asks a live server.
// --json prints JSON. Exit status: 0 done, 1 failed (the reason on stderr), 2 usage.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/progress.h"
#include "common/version.h"
#include "conf/config.h"
#include "snapshot/manifest.h"
#include "snapshot/progress_display.h"
#include "snapshot/resp_client.h"
#include "snapshot/snapshot_store.h"
#include "storage/dir_lock.h"

namespace vellum::snapshot {
namespace {
namespace fs = std::filesystem;

constexpr char kUsage[] =
    "Usage: vellumctl [options] snapshot <command> [args]\n"
    "Commands:\n"
    "  create [--label L] [--keep]     take a snapshot on a live server, print its id\n"
    "  list                            list the snapshots\n"
    "  info ID                         show one snapshot's manifest\n"
    "  verify ID                       check every file's size and checksum, and the manifest\n"
    "  delete ID                       delete a snapshot\n"
    "  prune [--keep-last N] [--max-age D]   delete old snapshots (KEEP ones and the newest stay)\n"
    "  restore ID --to DATA_DIR [--force]    restore into a data directory (offline)\n"
    "  drill ID                        restore into a scratch directory, check, remove it\n"
    "  export ID FILE                  write one snapshot as a self-contained archive\n"
    "  import FILE                     check an archive, add its snapshot\n"
    "Options:\n"
    "  -h HOST -p PORT -a PASSWORD     a live server (default 127.0.0.1 6379)\n"
    "  --snapshot-dir DIR              work on a snapshot directory directly\n"
    "  --config FILE                   ... the one the daemon's config file names\n"
    "  --json                          JSON output\n";

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  std::string snapshot_dir;
  std::string config_file;
  bool json = false;
  bool force = false;
  bool keep = false;
  std::string label;
  std::string to;
  int64_t keep_last = -1;
  std::string max_age;
  std::vector<std::string> args;  // after "snapshot": command and its arguments
};

// The progress display while an offline command runs on a terminal (vellumctl's only
// thread besides it is main's). Everything the tool prints stops it first, so its lines
// never interleave with a result or an error.
ProgressDisplay* g_progress = nullptr;

void StopProgress() {
  if (g_progress != nullptr) g_progress->Stop();
}

template <typename... Args>
void Out(const char* format, Args... args) {
  StopProgress();
  std::printf(format, args...);
}

int Fail(const std::string& message) {
  StopProgress();
  std::fprintf(stderr, "vellumctl: %s\n", message.c_str());
  return 1;
}

int Usage(const std::string& message) {
  StopProgress();
  std::fprintf(stderr, "vellumctl: %s\n%s", message.c_str(), kUsage);
  return 2;
}

std::string Utc(int64_t unix_ms) { return UtcText(unix_ms, "%Y-%m-%d %H:%M:%S"); }

void PrintList(const std::vector<Manifest>& all, bool json) {
  StopProgress();
  if (json) {
    std::string out = "[";
    for (size_t i = 0; i < all.size(); i++) out += (i ? "," : "") + ManifestJson(all[i]);
    std::printf("%s]\n", out.c_str());
    return;
  }
  std::printf("%-6s %-19s %-10s %-20s %10s %11s %11s\n", "ID", "CREATED (UTC)", "KEEP", "LABEL",
              "KEYS", "SIZE", "ADDED");
  for (const Manifest& m : all) {
    std::printf("%-6u %-19s %-10s %-20s %10llu %11s %11s\n", m.id, Utc(m.created_ms).c_str(),
                m.keep ? "keep" : "-", m.label.empty() ? "-" : m.label.c_str(),
                static_cast<unsigned long long>(m.keys), HumanBytes(m.total_bytes).c_str(),
                HumanBytes(m.added_bytes).c_str());
  }
}

void PrintInfo(const Manifest& m, bool json) {
  StopProgress();
  if (json) {
    std::printf("%s\n", ManifestJson(m).c_str());
    return;
  }
  std::printf(
      "id: %u\nlabel: %s\nkeep: %s\ncreated: %s UTC (%lld ms)\nkeys: %llu\n"
      "keys_by_db: %s\ntotal_bytes: %llu (%s)\nadded_bytes: %llu (%s)\nfiles: %u\n"
      "digest: %s\nsequence: %llu\nserver_version: %s\nformat_version: %u\n",
      m.id, m.label.c_str(), m.keep ? "yes" : "no", Utc(m.created_ms).c_str(),
      static_cast<long long>(m.created_ms), static_cast<unsigned long long>(m.keys),
      KeysByDbText(m).c_str(), static_cast<unsigned long long>(m.total_bytes),
      HumanBytes(m.total_bytes).c_str(), static_cast<unsigned long long>(m.added_bytes),
      HumanBytes(m.added_bytes).c_str(), m.files, m.digest.c_str(),
      static_cast<unsigned long long>(m.sequence), m.server_version.c_str(), m.format_version);
}

bool ParseId(const std::string& s, uint32_t* id) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0' || v == 0 || v > UINT32_MAX) return false;
  *id = static_cast<uint32_t>(v);
  return true;
}

// ---- A live server, over RESP -------------------------------------------------------

// A manifest from SNAPSHOT LIST / INFO's field-value pairs.
Manifest FromPairs(const RespValue& v) {
  Manifest m;
  std::map<std::string, const RespValue*> f;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) f[v.elements[i].str] = &v.elements[i + 1];
  auto num = [&](const char* k) -> int64_t { return f.count(k) ? f[k]->integer : 0; };
  auto str = [&](const char* k) -> std::string { return f.count(k) ? f[k]->str : ""; };
  m.id = static_cast<uint32_t>(num("id"));
  m.label = str("label");
  m.created_ms = num("created_ms");
  m.keys = static_cast<uint64_t>(num("keys"));
  m.total_bytes = static_cast<uint64_t>(num("total_bytes"));
  m.added_bytes = static_cast<uint64_t>(num("added_bytes"));
  m.digest = str("digest");
  m.sequence = static_cast<uint64_t>(num("sequence"));
  m.keep = num("keep") != 0;
  m.server_version = str("server_version");
  m.format_version = static_cast<uint32_t>(num("format_version"));
  m.files = static_cast<uint32_t>(num("files"));
  // keys_by_db "db0=10,db3=5"
  std::string by_db = str("keys_by_db");
  for (size_t at = 0; at < by_db.size();) {
    size_t comma = by_db.find(',', at);
    std::string part = by_db.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    unsigned db = 0;
    unsigned long long n = 0;
    if (std::sscanf(part.c_str(), "db%u=%llu", &db, &n) == 2 && db < m.keys_by_db.size()) {
      m.keys_by_db[db] = n;
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return m;
}

// A connection to the live server (-h/-p), authenticated if -a was given.
Result<std::unique_ptr<RespClient>> ConnectTo(const Options& o, int timeout_s) {
  auto client = RespClient::Connect(o.host, o.port, timeout_s);
  if (!client.ok() || o.password.empty()) return client;
  auto r = (*client)->Call({"AUTH", o.password});
  if (!r.ok()) return r.status();
  if (r->type == RespValue::kError) return Status::Error(r->str);
  return client;
}

// While SNAPSHOT CREATE waits: the stage the server's snapshot is in (INFO snapshot's
// snapshot_stage fields), asked five times a second on a connection of its own and
// mirrored into `meter` for a display.
class ServerStages {
 public:
  ServerStages(const Options& o, ProgressMeter& meter)
      : o_(o), meter_(meter), thread_([this] { Run(); }) {}
  ~ServerStages() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  void Run() {
    auto client = ConnectTo(o_, 5);
    if (!client.ok()) return;
    std::string shown;
    uint64_t counted = 0;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      auto r = (*client)->Call({"INFO", "snapshot"});
      if (!r.ok() || r->type == RespValue::kError) return;
      std::map<std::string, std::string> f;
      for (size_t at = 0; at < r->str.size();) {
        size_t end = r->str.find("\r\n", at);
        if (end == std::string::npos) end = r->str.size();
        const std::string line = r->str.substr(at, end - at);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) f[line.substr(0, colon)] = line.substr(colon + 1);
        at = end + 2;
      }
      const std::string stage = f["snapshot_stage"];
      const uint64_t done = std::strtoull(f["snapshot_stage_done"].c_str(), nullptr, 10);
      if (stage.empty()) {
        if (!shown.empty()) meter_.Finish();
        shown.clear();
      } else if (stage != shown) {
        meter_.Begin(stage,
                     f["snapshot_stage_unit"] == "keys" ? ProgressMeter::Unit::kKeys
                                                        : ProgressMeter::Unit::kBytes,
                     std::strtoull(f["snapshot_stage_total"].c_str(), nullptr, 10));
        shown = stage;
        counted = 0;
      }
      if (!stage.empty() && done > counted) {
        meter_.Add(done - counted);
        counted = done;
      }
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; });
    }
  }

  const Options& o_;
  ProgressMeter& meter_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

int Online(const Options& o) {
  const std::string& cmd = o.args[0];
  auto client = ConnectTo(o, 3600);
  if (!client.ok()) return Fail(client.status().message());
  std::vector<std::string> argv = {"SNAPSHOT"};
  uint32_t id = 0;
  if (cmd == "create") {
    argv.push_back("CREATE");
    if (!o.label.empty()) argv.insert(argv.end(), {"LABEL", o.label});
    if (o.keep) argv.push_back("KEEP");
  } else if (cmd == "list") {
    argv.push_back("LIST");
  } else if (cmd == "info" || cmd == "verify" || cmd == "delete") {
    if (o.args.size() != 2 || !ParseId(o.args[1], &id)) return Usage(cmd + " needs a snapshot id");
    argv.push_back(cmd);
    argv.push_back(o.args[1]);
  } else {
    return Usage("'" + cmd + "' works on a snapshot directory: give --snapshot-dir or --config");
  }
  // On a terminal, while create waits: the server's stage, overwritten as it goes.
  ProgressMeter meter;
  std::optional<ProgressDisplay> display;
  std::optional<ServerStages> stages;
  if (cmd == "create" && !o.json && ::isatty(STDERR_FILENO)) {
    display.emplace(meter, stderr, MonotonicMs(), /*keep_finished=*/false);
    stages.emplace(o, meter);
  }
  auto r = (*client)->Call(argv);
  stages.reset();
  if (display) display->Stop();
  if (!r.ok()) return Fail(r.status().message());
  if (r->type == RespValue::kError) return Fail(r->str);
  if (cmd == "create") {
    if (o.json) std::printf("{\"id\":%lld}\n", static_cast<long long>(r->integer));
    else std::printf("%lld\n", static_cast<long long>(r->integer));
  } else if (cmd == "list") {
    std::vector<Manifest> all;
    for (const RespValue& e : r->elements) all.push_back(FromPairs(e));
    PrintList(all, o.json);
  } else if (cmd == "info") {
    PrintInfo(FromPairs(*r), o.json);
  } else {
    std::printf("snapshot %u: %s\n", id, cmd == "verify" ? "ok" : "deleted");
  }
  return 0;
}

// ---- A snapshot directory -----------------------------------------------------------

storage::EngineOptions ToolEngineOptions() {
  storage::EngineOptions eo;
  eo.block_cache_bytes = 8 << 20;
  eo.auto_compactions = false;
  return eo;
}

// A scratch directory next to `near` (same file system), removed on scope exit.
struct Scratch {
  explicit Scratch(const std::string& near, const char* what) {
    path = fs::path(near).lexically_normal().parent_path() /
           (std::string(".vellumctl-") + what + "-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(path, ec);
    fs::create_directories(path, ec);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

int Export(SnapshotStore& store, uint32_t id, const std::string& file) {
  Status st = store.Export(id, file);
  if (!st.ok()) return Fail(st.message());
  Out("exported snapshot %u to %s\n", id, file.c_str());
  return 0;
}

int Import(SnapshotStore& store, const std::string& file) {
  auto added = store.Import(file, ToolEngineOptions());
  if (!added.ok()) return Fail(added.status().message());
  Out("imported %s as snapshot %u (%llu keys, label '%s')\n", file.c_str(), added->id,
      static_cast<unsigned long long>(added->keys), added->label.c_str());
  return 0;
}

int Offline(const Options& o, const std::string& dir) {
  const std::string& cmd = o.args[0];
  const bool writes = cmd == "delete" || cmd == "prune" || cmd == "import";
  if (cmd == "create") return Usage("create needs a live server (-h/-p), not --snapshot-dir");
  auto opened = SnapshotStore::Open(dir, 0, /*read_only=*/!writes);
  if (!opened.ok()) return Fail(opened.status().message());
  SnapshotStore& store = **opened;
  // On a terminal only: each stage of a long operation, how far it has come, its rate
  // and time. Stopped (its last line drawn) before the result is printed.
  ProgressMeter meter;
  std::optional<ProgressDisplay> display;
  if (!o.json && ::isatty(STDERR_FILENO)) {
    store.set_meter(&meter);
    display.emplace(meter, stderr, MonotonicMs());
    g_progress = &*display;
  }
  struct Forget {
    ~Forget() { g_progress = nullptr; }
  } forget;
  uint32_t id = 0;
  auto need_id = [&]() { return o.args.size() >= 2 && ParseId(o.args[1], &id); };
  if (cmd == "list") {
    auto all = store.List();
    if (!all.ok()) return Fail(all.status().message());
    PrintList(*all, o.json);
    for (uint32_t bad : store.backups().Corrupt()) {
      StopProgress();
      std::fprintf(stderr, "vellumctl: snapshot %u is damaged (not listed); `vellumctl snapshot "
                   "verify %u` says why\n", bad, bad);
    }
    return 0;
  }
  if (cmd == "info") {
    if (!need_id()) return Usage("info needs a snapshot id");
    auto m = store.Info(id);
    if (!m.ok()) return Fail(m.status().message());
    PrintInfo(*m, o.json);
    return 0;
  }
  if (cmd == "verify") {
    if (!need_id()) return Usage("verify needs a snapshot id");
    Status st = store.Verify(id);
    if (!st.ok()) return Fail(st.message());
    Out("snapshot %u: ok\n", id);
    return 0;
  }
  if (cmd == "delete") {
    if (!need_id()) return Usage("delete needs a snapshot id");
    Status st = store.Delete(id);
    if (!st.ok()) return Fail(st.message());
    Out("snapshot %u: deleted\n", id);
    return 0;
  }
  if (cmd == "prune") {
    if (o.keep_last < 0 && o.max_age.empty()) return Usage("prune needs --keep-last N and/or --max-age D");
    int64_t max_age_ms = 0;
    if (!o.max_age.empty()) {
      if (!conf::NormalizeDuration(o.max_age)) return Usage("--max-age: not a duration: " + o.max_age);
      max_age_ms = conf::DurationMs(o.max_age);
    }
    auto pruned = store.Prune(static_cast<uint32_t>(std::max<int64_t>(0, o.keep_last)), max_age_ms,
                              std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count());
    if (!pruned.ok()) return Fail(pruned.status().message());
    for (uint32_t p : *pruned) Out("snapshot %u: pruned\n", p);
    if (pruned->empty()) Out("nothing to prune\n");
    return 0;
  }
  if (cmd == "restore") {
    if (!need_id()) return Usage("restore needs a snapshot id");
    if (o.to.empty()) return Usage("restore needs --to DATA_DIR");
    // Refused while a daemon serves that directory (it holds the data lock). The lock is
    // taken only once the snapshot is verified: a damaged one leaves the target untouched.
    std::unique_ptr<storage::DirLock> lock;
    auto take_lock = [&]() -> Status {
      std::error_code ec;
      fs::create_directories(o.to, ec);
      auto locked = storage::DirLock::Acquire((fs::path(o.to) / "vellumd.lock").string());
      if (!locked.ok()) return locked.status();
      lock = std::move(*locked);
      RemoveRestoreDebris(o.to);
      return Status::Ok();
    };
    auto report = store.Restore(id, o.to, o.force, ToolEngineOptions(), take_lock);
    if (!report.ok()) return Fail(report.status().message());
    Out("restored snapshot %u (%llu keys, digest %s) into %s in %lld ms\n", id,
        static_cast<unsigned long long>(report->manifest.keys), report->manifest.digest.c_str(),
        (fs::path(o.to) / "db").c_str(), static_cast<long long>(report->duration_ms));
    if (!report->moved_aside.empty()) {
      Out("the previous database was moved to %s\n", report->moved_aside.c_str());
    }
    return 0;
  }
  if (cmd == "drill") {
    if (!need_id()) return Usage("drill needs a snapshot id");
    const int64_t start = MonotonicMs();
    Scratch scratch(dir, "drill");
    auto m = store.RestoreAndCheck(id, (scratch.path / "db").string(), ToolEngineOptions());
    if (!m.ok()) return Fail("drill failed: " + m.status().message());
    Out("drill ok: snapshot %u restored into a scratch directory, %llu keys and digest "
        "%s match its manifest, in %lld ms; scratch copy removed\n",
        id, static_cast<unsigned long long>(m->keys), m->digest.c_str(),
        static_cast<long long>(MonotonicMs() - start));
    return 0;
  }
  if (cmd == "export") {
    if (!need_id() || o.args.size() != 3) return Usage("export needs a snapshot id and a file");
    return Export(store, id, o.args[2]);
  }
  if (cmd == "import") {
    if (o.args.size() != 2) return Usage("import needs an archive file");
    return Import(store, o.args[1]);
  }
  return Usage("unknown command '" + cmd + "'");
}

int Main(int argc, char** argv) {
  Options o;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("vellumctl %s\n", kVellumVersion);
      return 0;
    } else if (a == "-h" || a == "--host") {
      if (!value(&o.host)) return Usage(a + " needs a value");
    } else if (a == "-p" || a == "--port") {
      if (!value(&v)) return Usage(a + " needs a value");
      o.port = std::atoi(v.c_str());
      if (o.port <= 0 || o.port > 65535) return Usage("bad port " + v);
    } else if (a == "-a" || a == "--pass") {
      if (!value(&o.password)) return Usage(a + " needs a value");
    } else if (a == "--snapshot-dir") {
      if (!value(&o.snapshot_dir)) return Usage(a + " needs a value");
    } else if (a == "--config") {
      if (!value(&o.config_file)) return Usage(a + " needs a value");
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--force") {
      o.force = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--label") {
      if (!value(&o.label)) return Usage(a + " needs a value");
    } else if (a == "--to") {
      if (!value(&o.to)) return Usage(a + " needs a value");
    } else if (a == "--keep-last") {
      if (!value(&v)) return Usage(a + " needs a value");
      o.keep_last = std::atoll(v.c_str());
      if (o.keep_last < 0 || v.find_first_not_of("0123456789") != std::string::npos) {
        return Usage("bad --keep-last " + v);
      }
    } else if (a == "--max-age") {
      if (!value(&o.max_age)) return Usage(a + " needs a value");
    } else if (a.starts_with("-") && a.size() > 1) {
      return Usage("unknown option " + a);
    } else {
      rest.push_back(a);
    }
  }
  if (rest.size() < 2 || rest[0] != "snapshot") return Usage("expected: snapshot <command>");
  o.args.assign(rest.begin() + 1, rest.end());
  std::string dir = o.snapshot_dir;
  if (dir.empty() && !o.config_file.empty()) {
    auto config = conf::Load(o.config_file, {});
    if (!config.ok()) return Fail("bad configuration: " + config.status().message());
    dir = !config->snapshot_dir.empty()
              ? config->snapshot_dir
              : (fs::path(config->dir.empty() ? "." : config->dir) / "snapshots").string();
  }
  if (!dir.empty()) return Offline(o, dir);
  return Online(o);
}

}  // namespace
}  // namespace vellum::snapshot

int main(int argc, char** argv) { return vellum::snapshot::Main(argc, argv); }
