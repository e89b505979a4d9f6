// Helpers shared by the two halves of the config module: config.cc (schema, parsing,
// CONFIG GET/SET) and config_rewrite.cc (CONFIG REWRITE). Not part of the public API;
// nothing outside conf/ includes this. Pure functions; thread-safe.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "conf/config.h"

namespace vellum::conf::internal {

// A problem found in a TOML file: the line it is on and what is wrong.
struct Problem {
  uint32_t line;
  std::string message;
};

std::string_view TableOf(const FieldSpec& f);  // "server" of "server.port"
std::string_view KeyOf(const FieldSpec& f);    // "port" of "server.port"
std::string TomlString(std::string_view s);    // a quoted TOML basic string
std::string TomlText(const Config& c, const FieldSpec& f);  // the value as TOML text
bool SameValue(const Config& a, const Config& b, const FieldSpec& f);
std::string ErrnoText(int err);
bool ReadFile(const std::string& path, std::string* out, int* err);
Result<toml::table> ParseToml(const std::string& text, const std::string& path);
// Applies one TOML value / a whole parsed file to `c`; the reason (or Problem) if bad.
std::optional<std::string> ApplyNode(const FieldSpec& f, const toml::node& n, Config* c);
std::optional<Problem> ApplyToml(const toml::table& root, Config* c);

}  // namespace vellum::conf::internal
