// Tests for conf/config.{h,cc} and common/glob.h: loading, flags, CONFIG GET/SET/REWRITE,
// the example file and Redis's glob. Every test that writes files uses its own temp dir.
#include "conf/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/glob.h"

namespace vellum::conf {
namespace {

namespace fs = std::filesystem;
using Pairs = std::vector<std::pair<std::string, std::string>>;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/vellum-conf-XXXXXX";
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  // Writes `text` to name inside the directory; returns the full path.
  std::string Write(const std::string& name, const std::string& text) const {
    std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Loads `toml` from a temp file; returns the error message ("" on success) with the file's
// path replaced by "F" so expectations read like the real thing.
std::string LoadError(const std::string& toml, const Pairs& overrides = {}) {
  TempDir dir;
  std::string path = dir.Write("vellum.toml", toml);
  Result<Config> c = Load(path, overrides);
  if (c.ok()) return "";
  std::string message = c.status().message();
  if (message.starts_with(path)) message = "F" + message.substr(path.size());
  return message;
}

Config LoadOk(const std::string& path, const Pairs& overrides = {}) {
  Result<Config> c = Load(path, overrides);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : Config();
}

std::vector<const char*> Argv(std::initializer_list<const char*> args) { return args; }

Result<CommandLine> Parse(std::vector<const char*> args) {
  return ParseCommandLine(static_cast<int>(args.size()), const_cast<char**>(args.data()));
}

// ---- Schema and example file -------------------------------------------------------------

TEST(ConfigTest, SchemaRowsAreConsistent) {
  const Config defaults;
  std::set<std::string> names;
  for (const FieldSpec& f : Schema()) {
    SCOPED_TRACE(f.toml_name);
    bool is_int =
        f.kind == ValueKind::kInt || f.kind == ValueKind::kBytes || f.kind == ValueKind::kOctal;
    bool is_string = f.kind == ValueKind::kString || f.kind == ValueKind::kEnum;
    EXPECT_EQ(f.int_field != nullptr, is_int);
    EXPECT_EQ(f.string_field != nullptr, is_string);
    EXPECT_EQ(f.bool_field != nullptr, f.kind == ValueKind::kBool);
    EXPECT_EQ(f.enum_values != nullptr, f.kind == ValueKind::kEnum);
    EXPECT_NE(std::string(f.toml_name).find('.'), std::string::npos);
    EXPECT_TRUE(names.insert(f.toml_name).second);
    if (f.redis_name) {
      EXPECT_TRUE(names.insert(f.redis_name).second);
    }
    EXPECT_EQ(FindField(f.toml_name), &f);
    if (f.redis_name) {
      EXPECT_EQ(FindField(f.redis_name), &f);
    }
    if (is_int) {
      EXPECT_LE(f.min, defaults.*f.int_field);
      EXPECT_GE(f.max, defaults.*f.int_field);
    }
    if (f.kind == ValueKind::kEnum) {
      std::string values = std::string("|") + f.enum_values + "|";
      EXPECT_NE(values.find("|" + defaults.*f.string_field + "|"), std::string::npos);
    }
  }
}

TEST(ConfigTest, ExampleFileMatchesSchema) {
  std::string path = (fs::path(__FILE__).parent_path() / "../../conf/vellum.toml").string();
  std::string text = ReadAll(path);
  ASSERT_FALSE(text.empty()) << path;
  // Every key sits in its [table] with its doc line and flag line just above it.
  for (const FieldSpec& f : Schema()) {
    SCOPED_TRACE(f.toml_name);
    std::string name = f.toml_name;
    std::string table = "\n[" + name.substr(0, name.find('.')) + "]\n";
    std::string block = "\n# " + std::string(f.doc) + "\n# --" +
                        (f.redis_name ? f.redis_name : f.toml_name) +
                        (f.runtime ? " (CONFIG SET)" : " (fixed at startup)") + "\n" +
                        name.substr(name.find('.') + 1) + " = ";
    size_t table_at = text.find(table);
    size_t block_at = text.find(block);
    ASSERT_NE(table_at, std::string::npos);
    ASSERT_NE(block_at, std::string::npos);
    EXPECT_LT(table_at, block_at);
    size_t next_table = text.find("\n[", table_at + 1);
    EXPECT_TRUE(next_table == std::string::npos || block_at < next_table);
  }
  Config loaded = LoadOk(path);
  loaded.config_file.clear();
  for (const FieldSpec& f : Schema()) {
    EXPECT_EQ(ValueText(loaded, f), ValueText(Config(), f)) << f.toml_name;
  }
  EXPECT_TRUE(loaded == Config());
}

TEST(ConfigTest, NoFileMeansDefaults) {
  Config c = LoadOk("");
  EXPECT_TRUE(c == Config());
  EXPECT_EQ(c.config_file, "");
}

// ---- File errors -------------------------------------------------------------------------

TEST(ConfigTest, UnknownKeyReportsFileAndLine) {
  EXPECT_EQ(LoadError("[server]\nport = 1\nprot = 2\n"), "F:3: unknown key 'server.prot'");
}

TEST(ConfigTest, UnknownTableIsAnError) {
  EXPECT_EQ(LoadError("# c\n[servers]\n"), "F:2: unknown table 'servers'");
}

TEST(ConfigTest, MisplacedKeySuggestsItsTable) {
  EXPECT_EQ(LoadError("maxmemory = 5\n"),
            "F:1: unknown key 'maxmemory' (did you mean 'memory.maxmemory'?)");
  EXPECT_EQ(LoadError("[server]\nmaxmemory-policy = 'noeviction'\n"),
            "F:2: unknown key 'server.maxmemory-policy' (did you mean "
            "'memory.maxmemory-policy'?)");
}

TEST(ConfigTest, OutOfRangeReportsBounds) {
  EXPECT_EQ(LoadError("[server]\n\nport = 70000\n"),
            "F:3: 'server.port' must be an integer between 0 and 65535, got 70000");
  EXPECT_EQ(LoadError("[memory]\nmaxmemory-samples = 0\n"),
            "F:2: 'memory.maxmemory-samples' must be an integer between 1 and 64, got 0");
  EXPECT_EQ(LoadError("[slowlog]\nlog-slower-than = -2\n"),
            "F:2: 'slowlog.log-slower-than' must be an integer >= -1, got -2");
}

TEST(ConfigTest, EnumListsItsChoices) {
  EXPECT_EQ(LoadError("[memory]\nmaxmemory-policy = \"lru\"\n"),
            "F:2: 'memory.maxmemory-policy' must be one of volatile-lru|volatile-lfu|"
            "volatile-random|volatile-ttl|allkeys-lru|allkeys-lfu|allkeys-random|noeviction, "
            "got 'lru'");
  EXPECT_EQ(LoadError("[storage]\ndurability = \"sometimes\"\n"),
            "F:2: 'storage.durability' must be one of always|everysec|none, got 'sometimes'");
}

TEST(ConfigTest, WrongTypeIsAnError) {
  EXPECT_EQ(LoadError("[server]\nport = \"6379\"\n"),
            "F:2: 'server.port' must be an integer, got a string");
  EXPECT_EQ(LoadError("[log]\nlevel = 3\n"), "F:2: 'log.level' must be a string, got an integer");
  EXPECT_EQ(LoadError("[server]\nhz = 1.5\n"), "F:2: 'server.hz' must be an integer, got a float");
  EXPECT_EQ(LoadError("server = 1\n"), "F:1: unknown key 'server'");
}

TEST(ConfigTest, FirstProblemInFileOrderIsReported) {
  // toml++ iterates tables by name (memory before slowlog); the report follows the file.
  EXPECT_EQ(LoadError("[slowlog]\nmax-len = -1\n[memory]\nmaxmemory = -1\n").substr(0, 4), "F:2:");
}

TEST(ConfigTest, SyntaxErrorReportsLine) {
  std::string error = LoadError("[server]\nport = 1\nport = = 2\n");
  EXPECT_EQ(error.substr(0, 4), "F:3:") << error;
}

TEST(ConfigTest, MissingFileIsAnError) {
  TempDir dir;
  Result<Config> c = Load(dir.path() + "/nope.toml", {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), dir.path() + "/nope.toml: No such file or directory");
}

TEST(ConfigTest, ConfigFileIsRecorded) {
  TempDir dir;
  std::string path = dir.Write("v.toml", "[server]\nport = 7000\n");
  Config c = LoadOk(path);
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.config_file, path);
}

// ---- Values ------------------------------------------------------------------------------

TEST(ConfigTest, BytesUnits) {
  struct Case {
    const char* text;
    int64_t want;
  } cases[] = {
      {"0", 0},
      {"42", 42},
      {"42b", 42},
      {"1k", 1000},
      {"1kb", 1024},
      {"1K", 1000},
      {"1KB", 1024},
      {"3m", 3000000},
      {"3mb", 3 * 1024 * 1024},
      {"2g", 2000000000},
      {"2gb", 2LL * 1024 * 1024 * 1024},
      {"2Gb", 2LL * 1024 * 1024 * 1024},
      {"007", 7},
      {"9223372036854775807", INT64_MAX},
      {"8589934591gb", 8589934591LL * 1024 * 1024 * 1024},
  };
  for (const Case& c : cases) {
    int64_t v = -1;
    EXPECT_TRUE(ParseBytes(c.text, &v)) << c.text;
    EXPECT_EQ(v, c.want) << c.text;
  }
  for (const char* bad : {"", "-1", "+1", "kb", "1tb", "1 kb", " 1", "1.5mb", "1kbb",
                          "9223372036854775808", "8589934592gb", "9223372036854775807k"}) {
    int64_t v = -1;
    EXPECT_FALSE(ParseBytes(bad, &v)) << bad;
  }
}

TEST(ConfigTest, BytesFieldsTakeIntegersOrStringsWithUnits) {
  TempDir dir;
  std::string path =
      dir.Write("v.toml", "[memory]\nmaxmemory = \"1gb\"\n[server]\noutput-buffer-limit = 1024\n");
  Config c = LoadOk(path);
  EXPECT_EQ(c.maxmemory, 1024LL * 1024 * 1024);
  EXPECT_EQ(c.output_buffer_limit, 1024);
  EXPECT_EQ(LoadError("[memory]\nmaxmemory = \"lots\"\n"),
            "F:2: 'memory.maxmemory' must be a byte count such as 64mb, got 'lots'");
  EXPECT_EQ(LoadError("", {{"proto-max-bulk-len", "1000"}}),
            "--proto-max-bulk-len: must be a byte count such as 64mb, at least 1mb, got '1000'");
}

TEST(ConfigTest, OctalPermissions) {
  TempDir dir;
  EXPECT_EQ(LoadOk(dir.Write("a.toml", "[server]\nunixsocketperm = 0o700\n")).unixsocketperm, 0700);
  EXPECT_EQ(LoadOk(dir.Write("b.toml", "[server]\nunixsocketperm = \"0755\"\n")).unixsocketperm,
            0755);
  EXPECT_EQ(LoadOk("", {{"unixsocketperm", "770"}}).unixsocketperm, 0770);
  EXPECT_EQ(LoadError("[server]\nunixsocketperm = 700\n"),
            "F:2: 'server.unixsocketperm' must be an octal integer such as 0o700, got a "
            "decimal integer");
  EXPECT_EQ(LoadError("[server]\nunixsocketperm = 0o1000\n"),
            "F:2: 'server.unixsocketperm' must be an octal number between 0 and 0777, got "
            "0o1000");
  EXPECT_EQ(LoadError("", {{"unixsocketperm", "9"}}),
            "--unixsocketperm: must be an octal number between 0 and 0777, got '9'");
}

TEST(ConfigTest, DatabasesIsFixedAt16) {
  EXPECT_EQ(LoadError("", {{"databases", "32"}}),
            "--databases: must be an integer equal to 16, got '32'");
  EXPECT_EQ(LoadOk("", {{"databases", "16"}}).databases, 16);
}

TEST(ConfigTest, EnumsIgnoreCaseAndStoreTheCanonicalName) {
  Config c = LoadOk("", {{"maxmemory-policy", "ALLKEYS-LRU"}, {"loglevel", "Warning"}});
  EXPECT_EQ(c.maxmemory_policy, "allkeys-lru");
  EXPECT_EQ(c.loglevel, "warning");
}

// ---- Overrides ---------------------------------------------------------------------------

TEST(ConfigTest, RedisFlagNamesOverrideFile) {
  TempDir dir;
  std::string path =
      dir.Write("v.toml", "[server]\nport = 7000\nhz = 20\n[memory]\nmaxmemory = \"1mb\"\n");
  Config c = LoadOk(path, {{"port", "7001"},
                           {"maxmemory", "2mb"},
                           {"loglevel", "warning"},
                           {"slowlog-log-slower-than", "-1"},
                           {"requirepass", "s3cret"}});
  EXPECT_EQ(c.port, 7001);
  EXPECT_EQ(c.hz, 20);  // from the file
  EXPECT_EQ(c.maxmemory, 2 * 1024 * 1024);
  EXPECT_EQ(c.loglevel, "warning");
  EXPECT_EQ(c.slowlog_log_slower_than, -1);
  EXPECT_EQ(c.requirepass, "s3cret");
}

TEST(ConfigTest, DottedFlagOverride) {
  Config c = LoadOk("", {{"storage.durability", "none"},
                         {"server.threads", "4"},
                         {"Memory.MaxMemory-Policy", "volatile-ttl"},
                         {"server.output-buffer-limit", "0"}});
  EXPECT_EQ(c.durability, "none");
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.maxmemory_policy, "volatile-ttl");
  EXPECT_EQ(c.output_buffer_limit, 0);
}

TEST(ConfigTest, LaterFlagWins) {
  EXPECT_EQ(LoadOk("", {{"port", "1"}, {"server.port", "2"}}).port, 2);
}

TEST(ConfigTest, FlagErrors) {
  EXPECT_EQ(LoadError("", {{"port", "abc"}}),
            "--port: must be an integer between 0 and 65535, got 'abc'");
  EXPECT_EQ(LoadError("", {{"nosuch", "1"}}), "--nosuch: unknown option");
  EXPECT_EQ(LoadError("", {{"threads", "4"}}), "--threads: unknown option");  // no Redis name
  EXPECT_EQ(LoadError("", {{"maxclients", "0"}}),
            "--maxclients: must be an integer between 1 and 1000000, got '0'");
}

// ---- Command line ------------------------------------------------------------------------

TEST(CommandLineTest, FirstArgumentIsTheConfigFile) {
  Result<CommandLine> cl = Parse(Argv({"vellumd", "/etc/v.toml", "--port", "7000"}));
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl->config_file, "/etc/v.toml");
  EXPECT_EQ(cl->overrides, (Pairs{{"port", "7000"}}));
}

