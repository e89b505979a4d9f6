// Acl: Redis 7.0's access control lists: users, their SHA-256 password hashes, the
// commands (by name, subcommand or ACL category) they may run and the keys (glob patterns,
// with read/write permissions) they may touch.
//
// A user is compiled into an immutable AclUser snapshot; ACL SETUSER builds a new snapshot
// from a copy of the old one and publishes it, bumping the table's generation. Each client
// keeps a shared_ptr to its user's snapshot (ClientState::acl_user) and refreshes it only
// when the generation moved on, so the check on every command is one atomic load plus a
// bit test (and a glob match per key for users without ~*).
//
// Thread-safety: Acl is safe from any thread (a shared mutex guards the table; readers on
// the hot path take it only to refresh). An AclUser is immutable once published. The
// ClientState fields it refreshes belong to the client's owning worker.
//
// Where Vellum differs from Redis 7.0.15:
//   - ACL GETUSER/LIST describe commands by the rules as given, deduplicated per command
//     ("-@all +@read +@write -@dangerous"), as Redis 7.2 does; 7.0 recomputes a minimal
//     rule list from its command bitmap, which depends on Redis's own command set.
//   - Key permissions (%R~ / %W~) come from each command's readonly/write flag plus a short
//     list of exceptions (KeyPermsFor in acl.cc), not from Redis's per-key-spec flags.
//   - No selectors ("(...)"), no ACL SAVE/LOAD/GENPASS, no acllog-max-len setting (128).
//   - Clients subscribed to channels a user loses are not disconnected; EXEC does not
//     re-check queued commands against ACL changes made after they were queued.
//   - A client that connected while "default" was nopass must AUTH once default gets a
//     password (Redis marks it authenticated at connect time).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vellum::server {

class ClientState;
class CommandTable;
struct Command;

// SHA-256 of `data` as 64 lowercase hex digits (FIPS 180-4, via OpenSSL's libcrypto).
std::string Sha256Hex(std::string_view data);

// What a key pattern grants: %R~ read, %W~ write, ~ (or %RW~) both.
enum AclKeyPerm : uint8_t { kAclKeyRead = 1, kAclKeyWrite = 2, kAclKeyAll = 3 };

struct AclKeyPattern {
  uint8_t perms = kAclKeyAll;
  std::string pattern;
};

// One user, compiled. Immutable once published by Acl.
class AclUser {
 public:
  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  const std::vector<std::string>& password_hashes() const { return passwords_; }
  bool all_keys() const { return all_keys_; }
  bool all_channels() const { return all_channels_; }
  const std::vector<AclKeyPattern>& key_patterns() const { return keys_; }
  const std::vector<std::string>& channel_patterns() const { return channels_; }

  // Whether the user may run `cmd` (a resolved subcommand, or a top-level command) with
  // these arguments (argv[1] matters for first-arg rules such as +select|0).
  bool CanRunCommand(const Command& cmd, std::span<const std::string_view> argv) const;
  // Whether some pattern grants `perms` (kAclKeyRead|kAclKeyWrite, or 0 for "exists only")
  // on `key`.
  bool CanAccessKey(std::string_view key, uint8_t perms) const;
  // Whether a channel (glob-matched by the user's &patterns) or, for PSUBSCRIBE, a pattern
  // (which must equal one of them) is allowed.
  bool CanAccessChannel(std::string_view channel, bool is_pattern) const;
  // Whether the password (clear text) is one of the user's, or the user is nopass.
  bool CheckPassword(std::string_view password) const;

  // ACL GETUSER fields.
  std::vector<std::string> FlagNames() const;    // "on", "nopass", "sanitize-payload"...
  std::string KeysText() const;                  // "~pages:* %R~ro:*", "" when none
  std::string ChannelsText() const;              // "&*", "&a &b", "" when none
  std::string CommandsText() const;              // "-@all +@read +config|get"
  // ACL LIST: "user <name> on #<hash> ~* &* +@all".
  std::string Describe() const;

 private:
  friend class Acl;
  friend class AclRuleParser;

  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  // 0: neither; 1: sanitize-payload; 2: skip-sanitize-payload (flags shown, not enforced).
  int sanitize_ = 0;
  std::vector<std::string> passwords_;  // SHA-256 hex, in the order added
  bool all_keys_ = false;
  std::vector<AclKeyPattern> keys_;
  bool all_channels_ = false;
  std::vector<std::string> channels_;
  // Commands: one bit per command id (CommandTable::all()); first-arg grants per id.
  bool base_all_commands_ = false;       // the description starts with +@all (else -@all)
  std::vector<std::string> command_rules_;  // the +/- rules since the base, deduplicated
  std::vector<bool> allowed_;
  std::map<int, std::vector<std::string>> first_args_;
};

