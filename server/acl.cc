#include "server/acl.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "common/glob.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"

namespace vellum::server {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Compares two equal-length hashes without an early exit (as Redis's time_independent_strcmp).
bool SameHash(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); i++) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Redis's ACL categories, in ACL CAT's order, with the CommandCategory bit of those Vellum's
// commands carry (0: the category exists but no Vellum command belongs to it yet).
struct CategoryName {
  const char* name;
  uint32_t bit;
};
constexpr CategoryName kCategories[] = {
    {"keyspace", kCatKeyspace}, {"read", kCatRead},       {"write", kCatWrite},
    {"set", kCatSet},           {"sortedset", kCatSortedSet},         {"list", kCatList},
    {"hash", kCatHash},         {"string", kCatString},   {"bitmap", kCatBitmap},
    {"hyperloglog", kCatHyperLogLog},         {"geo", 0},               {"stream", 0},
    {"pubsub", kCatPubSub},     {"admin", kCatAdmin},     {"fast", kCatFast},
    {"slow", kCatSlow},         {"blocking", kCatBlocking},          {"dangerous", kCatDangerous},
    {"connection", kCatConnection}, {"transaction", kCatTransaction}, {"scripting", kCatScripting},
};

const char kUnknownName[] = "Unknown command or category name in ACL";

// The permissions a command needs on its key at argv[index], from Redis 7.0's key-spec
// flags: ACCESS needs read, INSERT/DELETE/UPDATE need write. Vellum's specs carry no
// key-spec flags, so read-only commands need read and writing commands write, with the
// exceptions below.
uint8_t KeyPermsFor(const Command& cmd, std::span<const std::string_view> argv, size_t index) {
  const Command& top = cmd.parent ? *cmd.parent : cmd;
  const std::string& name = top.fullname;
  // Read-only without ACCESS: they see only the key's existence or metadata.
  static constexpr std::string_view kNoAccess[] = {"exists", "type", "touch", "strlen", "object",
                                                   "memory"};
  for (std::string_view n : kNoAccess) {
    if (name == n) return 0;
  }
  // Read and write the same key.
  static constexpr std::string_view kReadWrite[] = {"incr",   "decr",   "incrby", "decrby",
                                                    "incrbyfloat", "getset", "getdel", "getex"};
  for (std::string_view n : kReadWrite) {
    if (name == n) return kAclKeyAll;
  }
  if (name == "rename" || name == "renamenx") return index == 1 ? kAclKeyAll : kAclKeyWrite;
  if (name == "copy") return index == 1 ? kAclKeyRead : kAclKeyWrite;
  if (name == "set") {
    for (size_t i = 3; i < argv.size(); i++) {
      if (Lower(argv[i]) == "get") return kAclKeyAll;
    }
    return kAclKeyWrite;
  }
  if (cmd.spec.flags & kWrite) return kAclKeyWrite;
  if (cmd.spec.flags & kReadonly) return kAclKeyRead;
  return kAclKeyAll;
}

std::vector<std::string> SplitSpaces(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) i++;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) i++;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; i++) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

// ---- AclUser -------------------------------------------------------------------------------

bool AclUser::CanRunCommand(const Command& cmd, std::span<const std::string_view> argv) const {
  size_t id = static_cast<size_t>(cmd.id);
  if (id < allowed_.size() && allowed_[id]) return true;
  if (cmd.parent != nullptr || argv.size() < 2) return false;
  auto it = first_args_.find(cmd.id);
  if (it == first_args_.end()) return false;
  std::string arg = Lower(argv[1]);
  return std::find(it->second.begin(), it->second.end(), arg) != it->second.end();
}

bool AclUser::CanAccessKey(std::string_view key, uint8_t perms) const {
  if (all_keys_) return true;
  for (const AclKeyPattern& p : keys_) {
    if ((p.perms & perms) != perms) continue;
    if (GlobMatch(p.pattern, key)) return true;
  }
  return false;
}

bool AclUser::CanAccessChannel(std::string_view channel, bool is_pattern) const {
  if (all_channels_) return true;
  for (const std::string& p : channels_) {
    if (is_pattern ? p == channel : GlobMatch(p, channel)) return true;
  }
  return false;
}