TEST(CommandLineTest, ConfigFlagAndOverridesInOrder) {
  Result<CommandLine> cl = Parse(Argv({"vellumd", "--maxmemory", "1gb", "--config", "/x.toml",
                                       "--slowlog-log-slower-than", "-1", "--server.hz", "20"}));
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl->config_file, "/x.toml");
  EXPECT_EQ(cl->overrides,
            (Pairs{{"maxmemory", "1gb"}, {"slowlog-log-slower-than", "-1"}, {"server.hz", "20"}}));
  EXPECT_FALSE(cl->help || cl->version || cl->commands_markdown);
}

TEST(CommandLineTest, SeveralValuesAreJoinedLikeRedis) {
  Result<CommandLine> cl = Parse(Argv({"vellumd", "--bind", "127.0.0.1", "-::1", "--port", "1"}));
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl->overrides, (Pairs{{"bind", "127.0.0.1 -::1"}, {"port", "1"}}));
}

TEST(CommandLineTest, EmptyValueIsAValue) {
  Result<CommandLine> cl = Parse(Argv({"vellumd", "--requirepass", ""}));
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl->overrides, (Pairs{{"requirepass", ""}}));
}

TEST(CommandLineTest, MissingValue) {
  Result<CommandLine> cl = Parse(Argv({"vellumd", "--port"}));
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(), "--port: missing value");
  cl = Parse(Argv({"vellumd", "--port", "--bind", "::1"}));
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(), "--port: missing value");
}