// Why a command was refused.
enum class AclDenial { kNone, kCommand, kKey, kChannel };

struct AclVerdict {
  AclDenial denial = AclDenial::kNone;
  size_t arg_index = 0;  // the refused key's or channel's argument, for kKey and kChannel
};

// One ACL LOG entry: denials grouped by (reason, context, object, username) within a minute.
struct AclLogEntry {
  int64_t count = 1;
  std::string reason;    // "command", "key", "auth"
  std::string context;   // "toplevel", "multi"
  std::string object;    // the command's full name, the key, or AUTH/HELLO as typed
  std::string username;
  int64_t time_ms = 0;   // of the latest occurrence
  std::string client_info;  // CLIENT INFO of the latest client
};

class Acl {
 public:
  // `commands` must outlive the Acl. Starts with the default user: on nopass ~* &* +@all.
  explicit Acl(const CommandTable* commands);

  // ACL SETUSER: applies every rule to a copy of the user (a new user starts "off
  // resetchannels -@all") and publishes it only if all pass. Errors are Redis's texts
  // ("ERR Error in ACL SETUSER modifier 'x': Syntax error").
  Status SetUser(std::string_view name, std::span<const std::string_view> rules);
  // As SetUser, with the rules in one space-separated string (config file). On failure the
  // error is the bare reason: "Error in ACL SETUSER modifier 'x': Syntax error".
  Status SetUserFromText(std::string_view name, std::string_view rules);
  // ACL DELUSER of one user; false if there was no such user. "default" cannot be removed
  // (the caller checks).
  bool DelUser(std::string_view name);
  // nullptr if no such user.
  std::shared_ptr<const AclUser> Find(std::string_view name) const;
  // Every user, sorted by name.
  std::vector<std::shared_ptr<const AclUser>> Users() const;
  // AUTH: the user if it exists, is enabled and the password is right; else nullptr.
  std::shared_ptr<const AclUser> Authenticate(std::string_view name,
                                              std::string_view password) const;
  // requirepass: resets the default user's passwords to `password` (nopass when empty).
  void SetDefaultPassword(std::string_view password);
  // Redis's authRequired: the default user has a password or is disabled, so clients must
  // AUTH before running commands.
  bool auth_required() const { return auth_required_.load(std::memory_order_relaxed); }
  // Whether the default user is nopass (AUTH <password> with no password configured).
  bool default_nopass() const { return default_nopass_.load(std::memory_order_relaxed); }

  // The client's current snapshot (refreshed if the table changed since it was taken).
  // Owning worker only. A client whose user was deleted gets a user with no permissions.
  const AclUser& UserOf(ClientState& client) const;
  // Switches the client to `user` (AUTH, HELLO AUTH, RESET). Owning worker only.
  void SetClientUser(ClientState& client, std::shared_ptr<const AclUser> user) const;
  // The permission check run before every command (Redis's ACLCheckAllPerm).
  AclVerdict Check(ClientState& client, const struct Command& cmd,
                   std::span<const std::string_view> argv) const;
  // The same, for a given user (ACL DRYRUN).
  static AclVerdict CheckUser(const AclUser& user, const struct Command& cmd,
                              std::span<const std::string_view> argv);

  // ACL CAT: every category name, in Redis's order; the bit of a category (0 for
  // categories no Vellum command has yet), or -1 when the name is unknown.
  static const std::vector<std::string>& CategoryNames();
  static int64_t CategoryBit(std::string_view name);

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // ACL LOG: records a denial (Redis's addACLLogEntry): an entry matching reason, context,
  // object and username from the last 60 s is counted and moved to the front; at most
  // kLogMaxLen entries are kept (Redis's acllog-max-len default).
  static constexpr size_t kLogMaxLen = 128;
  void Log(std::string_view reason, std::string_view context, std::string_view object,
           std::string_view username, std::string client_info, int64_t now_ms);
  // The newest `count` entries, newest first.
  std::vector<AclLogEntry> LogEntries(size_t count) const;
  void ResetLog();

 private:
  void PublishLocked(std::shared_ptr<const AclUser> user);

  const CommandTable* commands_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const AclUser>, std::less<>> users_;
  std::shared_ptr<const AclUser> nobody_;  // for clients of deleted users
  std::atomic<uint64_t> generation_{1};
  std::atomic<bool> auth_required_{false};
  std::atomic<bool> default_nopass_{true};
  mutable std::mutex log_mu_;
  std::deque<AclLogEntry> log_;  // newest first
};

}  // namespace vellum::server
