#include "snapshot/manifest.h"

#include <toml++/toml.h>

#include <cstdio>
#include <sstream>

namespace vellum::snapshot {
namespace {

constexpr char kKind[] = "vellum-snapshot";

Result<toml::table> Parse(std::string_view text) {
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    return Status::Error("manifest line " + std::to_string(e.source().begin.line) + ": " +
                         std::string(e.description()));
  }
#else
  toml::parse_result r = toml::parse(text);
  if (!r) {
    return Status::Error("manifest line " + std::to_string(r.error().source().begin.line) +
                         ": " + std::string(r.error().description()));
  }
  return std::move(r).table();
#endif
}

}  // namespace

std::string EncodeManifest(const Manifest& m) {
  toml::table t;
  t.insert("kind", kKind);
  if (m.id != 0) t.insert("id", static_cast<int64_t>(m.id));
  t.insert("label", m.label);
  t.insert("keep", m.keep);
  t.insert("created_ms", m.created_ms);
  t.insert("server_version", m.server_version);
  t.insert("format_version", static_cast<int64_t>(m.format_version));
  // TOML integers are signed 64-bit: the sequence number fits (RocksDB keeps it < 2^56).
  t.insert("sequence", static_cast<int64_t>(m.sequence));
  toml::array keys;
  for (uint64_t n : m.keys_by_db) keys.push_back(static_cast<int64_t>(n));
  t.insert("keys_by_db", std::move(keys));
  t.insert("keys", static_cast<int64_t>(m.keys));
  t.insert("digest", m.digest);
  if (!m.replid.empty()) t.insert("replid", m.replid);
  std::ostringstream out;
  out << t << "\n";
  return out.str();
}

Status DecodeManifest(std::string_view text, Manifest* out) {
  Result<toml::table> parsed = Parse(text);
  if (!parsed.ok()) return parsed.status();
  const toml::table& t = *parsed;
  if (t["kind"].value_or(std::string()) != kKind) return Status::Error("not a Vellum snapshot manifest");
  Manifest m;
  auto need_int = [&](const char* name, int64_t* v) -> Status {
    std::optional<int64_t> x = t[name].value<int64_t>();
    if (!x || *x < 0) return Status::Error(std::string("manifest: missing or bad ") + name);
    *v = *x;
    return Status::Ok();
  };
  int64_t format = 0, sequence = 0, keys = 0;
  for (auto [name, v] : {std::pair{"created_ms", &m.created_ms}, {"format_version", &format},
                         {"sequence", &sequence}, {"keys", &keys}}) {
    Status st = need_int(name, v);
    if (!st.ok()) return st;
  }
  m.format_version = static_cast<uint32_t>(format);
  m.sequence = static_cast<uint64_t>(sequence);
  m.keys = static_cast<uint64_t>(keys);
  const int64_t id = t["id"].value_or(int64_t{0});
  if (id < 0 || id > UINT32_MAX) return Status::Error("manifest: bad id");
  m.id = static_cast<uint32_t>(id);  // 0: none recorded (the store falls back on its own)
  m.label = t["label"].value_or(std::string());
  m.keep = t["keep"].value_or(false);
  m.server_version = t["server_version"].value_or(std::string());
  m.digest = t["digest"].value_or(std::string());
  m.replid = t["replid"].value_or(std::string());
  if (m.digest.size() != 32) return Status::Error("manifest: missing or bad digest");
  const toml::array* by_db = t["keys_by_db"].as_array();
  if (by_db == nullptr || by_db->size() != m.keys_by_db.size()) {
    return Status::Error("manifest: missing or bad keys_by_db");
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < m.keys_by_db.size(); i++) {
    std::optional<int64_t> n = (*by_db)[i].value<int64_t>();
    if (!n || *n < 0) return Status::Error("manifest: bad keys_by_db entry");
    m.keys_by_db[i] = static_cast<uint64_t>(*n);
    sum += m.keys_by_db[i];
  }
  if (sum != m.keys) return Status::Error("manifest: keys_by_db does not add up to keys");
  *out = std::move(m);
  return Status::Ok();
}

std::string KeysByDbText(const Manifest& m) {
  std::string out;
  for (size_t db = 0; db < m.keys_by_db.size(); db++) {
    if (m.keys_by_db[db] == 0) continue;
    if (!out.empty()) out += ",";
    out += "db" + std::to_string(db) + "=" + std::to_string(m.keys_by_db[db]);
  }
  return out;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

std::string ManifestJson(const Manifest& m) {
  std::string out = "{";
  auto num = [&](const char* k, uint64_t v) { out += "\"" + std::string(k) + "\":" + std::to_string(v) + ","; };
  auto str = [&](const char* k, std::string_view v) { out += "\"" + std::string(k) + "\":" + JsonString(v) + ","; };
  num("id", m.id);
  str("label", m.label);
  num("created_ms", static_cast<uint64_t>(m.created_ms));
  num("keys", m.keys);
  num("total_bytes", m.total_bytes);
  num("added_bytes", m.added_bytes);
  str("digest", m.digest);
  num("sequence", m.sequence);
  num("keep", m.keep ? 1 : 0);
  str("server_version", m.server_version);
  num("format_version", m.format_version);
  str("keys_by_db", KeysByDbText(m));
  num("files", m.files);
  str("replid", m.replid);
  out.back() = '}';
  return out;
}

}  // namespace vellum::snapshot