TEST(CommandLineTest, HelpVersionAndCommandsMarkdown) {
  Result<CommandLine> cl = Parse(Argv({"vellumd", "-h"}));
  ASSERT_TRUE(cl.ok());
  EXPECT_TRUE(cl->help);
  cl = Parse(Argv({"vellumd", "--version"}));
  ASSERT_TRUE(cl.ok());
  EXPECT_TRUE(cl->version);
  cl = Parse(Argv({"vellumd", "--commands-markdown"}));
  ASSERT_TRUE(cl.ok());
  EXPECT_TRUE(cl->commands_markdown);
  EXPECT_TRUE(cl->overrides.empty());
}

TEST(CommandLineTest, StrayArgumentsAndTwoConfigFilesAreErrors) {
  Result<CommandLine> cl = Parse(Argv({"vellumd", "--help", "extra"}));
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(), "'extra': unexpected argument (options are --key value)");
  cl = Parse(Argv({"vellumd", "a.toml", "--config", "b.toml"}));
  ASSERT_FALSE(cl.ok());
  EXPECT_EQ(cl.status().message(), "--config: config file already given as 'a.toml'");
}

// ---- ConfigStore -------------------------------------------------------------------------

TEST(ConfigStoreTest, GetGlob) {
  ConfigStore store(LoadOk("", {{"maxmemory", "1gb"}, {"unixsocketperm", "700"}}));
  EXPECT_EQ(store.Get("maxmemory*"), (Pairs{{"maxmemory", "1073741824"},
                                            {"maxmemory-policy", "noeviction"},
                                            {"maxmemory-samples", "5"}}));
  EXPECT_EQ(store.Get("PORT"), (Pairs{{"port", "6379"}}));
  EXPECT_EQ(store.Get("unixsocketperm"), (Pairs{{"unixsocketperm", "700"}}));
  EXPECT_EQ(store.Get("server.threads"), (Pairs{{"server.threads", "0"}}));
  EXPECT_EQ(store.Get("server.port"), (Pairs{{"server.port", "6379"}}));
  EXPECT_EQ(store.Get("slowlog-*").size(), 2u);
  size_t memory_rows = 0;
  for (const FieldSpec& f : Schema()) memory_rows += std::string(f.toml_name).rfind("memory.", 0) == 0;
  EXPECT_EQ(store.Get("memory.*").size(), memory_rows);
  EXPECT_GE(memory_rows, 3u);
  // Every row, each of Redis's older aliases too, plus Redis's appendonly and appendfsync
  // derived from storage.durability.
  size_t aliases = 0;
  for (const FieldSpec& f : Schema()) aliases += f.redis_alias != nullptr;
  EXPECT_EQ(aliases, 7u);  // five ziplist names, lua-time-limit, slave-read-only
  EXPECT_EQ(store.Get("*").size(), Schema().size() + aliases + 2);
  EXPECT_EQ(store.Get("hash-max-ziplist-entries"), (Pairs{{"hash-max-ziplist-entries", "512"}}));
  EXPECT_EQ(store.Get("hash-max-*-entries"),
            (Pairs{{"hash-max-listpack-entries", "512"}, {"hash-max-ziplist-entries", "512"}}));
  EXPECT_EQ(store.Get("append*"),
            (Pairs{{"appendonly", "yes"}, {"appendfsync", "everysec"}}));
  EXPECT_EQ(store.Get("*").front(), (std::pair<std::string, std::string>{"bind", "127.0.0.1"}));
  EXPECT_TRUE(store.Get("nosuch").empty());
}

