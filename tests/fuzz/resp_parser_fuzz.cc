// libFuzzer target for the RESP parser: arbitrary bytes, delivered in arbitrary pieces,
// must never crash, hang, read out of bounds or report progress it did not make.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/resp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vellum::protocol::ParseStatus;
  if (size == 0) return 0;
  // The first byte chooses the read size, so splits across reads are explored too.
  size_t step = 1 + data[0] % 64;
  data++;
  size--;
  vellum::protocol::ParserLimits limits;
  limits.max_bulk_len = 1 << 20;
  limits.max_inline_len = 4096;
  vellum::protocol::RespParser parser(limits);
  std::string buf;
  std::vector<std::string_view> argv;
  size_t fed = 0;
  while (fed < size) {
    size_t n = size - fed < step ? size - fed : step;
    buf.append(reinterpret_cast<const char*>(data) + fed, n);
    fed += n;
    for (;;) {
      size_t consumed = 0;
      ParseStatus st = parser.Parse(buf.data(), buf.size(), &consumed, &argv);
      if (st == ParseStatus::kError) return 0;  // the connection would close here
      if (st == ParseStatus::kIncomplete) break;
      if (consumed == 0 || consumed > buf.size()) std::abort();
      for (std::string_view a : argv) {
        volatile char sink = 0;
        for (char c : a) sink ^= c;  // touch every byte: ASan checks the views
        (void)sink;
      }
      buf.erase(0, consumed);
    }
  }
  return 0;
}
