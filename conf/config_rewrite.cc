// CONFIG REWRITE: writes the running values back into the TOML file the daemon was
// started with. Changed values are replaced where they stand (key, spacing and trailing
// comment kept); new keys go after the last key of their table; every result is reloaded
// and compared with the running values before it is published atomically (temp file,
// fsync, rename, fsync of the directory). A file that cannot be edited in place (an inline
// table, say) is regenerated whole, with the documented layout of conf/vellum.toml.
#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "conf/config.h"
#include "conf/config_internal.h"

namespace vellum::conf {
namespace {

using namespace internal;  // NOLINT: the schema helpers shared with config.cc

// A complete file for `c`, every key with its doc and flag: the shape of conf/vellum.toml.
std::string FullToml(const Config& c) {
  std::string out = "# vellumd configuration (rewritten by CONFIG REWRITE).\n";
  std::string_view table;
  for (const FieldSpec& f : Schema()) {
    if (TableOf(f) != table) {
      table = TableOf(f);
      out += "\n[" + std::string(table) + "]\n";
    } else {
      out += "\n";
    }
    out += "# " + std::string(f.doc) + "\n";
    out += "# --" + std::string(f.redis_name ? f.redis_name : f.toml_name) +
           (f.runtime ? " (CONFIG SET)\n" : " (fixed at startup)\n");
    out += std::string(KeyOf(f)) + " = " + TomlText(c, f) + "\n";
  }
  for (const AclUserConfig& u : c.acl_users) {
    out += "\n[[acl.user]]\nname = " + TomlString(u.name) + "\nrules = " + TomlString(u.rules) +
           "\n";
  }
  return out;
}

// Byte offset of 1-based (line, column) in `text`; toml++ counts columns in code points.
size_t OffsetOf(std::string_view text, uint32_t line, uint32_t column) {
  size_t pos = 0;
  for (uint32_t l = 1; l < line; l++) {
    size_t newline = text.find('\n', pos);
    if (newline == std::string_view::npos) return text.size();
    pos = newline + 1;
  }
  for (uint32_t col = 1; col < column && pos < text.size() && text[pos] != '\n'; col++) {
    pos++;
    while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) pos++;
  }
  return pos;
}

// Offset just after the '\n' that ends line `line` (the text always ends with one).
size_t AfterLine(std::string_view text, uint32_t line) {
  size_t newline = text.find('\n', OffsetOf(text, line, 1));
  return newline == std::string_view::npos ? text.size() : newline + 1;
}

std::string_view LineAt(std::string_view text, uint32_t line) {
  size_t begin = OffsetOf(text, line, 1);
  return text.substr(begin, AfterLine(text, line) - begin);
}

// Planned changes to a file's text: offset -> (bytes replaced there, text put instead).
using Edits = std::map<size_t, std::pair<size_t, std::string>>;

// Keys not in the file yet, for one table: where they go and how they are spelled.
// Returns false when the table cannot take new keys in place (an inline table).
bool PlanInsert(std::string_view text, const toml::table& root, std::string_view table,
                const std::vector<const FieldSpec*>& fields, const Config& running, Edits* edits) {
  const toml::node* node = root.get(table);
  if (node == nullptr) {  // a new [table] section at the end
    std::string& at_end = (*edits)[text.size()].second;
    at_end += (text.empty() && at_end.empty() ? "[" : "\n[") + std::string(table) + "]\n";
    for (const FieldSpec* f : fields) {
      at_end += std::string(KeyOf(*f)) + " = " + TomlText(running, *f) + "\n";
    }
    return true;
  }
  const toml::table* t = node->as_table();
  if (t == nullptr || t->is_inline()) return false;
  // After the last line of the table: its [header] or its last value. A table made only of
  // dotted keys at the top level ("server.port = 1") takes dotted keys.
  uint32_t last = t->source().begin.line;
  for (auto&& [key, value] : *t) last = std::max(last, value.source().end.line);
  std::string_view header = LineAt(text, t->source().begin.line);
  header.remove_prefix(std::min(header.find_first_not_of(" \t"), header.size()));
  std::string prefix = header.starts_with("[") ? "" : std::string(table) + ".";
  std::string lines;
  for (const FieldSpec* f : fields) {
    lines += prefix + std::string(KeyOf(*f)) + " = " + TomlText(running, *f) + "\n";
  }
  (*edits)[AfterLine(text, last)].second += lines;
  return true;
}

// The file's text with the running values written in: changed values replaced where they
// stand (keeping keys, spacing and trailing comments), new non-default keys added to their
// table. nullopt when the file's layout defeats in-place editing.
std::optional<std::string> EditInPlace(std::string text, const toml::table& root,
                                       const Config& running) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  const Config defaults;
  Edits edits;
  std::vector<std::pair<std::string_view, std::vector<const FieldSpec*>>> missing;
  for (const FieldSpec& f : Schema()) {
    const toml::node* node = root.at_path(f.toml_name).node();
    if (node != nullptr) {
      Config from_file = running;
      if (!ApplyNode(f, *node, &from_file) && SameValue(from_file, running, f)) continue;
      const toml::source_region& where = node->source();
      size_t begin = OffsetOf(text, where.begin.line, where.begin.column);
      size_t end = OffsetOf(text, where.end.line, where.end.column);
      if (end < begin) return std::nullopt;
      edits[begin] = {end - begin, TomlText(running, f)};
    } else if (!SameValue(running, defaults, f)) {
      if (missing.empty() || missing.back().first != TableOf(f)) {
        missing.push_back({TableOf(f), {}});
      }
      missing.back().second.push_back(&f);
    }
  }
  for (const auto& [table, fields] : missing) {
    if (!PlanInsert(text, root, table, fields, running, &edits)) return std::nullopt;
  }
  // From the end, so earlier offsets stay valid. Insertions sit at line starts, where no
  // value begins, so an offset never holds both kinds.
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) {
    text.replace(it->first, it->second.first, it->second.second);
  }
  return text;
}

