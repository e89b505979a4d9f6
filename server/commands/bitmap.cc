// Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP, with Redis 7.0's parsing, replies
// and error texts (bitops.c). A bitmap is a string: bit 0 is the most significant bit of
// byte 0, and a string grows with zero bytes as bits past its end are set. The commands
// read and write Entry::str in place and report the write (the persister then writes the
// string whole).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/errors.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/commands/args.h"
#include "server/commands/registry.h"
#include "server/commands/string_ops.h"
#include "server/keyspace_events.h"

namespace vellum::server {
namespace {

using storage::Entry;
using storage::ValueType;

constexpr char kBadOffset[] = "ERR bit offset is not an integer or out of range";
constexpr char kBadBit[] = "ERR bit is not an integer or out of range";
constexpr char kBitposBit[] = "ERR The bit argument must be 1 or 0.";
constexpr char kNotSingleSource[] = "ERR BITOP NOT must be called with a single source key.";
// Redis's proto-max-bulk-len default: a bitmap has at most 2^32 bits.
constexpr uint64_t kMaxBitmapBytes = 512ull * 1024 * 1024;

// A bit offset as Redis's getBitOffsetFromArgument: 0 .. 2^32 - 1.
Status ParseBitOffset(std::string_view arg, uint64_t* out) {
  int64_t v = 0;
  if (!ParseInt64(arg, &v) || v < 0 || static_cast<uint64_t>(v) >> 3 >= kMaxBitmapBytes) {
    return Status::Error(kBadOffset);
  }
  *out = static_cast<uint64_t>(v);
  return Status::Ok();
}

// The string at key for a read: *s is empty (no value) when missing; WRONGTYPE for another type.
Status ReadBitmap(CommandContext& ctx, std::string_view key, std::optional<std::string_view>* s) {
  const Entry* e = ctx.keyspace.FindForRead(ctx.db, key, ctx.now_ms);
  s->reset();
  if (e == nullptr) return Status::Ok();
  if (e->type != ValueType::kString) return Status::Error(protocol::err::kWrongType);
  *s = e->str();
  return Status::Ok();
}

bool BitAt(std::string_view s, uint64_t bit) {
  const uint64_t byte = bit >> 3;
  if (byte >= s.size()) return false;
  return (static_cast<uint8_t>(s[byte]) >> (7 - (bit & 7))) & 1;
}

// A BITCOUNT/BITPOS range in bits, [first, last], from Redis's start/end (bytes or bits,
// negative from the end, clamped); false when it is empty.
struct BitRange {
  uint64_t first = 0;
  uint64_t last = 0;
};
bool ResolveBitRange(int64_t start, int64_t end, bool in_bits, uint64_t size, BitRange* out) {
  const int64_t total = static_cast<int64_t>(in_bits ? size * 8 : size);
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return false;
  out->first = in_bits ? static_cast<uint64_t>(start) : static_cast<uint64_t>(start) * 8;
  out->last = in_bits ? static_cast<uint64_t>(end) : static_cast<uint64_t>(end) * 8 + 7;
  return true;
}

// BYTE or BIT (any case); syntax error otherwise.
Status ParseRangeUnit(std::string_view word, bool* in_bits) {
  if (EqualsIgnoreCase(word, "bit")) {
    *in_bits = true;
  } else if (EqualsIgnoreCase(word, "byte")) {
    *in_bits = false;
  } else {
    return Status::Error(protocol::err::kSyntax);
  }
  return Status::Ok();
}

// Set bits of s in [first, last].
uint64_t CountBits(std::string_view s, const BitRange& r) {
  uint64_t count = 0;
  uint64_t bit = r.first;
  while (bit <= r.last && (bit & 7) != 0) count += BitAt(s, bit++);
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  for (; bit + 7 <= r.last; bit += 8) count += static_cast<uint64_t>(__builtin_popcount(p[bit >> 3]));
  for (; bit <= r.last; bit++) count += BitAt(s, bit);
  return count;
}

// The first bit equal to `value` in [first, last], or -1.
int64_t FindBit(std::string_view s, const BitRange& r, bool value) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t skip = value ? 0x00 : 0xFF;  // a byte with no such bit
  uint64_t bit = r.first;
  while (bit <= r.last) {
    if ((bit & 7) == 0 && bit + 7 <= r.last && p[bit >> 3] == skip) {
      bit += 8;
      continue;
    }
    if (BitAt(s, bit) == value) return static_cast<int64_t>(bit);
    bit++;
  }
  return -1;
}

// SETBIT key offset value -> the bit's previous value. Grows the string with zero bytes.
Status SetBit(CommandContext& ctx) {
  const std::string_view key = ctx.arg(1);
  uint64_t offset = 0;
  VELLUM_RETURN_IF_ERROR(ParseBitOffset(ctx.arg(2), &offset));
  const std::string_view v = ctx.arg(3);
  if (v != "0" && v != "1") return Status::Error(kBadBit);
  Entry* e = ctx.keyspace.Find(ctx.db, key, ctx.now_ms);
  if (e != nullptr && e->type != ValueType::kString) {
    return Status::Error(protocol::err::kWrongType);
  }
  const uint64_t byte = offset >> 3;
  const bool on = v == "1";
  bool grown = false;
  if (e == nullptr) {
    e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);  // reports itself
    e->MutableStr().assign(byte + 1, '\0');
    ctx.Notify(KeyspaceEvents::kNew, "new", key);
    grown = true;
  } else if (e->str().size() <= byte) {
    e->MutableStr().resize(byte + 1, '\0');
    grown = true;
  }
  const uint8_t mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
  const bool old = (static_cast<uint8_t>(e->str()[byte]) & mask) != 0;
  if (old != on) {  // only a change moves an inline value to a string of its own
    auto& b = reinterpret_cast<uint8_t&>(e->MutableStr()[byte]);
    if (on) b |= mask;
    else b &= static_cast<uint8_t>(~mask);
  }
  // As Redis 7.0: a SETBIT that changes nothing is no write (no event, WATCH holds).
  if (grown || old != on) {
    ctx.keyspace.MarkWritten(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kString, "setbit", key);
  }
  ctx.reply.Integer(old ? 1 : 0);
  return Status::Ok();
}

