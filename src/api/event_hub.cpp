// SPDX-License-Identifier: Apache-2.0
#include "api/event_hub.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "api/ws_frame.h"
#include "common/metrics.h"

namespace sb::api {

namespace {
std::string isoTime(WallTime t) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}
}  // namespace

namespace {
// Appends the bytes nlohmann would write for the object {data, id, tenantId, time, type} (its
// keys sorted), without first copying data into a temporary object.
void appendEvent(std::string& out, const Event& e) {
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  auto text = [](const std::string& s) { return nlohmann::json(s).dump(-1, ' ', false, kReplace); };
  out += "{\"data\":";
  out += e.data.dump(-1, ' ', false, kReplace);
  out += ",\"id\":";
  out += std::to_string(e.id);
  out += ",\"tenantId\":";
  out += text(e.tenant_id);
  out += ",\"time\":";
  out += text(isoTime(e.time));
  out += ",\"type\":";
  out += text(e.type);
  out += '}';
}
}  // namespace

std::string renderEvent(const Event& e) {
  std::string out;
  appendEvent(out, e);
  return out;
}

// The JSON goes after room for the longest frame header, and the header is then written right
// before it: one buffer, the text never copied.
void renderWire(Event& e) {
  e.wire.assign(ws::kMaxServerHeader, '\0');
  appendEvent(e.wire, e);
  const std::string header = ws::serverFrameHeader(ws::kText, e.wire.size() - ws::kMaxServerHeader);
  e.frame_at = ws::kMaxServerHeader - header.size();
  e.wire.replace(e.frame_at, header.size(), header);
}

std::string_view Event::json() const {
  return std::string_view(wire).substr(std::min(wire.size(), ws::kMaxServerHeader));
}

bool eventVisibleTo(const Event& event, const Principal& principal) {
  if (event.tenant_id.empty()) {
    auto scope = principal.scopeFor(event.permission);
    return scope && *scope == Scope::AllTenants;
  }
  return canSee(principal, event.permission, event.tenant_id, event.user_id);
}

EventHub::EventHub(asio::any_io_executor executor, const Clock& clock, std::size_t replay_capacity,
                   metrics::Registry* metrics)
    : strand_(asio::make_strand(std::move(executor))),
      clock_(clock),
      capacity_(replay_capacity == 0 ? 1 : replay_capacity) {
  if (metrics) {
    published_ =
        &metrics->counter("sb_events_published_total", "Events published to the hub").with({});
    subscribers_gauge_ = &metrics->gauge("sb_event_subscribers", "Event hub subscribers").with({});
  }
}

void EventHub::publish(EventInput input) { inbox_.push(std::move(input)); }

void EventHub::onPublish(EventInput input) {
  auto ev = std::make_shared<Event>();
  ev->id = next_id_++;
  ev->type = std::move(input.type);
  ev->tenant_id = std::move(input.tenant_id);
  ev->data = std::move(input.data);
  ev->time = clock_.wallNow();
  ev->permission = input.permission;
  ev->user_id = std::move(input.user_id);
  ev->make_data = std::move(input.make_data);
  last_published_.store(ev->id);
  buffer_.push_back(ev);
  if (buffer_.size() > capacity_) buffer_.pop_front();
  if (published_) published_->inc();
  // Building the data and rendering the text are most of an event's cost; with no subscriber
  // that takes the event (the usual case for a voice shard's per-call events) both wait for a
  // replay or never happen (offer).
  std::erase_if(subs_, [&](Sub& s) {
    auto sink = s.sink.lock();
    if (!sink) return true;
    offer(*sink, s.principal, ev);
    return false;
  });
  subscriber_count_.store(subs_.size());
  if (subscribers_gauge_) subscribers_gauge_->set(static_cast<double>(subs_.size()));
}

void EventHub::offer(EventSubscriber& sink, const Principal& principal,
                     const std::shared_ptr<Event>& event) {
  if (!sink.wantsEvents() || !eventVisibleTo(*event, principal)) return;
  if (event->make_data) {
    event->data = event->make_data();
    event->make_data = nullptr;
  }
  if (sink.wantsWire() && event->wire.empty()) renderWire(*event);
  sink.deliver(event);
}

std::shared_ptr<const Event> EventHub::makeResync(const Principal& principal,
                                                  std::uint64_t last_seen) {
  auto ev = std::make_shared<Event>();
  // The resync carries the newest id so the client can resume from it after reloading state.
  ev->id = next_id_ - 1;
  ev->type = "resync";
  ev->tenant_id = principal.tenant_id;
  ev->data = {{"reason", "events after lastEventId are no longer buffered"},
              {"lastEventId", last_seen},
              {"oldestBufferedId", buffer_.empty() ? next_id_ : buffer_.front()->id}};
  ev->time = clock_.wallNow();
  renderWire(*ev);
  return ev;
}

void EventHub::subscribe(std::weak_ptr<EventSubscriber> subscriber, Principal principal,
                         std::optional<std::uint64_t> last_event_id) {
  asio::post(strand_, [this, subscriber = std::move(subscriber), principal = std::move(principal),
                       last_event_id]() mutable {
    auto sink = subscriber.lock();
    if (!sink) return;
    if (last_event_id) {
      std::uint64_t last = *last_event_id;
      std::uint64_t newest = next_id_ - 1;
      std::uint64_t oldest = buffer_.empty() ? next_id_ : buffer_.front()->id;
      if (last > newest || last + 1 < oldest) {
        sink->deliver(makeResync(principal, last));
      } else {
        for (const auto& ev : buffer_) {
          if (ev->id > last) offer(*sink, principal, ev);
        }
      }
    }
    subs_.push_back(Sub{std::move(subscriber), std::move(principal)});
    subscriber_count_.store(subs_.size());
    if (subscribers_gauge_) subscribers_gauge_->set(static_cast<double>(subs_.size()));
  });
}

}  // namespace sb::api