bool AclUser::CheckPassword(std::string_view password) const {
  if (nopass_) return true;
  std::string hash = Sha256Hex(password);
  bool match = false;
  for (const std::string& h : passwords_) match |= SameHash(h, hash);
  return match;
}

std::vector<std::string> AclUser::FlagNames() const {
  std::vector<std::string> out;
  out.emplace_back(enabled_ ? "on" : "off");
  if (nopass_) out.emplace_back("nopass");
  if (sanitize_ == 1) out.emplace_back("sanitize-payload");
  if (sanitize_ == 2) out.emplace_back("skip-sanitize-payload");
  return out;
}

std::string AclUser::KeysText() const {
  if (all_keys_) return "~*";
  std::string out;
  for (const AclKeyPattern& p : keys_) {
    if (!out.empty()) out += ' ';
    if (p.perms == kAclKeyRead) out += "%R";
    if (p.perms == kAclKeyWrite) out += "%W";
    out += '~';
    out += p.pattern;
  }
  return out;
}

std::string AclUser::ChannelsText() const {
  if (all_channels_) return "&*";
  std::string out;
  for (const std::string& c : channels_) {
    if (!out.empty()) out += ' ';
    out += '&';
    out += c;
  }
  return out;
}

std::string AclUser::CommandsText() const {
  std::string out = base_all_commands_ ? "+@all" : "-@all";
  for (const std::string& r : command_rules_) out += " " + r;
  return out;
}

std::string AclUser::Describe() const {
  std::string out = "user " + name_;
  for (const std::string& f : FlagNames()) out += " " + f;
  for (const std::string& h : passwords_) out += " #" + h;
  std::string keys = KeysText();
  if (!keys.empty()) out += " " + keys;
  out += all_channels_ ? " &*" : " resetchannels";
  if (!all_channels_) {
    for (const std::string& c : channels_) out += " &" + c;
  }
  out += " " + CommandsText();
  return out;
}

// ---- Rules ---------------------------------------------------------------------------------

// Applies ACL SETUSER rules to a user under construction. Returns the reason a rule fails
// (Redis's text), or "" on success.
class AclRuleParser {
 public:
  AclRuleParser(const CommandTable* commands, AclUser* user) : commands_(commands), u_(user) {
    u_->allowed_.resize(commands->size(), false);
  }

  std::string Apply(std::string_view op) {
    std::string lower = Lower(op);
    if (lower == "on") {
      u_->enabled_ = true;
    } else if (lower == "off") {
      u_->enabled_ = false;
    } else if (lower == "nopass") {
      u_->nopass_ = true;
      u_->passwords_.clear();
    } else if (lower == "resetpass") {
      u_->nopass_ = false;
      u_->passwords_.clear();
    } else if (lower == "sanitize-payload") {
      u_->sanitize_ = 1;
    } else if (lower == "skip-sanitize-payload") {
      u_->sanitize_ = 2;
    } else if (lower == "allkeys" || op == "~*") {
      u_->all_keys_ = true;
      u_->keys_.clear();
    } else if (lower == "resetkeys") {
      u_->all_keys_ = false;
      u_->keys_.clear();
    } else if (lower == "allchannels" || op == "&*") {
      u_->all_channels_ = true;
      u_->channels_.clear();
    } else if (lower == "resetchannels") {
      u_->all_channels_ = false;
      u_->channels_.clear();
    } else if (lower == "allcommands" || lower == "+@all") {
      SetAllCommands(true);
    } else if (lower == "nocommands" || lower == "-@all") {
      SetAllCommands(false);
    } else if (lower == "reset") {
      u_->nopass_ = false;
      u_->passwords_.clear();
      u_->all_keys_ = false;
      u_->keys_.clear();
      u_->all_channels_ = false;
      u_->channels_.clear();
      u_->enabled_ = false;
      u_->sanitize_ = 1;
      SetAllCommands(false);
    } else if (lower == "clearselectors") {
      // Selectors are not supported; there are none to clear.
    } else if (op.empty()) {
      return "Syntax error";
    } else if (op[0] == '>' || op[0] == '#') {
      std::string hash = op[0] == '>' ? Sha256Hex(op.substr(1)) : std::string(op.substr(1));
      if (op[0] == '#' && !IsLowerHex64(hash)) return kBadHash;
      if (std::find(u_->passwords_.begin(), u_->passwords_.end(), hash) == u_->passwords_.end()) {
        u_->passwords_.push_back(hash);
      }
      u_->nopass_ = false;
    } else if (op[0] == '<' || op[0] == '!') {
      std::string hash = op[0] == '<' ? Sha256Hex(op.substr(1)) : std::string(op.substr(1));
      if (op[0] == '!' && !IsLowerHex64(hash)) return kBadHash;
      auto it = std::find(u_->passwords_.begin(), u_->passwords_.end(), hash);
      if (it == u_->passwords_.end()) {
        return "The password you are trying to remove from the user does not exist";
      }
      u_->passwords_.erase(it);
      u_->nopass_ = false;
    } else if (op[0] == '~' || op[0] == '%') {
      return AddKeyPattern(op);
    } else if (op[0] == '&') {
      if (u_->all_channels_) {
        return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
               "and does not have any effect. Try 'resetchannels' to start with an empty list "
               "of channels";
      }
      std::string pattern(op.substr(1));
      if (std::find(u_->channels_.begin(), u_->channels_.end(), pattern) ==
          u_->channels_.end()) {
        u_->channels_.push_back(pattern);
      }
    } else if (op[0] == '+' || op[0] == '-') {
      return CommandRule(op[0] == '+', lower.substr(1));
    } else {
      return "Syntax error";
    }
    return "";
  }

