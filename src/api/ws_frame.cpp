// SPDX-License-Identifier: Apache-2.0
#include "api/ws_frame.h"

namespace sb::api::ws {

namespace {

bool isControl(unsigned opcode) { return (opcode & 0x8) != 0; }

bool isKnown(unsigned opcode) {
  return opcode <= kBinary || opcode == kClose || opcode == kPing || opcode == kPong;
}

ClientFrame error(std::uint16_t code, const char* reason) {
  ClientFrame f;
  f.status = ClientFrame::Status::Error;
  f.close_code = code;
  f.reason = reason;
  return f;
}

}  // namespace

std::string serverFrameHeader(Opcode opcode, std::uint64_t n) {
  std::string out;
  out.push_back(static_cast<char>(0x80 | opcode));
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    out.push_back(126);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  }
  return out;
}

std::string serverFrame(Opcode opcode, std::string_view payload) {
  std::string out = serverFrameHeader(opcode, payload.size());
  out.append(payload);
  return out;
}

std::string closeFrame(std::uint16_t code, std::string_view reason) {
  std::string body;
  body.push_back(static_cast<char>(code >> 8));
  body.push_back(static_cast<char>(code & 0xff));
  body.append(reason.substr(0, 123));
  return serverFrame(kClose, body);
}

ClientFrame parseClientFrame(std::string_view in, std::size_t max_payload) {
  if (in.size() < 2) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const bool fin = (p[0] & 0x80) != 0;
  const unsigned opcode = p[0] & 0x0f;
  if ((p[0] & 0x70) != 0) return error(kProtocolError, "reserved bits set");
  if (!isKnown(opcode)) return error(kProtocolError, "unknown opcode");
  // §5.1: a server must close the connection on an unmasked client frame.
  if ((p[1] & 0x80) == 0) return error(kProtocolError, "client frame not masked");
  std::uint64_t len = p[1] & 0x7f;
  std::size_t header = 2;
  if (len == 126) {
    if (in.size() < 4) return {};
    len = (std::uint64_t{p[2]} << 8) | p[3];
    header = 4;
  } else if (len == 127) {
    if (in.size() < 10) return {};
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    header = 10;
    if ((len >> 63) != 0) return error(kProtocolError, "length has its top bit set");
  }
  if (isControl(opcode)) {
    // §5.5: control frames are final and carry at most 125 bytes.
    if (!fin) return error(kProtocolError, "fragmented control frame");
    if (len > 125) return error(kProtocolError, "control frame longer than 125 bytes");
    if (opcode == kClose && len == 1) return error(kProtocolError, "close frame of one byte");
  } else if (len > max_payload) {
    return error(kTooBig, "message too big");
  }
  header += 4;  // the masking key
  if (in.size() < header || in.size() - header < len) return {};
  ClientFrame f;
  f.status = ClientFrame::Status::Ok;
  f.fin = fin;
  f.opcode = static_cast<Opcode>(opcode);
  f.consumed = header + static_cast<std::size_t>(len);
  const unsigned char* key = p + header - 4;
  f.payload.resize(static_cast<std::size_t>(len));
  for (std::size_t i = 0; i < f.payload.size(); ++i) {
    f.payload[i] = static_cast<char>(p[header + i] ^ key[i % 4]);
  }
  return f;
}

}  // namespace sb::api::ws