// True if `text` parses and loads to exactly `running`.
bool LoadsAs(const std::string& text, const std::string& path, const Config& running) {
  Result<toml::table> root = ParseToml(text, path);
  if (!root.ok()) return false;
  Config loaded;
  if (ApplyToml(*root, &loaded)) return false;
  loaded.config_file = running.config_file;
  return loaded == running;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Status RewriteError(int err) {
  return Status::Error("ERR Rewriting config file: " + ErrnoText(err));
}

// Publishes `text` as `path`: temp file in the same directory, fsync, rename, fsync the
// directory. The file keeps its permission bits.
Status WriteAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return RewriteError(errno);
  struct stat st;
  mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  bool ok = ::fchmod(fd, mode) == 0 && WriteAll(fd, text) && ::fsync(fd) == 0;
  int err = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return RewriteError(err);
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return RewriteError(errno);
  ok = ::fsync(dir_fd) == 0;
  err = errno;
  ::close(dir_fd);
  return ok ? Status::Ok() : RewriteError(err);
}

}  // namespace

Status ConfigStore::Rewrite() const {
  const Config running = Snapshot();
  const std::string& path = running.config_file;
  if (path.empty()) return Status::Error("ERR The server is running without a config file");
  std::string old_text;
  int err = 0;
  if (!ReadFile(path, &old_text, &err) && err != ENOENT) return RewriteError(err);
  Result<toml::table> root = ParseToml(old_text, path);
  if (!root.ok()) return Status::Error("ERR Rewriting config file: " + root.status().message());
  std::optional<std::string> text = EditInPlace(old_text, *root, running);
  if (!text || !LoadsAs(*text, path, running)) text = FullToml(running);  // comments lost
  if (!LoadsAs(*text, path, running)) {
    return Status::Error("ERR Rewriting config file: running values cannot be written as TOML");
  }
  return WriteAtomically(path, *text);
}

}  // namespace vellum::conf