// GETBIT key offset -> 0 or 1 (0 past the end or for a missing key).
Status GetBit(CommandContext& ctx) {
  uint64_t offset = 0;
  VELLUM_RETURN_IF_ERROR(ParseBitOffset(ctx.arg(2), &offset));
  std::optional<std::string_view> s;
  VELLUM_RETURN_IF_ERROR(ReadBitmap(ctx, ctx.arg(1), &s));
  ctx.reply.Integer(s && BitAt(*s, offset) ? 1 : 0);
  return Status::Ok();
}

// BITCOUNT key [start end [BYTE|BIT]]: the key is looked up first (a missing one counts
// 0 whatever the arguments), as in Redis 7.0.
Status BitCount(CommandContext& ctx) {
  std::optional<std::string_view> s;
  VELLUM_RETURN_IF_ERROR(ReadBitmap(ctx, ctx.arg(1), &s));
  if (!s) {
    ctx.reply.Integer(0);
    return Status::Ok();
  }
  BitRange range;
  bool non_empty = !s->empty();
  range.last = s->size() * 8 - (non_empty ? 1 : 0);
  if (ctx.argc() == 4 || ctx.argc() == 5) {
    int64_t start = 0, end = 0;
    VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &start));
    VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(3), &end));
    bool in_bits = false;
    if (ctx.argc() == 5) VELLUM_RETURN_IF_ERROR(ParseRangeUnit(ctx.arg(4), &in_bits));
    if (start < 0 && end < 0 && start > end) {
      non_empty = false;
    } else {
      non_empty = ResolveBitRange(start, end, in_bits, s->size(), &range);
    }
  } else if (ctx.argc() != 2) {
    return Status::Error(protocol::err::kSyntax);
  }
  ctx.reply.Integer(non_empty ? static_cast<int64_t>(CountBits(*s, range)) : 0);
  return Status::Ok();
}

