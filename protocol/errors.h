// Redis's exact error texts, one constant each (without the leading '-').
// Clients parse these, so they are copied from Redis 7 to the letter.
#pragma once

namespace vellum::protocol::err {

inline constexpr char kSyntax[] = "ERR syntax error";
inline constexpr char kNotInteger[] = "ERR value is not an integer or out of range";
inline constexpr char kNotFloat[] = "ERR value is not a valid float";
inline constexpr char kOverflow[] = "ERR increment or decrement would overflow";
inline constexpr char kNanOrInf[] = "ERR increment would produce NaN or Infinity";
inline constexpr char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr char kNoSuchKey[] = "ERR no such key";
inline constexpr char kDbOutOfRange[] = "ERR DB index is out of range";
inline constexpr char kSameObject[] = "ERR source and destination objects are the same";
inline constexpr char kInvalidCursor[] = "ERR invalid cursor";
inline constexpr char kStringTooLong[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
// Vellum's own: an entry keeps its key's length in 32 bits.
inline constexpr char kKeyTooLong[] = "ERR key exceeds maximum allowed size (4294967295 bytes)";
inline constexpr char kOffsetOutOfRange[] = "ERR offset is out of range";
inline constexpr char kNoAuth[] = "NOAUTH Authentication required.";
inline constexpr char kWrongPass[] = "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr char kAuthNoPassword[] =
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?";
inline constexpr char kNoProto[] = "NOPROTO unsupported protocol version";
inline constexpr char kMaxClients[] = "ERR max number of clients reached";
inline constexpr char kTimeoutNotInteger[] = "ERR timeout is not an integer or out of range";
inline constexpr char kTimeoutNegative[] = "ERR timeout is negative";
inline constexpr char kOom[] = "OOM command not allowed when used memory > 'maxmemory'.";
// Write commands while the persister cannot write (as Redis's after a failed AOF write);
// the cause follows.
inline constexpr char kMisconfPrefix[] =
    "MISCONF Errors writing to the RocksDB database; write commands are disabled until the "
    "disk accepts writes again. Cause: ";

// Protocol errors: the reply is sent and the connection closed.
inline constexpr char kProtoTooBigInline[] = "ERR Protocol error: too big inline request";
inline constexpr char kProtoUnbalancedQuotes[] = "ERR Protocol error: unbalanced quotes in request";
inline constexpr char kProtoTooBigMbulk[] = "ERR Protocol error: too big mbulk count string";
inline constexpr char kProtoInvalidMbulk[] = "ERR Protocol error: invalid multibulk length";
inline constexpr char kProtoTooBigBulk[] = "ERR Protocol error: too big bulk count string";
inline constexpr char kProtoInvalidBulk[] = "ERR Protocol error: invalid bulk length";
// "ERR Protocol error: expected '$', got '%c'" is formatted by the parser.

}  // namespace vellum::protocol::err

// String family (server/commands/string.cc).
namespace vellum::protocol::err {
inline constexpr char kDecrementOverflow[] = "ERR decrement would overflow";

}  // namespace vellum::protocol::err

// Key and expiry families (server/commands/keys.cc, expire.cc).
namespace vellum::protocol::err {
inline constexpr char kIntOutOfRange[] =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr char kInvalidFirstDb[] = "ERR invalid first DB index";
inline constexpr char kInvalidSecondDb[] = "ERR invalid second DB index";
inline constexpr char kExpireNxConflict[] =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr char kExpireGtLtConflict[] =
    "ERR GT and LT options at the same time are not compatible";
// "ERR Unsupported option <opt>" and "ERR invalid expire time in '<cmd>' command" are
// formatted by expire.cc.
// Server and client introspection (server_cmds.cc, client.cc).
inline constexpr char kNoSuchClient[] = "ERR No such client";
inline constexpr char kInvalidClientName[] =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr char kInvalidClientId[] = "ERR Invalid client ID";
inline constexpr char kClientIdNotPositive[] = "ERR client-id should be greater than 0";
inline constexpr char kNoShutdownInProgress[] = "ERR No shutdown in progress.";
inline constexpr char kSlowlogBadCount[] = "ERR count should be greater than or equal to -1";
inline constexpr char kLfuNotSelected[] =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
inline constexpr char kLfuSelected[] =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";
inline constexpr char kInvalidCommandSpecified[] = "ERR Invalid command specified";
inline constexpr char kCommandHasNoKeys[] = "ERR The command has no key arguments";
inline constexpr char kGetkeysBadArity[] = "ERR Invalid number of arguments specified for command";
// "ERR Unknown client type '<t>'", "ERR No such user '<u>'", "ERR Unrecognized option '<o>'"
// and "ERR <attr> cannot contain spaces, newlines or special characters." are formatted by
// client.cc.
}  // namespace vellum::protocol::err

// Transactions (server/transaction.cc, server/commands/transaction.cc).
namespace vellum::protocol::err {
inline constexpr char kMultiNested[] = "ERR MULTI calls can not be nested";
inline constexpr char kExecWithoutMulti[] = "ERR EXEC without MULTI";
inline constexpr char kDiscardWithoutMulti[] = "ERR DISCARD without MULTI";
inline constexpr char kWatchInsideMulti[] = "ERR WATCH inside MULTI is not allowed";
inline constexpr char kExecAbort[] = "EXECABORT Transaction discarded because of previous errors.";
// Followed by the reason a rejected EXEC was refused ("wrong number of arguments ...").
inline constexpr char kExecAbortBecause[] = "EXECABORT Transaction discarded because of: ";
}  // namespace vellum::protocol::err

// Hash and set families (server/commands/hash.cc, set.cc).
namespace vellum::protocol::err {
inline constexpr char kHashValueNotInteger[] = "ERR hash value is not an integer";
inline constexpr char kHashValueNotFloat[] = "ERR hash value is not a float";  // sic, Redis 7.0
inline constexpr char kIncrNanOrInf[] = "ERR value is NaN or Infinity";
inline constexpr char kRandomCountRange[] =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";
inline constexpr char kValueOutOfRange[] = "ERR value is out of range";
inline constexpr char kMustBePositive[] = "ERR value is out of range, must be positive";
inline constexpr char kNumkeysNotPositive[] = "ERR numkeys should be greater than 0";
inline constexpr char kCountNotPositive[] = "ERR count should be greater than 0";
inline constexpr char kTooManyNumkeys[] = "ERR Number of keys can't be greater than number of args";
inline constexpr char kLimitNegative[] = "ERR LIMIT can't be negative";
}  // namespace vellum::protocol::err

// ACL (server/acl.cc, server/commands/acl.cc, the dispatcher's permission check). Redis
// 7.0's texts; "NOPERM this user has no permissions to run the '<cmd>' command" and
// "ERR Error in ACL SETUSER modifier '<op>': <reason>" are formatted where they are raised.
namespace vellum::protocol::err {
inline constexpr char kNoPermKey[] =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
inline constexpr char kNoPermChannel[] =
    "NOPERM this user has no permissions to access one of the channels used as arguments";
inline constexpr char kAclDefaultUndeletable[] = "ERR The 'default' user cannot be removed";
}  // namespace vellum::protocol::err

// Pub/Sub (the dispatcher's RESP2 subscribed-mode check): the text after
// "ERR Can't execute '<command>".
namespace vellum::protocol::err {
inline constexpr char kOnlyPubSubAllowedSuffix[] =
    "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
    "context";
}  // namespace vellum::protocol::err

// Replication: a write sent to a replica.
namespace vellum::protocol::err {
inline constexpr char kBusyScript[] =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr char kReadOnlyReplica[] = "READONLY You can't write against a read only replica.";
inline constexpr char kMasterDown[] =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
}  // namespace vellum::protocol::err
