// ACL commands: ACL SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT DRYRUN LOG HELP, over the
// user table of server/acl.h.
#include "server/acl.h"

#include <string>
#include <vector>

#include "protocol/errors.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/help.h"
#include "server/commands/registry.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

// Vellum always runs with an ACL; a bare ServerState (unit tests) has none.
Status NeedAcl(CommandContext& ctx, Acl** acl) {
  *acl = ctx.server.acl();
  if (*acl == nullptr) return Status::Error("ERR ACL is not available");
  return Status::Ok();
}

Status AclSetUser(CommandContext& ctx) {
  Acl* acl = nullptr;
  VELLUM_RETURN_IF_ERROR(NeedAcl(ctx, &acl));
  VELLUM_RETURN_IF_ERROR(acl->SetUser(ctx.arg(2), ctx.argv.subspan(3)));
  ctx.reply.Ok();
  return Status::Ok();
}

void ReplyStrings(CommandContext& ctx, const std::vector<std::string>& items) {
  ctx.reply.ArrayHeader(items.size());
  for (const std::string& s : items) ctx.reply.Bulk(s);
}

Status AclGetUser(CommandContext& ctx) {
  Acl* acl = nullptr;
  VELLUM_RETURN_IF_ERROR(NeedAcl(ctx, &acl));
  std::shared_ptr<const AclUser> user = acl->Find(ctx.arg(2));
  if (user == nullptr) {
    ctx.reply.Null();
    return Status::Ok();
  }
  ctx.reply.MapHeader(6);
  ctx.reply.Bulk("flags");
  std::vector<std::string> flags = user->FlagNames();
  ctx.reply.SetHeader(flags.size());
  for (const std::string& f : flags) ctx.reply.Bulk(f);
  ctx.reply.Bulk("passwords");
  ReplyStrings(ctx, user->password_hashes());
  ctx.reply.Bulk("commands");
  ctx.reply.Bulk(user->CommandsText());
  ctx.reply.Bulk("keys");
  ctx.reply.Bulk(user->KeysText());
  ctx.reply.Bulk("channels");
  ctx.reply.Bulk(user->ChannelsText());
  ctx.reply.Bulk("selectors");
  ctx.reply.EmptyArray();
  return Status::Ok();
}

// Deletes the users and closes the connections authenticated as them (the caller's own
// after this reply), as Redis does.
Status AclDelUser(CommandContext& ctx) {
  Acl* acl = nullptr;
  VELLUM_RETURN_IF_ERROR(NeedAcl(ctx, &acl));
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (ctx.arg(i) == "default") return Status::Error(protocol::err::kAclDefaultUndeletable);
  }
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (!acl->DelUser(ctx.arg(i))) continue;
    deleted++;
    for (const auto& c : ctx.server.clients().Live()) {
      if (c->user_name() != ctx.arg(i)) continue;
      if (c->id() == ctx.client.id()) {
        ctx.client.close_after_reply = true;
      } else {
        c->RequestClose();
      }
    }
  }
  ctx.reply.Integer(deleted);
  return Status::Ok();
}

Status AclList(CommandContext& ctx) {
  Acl* acl = nullptr;
  VELLUM_RETURN_IF_ERROR(NeedAcl(ctx, &acl));
  std::vector<std::shared_ptr<const AclUser>> users = acl->Users();
  ctx.reply.ArrayHeader(users.size());
  for (const auto& u : users) ctx.reply.Bulk(u->Describe());
  return Status::Ok();
}

Status AclUsers(CommandContext& ctx) {
  Acl* acl = nullptr;
  VELLUM_RETURN_IF_ERROR(NeedAcl(ctx, &acl));
  std::vector<std::shared_ptr<const AclUser>> users = acl->Users();
  ctx.reply.ArrayHeader(users.size());
  for (const auto& u : users) ctx.reply.Bulk(u->name());
  return Status::Ok();
}

Status AclWhoami(CommandContext& ctx) {
  ctx.reply.Bulk(ctx.client.user_name());
  return Status::Ok();
}

Status AclCat(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    return Status::Error(
        "ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.");
  }
  if (ctx.argc() == 2) {
    ReplyStrings(ctx, Acl::CategoryNames());
    return Status::Ok();
  }
  int64_t bit = Acl::CategoryBit(ctx.arg(2));
  if (bit < 0) return Status::Error("ERR Unknown category '" + std::string(ctx.arg(2)) + "'");
  std::vector<std::string> names;
  if (bit > 0) {
    for (const auto& c : ctx.server.commands().all()) {
      if (!c->is_container() && (c->spec.categories & static_cast<uint32_t>(bit))) {
        names.push_back(c->fullname);
      }
    }
  }
  ReplyStrings(ctx, names);
  return Status::Ok();
}

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

// ACL DRYRUN <user> <command> [args]: whether the user could run it, without running it.
Status AclDryRun(CommandContext& ctx) {
  Acl* acl = nullptr;
  VELLUM_RETURN_IF_ERROR(NeedAcl(ctx, &acl));
  std::shared_ptr<const AclUser> user = acl->Find(ctx.arg(2));
  if (user == nullptr) return Status::Error("ERR User '" + std::string(ctx.arg(2)) + "' not found");
  std::span<const std::string_view> argv = ctx.argv.subspan(3);
  const Command* cmd = ctx.server.commands().Find(argv[0]);
  if (cmd != nullptr && cmd->is_container() && argv.size() >= 2) {
    cmd = cmd->FindSubcommand(argv[1]);
  }
  if (cmd == nullptr) {
    return Status::Error("ERR Command '" + std::string(argv[0]) + "' not found");
  }
  if (cmd->is_container() || !ArityOk(cmd->spec.arity, argv.size())) {
    return Status::Error("ERR wrong number of arguments for '" + cmd->fullname + "' command");
  }
  AclVerdict verdict = Acl::CheckUser(*user, *cmd, argv);
  switch (verdict.denial) {
    case AclDenial::kNone:
      ctx.reply.Ok();
      break;
    case AclDenial::kCommand:
      ctx.reply.Bulk("This user has no permissions to run the '" + cmd->fullname + "' command");
      break;
    case AclDenial::kKey:
      ctx.reply.Bulk("This user has no permissions to access the '" +
                     std::string(argv[verdict.arg_index]) + "' key");
      break;
    case AclDenial::kChannel:
      ctx.reply.Bulk("This user has no permissions to access the '" +
                     std::string(argv[verdict.arg_index]) + "' channel");
      break;
  }
  return Status::Ok();
}

