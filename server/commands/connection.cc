// Connection commands: PING ECHO QUIT RESET HELLO AUTH SELECT.
#include <string>

#include "protocol/errors.h"
#include "server/acl.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

Status Ping(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    return Status::Error("ERR wrong number of arguments for 'ping' command");
  }
  if (ctx.argc() == 2) ctx.reply.Bulk(ctx.arg(1));
  else ctx.reply.Simple("PONG");
  return Status::Ok();
}

Status Echo(CommandContext& ctx) {
  ctx.reply.Bulk(ctx.arg(1));
  return Status::Ok();
}

Status Quit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
  return Status::Ok();
}

Status Select(CommandContext& ctx) {
  int db = 0;
  VELLUM_RETURN_IF_ERROR(ParseDbIndex(ctx.arg(1), &db));
  ctx.client.db.store(db);
  ctx.reply.Ok();
  return Status::Ok();
}

// Checks a username/password pair against the ACL user table (server/acl.h): the user
// must exist, be on and have this password (or be nopass); *out is then the user. Without
// an ACL (bare unit-test servers) only "default" exists, with requirepass as its password.
Status CheckCredentials(CommandContext& ctx, std::string_view user, std::string_view pass,
                        std::shared_ptr<const AclUser>* out) {
  if (Acl* acl = ctx.server.acl()) {
    *out = acl->Authenticate(user, pass);
    if (*out) return Status::Ok();
    bool in_multi = ctx.client.txn != nullptr && ctx.client.txn->in_multi();
    acl->Log("auth", in_multi ? "multi" : "toplevel", ctx.arg(0), user,
             ctx.client.InfoLine(ctx.now_ms), ctx.now_ms);
    return Status::Error(protocol::err::kWrongPass);
  }
  if (user != "default") return Status::Error(protocol::err::kWrongPass);
  std::string required = ctx.server.requirepass();
  if (!required.empty() && pass != required) return Status::Error(protocol::err::kWrongPass);
  return Status::Ok();
}

// Makes `user` the client's user (AUTH, HELLO AUTH, RESET to default).
void SetUser(CommandContext& ctx, std::shared_ptr<const AclUser> user) {
  if (Acl* acl = ctx.server.acl(); acl != nullptr && user != nullptr) {
    acl->SetClientUser(ctx.client, std::move(user));
  }
}

// Redis's authRequired (without the client's own state): the default user has a password.
bool DefaultNeedsAuth(CommandContext& ctx) {
  if (Acl* acl = ctx.server.acl()) return acl->auth_required();
  return ctx.server.has_requirepass.load();
}

Status Auth(CommandContext& ctx) {
  if (ctx.argc() > 3) return Status::Error(protocol::err::kSyntax);
  std::shared_ptr<const AclUser> user;
  if (ctx.argc() == 2) {
    // AUTH <password> is AUTH default <password>, refused while default is nopass.
    bool nopass = ctx.server.acl() ? ctx.server.acl()->default_nopass()
                                   : !ctx.server.has_requirepass.load();
    if (nopass) return Status::Error(protocol::err::kAuthNoPassword);
    VELLUM_RETURN_IF_ERROR(CheckCredentials(ctx, "default", ctx.arg(1), &user));
  } else {
    VELLUM_RETURN_IF_ERROR(CheckCredentials(ctx, ctx.arg(1), ctx.arg(2), &user));
  }
  SetUser(ctx, std::move(user));
  ctx.client.authenticated = true;
  ctx.reply.Ok();
  return Status::Ok();
}

Status Hello(CommandContext& ctx) {
  int resp = ctx.client.resp.load();
  size_t i = 1;
  if (ctx.argc() >= 2) {
    int64_t ver = 0;
    if (!ParseInt64(ctx.arg(1), &ver)) {
      return Status::Error("ERR Protocol version is not an integer or out of range");
    }
    if (ver < 2 || ver > 3) return Status::Error(protocol::err::kNoProto);
    resp = static_cast<int>(ver);
    i = 2;
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (; i < ctx.argc(); i++) {
    bool more = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(ctx.arg(i), "auth") && i + 2 < ctx.argc()) {
      user = ctx.arg(i + 1);
      pass = ctx.arg(i + 2);
      has_auth = true;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.arg(i), "setname") && more) {
      name = ctx.arg(i + 1);
      has_name = true;
      i += 1;
    } else {
      return Status::Error("ERR Syntax error in HELLO option '" + std::string(ctx.arg(i)) + "'");
    }
  }
  std::shared_ptr<const AclUser> acl_user;
  if (has_auth) {
    VELLUM_RETURN_IF_ERROR(CheckCredentials(ctx, user, pass, &acl_user));
  } else if (!ctx.client.authenticated && DefaultNeedsAuth(ctx)) {
    return Status::Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
  }
  if (has_name) {
    for (char c : name) {
      if (c < '!' || c > '~') {
        return Status::Error(
            "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
  }
  if (has_auth) {
    SetUser(ctx, std::move(acl_user));
    ctx.client.authenticated = true;
  }
  if (has_name) ctx.client.set_name(std::string(name));
  ctx.client.resp.store(resp);
  ctx.reply.set_resp(resp);
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk("7.0.0");
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(resp);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id()));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.EmptyArray();
  return Status::Ok();
}

Status Reset(CommandContext& ctx) {
  ctx.client.db.store(0);
  ctx.client.resp.store(2);
  ctx.reply.set_resp(2);
  ctx.client.set_name("");
  ctx.client.no_evict.store(false);
  ctx.client.authenticated = !DefaultNeedsAuth(ctx);
  if (Acl* acl = ctx.server.acl()) SetUser(ctx, acl->Find("default"));
  ctx.reply.Simple("RESET");
  return Status::Ok();
}

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  constexpr uint32_t kConn = kCatConnection;
  table.Register({"ping", -1, kFast, kConn | kCatFast, 0, 0, 0, "connection", "1.0.0",
                  "Returns the server's liveliness response.", Ping});
  table.Register({"echo", 2, kFast, kConn | kCatFast, 0, 0, 0, "connection", "1.0.0",
                  "Returns the given string.", Echo});
  table.Register({"quit", -1, kNoAuth | kFast | kAllowBusy, kConn | kCatFast, 0, 0, 0,
                  "connection", "1.0.0", "Closes the connection.", Quit});
  table.Register({"select", 2, kLoading | kStale | kFast, kConn | kCatFast, 0, 0, 0,
                  "connection", "1.0.0", "Changes the selected database.", Select});
  table.Register({"auth", -2, kNoAuth | kNoScript | kLoading | kStale | kFast | kAllowBusy,
                  kConn | kCatFast, 0, 0, 0, "connection", "1.0.0",
                  "Authenticates the connection.", Auth});
  table.Register({"hello", -1, kNoAuth | kNoScript | kLoading | kStale | kFast | kAllowBusy,
                  kConn | kCatFast, 0, 0, 0, "connection", "6.0.0",
                  "Handshakes with the Redis server.", Hello});
  table.Register({"reset", 1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
                  kConn | kCatFast, 0, 0, 0, "connection", "6.2.0",
                  "Resets the connection.", Reset});
}

}  // namespace vellum::server
