// Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH, the shard
// variants SSUBSCRIBE SUNSUBSCRIBE SPUBLISH (one shard: a separate set of channels), and
// PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB/HELP, with Redis 7.0's replies
// (pubsub.c).
//
// (UN)SUBSCRIBE write one reply per channel (["subscribe", channel, count], a push in
// RESP3), as Redis does: these are the commands whose "one reply" is several. The
// registry (server/pubsub.h) is shared by all workers; the client's counters in
// ClientState mirror its subscriptions for CLIENT LIST and the RESP2 subscribed mode.
#include "server/pubsub.h"

#include <atomic>
#include <iterator>
#include <string>
#include <vector>

#include "server/client_state.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/commands/registry.h"
#include "server/server_state.h"

namespace vellum::server {
namespace {

// One ["subscribe", name, count] reply; name is null for an unsubscribe-all with nothing
// to unsubscribe.
void ReplySubscription(CommandContext& ctx, std::string_view kind, const std::string_view* name,
                       size_t count) {
  ctx.reply.PushHeader(3);
  ctx.reply.Bulk(kind);
  if (name != nullptr) {
    ctx.reply.Bulk(*name);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(static_cast<int64_t>(count));
}

std::atomic<int>& Counter(CommandContext& ctx, SubKind kind) {
  switch (kind) {
    case SubKind::kChannel:
      return ctx.client.pubsub_channels;
    case SubKind::kPattern:
      return ctx.client.pubsub_patterns;
    case SubKind::kShard:
      break;
  }
  return ctx.client.pubsub_shard_channels;
}

Status SubscribeGeneric(CommandContext& ctx, SubKind kind, std::string_view reply_kind) {
  PubSub* ps = ctx.server.pubsub();
  if (ps == nullptr) return Status::Error("ERR Pub/Sub is not available");
  for (size_t i = 1; i < ctx.argc(); i++) {
    std::string_view name = ctx.arg(i);
    size_t total = 0;
    if (ps->Subscribe(ctx.client.id(), ctx.client.worker, name, kind, &total)) {
      Counter(ctx, kind).fetch_add(1, std::memory_order_relaxed);
    }
    ReplySubscription(ctx, reply_kind, &name, total);
  }
  return Status::Ok();
}

Status UnsubscribeGeneric(CommandContext& ctx, SubKind kind, std::string_view reply_kind) {
  PubSub* ps = ctx.server.pubsub();
  if (ps == nullptr) return Status::Error("ERR Pub/Sub is not available");
  std::vector<std::string> all;
  std::vector<std::string_view> names;
  if (ctx.argc() > 1) {
    names.assign(ctx.argv.begin() + 1, ctx.argv.end());
  } else {
    all = ps->Subscriptions(ctx.client.id(), kind);
    names.assign(all.begin(), all.end());
    if (names.empty()) {
      ReplySubscription(ctx, reply_kind, nullptr, ps->SubscriptionCount(ctx.client.id(), kind));
      return Status::Ok();
    }
  }
  for (std::string_view name : names) {
    size_t total = 0;
    if (ps->Unsubscribe(ctx.client.id(), name, kind, &total)) {
      Counter(ctx, kind).fetch_sub(1, std::memory_order_relaxed);
    }
    ReplySubscription(ctx, reply_kind, &name, total);
  }
  return Status::Ok();
}

Status Subscribe(CommandContext& ctx) {
  return SubscribeGeneric(ctx, SubKind::kChannel, "subscribe");
}
Status PSubscribe(CommandContext& ctx) {
  return SubscribeGeneric(ctx, SubKind::kPattern, "psubscribe");
}
Status SSubscribe(CommandContext& ctx) {
  return SubscribeGeneric(ctx, SubKind::kShard, "ssubscribe");
}
Status Unsubscribe(CommandContext& ctx) {
  return UnsubscribeGeneric(ctx, SubKind::kChannel, "unsubscribe");
}
Status PUnsubscribe(CommandContext& ctx) {
  return UnsubscribeGeneric(ctx, SubKind::kPattern, "punsubscribe");
}
Status SUnsubscribe(CommandContext& ctx) {
  return UnsubscribeGeneric(ctx, SubKind::kShard, "sunsubscribe");
}

Status PublishGeneric(CommandContext& ctx, bool shard) {
  PubSub* ps = ctx.server.pubsub();
  ctx.reply.Integer(ps == nullptr ? 0 : ps->Publish(ctx.arg(1), ctx.arg(2), shard));
  return Status::Ok();
}

Status Publish(CommandContext& ctx) { return PublishGeneric(ctx, false); }
Status SPublish(CommandContext& ctx) { return PublishGeneric(ctx, true); }

// Redis's addReplySubcommandSyntaxError: names the subcommand as the client typed it.
Status SubcommandSyntaxError(const CommandContext& ctx) {
  return Status::Error("ERR unknown subcommand or wrong number of arguments for '" +
                       std::string(ctx.arg(1)) + "'. Try PUBSUB HELP.");
}

Status ChannelsGeneric(CommandContext& ctx, bool shard) {
  if (ctx.argc() > 3) return SubcommandSyntaxError(ctx);
  PubSub* ps = ctx.server.pubsub();
  std::vector<std::string> channels;
  if (ps != nullptr) {
    channels = ps->Channels(ctx.argc() == 3 ? ctx.arg(2) : "", ctx.argc() == 2, shard);
  }
  ctx.reply.ArrayHeader(channels.size());
  for (const std::string& c : channels) ctx.reply.Bulk(c);
  return Status::Ok();
}

Status NumsubGeneric(CommandContext& ctx, bool shard) {
  PubSub* ps = ctx.server.pubsub();
  ctx.reply.ArrayHeader(2 * (ctx.argc() - 2));  // a flat array in RESP3 too, as Redis 7.0
  for (size_t i = 2; i < ctx.argc(); i++) {
    ctx.reply.Bulk(ctx.arg(i));
    ctx.reply.Integer(ps == nullptr ? 0 : static_cast<int64_t>(ps->NumSub(ctx.arg(i), shard)));
  }
  return Status::Ok();
}

Status PubsubChannels(CommandContext& ctx) { return ChannelsGeneric(ctx, false); }
Status PubsubShardchannels(CommandContext& ctx) { return ChannelsGeneric(ctx, true); }
Status PubsubNumsub(CommandContext& ctx) { return NumsubGeneric(ctx, false); }
Status PubsubShardnumsub(CommandContext& ctx) { return NumsubGeneric(ctx, true); }

Status PubsubNumpat(CommandContext& ctx) {
  PubSub* ps = ctx.server.pubsub();
  ctx.reply.Integer(ps == nullptr ? 0 : static_cast<int64_t>(ps->NumPat()));
  return Status::Ok();
}

Status PubsubHelp(CommandContext& ctx) {
  ReplyHelp(
      ctx, "PUBSUB",
      {
          "CHANNELS [<pattern>]",
          "    Return the currently active channels matching a <pattern> (default: '*').",
          "NUMPAT",
          "    Return number of subscriptions to patterns.",
          "NUMSUB [<channel> ...]",
          "    Return the number of subscribers for the specified channels, excluding",
          "    pattern subscriptions(default: no channels).",
          "SHARDCHANNELS [<pattern>]",
          "    Return the currently active shard level channels matching a <pattern> (default: "
          "'*').",
          "SHARDNUMSUB [<shardchannel> ...]",
          "    Return the number of subscribers for the specified shard level channel(s)",
      });
  return Status::Ok();
}

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  constexpr uint32_t kSubFlags = kPubSub | kNoScript | kLoading | kStale;
  constexpr uint32_t kSubCats = kCatPubSub | kCatSlow;
  constexpr uint32_t kIntro = kPubSub | kLoading | kStale;
  table.Register({"subscribe", -2, kSubFlags, kSubCats, 0, 0, 0, "pubsub", "2.0.0",
                  "Listens for messages published to channels.", Subscribe});
  table.Register({"unsubscribe", -1, kSubFlags, kSubCats, 0, 0, 0, "pubsub", "2.0.0",
                  "Stops listening to messages posted to channels.", Unsubscribe});
  table.Register({"psubscribe", -2, kSubFlags, kSubCats, 0, 0, 0, "pubsub", "2.0.0",
                  "Listens for messages published to channels that match one or more "
                  "patterns.",
                  PSubscribe});
  table.Register({"punsubscribe", -1, kSubFlags, kSubCats, 0, 0, 0, "pubsub", "2.0.0",
                  "Stops listening to messages published to channels that match one or more "
                  "patterns.",
                  PUnsubscribe});
  // The shard variants name their channels as keys (COMMAND INFO), as Redis does.
  table.Register({"ssubscribe", -2, kSubFlags, kSubCats, 1, -1, 1, "pubsub", "7.0.0",
                  "Listens for messages published to shard channels.", SSubscribe});
  table.Register({"sunsubscribe", -1, kSubFlags, kSubCats, 1, -1, 1, "pubsub", "7.0.0",
                  "Stops listening to messages posted to shard channels.", SUnsubscribe});
  table.Register({"spublish", 3, kPubSub | kLoading | kStale | kFast, kCatPubSub | kCatFast, 1, 1,
                  1, "pubsub", "7.0.0", "Post a message to a shard channel", SPublish});
  table.Register({"publish", 3, kPubSub | kLoading | kStale | kFast, kCatPubSub | kCatFast, 0, 0, 0,
                  "pubsub", "2.0.0", "Posts a message to a channel.", Publish});
  table.Register({"pubsub",
                  -2,
                  0,
                  kCatSlow,
                  0,
                  0,
                  0,
                  "pubsub",
                  "2.8.0",
                  "A container for Pub/Sub commands.",
                  nullptr,
                  {
                      {"channels", -2, kIntro, kSubCats, 0, 0, 0, "pubsub", "2.8.0",
                       "Returns the active channels.", PubsubChannels},
                      {"numpat", 2, kIntro, kSubCats, 0, 0, 0, "pubsub", "2.8.0",
                       "Returns a count of unique pattern subscriptions.", PubsubNumpat},
                      {"numsub", -2, kIntro, kSubCats, 0, 0, 0, "pubsub", "2.8.0",
                       "Returns a count of subscribers to channels.", PubsubNumsub},
                      {"shardchannels", -2, kIntro, kSubCats, 0, 0, 0, "pubsub", "7.0.0",
                       "Returns the active shard channels.", PubsubShardchannels},
                      {"shardnumsub", -2, kIntro, kSubCats, 0, 0, 0, "pubsub", "7.0.0",
                       "Returns the count of subscribers of shard channels.", PubsubShardnumsub},
                      {"help", 2, kLoading | kStale, kCatSlow, 0, 0, 0, "pubsub", "6.2.0",
                       "Returns helpful text about the different subcommands.", PubsubHelp},
                  }});
}

}  // namespace vellum::server