// ACL LOG [count | RESET]: the newest denials first (10 unless counted), or clears them.
Status AclLog(CommandContext& ctx) {
  Acl* acl = nullptr;
  VELLUM_RETURN_IF_ERROR(NeedAcl(ctx, &acl));
  if (ctx.argc() > 3) {
    return Status::Error(
        "ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.");
  }
  int64_t count = 10;
  if (ctx.argc() == 3) {
    if (EqualsIgnoreCase(ctx.arg(2), "reset")) {
      acl->ResetLog();
      ctx.reply.Ok();
      return Status::Ok();
    }
    VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &count));
  }
  std::vector<AclLogEntry> entries = acl->LogEntries(count < 0 ? 0 : static_cast<size_t>(count));
  ctx.reply.ArrayHeader(entries.size());
  for (const AclLogEntry& e : entries) {
    ctx.reply.MapHeader(7);
    ctx.reply.Bulk("count");
    ctx.reply.Integer(e.count);
    ctx.reply.Bulk("reason");
    ctx.reply.Bulk(e.reason);
    ctx.reply.Bulk("context");
    ctx.reply.Bulk(e.context);
    ctx.reply.Bulk("object");
    ctx.reply.Bulk(e.object);
    ctx.reply.Bulk("username");
    ctx.reply.Bulk(e.username);
    ctx.reply.Bulk("age-seconds");
    ctx.reply.Double(static_cast<double>(ctx.now_ms - e.time_ms) / 1000);
    ctx.reply.Bulk("client-info");
    ctx.reply.Bulk(e.client_info);
  }
  return Status::Ok();
}

Status AclHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "ACL",
            {
                "CAT [<category>]",
                "    List all commands that belong to <category>, or all command categories",
                "    when no category is specified.",
                "DELUSER <username> [<username> ...]",
                "    Delete a list of users.",
                "DRYRUN <username> <command> [<arg> ...]",
                "    Returns whether the user can execute the given command without executing the "
                "command.",
                "GETUSER <username>",
                "    Get the user's details.",
                "LIST",
                "    Show users details in config file format.",
                "LOG [<count> | RESET]",
                "    Show the ACL log entries.",
                "SETUSER <username> <attribute> [<attribute> ...]",
                "    Create or modify a user with the specified attributes.",
                "USERS",
                "    List all the registered usernames.",
                "WHOAMI",
                "    Return the current connection username.",
            });
  return Status::Ok();
}

}  // namespace

void RegisterAclCommands(CommandTable& table) {
  constexpr uint32_t kAdminFlags = kAdmin | kNoScript | kLoading | kStale;
  constexpr uint32_t kInfoFlags = kNoScript | kLoading | kStale;
  constexpr uint32_t kAdminCats = kCatAdmin | kCatSlow | kCatDangerous;
  std::vector<CommandSpec> acl = {
      {"cat", -2, kInfoFlags, kCatSlow, 0, 0, 0, "server", "6.0.0",
       "Lists the ACL categories, or the commands inside a category.", AclCat},
      {"deluser", -3, kAdminFlags, kAdminCats, 0, 0, 0, "server", "6.0.0",
       "Deletes ACL users, and terminates their connections.", AclDelUser},
      {"dryrun", -4, kAdminFlags, kAdminCats, 0, 0, 0, "server", "7.0.0",
       "Simulates the execution of a command by a user, without executing the command.", AclDryRun},
      {"getuser", 3, kAdminFlags, kAdminCats, 0, 0, 0, "server", "6.0.0",
       "Lists the ACL rules of a user.", AclGetUser},
      {"help", 2, kLoading | kStale, kCatSlow, 0, 0, 0, "server", "6.0.0",
       "Returns helpful text about the different subcommands.", AclHelp},
      {"list", 2, kAdminFlags, kAdminCats, 0, 0, 0, "server", "6.0.0",
       "Dumps the effective rules in ACL file format.", AclList},
      {"log", -2, kAdminFlags, kAdminCats, 0, 0, 0, "server", "6.0.0",
       "Lists recent security events generated due to ACL rules.", AclLog},
      {"setuser", -3, kAdminFlags, kAdminCats, 0, 0, 0, "server", "6.0.0",
       "Creates and modifies an ACL user and its rules.", AclSetUser},
      {"users", 2, kAdminFlags, kAdminCats, 0, 0, 0, "server", "6.0.0", "Lists all ACL users.",
       AclUsers},
      {"whoami", 2, kInfoFlags, kCatSlow, 0, 0, 0, "server", "6.0.0",
       "Returns the authenticated username of the current connection.", AclWhoami},
  };
  table.Register({"acl", -2, 0, kCatSlow, 0, 0, 0, "server", "6.0.0",
                  "A container for Access List Control commands.", nullptr, std::move(acl)});
}

}  // namespace vellum::server