 private:
  static constexpr char kBadHash[] =
      "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
      "characters";

  void SetAllCommands(bool on) {
    std::fill(u_->allowed_.begin(), u_->allowed_.end(), on);
    u_->first_args_.clear();
    u_->base_all_commands_ = on;
    u_->command_rules_.clear();
  }

  std::string AddKeyPattern(std::string_view op) {
    uint8_t perms = kAclKeyAll;
    size_t offset = 1;
    if (op[0] == '%') {
      perms = 0;
      for (; offset < op.size() && op[offset] != '~'; offset++) {
        char c = static_cast<char>(std::toupper(static_cast<unsigned char>(op[offset])));
        if (c == 'R' && !(perms & kAclKeyRead)) {
          perms |= kAclKeyRead;
        } else if (c == 'W' && !(perms & kAclKeyWrite)) {
          perms |= kAclKeyWrite;
        } else {
          return "Syntax error";
        }
      }
      if (perms == 0 || offset == op.size()) return "Syntax error";
      offset++;  // past '~'
    }
    if (u_->all_keys_) {
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
             "does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    }
    std::string pattern(op.substr(offset));
    for (AclKeyPattern& p : u_->keys_) {
      if (p.pattern == pattern) {
        p.perms |= perms;
        return "";
      }
    }
    u_->keys_.push_back({perms, std::move(pattern)});
    return "";
  }

  // Records "+target" / "-target" in the description, replacing an earlier rule for the
  // same command (categories accumulate, as in Redis 7.2's rule log).
  void RecordRule(bool allow, const std::string& target) {
    auto& rules = u_->command_rules_;
    if (target[0] != '@') {
      rules.erase(std::remove_if(rules.begin(), rules.end(),
                                 [&](const std::string& r) { return r.substr(1) == target; }),
                  rules.end());
    }
    rules.push_back((allow ? "+" : "-") + target);
  }

  void SetCommand(const Command* c, bool on) {
    u_->allowed_[static_cast<size_t>(c->id)] = on;
    u_->first_args_.erase(c->id);
    for (const Command* sub : c->subcommands) u_->allowed_[static_cast<size_t>(sub->id)] = on;
  }

  std::string CommandRule(bool allow, const std::string& target) {
    if (target.empty()) return kUnknownName;
    if (target[0] == '@') {
      int64_t bit = Acl::CategoryBit(target.substr(1));
      if (bit < 0) return kUnknownName;
      if (bit > 0) {
        for (const auto& c : commands_->all()) {
          if (c->spec.categories & static_cast<uint32_t>(bit)) {
            u_->allowed_[static_cast<size_t>(c->id)] = allow;
            u_->first_args_.erase(c->id);
          }
        }
      }
      RecordRule(allow, target);
      return "";
    }
    size_t bar = target.find('|');
    const Command* cmd = commands_->Find(std::string_view(target).substr(0, bar));
    if (cmd == nullptr || cmd->parent != nullptr) return kUnknownName;
    if (bar == std::string::npos) {
      SetCommand(cmd, allow);
      RecordRule(allow, target);
      return "";
    }
    std::string rest = target.substr(bar + 1);
    if (rest.empty()) return kUnknownName;
    if (cmd->is_container()) {
      if (rest.find('|') != std::string::npos) {
        return "Allowing first-arg of a subcommand is not supported";
      }
      const Command* sub = cmd->FindSubcommand(rest);
      if (sub == nullptr) return kUnknownName;
      SetCommand(sub, allow);
      RecordRule(allow, target);
      return "";
    }
    // A first argument of a plain command (+select|0): allow only, as Redis 7.0.
    if (!allow || rest.find('|') != std::string::npos) return kUnknownName;
    if (!u_->allowed_[static_cast<size_t>(cmd->id)]) {
      std::vector<std::string>& args = u_->first_args_[cmd->id];
      if (std::find(args.begin(), args.end(), rest) == args.end()) args.push_back(rest);
    }
    RecordRule(allow, target);
    return "";
  }

  const CommandTable* commands_;
  AclUser* u_;
};

// ---- Acl -----------------------------------------------------------------------------------

Acl::Acl(const CommandTable* commands) : commands_(commands) {
  auto def = std::make_shared<AclUser>();
  def->name_ = "default";
  AclRuleParser parser(commands, def.get());
  for (std::string_view op : {"on", "nopass", "~*", "&*", "+@all"}) parser.Apply(op);
  auto nobody = std::make_shared<AclUser>();
  nobody->allowed_.resize(commands->size(), false);
  nobody_ = std::move(nobody);
  std::unique_lock<std::shared_mutex> lock(mu_);
  PublishLocked(std::move(def));
}

const std::vector<std::string>& Acl::CategoryNames() {
  static const std::vector<std::string>* const names = [] {
    auto* v = new std::vector<std::string>();
    for (const CategoryName& c : kCategories) v->emplace_back(c.name);
    return v;
  }();
  return *names;
}

int64_t Acl::CategoryBit(std::string_view name) {
  std::string lower = Lower(name);
  for (const CategoryName& c : kCategories) {
    if (lower == c.name) return c.bit;
  }
  return -1;
}

void Acl::PublishLocked(std::shared_ptr<const AclUser> user) {
  if (user->name() == "default") {
    auth_required_.store(!(user->nopass() && user->enabled()), std::memory_order_relaxed);
    default_nopass_.store(user->nopass(), std::memory_order_relaxed);
  }
  users_[user->name()] = std::move(user);
  generation_.fetch_add(1, std::memory_order_release);
}

Status Acl::SetUser(std::string_view name, std::span<const std::string_view> rules) {
  if (name.find(' ') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Status::Error("ERR Usernames can't contain spaces or null characters");
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = users_.find(name);
  auto user = it != users_.end() ? std::make_shared<AclUser>(*it->second)
                                 : std::make_shared<AclUser>();
  if (it == users_.end()) user->name_ = std::string(name);
  AclRuleParser parser(commands_, user.get());
  for (std::string_view op : rules) {
    std::string why = parser.Apply(op);
    if (!why.empty()) {
      return Status::Error("ERR Error in ACL SETUSER modifier '" + std::string(op) + "': " + why);
    }
  }
  PublishLocked(std::move(user));
  return Status::Ok();
}

Status Acl::SetUserFromText(std::string_view name, std::string_view rules) {
  std::vector<std::string> words = SplitSpaces(rules);
  std::vector<std::string_view> views(words.begin(), words.end());
  Status st = SetUser(name, views);
  if (st.ok()) return st;
  std::string_view msg = st.message();
  if (msg.substr(0, 4) == "ERR ") msg.remove_prefix(4);
  return Status::Error(std::string(msg));
}

bool Acl::DelUser(std::string_view name) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  users_.erase(it);
  generation_.fetch_add(1, std::memory_order_release);
  return true;
}

std::shared_ptr<const AclUser> Acl::Find(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const AclUser>> Acl::Users() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<std::shared_ptr<const AclUser>> out;
  for (const auto& [name, u] : users_) out.push_back(u);
  return out;
}

std::shared_ptr<const AclUser> Acl::Authenticate(std::string_view name,
                                                 std::string_view password) const {
  std::shared_ptr<const AclUser> user = Find(name);
  if (user == nullptr || !user->enabled() || !user->CheckPassword(password)) return nullptr;
  return user;
}

void Acl::SetDefaultPassword(std::string_view password) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto user = std::make_shared<AclUser>(*users_.at("default"));
  user->passwords_.clear();
  user->nopass_ = password.empty();
  if (!password.empty()) user->passwords_.push_back(Sha256Hex(password));
  PublishLocked(std::move(user));
}

