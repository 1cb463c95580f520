// SPDX-License-Identifier: Apache-2.0
#include "presence/iso8601.h"

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace sb::presence {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Reads 1..18 digits; stops at the first non-digit. Returns false on none or overflow risk.
bool readNumber(std::string_view s, size_t& pos, int64_t& out, size_t max_digits = 12) {
  size_t start = pos;
  int64_t v = 0;
  while (pos < s.size() && isDigit(s[pos])) {
    if (pos - start >= max_digits) return false;
    v = v * 10 + (s[pos] - '0');
    ++pos;
  }
  if (pos == start) return false;
  out = v;
  return true;
}

// Exactly n digits.
bool readFixed(std::string_view s, size_t& pos, int n, int& out) {
  if (pos + static_cast<size_t>(n) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + static_cast<size_t>(i)];
    if (!isDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  pos += static_cast<size_t>(n);
  out = v;
  return true;
}

// Fraction digits after '.', scaled to nanoseconds (digits beyond 9 are truncated).
bool readFraction(std::string_view s, size_t& pos, int64_t& nanos) {
  size_t start = pos;
  int64_t v = 0;
  int used = 0;
  while (pos < s.size() && isDigit(s[pos])) {
    if (used < 9) {
      v = v * 10 + (s[pos] - '0');
      ++used;
    }
    ++pos;
  }
  if (pos == start) return false;
  while (used < 9) {
    v *= 10;
    ++used;
  }
  nanos = v;
  return true;
}

auto bad(std::string msg) { return fail(Errc::InvalidArgument, std::move(msg)); }

}  // namespace

Result<Duration> parseIsoDuration(std::string_view s) {
  if (s.empty() || (s[0] != 'P' && s[0] != 'p')) {
    return bad("ISO 8601 duration must start with 'P'");
  }
  size_t pos = 1;
  bool in_time = false;
  bool any = false;
  bool saw_t = false;
  int last_rank = -1;  // enforces the W/D/H/M/S order
  nanoseconds total{0};
  constexpr int64_t kMaxUnits = 1'000'000;  // keeps nanosecond arithmetic far from overflow
  while (pos < s.size()) {
    char c = s[pos];
    if (c == 'T' || c == 't') {
      if (in_time) return bad("duplicate 'T' in ISO 8601 duration");
      in_time = true;
      saw_t = true;
      ++pos;
      continue;
    }
    int64_t n = 0;
    if (!readNumber(s, pos, n)) return bad("expected a number in ISO 8601 duration");
    if (n > kMaxUnits) return bad("ISO 8601 duration component too large");
    int64_t frac = 0;
    bool has_frac = false;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      if (!readFraction(s, pos, frac)) return bad("expected digits after the decimal point");
      has_frac = true;
    }
    if (pos >= s.size()) return bad("ISO 8601 duration component lacks a designator");
    char d = s[pos++];
    if (d >= 'a' && d <= 'z') d = static_cast<char>(d - 'a' + 'A');
    int rank = 0;
    nanoseconds unit{0};
    if (!in_time) {
      if (d == 'Y' || d == 'M') return bad("years and months are not supported in durations");
      if (d == 'W') {
        rank = 0;
        unit = days(7);
      } else if (d == 'D') {
        rank = 1;
        unit = days(1);
      } else {
        return bad(std::string("unknown date designator '") + d + "' in ISO 8601 duration");
      }
    } else {
      if (d == 'H') {
        rank = 2;
        unit = hours(1);
      } else if (d == 'M') {
        rank = 3;
        unit = minutes(1);
      } else if (d == 'S') {
        rank = 4;
        unit = seconds(1);
      } else {
        return bad(std::string("unknown time designator '") + d + "' in ISO 8601 duration");
      }
    }
    if (rank <= last_rank) return bad("ISO 8601 duration components out of order");
    if (has_frac && rank != 4) return bad("only seconds may have a fraction");
    last_rank = rank;
    total += unit * n;
    if (has_frac) total += nanoseconds(frac);
    any = true;
  }
  if (!any) return bad("ISO 8601 duration has no components");
  if (saw_t && last_rank < 2) return bad("'T' must be followed by a time component");
  return total;
}

