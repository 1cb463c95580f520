// SPDX-License-Identifier: Apache-2.0
// Google Benchmark: SDP parse, serialize, and the anchoring rewrite a B2BUA does per offer.
#include <benchmark/benchmark.h>

#include <string>

#include "sdp/session_description.h"

namespace {

const std::string kOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.51.100.1\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/SAVP 0 8 9 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n"
    "a=rtcp:49171\r\n"
    "a=sendrecv\r\n";

void BM_SdpParse(benchmark::State& state) {
  for (auto _ : state) {
    auto sd = sb::sdp::SessionDescription::parse(kOffer);
    benchmark::DoNotOptimize(sd);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kOffer.size()));
}
BENCHMARK(BM_SdpParse);

void BM_SdpSerialize(benchmark::State& state) {
  auto sd = sb::sdp::SessionDescription::parse(kOffer);
  for (auto _ : state) {
    std::string out = sd->serialize();
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SdpSerialize);

void BM_SdpAnchorRewrite(benchmark::State& state) {
  for (auto _ : state) {
    auto sd = sb::sdp::SessionDescription::parse(kOffer);
    sd->setMediaAddress(0, "203.0.113.7", 30000);
    sd->bumpVersion();
    std::string out = sd->serialize();
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SdpAnchorRewrite);

}  // namespace

BENCHMARK_MAIN();
