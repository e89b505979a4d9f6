// The expiry command family (expire.cc): EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL
// EXPIRETIME PEXPIRETIME PERSIST. Registered from RegisterKeyCommands (keys.cc), as
// Redis files them under the "generic" group.
#pragma once

#include "server/command_table.h"

namespace vellum::server {

void RegisterExpireCommands(CommandTable& table);

}  // namespace vellum::server