// BITPOS key bit [start [end [BYTE|BIT]]] -> the first bit set to `bit`, or -1. Without an
// end, a string of ones has its first 0 just past its end.
Status BitPos(CommandContext& ctx) {
  int64_t bit = 0;
  VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(2), &bit));
  if (bit != 0 && bit != 1) return Status::Error(kBitposBit);
  std::optional<std::string_view> s;
  VELLUM_RETURN_IF_ERROR(ReadBitmap(ctx, ctx.arg(1), &s));
  if (!s) {
    ctx.reply.Integer(bit ? -1 : 0);
    return Status::Ok();
  }
  BitRange range;
  bool non_empty = !s->empty();
  range.last = s->size() * 8 - (non_empty ? 1 : 0);
  bool end_given = false;
  if (ctx.argc() >= 4 && ctx.argc() <= 6) {
    int64_t start = 0, end = -1;
    VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(3), &start));
    bool in_bits = false;
    if (ctx.argc() == 6) VELLUM_RETURN_IF_ERROR(ParseRangeUnit(ctx.arg(5), &in_bits));
    if (ctx.argc() >= 5) {
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(4), &end));
      end_given = true;
    }
    non_empty = ResolveBitRange(start, end, in_bits, s->size(), &range);
  } else if (ctx.argc() != 3) {
    return Status::Error(protocol::err::kSyntax);
  }
  if (!non_empty) {
    ctx.reply.Integer(-1);
    return Status::Ok();
  }
  int64_t pos = FindBit(*s, range, bit == 1);
  // Looking for a 0 with no end given: the string is padded with zeros on the right.
  if (pos == -1 && bit == 0 && !end_given) pos = static_cast<int64_t>(range.last) + 1;
  ctx.reply.Integer(pos);
  return Status::Ok();
}

// BITOP AND|OR|XOR|NOT destkey key [key ...] -> the length of the string stored at
// destkey (the longest source's; shorter ones count as zero-padded). An empty result
// deletes destkey.
Status BitOp(CommandContext& ctx) {
  const std::string_view op = ctx.arg(1);
  enum class Op { kAnd, kOr, kXor, kNot } kind;
  if (EqualsIgnoreCase(op, "and")) kind = Op::kAnd;
  else if (EqualsIgnoreCase(op, "or")) kind = Op::kOr;
  else if (EqualsIgnoreCase(op, "xor")) kind = Op::kXor;
  else if (EqualsIgnoreCase(op, "not")) kind = Op::kNot;
  else return Status::Error(protocol::err::kSyntax);
  if (kind == Op::kNot && ctx.argc() != 4) return Status::Error(kNotSingleSource);
  std::vector<std::optional<std::string_view>> sources;
  size_t longest = 0;
  for (size_t i = 3; i < ctx.argc(); i++) {
    const Entry* e = ctx.keyspace.Find(ctx.db, ctx.arg(i), ctx.now_ms);
    if (e != nullptr && e->type != ValueType::kString) {
      return Status::Error(protocol::err::kWrongType);
    }
    sources.push_back(e ? std::optional<std::string_view>(e->str()) : std::nullopt);
    if (e) longest = std::max(longest, e->str().size());
  }
  std::string result(longest, '\0');
  auto byte = [](const std::optional<std::string_view>& s, size_t i) -> uint8_t {
    return s && i < s->size() ? static_cast<uint8_t>((*s)[i]) : 0;
  };
  for (size_t i = 0; i < longest; i++) {
    uint8_t v = byte(sources[0], i);
    if (kind == Op::kNot) v = static_cast<uint8_t>(~v);
    for (size_t k = 1; k < sources.size(); k++) {
      const uint8_t b = byte(sources[k], i);
      if (kind == Op::kAnd) v &= b;
      else if (kind == Op::kOr) v |= b;
      else v ^= b;
    }
    result[i] = static_cast<char>(v);
  }
  const std::string_view dst = ctx.arg(2);
  Entry* d = ctx.keyspace.Find(ctx.db, dst, ctx.now_ms);
  if (longest > 0) {
    StoreStringKey(ctx, dst, result, d, "set");
  } else if (d != nullptr) {
    ctx.keyspace.Erase(ctx.db, dst);
    ctx.Notify(KeyspaceEvents::kGeneric, "del", dst);
  }
  ctx.reply.Integer(static_cast<int64_t>(longest));
  return Status::Ok();
}

