// libFuzzer target for the HTTP request parser: arbitrary bytes, delivered in arbitrary
// pieces, must never crash, hang, read out of bounds or report progress it did not make.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using Result = vellum::protocol::HttpRequestParser::Result;
  if (size == 0) return 0;
  // The first byte chooses the read size, so splits across reads are explored too.
  const size_t step = 1 + data[0] % 64;
  data++;
  size--;
  vellum::protocol::HttpRequestParser parser(1024);
  vellum::protocol::HttpRequest req;
  std::string buf;
  size_t fed = 0;
  while (fed < size) {
    const size_t n = size - fed < step ? size - fed : step;
    buf.append(reinterpret_cast<const char*>(data) + fed, n);
    fed += n;
    for (;;) {
      size_t consumed = 0;
      const Result r = parser.Parse(buf, &consumed, &req);
      if (consumed > buf.size()) std::abort();  // progress it did not make
      buf.erase(0, consumed);
      if (r == Result::kError) {
        const int status = parser.error_status();
        if (status != 400 && status != 431) std::abort();
        return 0;
      }
      if (r == Result::kNeedMore) {
        if (!buf.empty()) std::abort();  // kNeedMore takes everything it was given
        break;
      }
      if (req.method.empty()) std::abort();  // a request always has a method
    }
  }
  return 0;
}
