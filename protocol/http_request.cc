#include "protocol/http_request.h"

#include <cctype>

namespace vellum::protocol {
namespace {

HttpRequestParser* Self(http_parser* p) { return static_cast<HttpRequestParser*>(p->data); }

bool EqualsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i]) return false;
  }
  return true;
}

}  // namespace

void HttpRequest::Clear() {
  method.clear();
  target.clear();
  if_none_match.clear();
  has_if_none_match = false;
  range.clear();
  has_range = false;
  keep_alive = true;
}

HttpRequestParser::HttpRequestParser(size_t max_header_bytes) : max_header_bytes_(max_header_bytes) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = OnMessageBegin;
  settings_.on_url = OnUrl;
  settings_.on_header_field = OnHeaderField;
  settings_.on_header_value = OnHeaderValue;
  settings_.on_headers_complete = OnHeadersComplete;
  settings_.on_message_complete = OnMessageComplete;
}

bool HttpRequestParser::Count(size_t len) {
  header_bytes_ += len;
  if (header_bytes_ <= max_header_bytes_) return true;
  error_status_ = 431;
  return false;
}

int HttpRequestParser::OnMessageBegin(http_parser* p) {
  HttpRequestParser* self = Self(p);
  self->current_.Clear();
  self->header_bytes_ = 0;
  self->field_done_ = true;
  self->field_ = Field::kOther;
  self->in_request_ = true;
  return 0;
}

int HttpRequestParser::OnUrl(http_parser* p, const char* at, size_t len) {
  HttpRequestParser* self = Self(p);
  if (!self->Count(len)) return 1;
  self->current_.target.append(at, len);
  return 0;
}

int HttpRequestParser::OnHeaderField(http_parser* p, const char* at, size_t len) {
  HttpRequestParser* self = Self(p);
  if (!self->Count(len)) return 1;
  if (self->field_done_) {
    self->field_name_.clear();
    self->field_done_ = false;
  }
  self->field_name_.append(at, len);
  return 0;
}

int HttpRequestParser::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  HttpRequestParser* self = Self(p);
  if (!self->Count(len)) return 1;
  if (!self->field_done_) {
    // The first piece of this value: the name is complete now.
    self->field_done_ = true;
    if (EqualsLower(self->field_name_, "if-none-match")) {
      self->field_ = Field::kIfNoneMatch;
      // Several If-None-Match fields are one comma-separated list.
      if (self->current_.has_if_none_match) self->current_.if_none_match += ", ";
      self->current_.has_if_none_match = true;
    } else if (EqualsLower(self->field_name_, "range")) {
      self->field_ = Field::kRange;
      self->current_.range.clear();
      self->current_.has_range = true;
    } else {
      self->field_ = Field::kOther;
    }
  }
  if (self->field_ == Field::kIfNoneMatch) self->current_.if_none_match.append(at, len);
  if (self->field_ == Field::kRange) self->current_.range.append(at, len);
  return 0;
}

int HttpRequestParser::OnHeadersComplete(http_parser* p) {
  HttpRequestParser* self = Self(p);
  self->current_.method = http_method_str(static_cast<http_method>(p->method));
  self->current_.keep_alive = http_should_keep_alive(p) != 0;
  return 0;
}

int HttpRequestParser::OnMessageComplete(http_parser* p) {
  HttpRequestParser* self = Self(p);
  self->complete_ = true;
  self->in_request_ = false;
  http_parser_pause(p, 1);  // one request per Parse call: pipelined ones wait their turn
  return 0;
}

HttpRequestParser::Result HttpRequestParser::Parse(std::string_view data, size_t* consumed,
                                                   HttpRequest* out) {
  *consumed = 0;
  if (error_status_ != 0) return Result::kError;
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) http_parser_pause(&parser_, 0);
  complete_ = false;
  const size_t n = http_parser_execute(&parser_, &settings_, data.data(), data.size());
  *consumed = n;
  const http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (complete_) {
    *out = std::move(current_);
    current_.Clear();
    return Result::kRequest;
  }
  if (err != HPE_OK && err != HPE_PAUSED) {
    if (error_status_ == 0) error_status_ = err == HPE_HEADER_OVERFLOW ? 431 : 400;
    return Result::kError;
  }
  if (in_request_ && header_bytes_ > max_header_bytes_) {
    error_status_ = 431;
    return Result::kError;
  }
  return Result::kNeedMore;
}

}  // namespace vellum::protocol
