// CLIENT commands: ID SETNAME GETNAME LIST INFO KILL SETINFO NO-EVICT HELP, with Redis 7's
// argument parsing, reply types and error texts (networking.c; SETINFO as Redis 7.2).
//
// LIST and KILL see every client of every worker through the ClientRegistry. A client on
// another worker is killed with ClientState::RequestClose (its worker closes it once the
// replies already queued are sent); a client that kills itself gets its reply first.
// A client is "pubsub" while it has subscriptions and "normal" otherwise; Vellum has no
// replicas, so TYPE master|replica selects nobody.
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/errors.h"
#include "server/acl.h"
#include "server/blocking.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/help.h"
#include "server/commands/blocking_ops.h"
#include "server/commands/registry.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

// Redis's validateClientAttr: names and library attributes are printable ASCII, no spaces.
bool ValidClientAttr(std::string_view s) {
  for (char c : s) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

enum class ClientType { kNormal, kReplica, kMaster, kPubSub };

// Redis's getClientType, for the types a Vellum client can have.
ClientType TypeOf(const ClientState& c) {
  return c.subscribed() ? ClientType::kPubSub : ClientType::kNormal;
}

Status ParseClientType(std::string_view name, ClientType* out) {
  if (EqualsIgnoreCase(name, "normal")) {
    *out = ClientType::kNormal;
  } else if (EqualsIgnoreCase(name, "slave") || EqualsIgnoreCase(name, "replica")) {
    *out = ClientType::kReplica;
  } else if (EqualsIgnoreCase(name, "master")) {
    *out = ClientType::kMaster;
  } else if (EqualsIgnoreCase(name, "pubsub")) {
    *out = ClientType::kPubSub;
  } else {
    return Status::Error("ERR Unknown client type '" + std::string(name) + "'");
  }
  return Status::Ok();
}

// Redis names the running command in CLIENT LIST/INFO before it runs; the dispatcher
// records it only afterwards, so the listing commands record themselves first.
void NoteRunning(CommandContext& ctx, std::string_view sub) {
  const Command* client = ctx.server.commands().Find("client");
  const Command* cmd = client ? client->FindSubcommand(sub) : nullptr;
  if (cmd) ctx.client.set_last_command(&cmd->fullname);
}

Status ClientId(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id()));
  return Status::Ok();
}

Status ClientSetname(CommandContext& ctx) {
  if (!ValidClientAttr(ctx.arg(2))) return Status::Error(protocol::err::kInvalidClientName);
  ctx.client.set_name(std::string(ctx.arg(2)));
  ctx.reply.Ok();
  return Status::Ok();
}

Status ClientGetname(CommandContext& ctx) {
  std::string name = ctx.client.name();
  if (name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(name);
  }
  return Status::Ok();
}

// CLIENT LIST [TYPE type | ID id [id ...]]: one line per client, each ending in "\n".
Status ClientList(CommandContext& ctx) {
  std::vector<std::shared_ptr<ClientState>> chosen;
  if (ctx.argc() == 4 && EqualsIgnoreCase(ctx.arg(2), "type")) {
    ClientType type;
    VELLUM_RETURN_IF_ERROR(ParseClientType(ctx.arg(3), &type));
    for (auto& c : ctx.server.clients().Live()) {
      if (TypeOf(*c) == type) chosen.push_back(std::move(c));
    }
  } else if (ctx.argc() > 3 && EqualsIgnoreCase(ctx.arg(2), "id")) {
    for (size_t i = 3; i < ctx.argc(); i++) {
      int64_t id = 0;
      if (!ParseInt64(ctx.arg(i), &id)) return Status::Error(protocol::err::kInvalidClientId);
      if (id <= 0) continue;
      auto c = ctx.server.clients().Find(static_cast<uint64_t>(id));
      if (c && !c->close_requested()) chosen.push_back(c);
    }
  } else if (ctx.argc() != 2) {
    return Status::Error(protocol::err::kSyntax);
  } else {
    chosen = ctx.server.clients().Live();
  }
  NoteRunning(ctx, "list");
  std::string text;
  for (const auto& c : chosen) {
    text += c->InfoLine(ctx.now_ms);
    text += '\n';
  }
  ctx.reply.Verbatim(text);
  return Status::Ok();
}

Status ClientInfo(CommandContext& ctx) {
  NoteRunning(ctx, "info");
  ctx.reply.Verbatim(ctx.client.InfoLine(ctx.now_ms) + "\n");
  return Status::Ok();
}

// Who CLIENT KILL closes; unset fields match every client.
struct KillFilter {
  std::optional<uint64_t> id;
  std::optional<std::string_view> addr;
  std::optional<std::string_view> laddr;
  std::optional<ClientType> type;
  std::optional<std::string_view> user;  // ACL user name (server/acl.h)
  bool skipme = true;

