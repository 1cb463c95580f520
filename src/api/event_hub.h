// SPDX-License-Identifier: Apache-2.0
// EventHub: fans domain events out to WebSocket subscribers. Any thread may publish(); the hub
// posts to its own strand, which assigns monotonically increasing ids, keeps a bounded replay
// buffer and hands each subscriber a shared immutable event. Subscribers are filtered by tenant
// and role (Event::permission / Event::user_id). Delivery never blocks the publisher or the
// hub: EventSubscriber::deliver() must only queue (post to the subscriber's own strand).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/roles.h"
#include "common/asio.h"
#include "common/clock.h"
#include "common/handoff.h"

namespace sb::metrics {
class Registry;
class Counter;
class Gauge;
}  // namespace sb::metrics

namespace sb::api {

namespace asio = boost::asio;

struct Event {
  std::uint64_t id = 0;
  std::string type;       // e.g. "agent.state.changed"
  std::string tenant_id;  // empty: platform event, only for cross-tenant principals
  nlohmann::json data;
  WallTime time{};
  Permission permission = Permission::Monitor;  // who may see it (with the grant's scope)
  std::string user_id;  // owner, for Own-scoped grants (an agent sees its own events)
  // The wire form {"data","id","tenantId","time","type"} as one WebSocket text frame, rendered
  // once (the same bytes for every subscriber): frame header at frame_at, JSON text from
  // ws::kMaxServerHeader on. Set by the hub before the event reaches any subscriber (an event
  // nobody receives is never rendered); read through json() and frame().
  std::string wire;
  std::size_t frame_at = 0;
  // EventInput::make_data until the hub builds `data` with it (before anyone else sees it).
  std::function<nlohmann::json()> make_data;

  std::string_view json() const;
  std::string_view frame() const { return std::string_view(wire).substr(frame_at); }
};

struct EventInput {
  std::string type;
  std::string tenant_id;
  nlohmann::json data = nlohmann::json::object();
  Permission permission = Permission::Monitor;
  std::string user_id;
  // Optional: builds `data` instead, on the hub's strand and only once a subscriber receives
  // the event (or it is replayed). A busy publisher (the voice shard, ~10 events per call)
  // then hands over a closure of plain values instead of building a JSON tree nobody may
  // read. It must own everything it reads (capture by value).
  std::function<nlohmann::json()> make_data;
};

// Called on the hub's strand. Implementations post to their own executor and return at once.
class EventSubscriber {
 public:
  virtual ~EventSubscriber() = default;
  virtual void deliver(std::shared_ptr<const Event> event) = 0;
  // false: deliver() reads only the event's fields (type, data, ...), never wire/json()/frame(),
  // which may then not be rendered yet and may be filled in later by the hub's strand. Saves
  // rendering events that no WebSocket client receives.
  virtual bool wantsWire() const { return true; }
  // false: nothing is delivered to this subscriber for now (e.g. a webhook notifier with no
  // subscription); its events are neither built nor rendered for it. Read on the hub's strand.
  virtual bool wantsEvents() const { return true; }
};

bool eventVisibleTo(const Event& event, const Principal& principal);
std::string renderEvent(const Event& event);
// Fills event.wire and event.frame_at from the other fields.
void renderWire(Event& event);

class EventHub {
 public:
  // executor: where the hub's strand runs (e.g. one of the api io_contexts). clock stamps
  // events and must outlive the hub. metrics may be null.
  EventHub(asio::any_io_executor executor, const Clock& clock, std::size_t replay_capacity = 1024,
           metrics::Registry* metrics = nullptr);
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Any thread. Returns at once; the event is numbered and fanned out on the hub strand.
  void publish(EventInput input);

  // Any thread. Registers subscriber (held weakly: it unsubscribes by dying) with its filter.
  // With last_event_id: first delivers the buffered events after it that the principal may see;
  // if some of the missed events already left the buffer (or the id is from the future, e.g.
  // from before a restart) it delivers one {"type":"resync"} event instead. Then live events.
  void subscribe(std::weak_ptr<EventSubscriber> subscriber, Principal principal,
                 std::optional<std::uint64_t> last_event_id);

  // Id of the newest published event (0 before the first). Any thread.
  std::uint64_t lastPublishedId() const { return last_published_.load(); }
  std::size_t subscriberCount() const { return subscriber_count_.load(); }

 private:
  struct Sub {
    std::weak_ptr<EventSubscriber> sink;
    Principal principal;
  };
  void onPublish(EventInput input);
  std::shared_ptr<const Event> makeResync(const Principal& principal, std::uint64_t last_seen);
  // Delivers event to sink if the sink wantsEvents() and its principal may see it: the data
  // built first (EventInput::make_data) and, if the sink wantsWire(), the text rendered (see
  // Event::wire). The one way an event reaches a subscriber, live or replayed.
  static void offer(EventSubscriber& sink, const Principal& principal,
                    const std::shared_ptr<Event>& event);

  asio::strand<asio::any_io_executor> strand_;
  const Clock& clock_;
  std::size_t capacity_;
  // Owned by strand_:
  std::uint64_t next_id_ = 1;
  // Replay buffer. Written only here, on the strand: offer() renders an event before the
  // first subscriber that reads the text gets it (subscribers that do not never read `wire`).
  std::deque<std::shared_ptr<Event>> buffer_;
  std::vector<Sub> subs_;
  std::atomic<std::size_t> subscriber_count_{0};
  std::atomic<std::uint64_t> last_published_{0};
  metrics::Counter* published_ = nullptr;
  metrics::Gauge* subscribers_gauge_ = nullptr;
  // Publishers' events reach the strand in batches: while events keep coming the strand polls
  // every kGather, so a voice shard publishing ~10 events per call never wakes this thread
  // (a wake-up costs the publisher an epoll_ctl and a futex call).
  static constexpr std::chrono::milliseconds kGather{2};
  Handoff<EventInput> inbox_{strand_, [this](EventInput&& input) { onPublish(std::move(input)); },
                             kGather};
};

}  // namespace sb::api
