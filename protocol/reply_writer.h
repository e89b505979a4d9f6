// ReplyWriter: appends RESP2 or RESP3 replies to a connection's output buffer.
//
// One writer per connection; the protocol version is per connection (HELLO 2/3).
// RESP3-only types degrade to their RESP2 forms as Redis does: map -> flat array,
// set -> array, double/verbatim/big number -> bulk string, bool -> integer,
// null -> $-1 (or *-1 for a null array). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vellum::protocol {

class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out, int resp = 2) : out_(out), resp_(resp) {}

  int resp() const { return resp_; }
  void set_resp(int resp) { resp_ = resp; }
  std::string* buffer() { return out_; }
  void set_buffer(std::string* out) { out_ = out; }

  void Simple(std::string_view s);
  void Ok() { out_->append("+OK\r\n", 5); }
  // An error line without the leading '-'; '\r' and '\n' become spaces.
  void Error(std::string_view line);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // a missing bulk string
  void NullArray();  // a missing aggregate
  void ArrayHeader(size_t n);
  void MapHeader(size_t pairs);
  void SetHeader(size_t n);
  void PushHeader(size_t n);
  void AttributeHeader(size_t pairs);
  void Double(double v);
  void Bool(bool v);
  void Verbatim(std::string_view text, std::string_view format = "txt");
  void BigNumber(std::string_view digits);
  void EmptyArray() { ArrayHeader(0); }

 private:
  void Header(char type, int64_t n);

  std::string* out_;
  int resp_;
};

}  // namespace vellum::protocol