  bool Matches(const ClientState& c, uint64_t self_id) const {
    if (id && c.id() != *id) return false;
    if (addr && c.addr() != *addr) return false;
    if (laddr && c.laddr() != *laddr) return false;
    if (type && *type != TypeOf(c)) return false;
    if (user && c.user_name() != *user) return false;
    if (skipme && c.id() == self_id) return false;
    return true;
  }
};

Status ParseKillFilter(CommandContext& ctx, KillFilter* f) {
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    std::string_view opt = ctx.arg(i), value = ctx.arg(i + 1);
    if (EqualsIgnoreCase(opt, "id")) {
      int64_t id = 0;
      if (!ParseInt64(value, &id) || id < 1) {
        return Status::Error(protocol::err::kClientIdNotPositive);
      }
      f->id = static_cast<uint64_t>(id);
    } else if (EqualsIgnoreCase(opt, "type")) {
      ClientType type;
      VELLUM_RETURN_IF_ERROR(ParseClientType(value, &type));
      f->type = type;
    } else if (EqualsIgnoreCase(opt, "addr")) {
      f->addr = value;
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      f->laddr = value;
    } else if (EqualsIgnoreCase(opt, "user")) {
      // Any user of the ACL (without one, "default" is the only user).
      bool known = ctx.server.acl() ? ctx.server.acl()->Find(value) != nullptr : value == "default";
      if (!known) return Status::Error("ERR No such user '" + std::string(value) + "'");
      f->user = value;
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(value, "yes")) {
        f->skipme = true;
      } else if (EqualsIgnoreCase(value, "no")) {
        f->skipme = false;
      } else {
        return Status::Error(protocol::err::kSyntax);
      }
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
  }
  return Status::Ok();
}

// CLIENT KILL addr:port (old form: +OK or "No such client", may kill itself) or
// CLIENT KILL <filter> <value> ... (new form: the number of clients killed).
Status ClientKill(CommandContext& ctx) {
  KillFilter filter;
  bool old_form = ctx.argc() == 3;
  if (old_form) {
    filter.addr = ctx.arg(2);
    filter.skipme = false;
  } else if (ctx.argc() % 2 == 0) {
    VELLUM_RETURN_IF_ERROR(ParseKillFilter(ctx, &filter));
  } else {
    return Status::Error(protocol::err::kSyntax);
  }
  int64_t killed = 0;
  const uint64_t self_id = ctx.client.id();
  for (const auto& c : ctx.server.clients().Live()) {
    if (!filter.Matches(*c, self_id)) continue;
    if (c->id() == self_id) {
      ctx.client.close_after_reply = true;
    } else {
      c->RequestClose();
    }
    killed++;
  }
  if (!old_form) {
    ctx.reply.Integer(killed);
    return Status::Ok();
  }
  if (killed == 0) return Status::Error(protocol::err::kNoSuchClient);
  ctx.reply.Ok();
  return Status::Ok();
}

// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2).
Status ClientSetinfo(CommandContext& ctx) {
  std::string_view attr = ctx.arg(2), value = ctx.arg(3);
  bool lib_name = EqualsIgnoreCase(attr, "lib-name");
  if (!lib_name && !EqualsIgnoreCase(attr, "lib-ver")) {
    return Status::Error("ERR Unrecognized option '" + std::string(attr) + "'");
  }
  if (!ValidClientAttr(value)) {
    return Status::Error("ERR " + std::string(attr) +
                         " cannot contain spaces, newlines or special characters.");
  }
  if (lib_name) {
    ctx.client.set_lib_name(std::string(value));
  } else {
    ctx.client.set_lib_ver(std::string(value));
  }
  ctx.reply.Ok();
  return Status::Ok();
}

Status ClientNoEvict(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.arg(2), "on")) {
    ctx.client.no_evict.store(true);
  } else if (EqualsIgnoreCase(ctx.arg(2), "off")) {
    ctx.client.no_evict.store(false);
  } else {
    return Status::Error(protocol::err::kSyntax);
  }
  ctx.reply.Ok();
  return Status::Ok();
}