// ---- BITFIELD ----

constexpr char kBadFieldType[] =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
constexpr char kBadOverflow[] = "ERR Invalid OVERFLOW type specified";
constexpr char kReadOnlyGetOnly[] = "ERR BITFIELD_RO only supports the GET subcommand";

enum class Overflow { kWrap, kSat, kFail };

struct FieldOp {
  enum class Kind { kGet, kSet, kIncrBy } kind;
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t value;  // SET's value, INCRBY's increment
  Overflow overflow;
};

// i1..i64 or u1..u63.
Status ParseFieldType(std::string_view arg, bool* is_signed, int* bits) {
  int64_t n = 0;
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u') || !ParseInt64(arg.substr(1), &n) ||
      n < 1 || n > (arg[0] == 'i' ? 64 : 63)) {
    return Status::Error(kBadFieldType);
  }
  *is_signed = arg[0] == 'i';
  *bits = static_cast<int>(n);
  return Status::Ok();
}

// A field offset: bits, or "#N" for N fields of `bits` bits.
Status ParseFieldOffset(std::string_view arg, int bits, uint64_t* out) {
  const bool fields = !arg.empty() && arg[0] == '#';
  int64_t v = 0;
  if (!ParseInt64(fields ? arg.substr(1) : arg, &v) || v < 0) return Status::Error(kBadOffset);
  if (fields && __builtin_mul_overflow(v, static_cast<int64_t>(bits), &v)) {
    return Status::Error(kBadOffset);
  }
  if (static_cast<uint64_t>(v) >> 3 >= kMaxBitmapBytes) return Status::Error(kBadOffset);
  *out = static_cast<uint64_t>(v);
  return Status::Ok();
}

uint64_t GetField(const std::optional<std::string_view>& s, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; i++) v = (v << 1) | (s && BitAt(*s, offset + i) ? 1 : 0);
  return v;
}

void SetField(std::string& s, uint64_t offset, int bits, uint64_t v) {
  for (int i = 0; i < bits; i++) {
    const uint64_t bit = offset + static_cast<uint64_t>(i);
    auto& b = reinterpret_cast<uint8_t&>(s[bit >> 3]);
    const uint8_t mask = static_cast<uint8_t>(1u << (7 - (bit & 7)));
    if ((v >> (bits - 1 - i)) & 1) b |= mask;
    else b &= static_cast<uint8_t>(~mask);
  }
}

// The low `bits` bits of v as a signed number (whatever the higher bits hold).
int64_t SignExtend(uint64_t v, int bits) {
  if (bits < 64) {
    v &= (uint64_t{1} << bits) - 1;
    if ((v >> (bits - 1)) & 1) v |= ~uint64_t{0} << bits;
  }
  return static_cast<int64_t>(v);
}

// value + incr in a field of `bits` bits, as Redis's check{Signed,Unsigned}BitfieldOverflow:
// true on overflow, with *out the wrapped or saturated result (unused for FAIL).
bool AddUnsigned(uint64_t value, int64_t incr, int bits, Overflow how, uint64_t* out) {
  const uint64_t max = (uint64_t{1} << bits) - 1;
  const auto maxincr = static_cast<int64_t>(max - value);
  const int64_t minincr = -static_cast<int64_t>(value);
  bool over = false, under = false;
  if (value > max || (incr > 0 && incr > maxincr)) over = true;
  else if (incr < 0 && incr < minincr) under = true;
  if (!over && !under) {
    *out = value + static_cast<uint64_t>(incr);
    return false;
  }
  if (how == Overflow::kSat) *out = over ? max : 0;
  else *out = (value + static_cast<uint64_t>(incr)) & max;
  return true;
}

