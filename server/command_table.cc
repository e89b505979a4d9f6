#include "server/command_table.h"

#include <algorithm>

namespace vellum::server {
namespace {
// ASCII only, as the C locale's tolower, but inline: it runs for every byte of every
// command name looked up, where std::tolower is a call through the PLT.
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

size_t CaseInsensitiveHash::operator()(std::string_view s) const {
  size_t h = 1469598103934665603ULL;  // FNV-1a over lower-cased bytes
  for (char c : s) {
    h ^= static_cast<unsigned char>(Lower(c));
    h *= 1099511628211ULL;
  }
  return h;
}

bool CaseInsensitiveEqual::operator()(std::string_view a, std::string_view b) const {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

const Command* Command::FindSubcommand(std::string_view name) const {
  CaseInsensitiveEqual eq;
  for (const Command* sub : subcommands) {
    if (eq(sub->spec.name, name)) return sub;
  }
  return nullptr;
}

Command* CommandTable::Add(CommandSpec spec, const Command* parent) {
  auto cmd = std::make_unique<Command>();
  std::vector<CommandSpec> subs = std::move(spec.subcommands);
  cmd->spec = std::move(spec);
  cmd->spec.subcommands.clear();
  cmd->fullname = parent ? parent->fullname + "|" + cmd->spec.name : cmd->spec.name;
  cmd->id = static_cast<int>(all_.size());
  cmd->parent = parent;
  Command* raw = cmd.get();
  all_.push_back(std::move(cmd));
  for (CommandSpec& sub : subs) raw->subcommands.push_back(Add(std::move(sub), raw));
  return raw;
}

void CommandTable::Register(CommandSpec spec) {
  Command* cmd = Add(std::move(spec), nullptr);
  by_name_[cmd->fullname] = cmd;
}

const Command* CommandTable::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<const Command*> CommandTable::TopLevel() const {
  std::vector<const Command*> out;
  for (const auto& [name, cmd] : by_name_) out.push_back(cmd);
  std::sort(out.begin(), out.end(),
            [](const Command* a, const Command* b) { return a->fullname < b->fullname; });
  return out;
}

std::vector<std::string> FlagNames(uint32_t flags) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kWrite, "write"},       {kReadonly, "readonly"},   {kDenyOom, "denyoom"},
      {kAdmin, "admin"},       {kPubSub, "pubsub"},       {kNoScript, "noscript"},
      {kLoading, "loading"},   {kStale, "stale"},         {kSkipSlowlog, "skip_slowlog"},
      {kFast, "fast"},         {kNoAuth, "no_auth"},      {kAllowBusy, "allow_busy"}, {kNoMulti, "no_multi"},
      {kSkipMonitor, "skip_monitor"},
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) out.emplace_back(name);
  }
  return out;
}

std::vector<std::string> CategoryNames(uint32_t categories) {
  // In the order of Redis's ACL category table, which is the order COMMAND INFO uses.
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kCatKeyspace, "@keyspace"}, {kCatRead, "@read"},       {kCatWrite, "@write"},
      {kCatSet, "@set"},           {kCatSortedSet, "@sortedset"}, {kCatList, "@list"},
      {kCatHash, "@hash"},         {kCatString, "@string"},   {kCatBitmap, "@bitmap"},
      {kCatHyperLogLog, "@hyperloglog"},
      {kCatPubSub, "@pubsub"},     {kCatAdmin, "@admin"},     {kCatFast, "@fast"},
      {kCatSlow, "@slow"},         {kCatBlocking, "@blocking"}, {kCatDangerous, "@dangerous"},
      {kCatConnection, "@connection"}, {kCatTransaction, "@transaction"}, {kCatScripting, "@scripting"},
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames) {
    if (categories & bit) out.emplace_back(name);
  }
  return out;
}

std::string CommandTable::Markdown() const {
  std::string md =
      "# Vellum command reference\n\n"
      "Generated from the command table by `vellumd --commands-markdown`; a test fails if this\n"
      "file and the code disagree. Arity follows Redis: N is exact, -N means at least N\n"
      "(the command name counts).\n\n"
      "| command | arity | group | since | flags | summary |\n"
      "|---|---|---|---|---|---|\n";
  auto row = [&](const Command* c) {
    std::string flags;
    for (const std::string& f : FlagNames(c->spec.flags)) flags += (flags.empty() ? "" : " ") + f;
    std::string name = c->fullname;
    std::replace(name.begin(), name.end(), '|', ' ');
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char ch) { return static_cast<char>(std::toupper(ch)); });
    md += "| " + name + " | " + std::to_string(c->spec.arity) + " | " + c->spec.group + " | " +
          c->spec.since + " | " + flags + " | " + c->spec.summary + " |\n";
  };
  for (const Command* c : TopLevel()) {
    row(c);
    for (const Command* sub : c->subcommands) row(sub);
  }
  return md;
}

}  // namespace vellum::server