const AclUser& Acl::UserOf(ClientState& client) const {
  uint64_t gen = generation();
  if (client.acl_user == nullptr || client.acl_generation != gen) {
    std::string name = client.acl_user ? client.acl_user->name() : std::string("default");
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = users_.find(name);
    client.acl_user = it != users_.end() ? it->second : nobody_;
    client.acl_generation = gen;
  }
  return *client.acl_user;
}

void Acl::SetClientUser(ClientState& client, std::shared_ptr<const AclUser> user) const {
  client.set_user_name(user->name());
  client.acl_user = std::move(user);
  client.acl_generation = 0;  // refreshed (under the lock) by the next command
}

AclVerdict Acl::CheckUser(const AclUser& user, const Command& cmd,
                          std::span<const std::string_view> argv) {
  const Command* top = cmd.parent ? cmd.parent : &cmd;
  bool no_auth = (cmd.spec.flags & kNoAuth) || (top->spec.flags & kNoAuth);
  if (!no_auth && !user.CanRunCommand(cmd, argv)) return {AclDenial::kCommand, 0};
  const CommandSpec& spec = cmd.spec;
  if (spec.flags & kPubSub) {
    // Channels, not keys (the shard channels' key positions are for cluster slots only).
    if (user.all_channels()) return {};
    const std::string& name = top->fullname;
    bool publish = name == "publish" || name == "spublish";
    bool subscribe = name == "subscribe" || name == "ssubscribe" || name == "psubscribe";
    if (!publish && !subscribe) return {};
    size_t end = publish ? std::min<size_t>(2, argv.size()) : argv.size();
    for (size_t i = 1; i < end; i++) {
      if (!user.CanAccessChannel(argv[i], name == "psubscribe")) {
        return {AclDenial::kChannel, i};
      }
    }
    return {};
  }
  if (user.all_keys()) return {};
  AclVerdict verdict;
  ForEachKeyIndex(spec, argv, [&](size_t idx) {
    if (user.CanAccessKey(argv[idx], KeyPermsFor(cmd, argv, idx))) return true;
    verdict = {AclDenial::kKey, idx};
    return false;
  });
  return verdict;
}

