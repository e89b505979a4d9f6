#include "server/monitor.h"

#include <cctype>
#include <cstdio>
#include <memory>

#include "server/client_state.h"
#include "server/worker.h"

namespace vellum::server {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Redis's sdscatrepr: quoted, with \" \\ \n \r \t \a \b and \xHH for the unprintable.
void AppendRepr(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '"': *out += "\\\""; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\a': *out += "\\a"; break;
      case '\b': *out += "\\b"; break;
      default:
        if (c >= 32 && c < 127) {
          out->push_back(static_cast<char>(c));
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          *out += buf;
        }
    }
  }
  out->push_back('"');
}

// Which arguments Redis replaces with "(redacted)": AUTH's, and HELLO's after AUTH.
bool Redacted(std::span<const std::string_view> argv, size_t i) {
  if (EqualsNoCase(argv[0], "auth")) return i >= 1;
  if (EqualsNoCase(argv[0], "hello")) {
    for (size_t j = 1; j < i; j++) {
      if (EqualsNoCase(argv[j], "auth")) return i <= j + 2;
    }
  }
  return false;
}

}  // namespace

void MonitorRegistry::Add(uint64_t client_id, int worker) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Monitor& m : monitors_) {
    if (m.client_id == client_id) return;
  }
  monitors_.push_back({client_id, worker});
  count_.store(static_cast<int>(monitors_.size()), std::memory_order_relaxed);
}

void MonitorRegistry::Remove(uint64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(monitors_, [&](const Monitor& m) { return m.client_id == client_id; });
  count_.store(static_cast<int>(monitors_.size()), std::memory_order_relaxed);
}

std::string MonitorRegistry::FormatLine(const ClientState& client, int db,
                                        std::span<const std::string_view> argv, int64_t now_us,
                                        bool from_script) {
  char head[64];
  std::snprintf(head, sizeof(head), "%lld.%06lld [%d ", static_cast<long long>(now_us / 1000000),
                static_cast<long long>(now_us % 1000000), db);
  std::string line = head;
  if (from_script) {
    line += "lua";
  } else {
    line += client.addr();
  }
  line += "]";
  for (size_t i = 0; i < argv.size(); i++) {
    line.push_back(' ');
    AppendRepr(&line, Redacted(argv, i) ? std::string_view("(redacted)") : argv[i]);
  }
  return line;
}

void MonitorRegistry::Feed(const ClientState& client, int db,
                           std::span<const std::string_view> argv, int64_t now_us,
                           bool from_script) {
  auto line =
      std::make_shared<const std::string>(FormatLine(client, db, argv, now_us, from_script));
  std::lock_guard<std::mutex> lock(mu_);
  for (const Monitor& m : monitors_) {
    Worker* w = workers_[static_cast<size_t>(m.worker)];
    const uint64_t id = m.client_id;
    w->Post([w, id, line] { w->PushStatus(id, *line); });
  }
}

}  // namespace vellum::server
