// SPDX-License-Identifier: Apache-2.0
// Loopback tests: real sockets on 127.0.0.1 and ::1, one io_context run in the test thread.
#include "sip/transport/transport_layer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sb::sip {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

std::string options(std::string_view call_id, size_t body = 0, std::string_view via = "UDP") {
  std::string m = "OPTIONS sip:s@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/" + std::string(via) +
                  " 127.0.0.1;branch=z9hG4bK" + std::string(call_id) + "\r\nCall-ID: " +
                  std::string(call_id) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: " +
                  std::to_string(body) + "\r\n\r\n";
  m += std::string(body, 'b');
  return m;
}

struct Recorder : TransportSink {
  std::vector<InboundMessage> messages;
  std::vector<std::pair<InboundMessage, ScanError>> errors;
  std::function<void(const InboundMessage&)> on_message;
  std::function<void(const InboundMessage&, ScanError)> on_error;
  void onMessage(InboundMessage&& m) override {
    messages.push_back(std::move(m));
    if (on_message) on_message(messages.back());
  }
  void onScanError(InboundMessage&& m, ScanError e) override {
    errors.emplace_back(std::move(m), e);
    if (on_error) on_error(errors.back().first, e);
  }
};

// Runs the io_context until `done()` or 5 s.
template <typename F>
bool runUntil(asio::io_context& io, F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return done();
}

bool haveIpv6Loopback() {
  asio::io_context io;
  udp::socket s(io);
  boost::system::error_code ec;
  s.open(udp::v6(), ec);
  if (ec) return false;
  s.bind(udp::endpoint(asio::ip::make_address("::1"), 0), ec);
  return !ec;
}

class TransportLayerTest : public ::testing::TestWithParam<std::string> {
 protected:
  asio::io_context io_;
  Recorder sink_;
};

TEST_P(TransportLayerTest, UdpReceiveAndReply) {
  const std::string addr = GetParam();
  if (addr == "::1") {
    ASSERT_TRUE(haveIpv6Loopback()) << "::1 is required on the test machine";
  }
  TransportLayer t(io_, {}, sink_);
  auto bound = t.listen(TransportKind::Udp, addr, 0);
  ASSERT_TRUE(bound) << bound.error().toString();
  ASSERT_NE(bound->port, 0);

  udp::socket peer(io_, udp::endpoint(asio::ip::make_address(addr), 0));
  udp::endpoint server(asio::ip::make_address(addr), bound->port);
  std::string msg = options("c1") + "trailing junk";  // bytes after Content-Length ignored
  peer.send_to(asio::buffer(msg), server);
  ASSERT_TRUE(runUntil(io_, [&] { return !sink_.messages.empty(); }));
  const InboundMessage& m = sink_.messages[0];
  EXPECT_EQ(m.bytes, options("c1"));
  EXPECT_EQ(m.kind, TransportKind::Udp);
  EXPECT_EQ(m.source_port, peer.local_endpoint().port());
  EXPECT_EQ(m.source_address, asio::ip::make_address(addr).to_string());

  Status sent = fail(Errc::Internal, "not called");
  t.send("SIP/2.0 200 OK\r\n\r\n",
         Destination{.kind = TransportKind::Udp, .address = m.source_address, .port = m.source_port,
                     .listener = m.listener},
         [&](const Status& s) { sent = s; });
  EXPECT_TRUE(sent.has_value());
  std::array<char, 2000> buf{};
  udp::endpoint from;
  size_t n = peer.receive_from(asio::buffer(buf), from);
  EXPECT_EQ(std::string(buf.data(), n), "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(from.port(), bound->port);  // the response leaves from the listening socket
}

TEST_P(TransportLayerTest, TcpFramingAcrossPartialWritesAndKeepAlive) {
  const std::string addr = GetParam();
  TransportLayer t(io_, {}, sink_);
  auto bound = t.listen(TransportKind::Tcp, addr, 0);
  ASSERT_TRUE(bound) << bound.error().toString();
  tcp::socket client(io_);
  client.connect(tcp::endpoint(asio::ip::make_address(addr), bound->port));
  client.set_option(tcp::no_delay(true));
  std::string stream = "\r\n\r\n" + options("a", 10) + options("b", 3);
  // Dribble the bytes in small pieces so reads end mid-message.
  for (size_t i = 0; i < stream.size(); i += 7) {
    asio::write(client, asio::buffer(stream.substr(i, 7)));
    io_.restart();
    io_.run_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(runUntil(io_, [&] { return sink_.messages.size() == 2; }));
  EXPECT_EQ(sink_.messages[0].bytes, options("a", 10));
  EXPECT_EQ(sink_.messages[1].bytes, options("b", 3));
  EXPECT_EQ(sink_.messages[0].connection, sink_.messages[1].connection);
  EXPECT_NE(sink_.messages[0].connection, kNoConnection);
  // The double-CRLF ping got a single CRLF pong.
  std::array<char, 16> pong{};
  size_t n = client.read_some(asio::buffer(pong));
  EXPECT_EQ(std::string(pong.data(), n), "\r\n");

  // A response on the same connection.
  const std::string ok = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  t.send(ok,
         Destination{.kind = TransportKind::Tcp, .address = "192.0.2.1", .port = 9,
                     .connection = sink_.messages[0].connection});
  std::string got;
  ASSERT_TRUE(runUntil(io_, [&] {
    boost::system::error_code ec;
    std::array<char, 256> b{};
    client.non_blocking(true);
    size_t k = client.read_some(asio::buffer(b), ec);
    if (!ec) got.append(b.data(), k);
    return got.size() >= ok.size();
  }));
  EXPECT_EQ(got, ok);
}

INSTANTIATE_TEST_SUITE_P(Loopback, TransportLayerTest, ::testing::Values("127.0.0.1", "::1"));

TEST(TransportLayerStreamTest, MissingContentLengthGets400AndClose) {
  asio::io_context io;
  Recorder sink;
  TransportLayer t(io, {}, sink);
  sink.on_error = [&](const InboundMessage& m, ScanError e) {
    EXPECT_EQ(e, ScanError::MissingContentLength);
    t.send("SIP/2.0 400 Missing Content-Length\r\nContent-Length: 0\r\n\r\n",
           Destination{.kind = m.kind, .address = m.source_address, .port = m.source_port,
                       .connection = m.connection});
  };
  auto bound = t.listen(TransportKind::Tcp, "127.0.0.1", 0);
  ASSERT_TRUE(bound);
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), bound->port));
  asio::write(client, asio::buffer(std::string("OPTIONS sip:x SIP/2.0\r\nCall-ID: q\r\n\r\n")));
  std::string got;
  bool closed = false;
  ASSERT_TRUE(runUntil(io, [&] {
    boost::system::error_code ec;
    std::array<char, 256> b{};
    client.non_blocking(true);
    size_t k = client.read_some(asio::buffer(b), ec);
    if (!ec) got.append(b.data(), k);
    if (ec == asio::error::eof) closed = true;
    return closed;
  }));
  EXPECT_EQ(got.rfind("SIP/2.0 400", 0), 0u) << got;
  EXPECT_EQ(t.connectionCount(), 0u);
}