TEST(ConfigStoreTest, SetChangesValuesAndNotifiesOutsideTheLock) {
  ConfigStore store{Config()};
  std::vector<std::string> seen;
  int64_t seen_hz = 0;
  store.OnChange([&](const Config& c, const std::vector<std::string>& changed) {
    seen = changed;
    seen_hz = store.Snapshot().hz;  // would deadlock if called under the store's lock
    EXPECT_EQ(c.hz, 20);
  });
  Status s = store.Set({{"maxmemory", "1gb"}, {"HZ", "20"}, {"loglevel", "debug"}});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(seen, (std::vector<std::string>{"memory.maxmemory", "server.hz", "log.level"}));
  EXPECT_EQ(seen_hz, 20);
  Config c = store.Snapshot();
  EXPECT_EQ(c.maxmemory, 1LL << 30);
  EXPECT_EQ(c.loglevel, "debug");
}

TEST(ConfigStoreTest, SetToTheSameValueDoesNotNotify) {
  ConfigStore store{Config()};
  int calls = 0;
  store.OnChange([&](const Config&, const std::vector<std::string>&) { calls++; });
  ASSERT_TRUE(store.Set({{"hz", "10"}}).ok());
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(store.Set({{"server.output-buffer-limit", "1mb"}}).ok());
  EXPECT_EQ(calls, 1);
}