// CLIENT REPLY ON|OFF|SKIP. The connection drops the replies (server/connection.cc);
// ON's own reply is sent, OFF's and SKIP's are not.
Status ClientReply(CommandContext& ctx) {
  using Mode = ClientState::ReplyMode;
  if (EqualsIgnoreCase(ctx.arg(2), "on")) {
    ctx.client.reply_mode = Mode::kOn;
  } else if (EqualsIgnoreCase(ctx.arg(2), "off")) {
    ctx.client.reply_mode = Mode::kOff;
  } else if (EqualsIgnoreCase(ctx.arg(2), "skip")) {
    if (ctx.client.reply_mode != Mode::kOff) ctx.client.reply_mode = Mode::kSkipArmed;
  } else {
    return Status::Error(protocol::err::kSyntax);
  }
  ctx.reply.Ok();
  return Status::Ok();
}

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends a client's BLPOP (or the like) as if it
// timed out, or with an UNBLOCKED error; 1 if it was blocked, else 0.
Status ClientUnblock(CommandContext& ctx) {
  int64_t id = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &id));
  bool as_error = false;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "error")) {
      as_error = true;
    } else if (!EqualsIgnoreCase(ctx.arg(3), "timeout")) {
      return Status::Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (ctx.argc() > 4) {
    return Status::Error(protocol::err::kSyntax);
  }
  BlockingRegistry* registry = ctx.server.blocking();
  std::shared_ptr<Waiter> w = registry ? registry->Unblock(static_cast<uint64_t>(id)) : nullptr;
  if (w == nullptr) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  if (as_error) {
    w->reply([](protocol::ReplyWriter& r) {
      r.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    });
  } else {
    SendBlockTimeout(*w);
  }
  ctx.reply.Integer(1);
  return Status::Ok();
}

Status ClientHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "CLIENT",
            {
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "KILL <ip:port>",
                "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR (<ip:port>|<unixsocket>:0)",
                "                Kill connections made from the specified address",
                "    * LADDR (<ip:port>|<unixsocket>:0)",
                "                Kill connections made to specified local address",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "                Kill connections by type.",
                "    * USER <username>",
                "                Kill connections authenticated by <username>.",
                "    * SKIPME (YES|NO)",
                "                Skip killing current connection (default: yes).",
                "    * ID <client-id>",
                "                Kill connections by client id.",
                "LIST [options ...]",
                "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "                Return clients of specified type.",
                "    * ID <client-id> [client-id ...]",
                "                Return clients of specified IDs only.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "SETINFO <option> <value>",
                "    Set client meta attr. Options are:",
                "    * LIB-NAME: the client lib name.",
                "    * LIB-VER: the client lib version.",
                "NO-EVICT (ON|OFF)",
                "    Protect current client connection from eviction.",
                "REPLY (ON|OFF|SKIP)",
                "    Control the replies sent to the current connection.",
                "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                "    Unblock the specified blocked client.",
            });
  return Status::Ok();
}

}  // namespace

void RegisterClientCommands(CommandTable& table) {
  constexpr uint32_t kFlags = kNoScript | kLoading | kStale;
  constexpr uint32_t kCats = kCatSlow | kCatConnection;
  constexpr uint32_t kAdminFlags = kAdmin | kFlags;
  constexpr uint32_t kAdminCats = kCatAdmin | kCatSlow | kCatDangerous | kCatConnection;
  std::vector<CommandSpec> subcommands = {
      {"id", 2, kFlags, kCats, 0, 0, 0, "connection", "5.0.0",
       "Returns the unique client ID of the connection.", ClientId},
      {"setname", 3, kFlags, kCats, 0, 0, 0, "connection", "2.6.9", "Sets the connection name.",
       ClientSetname},
      {"getname", 2, kFlags, kCats, 0, 0, 0, "connection", "2.6.9",
       "Returns the name of the connection.", ClientGetname},
      {"list", -2, kAdminFlags, kAdminCats, 0, 0, 0, "connection", "2.4.0",
       "Lists open connections.", ClientList},
      {"info", 2, kFlags, kCats, 0, 0, 0, "connection", "6.2.0",
       "Returns information about the connection.", ClientInfo},
      {"kill", -3, kAdminFlags, kAdminCats, 0, 0, 0, "connection", "2.4.0",
       "Terminates open connections.", ClientKill},
      {"setinfo", 4, kFlags, kCats, 0, 0, 0, "connection", "7.2.0",
       "Sets information specific to the client or connection.", ClientSetinfo},
      {"no-evict", 3, kAdminFlags, kAdminCats, 0, 0, 0, "connection", "7.0.0",
       "Sets the client eviction mode of the connection.", ClientNoEvict},
      {"reply", 3, kFlags, kCats, 0, 0, 0, "connection", "3.2.0",
       "Instructs the server whether to reply to commands.", ClientReply},
      {"unblock", -3, kAdminFlags, kAdminCats, 0, 0, 0, "connection", "5.0.0",
       "Unblocks a client blocked by a blocking command from a different connection.",
       ClientUnblock},
      {"help", 2, kLoading | kStale, kCats, 0, 0, 0, "connection", "5.0.0",
       "Returns helpful text about the different subcommands.", ClientHelp}};
  table.Register({"client", -2, 0, kCatSlow, 0, 0, 0, "connection", "2.4.0",
                  "A container for client connection commands.", nullptr, std::move(subcommands)});
}

}  // namespace vellum::server
