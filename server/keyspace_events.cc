#include "server/keyspace_events.h"

#include "server/command.h"
#include "server/pubsub.h"
#include "server/server_state.h"

namespace vellum::server {

int KeyspaceEvents::ParseFlags(std::string_view classes) {
  int flags = 0;
  for (char c : classes) {
    switch (c) {
      case 'A':
        flags |= kAll;
        break;
      case 'g':
        flags |= kGeneric;
        break;
      case '$':
        flags |= kString;
        break;
      case 'l':
        flags |= kList;
        break;
      case 's':
        flags |= kSet;
        break;
      case 'h':
        flags |= kHash;
        break;
      case 'z':
        flags |= kZset;
        break;
      case 'x':
        flags |= kExpired;
        break;
      case 'e':
        flags |= kEvicted;
        break;
      case 'K':
        flags |= kKeyspace;
        break;
      case 'E':
        flags |= kKeyevent;
        break;
      case 't':
        flags |= kStream;
        break;
      case 'm':
        flags |= kKeyMiss;
        break;
      case 'd':
        flags |= kModule;
        break;
      case 'n':
        flags |= kNew;
        break;
      default:
        return -1;
    }
  }
  return flags;
}

std::string KeyspaceEvents::FormatFlags(int flags) {
  std::string out;
  if ((flags & kAll) == kAll) {
    out += 'A';
    if (flags & kNew) out += 'n';  // Redis 7.0 omits it here, losing it on CONFIG GET
  } else {
    static constexpr struct {
      int flag;
      char letter;
    } kClasses[] = {{kGeneric, 'g'}, {kString, '$'}, {kList, 'l'},    {kSet, 's'},
                    {kHash, 'h'},    {kZset, 'z'},   {kExpired, 'x'}, {kEvicted, 'e'},
                    {kStream, 't'},  {kModule, 'd'}, {kNew, 'n'}};
    for (const auto& c : kClasses) {
      if (flags & c.flag) out += c.letter;
    }
  }
  if (flags & kKeyspace) out += 'K';
  if (flags & kKeyevent) out += 'E';
  if (flags & kKeyMiss) out += 'm';
  return out;
}

void KeyspaceEvents::Notify(int type, std::string_view event, int db, std::string_view key) {
  int flags = flags_.load(std::memory_order_relaxed);
  if (!(flags & type) || pubsub_ == nullptr) return;
  std::string prefix = "@" + std::to_string(db) + "__:";
  if (flags & kKeyspace) {
    std::string channel = "__keyspace" + prefix;
    channel.append(key);
    pubsub_->Publish(channel, event);
  }
  if (flags & kKeyevent) {
    std::string channel = "__keyevent" + prefix;
    channel.append(event);
    pubsub_->Publish(channel, key);
  }
}

void CommandContext::Notify(int type, std::string_view event, std::string_view key) const {
  NotifyDb(type, event, db, key);
}

void CommandContext::NotifyDb(int type, std::string_view event, int in_db,
                              std::string_view key) const {
  KeyspaceEvents* events = server.keyspace_events();
  if (events != nullptr) events->Notify(type, event, in_db, key);
}

}  // namespace vellum::server
