// SPDX-License-Identifier: Apache-2.0
#include "analytics/tally.h"

namespace sb::analytics {

void Tally::merge(const Tally& other) {
  enqueued += other.enqueued;
  answered.insert(answered.end(), other.answered.begin(), other.answered.end());
  abandon_waits.insert(abandon_waits.end(), other.abandon_waits.begin(), other.abandon_waits.end());
  flow_out_waits.insert(flow_out_waits.end(), other.flow_out_waits.begin(),
                        other.flow_out_waits.end());
  handled += other.handled;
  talk += other.talk;
  hold += other.hold;
  wrap_up += other.wrap_up;
  for (std::size_t i = 0; i < kAgentStateCount; ++i) state_time[i] += other.state_time[i];
}

void Tally::clear() {
  enqueued = 0;
  answered.clear();
  abandon_waits.clear();
  flow_out_waits.clear();
  handled = 0;
  talk = hold = wrap_up = Duration::zero();
  state_time.fill(Duration::zero());
}

}  // namespace sb::analytics