bool AddSigned(int64_t value, int64_t incr, int bits, Overflow how, int64_t* out) {
  const int64_t max = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  const auto maxincr = static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  const auto minincr = static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  bool over = false, under = false;
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    over = true;
  } else if (value < min || (bits != 64 && incr < minincr) ||
             (value < 0 && incr < 0 && incr < minincr)) {
    under = true;
  }
  if (!over && !under) {
    *out = value + incr;
    return false;
  }
  if (how == Overflow::kSat) {
    *out = over ? max : min;
  } else {
    *out = SignExtend(static_cast<uint64_t>(value) + static_cast<uint64_t>(incr), bits);
  }
  return true;
}

// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
// [OVERFLOW WRAP|SAT|FAIL] ...; BITFIELD_RO takes GETs only. Every operation is parsed
// before the key is looked up; a write grows the string to its farthest field first.
Status BitFieldGeneric(CommandContext& ctx, bool read_only) {
  std::vector<FieldOp> ops;
  Overflow overflow = Overflow::kWrap;
  uint64_t write_end = 0;  // one past the farthest bit a SET or INCRBY touches
  for (size_t i = 2; i < ctx.argc(); i++) {
    const std::string_view word = ctx.arg(i);
    const size_t left = ctx.argc() - 1 - i;
    FieldOp op{};
    if (EqualsIgnoreCase(word, "get") && left >= 2) {
      op.kind = FieldOp::Kind::kGet;
    } else if (EqualsIgnoreCase(word, "set") && left >= 3) {
      op.kind = FieldOp::Kind::kSet;
    } else if (EqualsIgnoreCase(word, "incrby") && left >= 3) {
      op.kind = FieldOp::Kind::kIncrBy;
    } else if (EqualsIgnoreCase(word, "overflow") && left >= 1) {
      const std::string_view how = ctx.arg(++i);
      if (EqualsIgnoreCase(how, "wrap")) overflow = Overflow::kWrap;
      else if (EqualsIgnoreCase(how, "sat")) overflow = Overflow::kSat;
      else if (EqualsIgnoreCase(how, "fail")) overflow = Overflow::kFail;
      else return Status::Error(kBadOverflow);
      continue;
    } else {
      return Status::Error(protocol::err::kSyntax);
    }
    VELLUM_RETURN_IF_ERROR(ParseFieldType(ctx.arg(i + 1), &op.is_signed, &op.bits));
    VELLUM_RETURN_IF_ERROR(ParseFieldOffset(ctx.arg(i + 2), op.bits, &op.offset));
    i += 2;
    if (op.kind != FieldOp::Kind::kGet) {
      if (read_only) return Status::Error(kReadOnlyGetOnly);
      VELLUM_RETURN_IF_ERROR(ParseIntArg(ctx.arg(++i), &op.value));
      write_end = std::max(write_end, op.offset + static_cast<uint64_t>(op.bits));
    }
    op.overflow = overflow;
    ops.push_back(op);
  }
  const std::string_view key = ctx.arg(1);
  Entry* e = write_end > 0 ? ctx.keyspace.Find(ctx.db, key, ctx.now_ms)
                           : ctx.keyspace.FindForRead(ctx.db, key, ctx.now_ms);
  if (e != nullptr && e->type != ValueType::kString) {
    return Status::Error(protocol::err::kWrongType);
  }
  // Grown (or created) to the farthest field written, before any overflow check: a FAIL
  // leaves the zero bytes behind, as in Redis.
  bool grown = false;
  if (write_end > 0) {
    const uint64_t bytes = (write_end - 1) / 8 + 1;
    if (e == nullptr) {
      e = ctx.keyspace.Create(ctx.db, key, ctx.now_ms);  // reports itself
      e->MutableStr().assign(bytes, '\0');
      ctx.Notify(KeyspaceEvents::kNew, "new", key);
      grown = true;
    } else if (e->str().size() < bytes) {
      e->MutableStr().resize(bytes, '\0');
      grown = true;
      ctx.keyspace.MarkWritten(ctx.db, key);
    }
  }
  ctx.reply.ArrayHeader(ops.size());
  bool changed = false;  // as Redis 7.0: a write that stored something new, or grew the key
  for (const FieldOp& op : ops) {
    std::optional<std::string_view> s;
    if (e != nullptr) s = e->str();
    const uint64_t raw = GetField(s, op.offset, op.bits);
    if (op.kind == FieldOp::Kind::kGet) {
      if (op.is_signed) ctx.reply.Integer(SignExtend(raw, op.bits));
      else ctx.reply.Integer(static_cast<int64_t>(raw));
      continue;
    }
    const bool incr = op.kind == FieldOp::Kind::kIncrBy;
    bool over = false;
    int64_t reply = 0;
    uint64_t stored = 0;
    if (op.is_signed) {
      const int64_t old = SignExtend(raw, op.bits);
      int64_t next = 0;
      over = incr ? AddSigned(old, op.value, op.bits, op.overflow, &next)
                  : AddSigned(op.value, 0, op.bits, op.overflow, &next);
      reply = incr ? next : old;
      stored = static_cast<uint64_t>(next);
    } else {
      uint64_t next = 0;
      over = incr ? AddUnsigned(raw, op.value, op.bits, op.overflow, &next)
                  : AddUnsigned(static_cast<uint64_t>(op.value), 0, op.bits, op.overflow, &next);
      reply = static_cast<int64_t>(incr ? next : raw);
      stored = next;
    }
    if (over && op.overflow == Overflow::kFail) {
      ctx.reply.Null();
      continue;
    }
    const uint64_t field_mask = op.bits == 64 ? ~uint64_t{0} : (uint64_t{1} << op.bits) - 1;
    if (grown || (stored & field_mask) != raw) changed = true;
    SetField(e->MutableStr(), op.offset, op.bits, stored);
    ctx.reply.Integer(reply);
  }
  if (changed) {
    ctx.keyspace.MarkWritten(ctx.db, key);
    ctx.Notify(KeyspaceEvents::kString, "setbit", key);
  }
  return Status::Ok();
}