TEST(ConfigStoreTest, SetIsAllOrNothing) {
  ConfigStore store{Config()};
  int calls = 0;
  store.OnChange([&](const Config&, const std::vector<std::string>&) { calls++; });
  Status s = store.Set({{"hz", "20"}, {"maxmemory-samples", "100"}});
  EXPECT_EQ(s.message(),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - "
            "argument must be between 1 and 64 inclusive");
  EXPECT_EQ(store.Snapshot().hz, 10);
  EXPECT_EQ(calls, 0);
}

TEST(ConfigStoreTest, SetImmutableFails) {
  ConfigStore store{Config()};
  for (const char* name : {"port", "bind", "databases", "dir", "logfile", "server.threads",
                           "storage.durability", "unixsocketperm", "tcp-backlog"}) {
    EXPECT_EQ(store.Set({{"hz", "20"}, {name, "1"}}).message(),
              std::string("ERR CONFIG SET failed (possibly related to argument '") + name +
                  "') - can't set immutable config");
  }
  EXPECT_EQ(store.Snapshot().hz, 10);
}

TEST(ConfigStoreTest, SetUnknownAndDuplicateFail) {
  ConfigStore store{Config()};
  EXPECT_EQ(store.Set({{"hz", "20"}, {"nosuch", "1"}}).message(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(store.Set({{"hz", "20"}, {"server.hz", "30"}}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'server.hz') - duplicate "
            "parameter");
  EXPECT_EQ(store.Snapshot().hz, 10);
}

TEST(ConfigStoreTest, SetBadValuesUseRedisTexts) {
  ConfigStore store{Config()};
  auto error = [&store](const char* name, const char* value) {
    std::string m = store.Set({{name, value}}).message();
    std::string prefix =
        std::string("ERR CONFIG SET failed (possibly related to argument '") + name + "') - ";
    EXPECT_EQ(m.substr(0, prefix.size()), prefix);
    return m.substr(std::min(prefix.size(), m.size()));
  };
  EXPECT_EQ(error("hz", "abc"), "argument couldn't be parsed into an integer");
  EXPECT_EQ(error("hz", "0"), "argument must be between 1 and 500 inclusive");
  EXPECT_EQ(error("maxmemory", "-1"), "argument must be a memory value");
  EXPECT_EQ(error("loglevel", "loud"),
            "argument(s) must be one of the following: debug, verbose, notice, warning");
  EXPECT_EQ(error("maxmemory-policy", "lru"),
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
            "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
            "noeviction");
  EXPECT_EQ(error("slowlog-log-slower-than", "-2"),
            "argument must be between -1 and 9223372036854775807 inclusive");
}

TEST(ConfigStoreTest, RewriteWithoutFileFails) {
  ConfigStore store{Config()};
  EXPECT_EQ(store.Rewrite().message(), "ERR The server is running without a config file");
}

TEST(ConfigStoreTest, RewritePreservesComments) {
  TempDir dir;
  std::string path = dir.Write("v.toml",
                               "# top comment\n"
                               "[server]\n"
                               "# the port\n"
                               "port = 7000   # trailing comment\n"
                               "hz = 10\n"
                               "requirepass = \"p\xC3\xA4\xE2\x82\xAC\"  # unicode before me\n"
                               "\n"
                               "# memory comes next\n"
                               "[memory]\n"
                               "# no maxmemory yet\n");
  ConfigStore store(LoadOk(path));
  ASSERT_TRUE(store
                  .Set({{"hz", "25"},
                        {"maxmemory", "1gb"},
                        {"requirepass", "new\"pass"},
                        {"loglevel", "warning"}})
                  .ok());
  Status s = store.Rewrite();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(ReadAll(path),
            "# top comment\n"
            "[server]\n"
            "# the port\n"
            "port = 7000   # trailing comment\n"
            "hz = 25\n"
            "requirepass = \"new\\\"pass\"  # unicode before me\n"
            "\n"
            "# memory comes next\n"
            "[memory]\n"
            "maxmemory = \"1gb\"\n"  // an empty table takes new keys under its header
            "# no maxmemory yet\n"
            "\n"
            "[log]\n"
            "level = \"warning\"\n");
  Config reloaded = LoadOk(path);
  EXPECT_TRUE(reloaded == store.Snapshot());
}

TEST(ConfigStoreTest, RewriteAddsKeysAfterTheLastOfTheirTable) {
  TempDir dir;
  std::string path = dir.Write("v.toml", "[server]\nport = 7000\n\n[log]\nlevel = \"debug\"\n");
  ConfigStore store(LoadOk(path));
  ASSERT_TRUE(store.Set({{"timeout", "60"}, {"server.output-buffer-limit", "1000"}}).ok());
  ASSERT_TRUE(store.Rewrite().ok());
  EXPECT_EQ(ReadAll(path),
            "[server]\nport = 7000\ntimeout = 60\noutput-buffer-limit = 1000\n\n[log]\n"
            "level = \"debug\"\n");
}

TEST(ConfigStoreTest, RewriteKeepsDefaultValuedKeysThatAreInTheFile) {
  TempDir dir;
  std::string path = dir.Write("v.toml", "[server]\nhz = 50\n");
  ConfigStore store(LoadOk(path));
  ASSERT_TRUE(store.Set({{"hz", "10"}}).ok());
  ASSERT_TRUE(store.Rewrite().ok());
  EXPECT_EQ(ReadAll(path), "[server]\nhz = 10\n");
}

TEST(ConfigStoreTest, RewriteDottedKeysStayDotted) {
  TempDir dir;
  std::string path = dir.Write("v.toml", "server.port = 7000\n\n[log]\nlevel = \"debug\"");
  ConfigStore store(LoadOk(path));
  ASSERT_TRUE(store.Set({{"hz", "20"}}).ok());
  ASSERT_TRUE(store.Rewrite().ok());
  EXPECT_EQ(ReadAll(path), "server.port = 7000\nserver.hz = 20\n\n[log]\nlevel = \"debug\"\n");
}

TEST(ConfigStoreTest, RewriteFallsBackToAFullFileForInlineTables) {
  TempDir dir;
  std::string path = dir.Write("v.toml", "server = { port = 7000 }\n");
  ConfigStore store(LoadOk(path));
  ASSERT_TRUE(store.Set({{"hz", "20"}}).ok());
  ASSERT_TRUE(store.Rewrite().ok());
  std::string text = ReadAll(path);
  EXPECT_NE(text.find("\n[server]\n"), std::string::npos);
  EXPECT_NE(text.find("\nhz = 20\n"), std::string::npos);
  EXPECT_TRUE(LoadOk(path) == store.Snapshot());
}

TEST(ConfigStoreTest, RewriteKeepsModeAndLeavesNoTempFile) {
  TempDir dir;
  std::string path = dir.Write("v.toml", "[server]\nport = 7000\n");
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  ConfigStore store(LoadOk(path));
  ASSERT_TRUE(store.Set({{"maxclients", "5"}}).ok());
  ASSERT_TRUE(store.Rewrite().ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) files += entry.exists();
  EXPECT_EQ(files, 1);
}

TEST(ConfigStoreTest, RewriteRecreatesADeletedFile) {
  TempDir dir;
  std::string path = dir.Write("v.toml", "[server]\nport = 7000\n");
  ConfigStore store(LoadOk(path));
  ASSERT_TRUE(fs::remove(path));
  ASSERT_TRUE(store.Rewrite().ok());
  EXPECT_EQ(ReadAll(path), "[server]\nport = 7000\n");
}

TEST(ConfigStoreTest, RewriteReportsErrors) {
  TempDir dir;
  std::string path = dir.Write("v.toml", "[server]\n");
  ConfigStore store(LoadOk(path));
  ASSERT_TRUE(store.Set({{"hz", "20"}}).ok());
  fs::remove(path);
  fs::create_directory(path);  // the config path is now a directory
  Status s = store.Rewrite();
  EXPECT_EQ(s.message(), "ERR Rewriting config file: Is a directory");
}

// ---- Glob --------------------------------------------------------------------------------

TEST(GlobTest, LiteralAndEmpty) {
  EXPECT_TRUE(GlobMatch("hello", "hello"));
  EXPECT_FALSE(GlobMatch("hello", "hell"));
  EXPECT_FALSE(GlobMatch("hell", "hello"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
}

TEST(GlobTest, Star) {
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("h*llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("a**b", "axyzb"));
  EXPECT_FALSE(GlobMatch("h*llo", "hellO"));
  EXPECT_FALSE(GlobMatch("*", ""));  // Redis's stringmatchlen: "" matches only ""
}

TEST(GlobTest, QuestionMark) {
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h?llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("??", "ab"));
}

TEST(GlobTest, Class) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
}

TEST(GlobTest, NegatedClass) {
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
}

TEST(GlobTest, Range) {
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  EXPECT_TRUE(GlobMatch("h[b-a]llo", "hallo"));  // reversed ranges work
  EXPECT_TRUE(GlobMatch("[0-9][0-9]", "42"));
  EXPECT_FALSE(GlobMatch("[^0-9]", "4"));
}

TEST(GlobTest, Escapes) {
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo"));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hello"));
  EXPECT_TRUE(GlobMatch("\\?", "?"));
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  EXPECT_TRUE(GlobMatch("[\\^a]", "^"));
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));  // a trailing backslash is literal
}

