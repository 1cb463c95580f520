// SPDX-License-Identifier: Apache-2.0
// Dialog: the RFC 3261 §12 state one side of a call keeps (Call-ID, tags, CSeq numbers, remote
// target, route set), and the in-dialog requests built from it (§12.2.1.1, loose routing of
// RFC 3261 §16.12; a strict-routing first hop is rewritten as §12.2.1.1 says). Value type,
// owned by one call leg; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sip/message.h"

namespace sb::b2bua {

struct Dialog {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  std::string local_uri;    // our From/To header value for requests we send (name-addr)
  std::string remote_uri;   // the peer's (name-addr), without tag
  uint32_t local_cseq = 0;  // last CSeq we used
  uint32_t remote_cseq = 0; // last CSeq the peer used (0 = none yet)
  std::string remote_target;  // peer's Contact URI: Request-URI of our requests
  std::vector<std::string> route_set;  // Route values to put on our requests, in order

  // UAC side: the dialog an INVITE `request` we sent and its 1xx/2xx `response` (with To tag)
  // create. Route set = Record-Route of the response, reversed. Errors name the header.
  static Result<Dialog> fromUac(const sip::Message& request, const sip::Message& response);
  // UAS side: the dialog created by answering `request` with `local_tag`. Route set =
  // Record-Route of the request, in order.
  static Result<Dialog> fromUas(const sip::Message& request, std::string_view local_tag);

  // A new request in this dialog (not ACK, not CANCEL): increments local_cseq. The caller adds
  // Via (the transport layer's sent-by) and, for target-refreshing requests, Contact.
  sip::Message makeRequest(std::string_view method);
  // The ACK for a 2xx to the INVITE with CSeq `invite_cseq` (RFC 3261 §13.2.2.4): same CSeq
  // number, method ACK.
  sip::Message makeAck(uint32_t invite_cseq) const;

  // An in-dialog request from the peer: checks and records its CSeq (RFC 3261 §12.2.2: lower
  // than the last one → the caller answers 500) and refreshes the remote target from Contact
  // for target-refresh requests (re-INVITE, UPDATE).
  Status acceptRemoteRequest(const sip::Message& request);
  // A 2xx to a target-refresh request we sent: take the new remote target from its Contact.
  void refreshFromResponse(const sip::Message& response);

  // Where our requests go first: the top route's URI if the route set is non-empty, else the
  // remote target.
  std::string firstHop() const;
};

}  // namespace sb::b2bua