TEST(TransportLayerStreamTest, IdleConnectionsAreClosed) {
  asio::io_context io;
  Recorder sink;
  TransportOptions o;
  o.idle_timeout = std::chrono::milliseconds(100);
  TransportLayer t(io, o, sink);
  auto bound = t.listen(TransportKind::Tcp, "127.0.0.1", 0);
  ASSERT_TRUE(bound);
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), bound->port));
  ASSERT_TRUE(runUntil(io, [&] { return t.connectionCount() == 1; }));
  ASSERT_TRUE(runUntil(io, [&] { return t.connectionCount() == 0; }));
}

TEST(TransportLayerStreamTest, OversizedUdpRequestSwitchesToTcp) {
  asio::io_context io;
  Recorder server_sink, client_sink;
  TransportLayer server(io, {}, server_sink);
  auto udp_bound = server.listen(TransportKind::Udp, "127.0.0.1", 0);
  ASSERT_TRUE(udp_bound);
  auto tcp_bound = server.listen(TransportKind::Tcp, "127.0.0.1", udp_bound->port);
  ASSERT_TRUE(tcp_bound) << tcp_bound.error().toString();
  TransportLayer client(io, {}, client_sink);
  ASSERT_TRUE(client.listen(TransportKind::Udp, "127.0.0.1", 0));

  Destination to{.kind = TransportKind::Udp, .address = "127.0.0.1", .port = udp_bound->port,
                 .allow_tcp_fallback = true};
  std::string small = options("small", 10);
  std::string big = options("big", 2000, "TCP");
  EXPECT_EQ(client.selectTransport(to, small.size()), TransportKind::Udp);
  EXPECT_EQ(client.selectTransport(to, big.size()), TransportKind::Tcp);
  client.send(small, to);
  client.send(big, to);
  ASSERT_TRUE(runUntil(io, [&] { return server_sink.messages.size() == 2; }));
  for (const auto& m : server_sink.messages) {
    if (m.bytes == small) EXPECT_EQ(m.kind, TransportKind::Udp);
    else {
      EXPECT_EQ(m.bytes, big);
      EXPECT_EQ(m.kind, TransportKind::Tcp);
    }
  }
  // Without the fallback flag (responses) the size does not matter.
  to.allow_tcp_fallback = false;
  EXPECT_EQ(client.selectTransport(to, big.size()), TransportKind::Udp);
}

