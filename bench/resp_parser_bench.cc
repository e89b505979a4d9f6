// Micro-benchmarks of the RESP parser and reply writer.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocol/reply_writer.h"
#include "protocol/resp_parser.h"

namespace {

using vellum::protocol::ParseStatus;
using vellum::protocol::ReplyWriter;
using vellum::protocol::RespParser;

std::string Pipeline(int n, size_t value_size) {
  std::string value(value_size, 'x');
  std::string one = "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000001234\r\n$" +
                    std::to_string(value_size) + "\r\n" + value + "\r\n";
  std::string out;
  for (int i = 0; i < n; i++) out += one;
  return out;
}

void ParseAll(benchmark::State& state, const std::string& input) {
  RespParser parser;
  std::vector<std::string_view> argv;
  for (auto _ : state) {
    size_t off = 0;
    while (off < input.size()) {
      size_t consumed = 0;
      if (parser.Parse(input.data() + off, input.size() - off, &consumed, &argv) !=
          ParseStatus::kCommand) {
        break;
      }
      off += consumed;
    }
    benchmark::DoNotOptimize(argv.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

void BM_RespParser_SetPipeline16x32B(benchmark::State& state) {
  ParseAll(state, Pipeline(16, 32));
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_RespParser_SetPipeline16x32B);

void BM_RespParser_Set4K(benchmark::State& state) { ParseAll(state, Pipeline(1, 4096)); }
BENCHMARK(BM_RespParser_Set4K);

void BM_RespParser_Inline(benchmark::State& state) {
  ParseAll(state, std::string("SET key:000000001234 hello\r\n"));
}
BENCHMARK(BM_RespParser_Inline);

void BM_ReplyWriter_Bulk4K(benchmark::State& state) {
  std::string out;
  std::string value(4096, 'x');
  ReplyWriter w(&out);
  for (auto _ : state) {
    out.clear();
    w.Bulk(value);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_ReplyWriter_Bulk4K);

}  // namespace
