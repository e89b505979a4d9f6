// CommandTable: the registry of every command Vellum serves.
//
// Filled once at start-up by the Register*Commands functions (server.cc lists them in
// one place) and read-only afterwards, so any thread may look up without locking.
// Drives dispatch, COMMAND COUNT/INFO/DOCS/LIST, the arity and unknown-command errors,
// and the generated docs/commands.md.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/command.h"

namespace vellum::server {

struct Command {
  CommandSpec spec;
  std::string fullname;  // "get", "client|setname"
  int id = 0;            // dense index, for per-worker statistics
  const Command* parent = nullptr;
  std::vector<const Command*> subcommands;  // in registration order

  bool is_container() const { return spec.handler == nullptr; }
  const Command* FindSubcommand(std::string_view name) const;
};

struct CaseInsensitiveHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const;
};
struct CaseInsensitiveEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

class CommandTable {
 public:
  void Register(CommandSpec spec);

  // Case-insensitive; nullptr if unknown. Subcommands are found through their parent.
  const Command* Find(std::string_view name) const;
  // Top-level commands, sorted by name.
  std::vector<const Command*> TopLevel() const;
  // Every command and subcommand, indexed by id.
  const std::vector<std::unique_ptr<Command>>& all() const { return all_; }
  size_t size() const { return all_.size(); }

  // Markdown reference of every command (docs/commands.md), generated from the table.
  std::string Markdown() const;

 private:
  Command* Add(CommandSpec spec, const Command* parent);

  std::vector<std::unique_ptr<Command>> all_;
  std::unordered_map<std::string, const Command*, CaseInsensitiveHash, CaseInsensitiveEqual>
      by_name_;
};

// Names of the flags and categories set in a spec, as COMMAND INFO spells them.
std::vector<std::string> FlagNames(uint32_t flags);
std::vector<std::string> CategoryNames(uint32_t categories);

}  // namespace vellum::server