TEST(TransportLayerStreamTest, BindFailureIsAnError) {
  asio::io_context io;
  Recorder sink;
  TransportLayer a(io, {}, sink), b(io, {}, sink);
  auto first = a.listen(TransportKind::Udp, "127.0.0.1", 0);
  ASSERT_TRUE(first);
  auto second = b.listen(TransportKind::Udp, "127.0.0.1", first->port);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::Unavailable);
  EXPECT_NE(second.error().message.find("bind udp:127.0.0.1:"), std::string::npos);
  EXPECT_FALSE(a.listen(TransportKind::Tcp, "not-an-ip", 0));
}

// ------------------------------------------------------------------ TLS

class TlsFiles {
 public:
  TlsFiles() {
    dir_ = std::filesystem::temp_directory_path() /
           ("sb-tls-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
                      "-addext subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost -keyout " +
                      key() + " -out " + cert() + " >/dev/null 2>&1";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  ~TlsFiles() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  bool ok() const { return ok_; }
  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

TEST(TransportLayerTlsTest, RequestAndResponseOverTls) {
  TlsFiles files;
  ASSERT_TRUE(files.ok()) << "openssl req failed";
  asio::io_context io;
  Recorder server_sink, client_sink;
  TransportOptions so;
  so.tls_certificate = files.cert();
  so.tls_private_key = files.key();
  TransportLayer server(io, so, server_sink);
  auto bound = server.listen(TransportKind::Tls, "127.0.0.1", 0);
  ASSERT_TRUE(bound) << bound.error().toString();
  server_sink.on_message = [&](const InboundMessage& m) {
    server.send("SIP/2.0 200 OK\r\nCall-ID: tls\r\nContent-Length: 0\r\n\r\n",
                Destination{.kind = m.kind, .address = m.source_address, .port = m.source_port,
                            .connection = m.connection});
  };
  TransportOptions co;
  co.tls_ca_file = files.cert();  // verify the self-signed server certificate
  TransportLayer client(io, co, client_sink);
  Status sent = fail(Errc::Internal, "pending");
  client.send(options("tls", 0, "TLS"),
              Destination{.kind = TransportKind::Tls, .address = "127.0.0.1", .port = bound->port},
              [&](const Status& s) { sent = s; });
  ASSERT_TRUE(runUntil(io, [&] { return client_sink.messages.size() == 1; }));
  EXPECT_TRUE(sent.has_value());
  ASSERT_EQ(server_sink.messages.size(), 1u);
  EXPECT_EQ(server_sink.messages[0].kind, TransportKind::Tls);
  EXPECT_EQ(server_sink.messages[0].bytes, options("tls", 0, "TLS"));
  EXPECT_EQ(client_sink.messages[0].bytes.rfind("SIP/2.0 200 OK", 0), 0u);
  EXPECT_EQ(client.connectionCount(), 1u);
}

TEST(TransportLayerTlsTest, UntrustedServerCertificateFailsTheSend) {
  TlsFiles files;
  ASSERT_TRUE(files.ok());
  asio::io_context io;
  Recorder server_sink, client_sink;
  TransportOptions so;
  so.tls_certificate = files.cert();
  so.tls_private_key = files.key();
  TransportLayer server(io, so, server_sink);
  auto bound = server.listen(TransportKind::Tls, "127.0.0.1", 0);
  ASSERT_TRUE(bound);
  TransportOptions co;
  co.tls_ca_file = "/etc/ssl/certs/ca-certificates.crt";  // does not contain our self-signed cert
  TransportLayer client(io, co, client_sink);
  std::optional<Status> sent;
  client.send(options("x"), Destination{.kind = TransportKind::Tls, .address = "127.0.0.1",
                                        .port = bound->port},
              [&](const Status& s) { sent = s; });
  ASSERT_TRUE(runUntil(io, [&] { return sent.has_value(); }));
  EXPECT_FALSE(sent->has_value());
  EXPECT_TRUE(server_sink.messages.empty());
}

TEST(TransportLayerTlsTest, MissingCertificateIsAnError) {
  asio::io_context io;
  Recorder sink;
  TransportOptions o;
  o.tls_certificate = "/nonexistent/cert.pem";
  o.tls_private_key = "/nonexistent/key.pem";
  TransportLayer t(io, o, sink);
  auto r = t.listen(TransportKind::Tls, "127.0.0.1", 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "tls_certificate");
}

}  // namespace
}  // namespace sb::sip