TEST(GlobTest, NoCase) {
  EXPECT_FALSE(GlobMatch("HELLO", "hello"));
  EXPECT_TRUE(GlobMatch("HELLO", "hello", true));
  EXPECT_TRUE(GlobMatch("h[A-Z]llo", "hello", true));
  EXPECT_TRUE(GlobMatch("H[E]LLO", "hello", true));
}

TEST(GlobTest, UnterminatedClassActsClosed) {
  EXPECT_TRUE(GlobMatch("a[bc", "ab"));
  EXPECT_TRUE(GlobMatch("a[bc", "ac"));
  EXPECT_FALSE(GlobMatch("a[bc", "ad"));
  EXPECT_TRUE(GlobMatch("[^", "x"));
}

TEST(GlobTest, DashBeforeCloseBracketIsARange) {
  EXPECT_TRUE(GlobMatch("[a-]", "_"));  // ']' (93) .. 'a' (97)
  EXPECT_FALSE(GlobMatch("[a-]", "-"));
}

TEST(GlobTest, BinarySafe) {
  std::string text("a\0b", 3);
  EXPECT_TRUE(GlobMatch("a?b", text));
  EXPECT_TRUE(GlobMatch(std::string_view("a\0*", 3), text));
}

TEST(GlobTest, PathologicalPatternIsFast) {
  std::string text(5000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_FALSE(GlobMatch(std::string(3000, '*') + "b", std::string(3000, 'a')));
}

}  // namespace
}  // namespace vellum::conf