std::string formatIsoDuration(Duration d) {
  if (d < Duration::zero()) d = -d;
  auto total = std::chrono::duration_cast<nanoseconds>(d);
  int64_t day = total / days(1);
  total -= days(day);
  int64_t hr = total / hours(1);
  total -= hours(hr);
  int64_t min = total / minutes(1);
  total -= minutes(min);
  int64_t sec = total / seconds(1);
  total -= seconds(sec);
  int64_t ns = total.count();
  std::string out = "P";
  if (day > 0) out += std::to_string(day) + "D";
  if (hr > 0 || min > 0 || sec > 0 || ns > 0 || day == 0) {
    out += "T";
    if (hr > 0) out += std::to_string(hr) + "H";
    if (min > 0) out += std::to_string(min) + "M";
    if (sec > 0 || ns > 0 || (day == 0 && hr == 0 && min == 0)) {
      out += std::to_string(sec);
      if (ns > 0) {
        char buf[32];
        std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(ns));
        std::string f = buf;
        while (f.back() == '0') f.pop_back();
        out += f;
      }
      out += "S";
    }
  }
  return out;
}

Result<WallTime> parseIsoDateTime(std::string_view s) {
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  auto expect = [&](char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  if (!readFixed(s, pos, 4, y) || !expect('-') || !readFixed(s, pos, 2, mo) || !expect('-') ||
      !readFixed(s, pos, 2, d)) {
    return bad("ISO 8601 date-time must start with YYYY-MM-DD");
  }
  if (!(expect('T') || expect('t'))) return bad("ISO 8601 date-time lacks 'T'");
  if (!readFixed(s, pos, 2, h) || !expect(':') || !readFixed(s, pos, 2, mi) || !expect(':') ||
      !readFixed(s, pos, 2, se)) {
    return bad("ISO 8601 time must be HH:MM:SS");
  }
  int64_t frac = 0;
  if (expect('.') || expect(',')) {
    if (!readFraction(s, pos, frac)) return bad("expected digits after the decimal point");
  }
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return bad("ISO 8601 date is not a calendar date");
  if (h > 23 || mi > 59 || se > 59) return bad("ISO 8601 time out of range");
  int offset_min = 0;
  if (expect('Z') || expect('z')) {
    // UTC
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!readFixed(s, pos, 2, oh)) return bad("ISO 8601 offset must be ±HH:MM");
    expect(':');
    if (!readFixed(s, pos, 2, om) || oh > 23 || om > 59) {
      return bad("ISO 8601 offset must be ±HH:MM");
    }
    offset_min = sign * (oh * 60 + om);
  } else {
    return bad("ISO 8601 date-time needs 'Z' or an offset");
  }
  if (pos != s.size()) return bad("trailing characters after ISO 8601 date-time");
  auto tp = std::chrono::sys_days(ymd) + hours(h) + minutes(mi) + seconds(se) -
            minutes(offset_min);
  return std::chrono::time_point_cast<WallTime::duration>(tp) +
         std::chrono::duration_cast<WallTime::duration>(nanoseconds(frac));
}

std::string formatIsoDateTime(WallTime t) {
  auto day_point = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd{day_point};
  auto rest = std::chrono::duration_cast<nanoseconds>(t - day_point);
  auto h = rest / hours(1);
  rest -= hours(h);
  auto mi = rest / minutes(1);
  rest -= minutes(mi);
  auto se = rest / seconds(1);
  rest -= seconds(se);
  int64_t ticks = rest.count() / 100;  // 100 ns ticks, Graph's precision
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%07lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long long>(h),
                static_cast<long long>(mi), static_cast<long long>(se),
                static_cast<long long>(ticks));
  return buf;
}

}  // namespace sb::presence