AclVerdict Acl::Check(ClientState& client, const Command& cmd,
                      std::span<const std::string_view> argv) const {
  return CheckUser(UserOf(client), cmd, argv);
}

void Acl::Log(std::string_view reason, std::string_view context, std::string_view object,
              std::string_view username, std::string client_info, int64_t now_ms) {
  constexpr int64_t kGroupingMs = 60000;
  std::lock_guard<std::mutex> lock(log_mu_);
  for (auto it = log_.begin(); it != log_.end(); ++it) {
    if (it->reason == reason && it->context == context && it->object == object &&
        it->username == username && now_ms - it->time_ms < kGroupingMs) {
      AclLogEntry e = std::move(*it);
      log_.erase(it);
      e.count++;
      e.time_ms = now_ms;
      e.client_info = std::move(client_info);
      log_.push_front(std::move(e));
      return;
    }
  }
  log_.push_front({1, std::string(reason), std::string(context), std::string(object),
                   std::string(username), now_ms, std::move(client_info)});
  while (log_.size() > kLogMaxLen) log_.pop_back();
}

std::vector<AclLogEntry> Acl::LogEntries(size_t count) const {
  std::lock_guard<std::mutex> lock(log_mu_);
  size_t n = std::min(count, log_.size());
  return std::vector<AclLogEntry>(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(n));
}

void Acl::ResetLog() {
  std::lock_guard<std::mutex> lock(log_mu_);
  log_.clear();
}

}  // namespace vellum::server