Status BitField(CommandContext& ctx) { return BitFieldGeneric(ctx, false); }
Status BitFieldRo(CommandContext& ctx) { return BitFieldGeneric(ctx, true); }

}  // namespace

void RegisterBitmapCommands(CommandTable& table) {
  constexpr uint32_t kR = kCatRead | kCatBitmap;
  constexpr uint32_t kW = kCatWrite | kCatBitmap;
  constexpr const char* kGroup = "bitmap";
  table.Register({"setbit", 4, kWrite | kDenyOom, kW | kCatSlow, 1, 1, 1, kGroup, "2.2.0",
                  "Sets or clears the bit at offset of the string value. Creates the key if it "
                  "doesn't exist.",
                  SetBit});
  table.Register({"getbit", 3, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "2.2.0",
                  "Returns a bit value by offset.", GetBit});
  table.Register({"bitcount", -2, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "2.6.0",
                  "Counts the number of set bits (population counting) in a string.", BitCount});
  table.Register({"bitpos", -3, kReadonly, kR | kCatSlow, 1, 1, 1, kGroup, "2.8.7",
                  "Finds the first set (1) or clear (0) bit in a string.", BitPos});
  table.Register({"bitfield", -2, kWrite | kDenyOom, kW | kCatSlow, 1, 1, 1, kGroup, "3.2.0",
                  "Performs arbitrary bitfield integer operations on strings.", BitField});
  table.Register({"bitfield_ro", -2, kReadonly | kFast, kR | kCatFast, 1, 1, 1, kGroup, "6.0.0",
                  "Performs arbitrary read-only bitfield integer operations on strings.",
                  BitFieldRo});
  table.Register({"bitop", -4, kWrite | kDenyOom, kW | kCatSlow, 2, -1, 1, kGroup, "2.6.0",
                  "Performs bitwise operations on multiple strings, and stores the result.",
                  BitOp});
}

}  // namespace vellum::server
