// SPDX-License-Identifier: Apache-2.0
// Engine internals. Everything is indexed by dense integers (agents, queues, interactions,
// interned skill/attribute names); string ids only cross the API boundary.
//
// Invariants (checked by the property tests in engine_property_test.cpp):
//  - an interaction is in the waiting sets of its entry queue and its overflow queues iff it is
//    Waiting, or Offered by a ring strategy (ring-all / ring-progressively);
//  - outside ring strategies an interaction has at most one outstanding reservation;
//  - every agent work slot (reserved, active, wrap-up) has an owner and a deadline, and the
//    agent's load counters equal the sum over its slots;
//  - agent state is only ever computed by computeState() and only changed by refreshAgent(),
//    which emits AgentStateChanged.
#include "routing/engine.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <queue>
#include <unordered_map>

#include "common/assert.h"
#include "routing/expression.h"
#include "routing/flat_index.h"
#include "routing/small_vec.h"
#include "routing/sorted_ring.h"

namespace sb::routing {

namespace {

constexpr std::uint32_t kNone = UINT32_MAX;

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
double epochSeconds(MonoTime t) { return seconds(t.time_since_epoch()); }
std::size_t ci(Channel c) { return static_cast<std::size_t>(c); }
bool isRing(Strategy s) { return s == Strategy::RingAll || s == Strategy::RingProgressively; }

// Starts fetching the cache lines of *p that a later step will read. The hot paths are chains of
// dependent misses over a working set far larger than the caches (interaction, agent and queue
// records); issuing a record's loads as soon as its address is known lets them overlap with the
// work in between instead of stalling when the record is first used.
template <class T>
void prefetchRecord(const T* p) {
  const char* b = reinterpret_cast<const char*>(p);
  for (std::size_t off = 0; off < sizeof(T); off += 64) __builtin_prefetch(b + off);
}

struct Req {
  std::uint32_t skill;
  int min;
};

struct WaitKey {
  double key;  // priority - aging_rate * enqueue_seconds: larger first
  std::int64_t enq;
  std::uint64_t seq;
  std::uint32_t ix;
  // Not part of the order. kSimple: no own skills, no skips, not a ring strategy and always at
  // step 0 in this queue, so an agent qualifies iff it is a step-0 candidate with capacity for
  // the channel (and the queue's base expression is trivial): decided without the IxRec.
  std::uint8_t flags = 0;
  static constexpr std::uint8_t kSimple = 0x80;
  Channel channel() const { return static_cast<Channel>(flags & 0x0F); }
  bool operator<(const WaitKey& o) const {
    if (key != o.key) return key > o.key;
    if (enq != o.enq) return enq < o.enq;
    return seq < o.seq;
  }
};

struct Cand {
  std::uint32_t agent;
  int penalty;
  int position;
  double weight;
  std::uint32_t min_step;
  int prof0 = 0;  // summed proficiency on the base rule's skills (best-skill at step 0)
};

enum class SlotKind : std::uint8_t { Reserved, Active, WrapUp };
// 24 bytes: an agent's work list usually fits one cache line. Reserved and active slots name
// their interaction through `ix`; a wrap-up slot outlives it, so its ids are kept aside in a
// WrapInfo (only wrap-up ends and snapshots read them).
struct Slot {
  SlotKind kind;
  Channel ch;
  std::uint32_t ix;  // kNone for wrap-up (interaction finished)
  std::uint64_t res;
  MonoTime deadline;
};
struct WrapInfo {
  std::uint64_t res;  // the wrap-up slot's reservation
  InteractionId iid;
  QueueId qid;
  TenantId tenant;
  MonoTime enq;
};

// The agent's side of a candidacy: 12 bytes, so an agent-available pick over ~10 queues reads
// two cache lines of this list.
struct AgentQueue {
  std::uint32_t queue;
  std::uint32_t min_step;  // Cand::min_step
  int position;            // Cand::position
};

// Compact mirror of what an arrival's candidate scan needs: 32 bytes, aligned, so each agent is
// one cache line access (at 40 bytes half of them straddled two lines) and scanning a queue's
// candidates never touches the AgentRec. Written only by Impl::syncHot().
struct alignas(32) AgentHot {
  static constexpr std::uint16_t kBigTenant = UINT16_MAX;  // tenant index does not fit: slow path
  MonoTime last_idle{};
  std::uint64_t today = 0;    // fewest-interactions metric
  double talk_s = 0;          // least-talk-time metric (seconds)
  std::uint32_t id_rank = 0;  // position in agent-id order (Impl::ensureIdRanks)
  std::uint16_t tenant = 0;   // tenant index, or kBigTenant
  bool open = false;
  std::uint8_t fit_mask = 0;  // bit c: an offer of channel c fits the capacity now
  // Whether the agent is known to belong to tenant index t (else the caller checks the AgentRec).
  bool sameTenant(std::uint32_t t) const { return tenant != kBigTenant && tenant == t; }
};
static_assert(sizeof(AgentHot) == 32);

// Hot fields first: candidate scans touch only the first two cache lines of each agent.
struct AgentRec {
  bool open = false;
  bool alive = false;
  bool reachable = true;
  AgentState requested = AgentState::Offline;
  AgentState state = AgentState::Offline;
  Presence presence = Presence::Available;
  std::uint32_t tenant = 0;
  int used_units = 0;
  int total_count = 0;
  std::array<int, kChannelCount> count{};
  MonoTime last_idle{};
  std::uint64_t today = 0;
  Duration talk{};
  Capacity cap;
  std::vector<std::pair<std::uint32_t, int>> skills;  // sorted by skill id
  std::vector<AgentQueue> queues;
  detail::SmallVec<Slot, 2> work;  // inline: read on every agent change (computeState)
  std::vector<WrapInfo> wraps;     // one per WrapUp slot in `work`
  int consecutive_timeouts = 0;
  std::vector<std::pair<std::uint32_t, std::string>> attrs;  // sorted by key id
  AgentId id;
  TenantId tenant_id;
  std::string reason;

  int skill(std::uint32_t s) const {
    auto it = std::lower_bound(skills.begin(), skills.end(), s,
                               [](const auto& p, std::uint32_t v) { return p.first < v; });
    return it != skills.end() && it->first == s ? it->second : 0;
  }
};

struct StepRule {
  std::vector<Req> reqs;
  std::shared_ptr<const Expression> expr;
};

// Dense per-queue mirror of what an agent-available pick and the open-count bookkeeping read,
// so that visiting an agent's ~10 queues touches one small record each (in cache) instead of
// the QueueRec and the first node of its waiting set. Kept in sync by Impl::syncHead() after
// every change of the waiting set and by upsertQueue() for the copied spec fields.
struct alignas(64) QueueHot {    // one cache line per queue
  WaitKey head{};                // copy of *waiting.begin() when has_head
  double weight = 1;             // spec.weight
  double aging_rate = 0;         // spec.aging_rate
  std::uint32_t open_count = 0;  // candidates routable with spare capacity now
  bool has_head = false;
  bool trivial_base_expr = true;  // rules[0] has no (or an always-true) expression
};

struct QueueRec {
  detail::SortedRing<WaitKey> waiting;
  Strategy strategy = Strategy::LongestIdle;  // copy of spec.strategy (hot)
  QueueSpec spec;
  std::uint32_t tenant = 0;
  bool alive = false;
  std::vector<StepRule> rules;  // [0] base, [i] after escalation step i
  std::unordered_map<AgentId, QueueMember> members;
  std::unordered_map<AgentId, std::uint32_t> added;  // escalation add_agents -> first step
  std::vector<Cand> cands;                           // sorted by (penalty, position, agent id)
  std::uint32_t channel_mask = 0;
  // (position, agent index) of the last offer; the record keeps its id even if removed.
  std::optional<std::pair<int, std::uint32_t>> rr_last;
};

enum class Phase : std::uint8_t { Waiting, Offered, Active };

// Hot fields first, with the id in the same (first) cache line: an id lookup confirms the
// match against `id` and then reads phase/agent/queue without a second miss.
struct alignas(64) IxRec {
  bool alive = false;
  bool in_sets = false;
  Phase phase = Phase::Waiting;
  Channel ch = Channel::Voice;
  std::uint32_t tenant = 0;
  std::uint32_t queue = kNone;
  std::uint32_t step = 0;
  int priority = 0;
  std::uint32_t agent = kNone;
  MonoTime enq{};
  InteractionId id;
  std::uint64_t seq = 0;
  std::vector<Req> own;
  std::vector<std::uint64_t> offers;
  std::vector<std::pair<std::uint32_t, MonoTime>> skips;
  std::vector<std::uint32_t> extra;
  std::vector<std::pair<std::uint32_t, std::string>> attrs;
  std::uint64_t active_res = 0;
  MonoTime answered{};
  Duration wrap{};
  Duration sl{};
  Duration short_abandon{};
  TenantId tenant_id;
  QueueId queue_id;
};

struct ResRec {
  std::uint32_t ix;
  std::uint32_t agent;
  std::uint32_t queue;
  MonoTime deadline;
};

enum class TimerKind : std::uint8_t { Reservation, WrapUp, Escalation, MaxWait, RingNext, SkipEnd };
struct Timer {
  MonoTime at;
  TimerKind kind;
  std::uint32_t idx;
  std::uint64_t token;
  bool operator>(const Timer& o) const {
    if (at != o.at) return at > o.at;
    if (kind != o.kind) return kind > o.kind;
    if (idx != o.idx) return idx > o.idx;
    return token > o.token;
  }
};

// Filled while the agent's record is hot in cache, so strategies never touch it again
// (except for the agent-id tie-break).
struct Eligible {
  std::uint32_t agent;
  int penalty;
  int position;
  double weight;
  std::uint32_t queue;
  double score = 0;
  MonoTime idle{};
  double metric = 0;  // today (fewest), talk seconds (least-talk) or proficiency (best-skill)
};

}  // namespace

struct Engine::Impl {
  explicit Impl(EngineConfig c) : cfg(c), rng(c.seed ^ 0x9E3779B97F4A7C15ULL) {}

  EngineConfig cfg;
  NameTable names;    // skills and attribute keys
  NameTable tenants;  // tenant ids
  std::vector<AgentRec> agents;
  std::vector<AgentHot> hot;  // parallel to agents
  std::vector<std::uint32_t>
      marks;  // parallel to agents: dedupe across entry + overflow queues in one scan
  bool id_ranks_dirty = false;
  std::unordered_map<AgentId, std::uint32_t> agent_index;
  std::vector<QueueRec> queues;
  std::vector<QueueHot> qhot;  // parallel to queues
  // Queue id -> index into queues (never shrinks: a removed queue keeps its slot, alive=false).
  detail::HashIndex queue_index;
  std::optional<std::uint32_t> queueFind(const QueueId& id) const {
    std::size_t pos = queue_index.find(std::hash<std::string>{}(id.value()),
                                       [&](std::uint32_t v) { return queues[v].spec.id == id; });
    if (pos == detail::HashIndex::kNpos) return std::nullopt;
    return queue_index.value(pos);
  }
  std::vector<IxRec> ixs;
  // Parallel to ixs: seq while the interaction is alive and not yet answered, else 0. Exactly the
  // condition under which its escalation / max-wait / ring / skip timers (token = seq) are live,
  // kept dense (8 bytes per slot) so that timer compaction need not read the records.
  std::vector<std::uint64_t> ix_gen;
  std::vector<std::uint32_t> free_ixs;
  // Interaction id -> index into ixs (the id itself is stored once, in the IxRec).
  detail::HashIndex ix_index;
  detail::U64Map<ResRec> res;
  std::uint64_t next_res = 1;
  std::uint64_t next_seq = 1;
  std::vector<std::vector<std::uint32_t>> tenant_agents;
  std::vector<std::vector<std::uint32_t>> tenant_queues;
  // Lazy-deletion min-heap (same algorithm as std::priority_queue) that drops its stale
  // entries when it has grown well past the live work: see compactTimers().
  //
  // Most timers are "now + a per-queue constant" (reservation timeouts, max-wait): those go to a
  // FIFO lane per (kind, duration), where they arrive already in order, so a push is an append
  // instead of a sift-up through a heap of ~10^5 entries. A timer that would not keep its lane
  // sorted (a caller's clock going backwards, an overflowed interaction's original enqueue
  // time) goes to the heap. top() is the least of the heap top and the lane fronts under the
  // same total order, so timers fire in exactly the order of one heap.
  struct TimerLane {
    TimerKind kind;
    Duration after;
    std::vector<Timer> q;  // sorted; [head, size) pending
    std::size_t head = 0;
  };
  static constexpr std::size_t kMaxLanes = 8;
  struct TimerHeap {
    std::vector<Timer> v;
    std::vector<TimerLane> lanes;
    std::size_t in_lanes = 0;
    std::size_t compact_at = 65536;
    bool empty() const { return v.empty() && in_lanes == 0; }
    std::size_t size() const { return v.size() + in_lanes; }
    // Lane index holding the least timer, or kMaxLanes for the heap. Requires !empty().
    std::size_t least() const {
      std::size_t src = kMaxLanes;
      const Timer* best = v.empty() ? nullptr : &v.front();
      for (std::size_t l = 0; l < lanes.size(); ++l) {
        const TimerLane& ln = lanes[l];
        if (ln.head == ln.q.size()) continue;
        if (best == nullptr || *best > ln.q[ln.head]) {
          best = &ln.q[ln.head];
          src = l;
        }
      }
      return src;
    }
    const Timer& top() const {
      const std::size_t src = least();
      return src == kMaxLanes ? v.front() : lanes[src].q[lanes[src].head];
    }
    void pop() {
      const std::size_t src = least();
      if (src == kMaxLanes) {
        std::pop_heap(v.begin(), v.end(), std::greater<Timer>());
        v.pop_back();
        return;
      }
      TimerLane& ln = lanes[src];
      --in_lanes;
      if (++ln.head == ln.q.size()) {
        ln.q.clear();
        ln.head = 0;
      } else if (ln.head >= 4096 && ln.head * 2 >= ln.q.size()) {
        ln.q.erase(ln.q.begin(), ln.q.begin() + static_cast<std::ptrdiff_t>(ln.head));
        ln.head = 0;
      }
    }
    // t.at == (the caller's now) + after.
    void pushAfter(const Timer& t, Duration after) {
      for (TimerLane& ln : lanes) {
        if (ln.kind != t.kind || ln.after != after) continue;
        if (ln.head < ln.q.size() && ln.q.back() > t) break;  // would not stay sorted
        ln.q.push_back(t);
        ++in_lanes;
        return;
      }
      if (lanes.size() < kMaxLanes &&
          std::none_of(lanes.begin(), lanes.end(), [&](const TimerLane& ln) {
            return ln.kind == t.kind && ln.after == after;
          })) {
        lanes.push_back(TimerLane{t.kind, after, {t}, 0});
        ++in_lanes;
        return;
      }
      pushRaw(t);
    }
    void pushRaw(const Timer& t) {
      // The sift-up path is known in advance: fetch the lower ancestors (the top levels stay
      // cached) together instead of one miss per level.
      for (std::size_t i = v.size(), k = 0; i > 0 && k < 6; ++k) {
        i = (i - 1) / 2;
        __builtin_prefetch(&v[i]);
      }
      v.push_back(t);
      std::push_heap(v.begin(), v.end(), std::greater<Timer>());
    }
  };
  TimerHeap timers;
  EngineStats stats;
  // Bounded why history: a ring of the newest cfg.why_history records (cheap on the hot path;
  // why() scans it, which is fine for an occasional query).
  std::vector<std::pair<InteractionId, WhyPtr>> why_ring;
  std::size_t why_next = 0;
  std::uint64_t rng;
  std::uint32_t epoch = 0;
  std::vector<Eligible> scratch_elig;
  std::vector<CandidateNote> scratch_notes;
  std::vector<CandidateNote> scratch_lower;
  std::vector<std::size_t> scratch_winners;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> scratch_picks;
  std::vector<std::uint32_t> scratch_first;
  std::vector<std::uint32_t> scratch_tier;
  std::vector<double> scratch_first_scores;

  // ---- small helpers ----
  static std::uint64_t idHash(const InteractionId& id) {
    return std::hash<std::string>{}(id.value());
  }
  // Position of the live interaction `id` in ix_index, or HashIndex::kNpos.
  std::size_t ixFind(const InteractionId& id, std::uint64_t h) const {
    return ix_index.find(h, [&](std::uint32_t v) { return ixs[v].id == id; });
  }
  std::size_t ixFind(const InteractionId& id) const { return ixFind(id, idHash(id)); }

  std::uint64_t nextRandom() {
    // splitmix64: deterministic for a given EngineConfig::seed.
    std::uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::uint32_t tenantIndex(const TenantId& t) {
    auto id = tenants.intern(t.value());
    if (tenant_agents.size() <= id) {
      tenant_agents.resize(id + 1);
      tenant_queues.resize(id + 1);
    }
    return id;
  }

  struct Ctx final : AttributeSource {
    const Impl* im;
    const AgentRec* a;
    const IxRec* x;
    std::optional<std::string_view> agentAttribute(std::uint32_t key) const override {
      auto it = std::lower_bound(a->attrs.begin(), a->attrs.end(), key,
                                 [](const auto& p, std::uint32_t v) { return p.first < v; });
      if (it == a->attrs.end() || it->first != key) return std::nullopt;
      return std::string_view(it->second);
    }
    std::optional<std::string_view> interactionAttribute(std::uint32_t key) const override {
      if (x == nullptr) return std::nullopt;
      auto it = std::lower_bound(x->attrs.begin(), x->attrs.end(), key,
                                 [](const auto& p, std::uint32_t v) { return p.first < v; });
      if (it == x->attrs.end() || it->first != key) return std::nullopt;
      return std::string_view(it->second);
    }
    int agentSkill(std::uint32_t skill) const override { return a->skill(skill); }
    int agentSkillByName(std::string_view skill) const override {
      auto id = im->names.find(skill);
      return id ? a->skill(*id) : 0;
    }
  };

  static bool fits(const AgentRec& a, Channel ch) {
    std::size_t c = ci(ch);
    if (a.count[c] + 1 > a.cap.max_per_channel[c]) return false;
    if (a.cap.total_units > 0 && a.used_units + a.cap.unit_cost[c] > a.cap.total_units)
      return false;
    if (a.cap.voice_blocks_others) {
      if (ch == Channel::Voice) {
        if (a.total_count > 0) return false;
      } else if (a.count[ci(Channel::Voice)] > 0) {
        return false;
      }
    }
    return true;
  }

  static void addLoad(AgentRec& a, Channel ch, int sign) {
    a.count[ci(ch)] += sign;
    a.total_count += sign;
    a.used_units += sign * a.cap.unit_cost[ci(ch)];
  }

  static AgentState computeState(const AgentRec& a) {
    if (a.requested == AgentState::Offline) return AgentState::Offline;
    bool active = false, reserved = false, wrap = false;
    for (const Slot& s : a.work) {
      active |= s.kind == SlotKind::Active;
      reserved |= s.kind == SlotKind::Reserved;
      wrap |= s.kind == SlotKind::WrapUp;
    }
    if (active) return AgentState::Busy;
    if (reserved) return AgentState::Reserved;
    if (wrap) return AgentState::WrapUp;
    return a.requested;
  }

  static bool routable(const AgentRec& a) {
    return a.alive && a.requested == AgentState::Available && a.presence == Presence::Available &&
           a.reachable && a.state != AgentState::WrapUp && a.state != AgentState::Offline;
  }

  static bool computeOpen(const AgentRec& a) {
    if (!routable(a)) return false;
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      if (a.cap.max_per_channel[c] > 0 && fits(a, static_cast<Channel>(c))) return true;
    }
    return false;
  }

  // The only place agent state changes. Returns whether the agent can take more work.
  bool refreshAgent(std::uint32_t ai, Output& out, std::string_view reason = {}) {
    AgentRec& a = agents[ai];
    AgentState ns = computeState(a);
    if (ns != a.state) {
      std::string why_text(reason);
      if (why_text.empty() && ns == AgentState::Break) why_text = a.reason;
      out.decisions.emplace_back(AgentStateChanged{a.id, a.state, ns, std::move(why_text)});
      a.state = ns;
    }
    bool o = computeOpen(a);
    if (o != a.open) {
      a.open = o;
      for (const AgentQueue& aq : a.queues) {
        if (o)
          ++qhot[aq.queue].open_count;
        else
          --qhot[aq.queue].open_count;
      }
    }
    syncHot(ai);
    return o;
  }

  // Every mutation of an agent ends in refreshAgent(), which calls this.
  void syncHot(std::uint32_t ai) {
    const AgentRec& a = agents[ai];
    AgentHot& h = hot[ai];
    h.last_idle = a.last_idle;
    h.today = a.today;
    h.talk_s = seconds(a.talk);
    h.tenant = a.tenant < AgentHot::kBigTenant ? static_cast<std::uint16_t>(a.tenant)
                                               : AgentHot::kBigTenant;
    h.open = a.open;
    std::uint8_t mask = 0;
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      if (fits(a, static_cast<Channel>(c))) mask |= static_cast<std::uint8_t>(1u << c);
    }
    h.fit_mask = mask;
  }

  void event(SegmentKind kind, const IxRec& x, const AgentRec* a, MonoTime now, Output& out,
             std::string detail = {}) {
    // Built in place: moving a finished SegmentEvent in would copy its five strings again.
    SegmentEvent& e = out.events.emplace_back();
    e.kind = kind;
    e.at = now;
    e.tenant = x.tenant_id;
    e.queue = x.queue_id;
    e.interaction = x.id;
    if (a != nullptr) e.agent = a->id;
    e.channel = x.ch;
    e.enqueued_at = x.enq;
    e.service_level_threshold = x.sl;
    e.short_abandon_threshold = x.short_abandon;
    e.detail = std::move(detail);
  }

  // Writes a why record's candidate notes over those of the recycled record (freshWhy() leaves
  // them): assigning an agent id into an existing note reuses its string, where clearing the
  // vector and appending destroyed and rebuilt every note. finish() drops the leftovers.
  class NoteWriter {
   public:
    explicit NoteWriter(std::vector<CandidateNote>& v) : v_(v) {}
    std::size_t size() const { return n_; }
    void add(const AgentId& agent, Exclusion e, double score) {
      if (n_ < v_.size()) {
        CandidateNote& c = v_[n_];
        c.agent = agent;
        c.excluded = e;
        c.score = score;
      } else {
        v_.push_back({agent, e, score});
      }
      ++n_;
    }
    void add(CandidateNote&& note) {
      if (n_ < v_.size())
        v_[n_] = std::move(note);
      else
        v_.push_back(std::move(note));
      ++n_;
    }
    void finish() { v_.resize(n_); }

   private:
    std::vector<CandidateNote>& v_;
    std::size_t n_ = 0;
  };

  // A Why to fill for a new decision. Recycles the record the ring is about to overwrite when
  // nobody outside the engine still holds it (use_count 1: only the ring), so a steady stream
  // of decisions allocates no why records; its candidate vector keeps its capacity and its
  // notes, which the caller overwrites through a NoteWriter. The record was created non-const
  // by make_shared, and the ring held the only reference, so writing it is safe. Otherwise
  // (ring still filling, or a caller kept the Offer) a new one is made.
  std::shared_ptr<Why> freshWhy() {
    if (cfg.why_history != 0 && why_ring.size() == cfg.why_history) {
      WhyPtr& slot = why_ring[why_next].second;
      if (slot && slot.use_count() == 1) {
        auto w = std::const_pointer_cast<Why>(slot);
        w->step = 0;
        w->considered = 0;
        w->eligible = 0;
        w->interactions_compared = 0;
        w->winning_score = 0;
        return w;
      }
    }
    return std::make_shared<Why>();
  }

  void storeWhy(const InteractionId& id, WhyPtr w) {
    if (cfg.why_history == 0) return;
    if (why_ring.size() < cfg.why_history) {
      why_ring.emplace_back(id, std::move(w));
      return;
    }
    why_ring[why_next] = {id, std::move(w)};
    why_next = (why_next + 1) % why_ring.size();
    // The next decision recycles the record in this slot (freshWhy): start fetching it now.
    const auto& next = why_ring[why_next];
    __builtin_prefetch(&next);
    if (const Why* nw = next.second.get()) {
      __builtin_prefetch(nw);
      __builtin_prefetch(reinterpret_cast<const char*>(nw) + 64);
    }
  }

  WaitKey keyFor(const IxRec& x, std::uint32_t xi, const QueueRec& q) const {
    const QueueRec& entry = queues[x.queue];
    bool simple = x.own.empty() && x.skips.empty() && !isRing(entry.strategy) &&
                  (&q != &entry || q.spec.escalation.empty());
    auto flags = static_cast<std::uint8_t>(static_cast<std::uint8_t>(x.ch) |
                                           (simple ? WaitKey::kSimple : 0));
    return WaitKey{static_cast<double>(x.priority) - q.spec.aging_rate * epochSeconds(x.enq),
                   x.enq.time_since_epoch().count(), x.seq, xi, flags};
  }

  // Recomputes AgentHot::id_rank (the order of agent ids, over every record ever created,
  // removed ones included) after agents were added; only additions dirty it.
  void ensureIdRanks() {
    if (!id_ranks_dirty) return;
    id_ranks_dirty = false;
    std::vector<std::uint32_t> order(agents.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t l, std::uint32_t r) { return agents[l].id < agents[r].id; });
    // Dense ranks: records with equal ids (a removed agent and its re-added successor) tie,
    // exactly as the strings would.
    std::uint32_t rank = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (k > 0 && agents[order[k - 1]].id != agents[order[k]].id) ++rank;
      hot[order[k]].id_rank = rank;
    }
  }

  void syncHead(std::uint32_t qi) {
    const detail::SortedRing<WaitKey>& w = queues[qi].waiting;
    QueueHot& h = qhot[qi];
    h.has_head = !w.empty();
    if (h.has_head) h.head = w.front();
  }

  void insertSets(std::uint32_t xi) {
    IxRec& x = ixs[xi];
    if (x.in_sets) return;
    x.in_sets = true;
    queues[x.queue].waiting.insert(keyFor(x, xi, queues[x.queue]));
    syncHead(x.queue);
    for (std::uint32_t q : x.extra) {
      queues[q].waiting.insert(keyFor(x, xi, queues[q]));
      syncHead(q);
    }
    ++stats.waiting;
  }

  using WaitIt = detail::SortedRing<WaitKey>::const_iterator;
  // `hint`, when hint_q != kNone, is xi's entry in queues[hint_q].waiting (saves the descent).
  void removeSets(std::uint32_t xi, std::uint32_t hint_q = kNone, WaitIt hint = {}) {
    IxRec& x = ixs[xi];
    if (!x.in_sets) return;
    x.in_sets = false;
    auto eraseFrom = [&](std::uint32_t q) {
      if (q == hint_q)
        queues[q].waiting.erase(hint);
      else
        queues[q].waiting.erase(keyFor(x, xi, queues[q]));
      syncHead(q);
    };
    eraseFrom(x.queue);
    for (std::uint32_t q : x.extra) eraseFrom(q);
    --stats.waiting;
  }

  // ---- eligibility ----
  Exclusion qualifies(std::uint32_t ai, const AgentRec& a, std::uint32_t min_step, const IxRec& x,
                      const QueueRec& q, std::uint32_t step, MonoTime now) const {
    if (a.requested != AgentState::Available || a.state == AgentState::WrapUp ||
        a.state == AgentState::Offline || !a.alive)
      return Exclusion::NotRoutable;
    if (a.presence != Presence::Available) return Exclusion::PresenceNotAvailable;
    if (!a.reachable) return Exclusion::Unreachable;
    return qualifiesOpen(ai, a, min_step, x, q, step, now);
  }

  // qualifies() for an agent already known to be open (routable with some spare capacity).
  Exclusion qualifiesOpen(std::uint32_t ai, const AgentRec& a, std::uint32_t min_step,
                          const IxRec& x, const QueueRec& q, std::uint32_t step,
                          MonoTime now) const {
    // Candidates come from per-tenant lists; a mismatch would be an engine bug, never routed.
    if (a.tenant != x.tenant) return Exclusion::NotRoutable;
    if (min_step > step) return Exclusion::NotYetEscalated;
    if (!fits(a, x.ch)) return Exclusion::NoCapacity;
    for (const Req& r : x.own) {
      if (a.skill(r.skill) < r.min) return Exclusion::MissingSkill;
    }
    for (std::uint64_t r : x.offers) {
      const ResRec* rr = res.find(r);
      if (rr != nullptr && rr->agent == ai) return Exclusion::AlreadyOffered;
    }
    for (const auto& [ag, until] : x.skips) {
      if (ag == ai && until > now) return Exclusion::Skipped;
    }
    const StepRule& rule = q.rules[std::min<std::size_t>(step, q.rules.size() - 1)];
    if (rule.expr && !rule.expr->alwaysTrue()) {
      Ctx ctx;
      ctx.im = this;
      ctx.a = &a;
      ctx.x = &x;
      if (!rule.expr->evaluate(ctx)) return Exclusion::ExpressionFalse;
    }
    return Exclusion::None;
  }

  int proficiency(const AgentRec& a, const IxRec& x, const QueueRec& q, std::uint32_t step) const {
    int sum = 0;
    for (const Req& r : q.rules[std::min<std::size_t>(step, q.rules.size() - 1)].reqs)
      sum += a.skill(r.skill);
    for (const Req& r : x.own) sum += a.skill(r.skill);
    return sum;
  }

  // ---- candidates ----
  std::optional<Cand> candidateFor(const QueueRec& q, std::uint32_t ai) const {
    const AgentRec& a = agents[ai];
    if (!a.alive || a.tenant != q.tenant) return std::nullopt;
    bool handles = false;
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      if ((q.channel_mask & (1u << c)) != 0 && a.cap.max_per_channel[c] > 0) handles = true;
    }
    if (!handles) return std::nullopt;
    Cand c{ai, 0, 0, 1.0, kNone};
    bool member = q.members.empty();
    if (auto it = q.members.find(a.id); it != q.members.end()) {
      member = true;
      c.penalty = it->second.penalty;
      c.position = it->second.position;
      c.weight = it->second.weight;
    }
    if (member) {
      for (std::uint32_t s = 0; s < q.rules.size(); ++s) {
        bool ok = true;
        for (const Req& r : q.rules[s].reqs) {
          if (a.skill(r.skill) < r.min) {
            ok = false;
            break;
          }
        }
        if (ok) {
          c.min_step = s;
          break;
        }
      }
    }
    // Agents named by an escalation step are eligible from that step regardless of skills.
    if (auto it = q.added.find(a.id); it != q.added.end())
      c.min_step = std::min(c.min_step, it->second);
    if (c.min_step == kNone) return std::nullopt;
    for (const Req& r : q.rules[0].reqs) c.prof0 += a.skill(r.skill);
    return c;
  }

  bool candLess(const Cand& l, const Cand& r) const {
    if (l.penalty != r.penalty) return l.penalty < r.penalty;
    if (l.position != r.position) return l.position < r.position;
    return agents[l.agent].id < agents[r.agent].id;
  }

  void detachCandidate(std::uint32_t qi, std::uint32_t ai) {
    QueueRec& q = queues[qi];
    AgentRec& a = agents[ai];
    auto it =
        std::find_if(q.cands.begin(), q.cands.end(), [&](const Cand& c) { return c.agent == ai; });
    if (it == q.cands.end()) return;
    q.cands.erase(it);
    if (a.open) --qhot[qi].open_count;
    std::erase_if(a.queues, [&](const AgentQueue& aq) { return aq.queue == qi; });
  }

  void attachCandidate(std::uint32_t qi, const Cand& c, bool sorted_insert) {
    QueueRec& q = queues[qi];
    AgentRec& a = agents[c.agent];
    if (sorted_insert) {
      auto pos = std::lower_bound(q.cands.begin(), q.cands.end(), c,
                                  [&](const Cand& l, const Cand& r) { return candLess(l, r); });
      q.cands.insert(pos, c);
    } else {
      q.cands.push_back(c);
    }
    if (a.open) ++qhot[qi].open_count;
    a.queues.push_back({qi, c.min_step, c.position});
  }

  void rebuildCandidates(std::uint32_t qi) {
    QueueRec& q = queues[qi];
    for (const Cand& c : q.cands) {
      std::erase_if(agents[c.agent].queues, [&](const AgentQueue& aq) { return aq.queue == qi; });
    }
    q.cands.clear();
    qhot[qi].open_count = 0;
    if (!q.alive) return;
    for (std::uint32_t ai : tenant_agents[q.tenant]) {
      if (auto c = candidateFor(q, ai)) attachCandidate(qi, *c, false);
    }
    std::sort(q.cands.begin(), q.cands.end(),
              [&](const Cand& l, const Cand& r) { return candLess(l, r); });
  }

  void refreshAgentQueues(std::uint32_t ai) {
    AgentRec& a = agents[ai];
    for (std::uint32_t qi : tenant_queues[a.tenant]) {
      if (!queues[qi].alive) continue;
      detachCandidate(qi, ai);
      if (auto c = candidateFor(queues[qi], ai)) attachCandidate(qi, *c, true);
    }
  }

  // ---- offers ----
  void makeOffer(std::uint32_t xi, std::uint32_t ai, std::uint32_t qi, WhyPtr w, MonoTime now,
                 Output& out, std::uint32_t hint_q = kNone, WaitIt hint = {}) {
    IxRec& x = ixs[xi];
    AgentRec& a = agents[ai];
    const QueueRec& entry = queues[x.queue];
    std::uint64_t r = next_res++;
    MonoTime deadline = now + entry.spec.reservation_timeout;
    res.emplace(r, ResRec{xi, ai, qi, deadline});
    a.work.push_back(Slot{SlotKind::Reserved, x.ch, xi, r, deadline});
    addLoad(a, x.ch, +1);
    x.offers.push_back(r);
    if (!isRing(entry.spec.strategy)) removeSets(xi, hint_q, hint);
    x.phase = Phase::Offered;
    pushTimerAfter(Timer{deadline, TimerKind::Reservation, ai, r}, entry.spec.reservation_timeout);
    event(SegmentKind::Offer, x, &a, now, out);
    storeWhy(x.id, w);
    out.decisions.emplace_back(
        Offer{ReservationId(r), x.id, a.id, queues[qi].spec.id, x.ch, deadline, std::move(w)});
    ++stats.offers;
    refreshAgent(ai, out);
  }

  // Removes reservation r from the books (agent slot, interaction offers). Does not requeue.
  ResRec dropReservation(std::uint64_t r) {
    ResRec rr = *res.find(r);
    res.erase(r);
    AgentRec& a = agents[rr.agent];
    auto sit = std::find_if(a.work.begin(), a.work.end(), [&](const Slot& s) {
      return s.kind == SlotKind::Reserved && s.res == r;
    });
    if (sit != a.work.end()) {
      addLoad(a, sit->ch, -1);
      a.work.erase(sit);
    }
    std::erase(ixs[rr.ix].offers, r);
    return rr;
  }

  static const char* rescindText(RescindReason r) {
    switch (r) {
      case RescindReason::Abandoned:
        return "abandoned";
      case RescindReason::AnotherAccepted:
        return "another-accepted";
      case RescindReason::AgentLoggedOut:
        return "agent-not-available";
      case RescindReason::QueueRemoved:
        return "queue-removed";
      case RescindReason::TimedOut:
        return "queue-timeout";
      case RescindReason::Reconciled:
        return "reconciled";
    }
    return "";
  }

  // Rescinds every outstanding offer of interaction xi; returns the agents freed.
  void rescindAll(std::uint32_t xi, RescindReason reason, MonoTime now, Output& out,
                  std::vector<std::uint32_t>& freed) {
    std::vector<std::uint64_t> offers = ixs[xi].offers;
    for (std::uint64_t r : offers) {
      ResRec rr = dropReservation(r);
      const IxRec& x = ixs[xi];
      out.decisions.emplace_back(Rescind{ReservationId(r), x.id, agents[rr.agent].id, reason});
      event(SegmentKind::Rescind, x, &agents[rr.agent], now, out, rescindText(reason));
      ++stats.rescinds;
      refreshAgent(rr.agent, out);
      freed.push_back(rr.agent);
    }
  }

  void requeue(std::uint32_t xi) {
    IxRec& x = ixs[xi];
    if (x.phase == Phase::Active) return;
    if (x.offers.empty()) x.phase = Phase::Waiting;
    if (x.phase == Phase::Waiting || isRing(queues[x.queue].spec.strategy)) insertSets(xi);
  }

  void finish(std::uint32_t xi, FinishReason reason, Output& out) {
    finish(xi, reason, out, ixFind(ixs[xi].id));
  }

  // `pos` is ixs[xi]'s entry in ix_index (saves a second hash lookup when the caller has it).
  void finish(std::uint32_t xi, FinishReason reason, Output& out, std::size_t pos) {
    IxRec& x = ixs[xi];
    removeSets(xi);
    out.decisions.emplace_back(InteractionFinished{x.id, x.queue_id, reason});
    ++stats.finished;
    ix_index.erase(pos);
    // Reset but keep vector capacity for the next interaction using this slot.
    x.alive = false;
    ix_gen[xi] = 0;
    x.in_sets = false;
    x.phase = Phase::Waiting;
    x.agent = kNone;
    x.step = 0;
    x.seq = 0;
    x.active_res = 0;
    x.own.clear();
    x.offers.clear();
    x.skips.clear();
    x.extra.clear();
    // x.attrs is left for enqueue() to overwrite (internAttrs clears it): freeing its strings
    // here would only add a cache miss to complete().
    free_ixs.push_back(xi);
    --stats.interactions;
  }

  // What tightScan() found: the eligible count over all tiers, the size of the first tier, and
  // that tier's winner with its position in the tier (candidate order).
  struct TightPick {
    std::uint32_t n_all = 0;
    std::uint32_t tier_n = 0;
    std::uint32_t agent = kNone;
    std::size_t pos = 0;
    double metric = 0;  // St's score of the winner (longest-idle: unused)
  };

  // The single pass's candidate loop for one key-based strategy (longest-idle, fewest-
  // interactions, least-talk-time, best-skill at step 0), without the why-record bookkeeping:
  // compiled per strategy, so the loop keeps its state in registers and reads only the Cand and
  // the AgentHot. Same comparisons, in the same order, as the general loop of
  // dispatchSinglePass(). Returns false (the caller runs the general loop) when an open
  // candidate is not known to share the tenant.
  template <Strategy St>
  bool tightScan(const Cand* cbeg, std::size_t ncand, std::uint32_t tenant, std::uint32_t step,
                 unsigned ch_bit, TightPick& r) const {
    constexpr std::size_t kAhead = 12;
    constexpr std::size_t kCandAhead = 3 * kAhead;
    for (std::size_t k = 0; k < std::min(kCandAhead, ncand); k += 2) __builtin_prefetch(&cbeg[k]);
    for (std::size_t k = 0; k < std::min(kAhead, ncand); ++k)
      __builtin_prefetch(&hot[cbeg[k].agent]);
    std::uint32_t n_all = 0, tier_n = 0, best = kNone, best_rank = 0;
    std::int64_t best_idle = 0;
    double best_metric = 0;
    std::size_t best_pos = 0;
    int tier = 0;
    for (std::size_t k = 0; k < ncand; ++k) {
      if (k + kAhead < ncand) {
        __builtin_prefetch(&cbeg[k + kCandAhead]);  // prefetch never faults, even past the end
        __builtin_prefetch(&hot[cbeg[k + kAhead].agent]);
      }
      const Cand& c = cbeg[k];
      const AgentHot& h = hot[c.agent];
      if (!h.open) continue;
      if (!h.sameTenant(tenant)) return false;
      if (c.min_step > step || (h.fit_mask & ch_bit) == 0u) continue;
      ++n_all;
      if (tier_n == 0)
        tier = c.penalty;
      else if (c.penalty != tier)
        continue;
      const std::int64_t idle = h.last_idle.time_since_epoch().count();
      double metric = 0;
      if constexpr (St == Strategy::FewestInteractions)
        metric = static_cast<double>(h.today);
      else if constexpr (St == Strategy::LeastTalkTime)
        metric = h.talk_s;
      else if constexpr (St == Strategy::BestSkill)
        metric = c.prof0;
      bool take = tier_n == 0;
      if (!take) {
        const bool idle_first = idle < best_idle || (idle == best_idle && h.id_rank < best_rank);
        if constexpr (St == Strategy::LongestIdle)
          take = idle_first;
        else if (metric != best_metric)
          take = St == Strategy::BestSkill ? metric > best_metric : metric < best_metric;
        else
          take = idle_first;
      }
      if (take) {
        best = c.agent;
        best_idle = idle;
        best_rank = h.id_rank;
        best_metric = metric;
        best_pos = tier_n;
      }
      ++tier_n;
    }
    r = TightPick{n_all, tier_n, best, best_pos, best_metric};
    return true;
  }

  // dispatchInteraction() for the common case, in one pass and without the Eligible list:
  // one queue (no overflows), an interaction with no own skills, offers or skips, a trivial
  // expression, and a strategy that offers to one agent (longest-idle, fewest-interactions,
  // least-talk-time, best-skill, round-robin memory/ordered, random). The queue's candidates are
  // sorted by penalty, so the first eligible one fixes the tier; the winner, the counts and the why
  // record are exactly those of the general path (the property tests compare nothing else).
  bool dispatchSinglePass(std::uint32_t xi, MonoTime now, Output& out, std::string_view trigger) {
    IxRec& x = ixs[xi];
    QueueRec& q = queues[x.queue];
    const std::uint32_t qi = x.queue;
    const Strategy st = q.spec.strategy;
    if (!q.alive || qhot[qi].open_count == 0) return false;
    ensureIdRanks();
    const std::uint32_t step = x.step;
    const std::size_t max_notes = cfg.why_candidates;
    auto& notes = scratch_notes;
    auto& lower = scratch_lower;
    notes.clear();
    lower.clear();
    struct Pick {
      std::uint32_t agent;
      MonoTime idle;
      double score;
    };
    auto& first = scratch_first;  // the first why_candidates eligible agents of the tier
    first.clear();
    scratch_first_scores.clear();
    std::uint32_t considered = 0, n_all = 0;
    int tier = 0;
    bool have = false;
    Pick best{};
    std::size_t best_pos = 0, tier_n = 0;
    const unsigned ch_bit = 1u << ci(x.ch);
    auto& tier_agents = scratch_tier;  // random: every agent of the tier, in candidate order
    tier_agents.clear();
    const bool rr = st == Strategy::RoundRobinMemory || st == Strategy::RoundRobinOrdered;
    const bool rr_ordered = st == Strategy::RoundRobinOrdered;
    const bool rr_has_last = q.rr_last.has_value();
    const std::pair<int, std::uint32_t> rr_last_key =
        rr_has_last ? std::pair<int, std::uint32_t>(rr_ordered ? q.rr_last->first : 0,
                                                    hot[q.rr_last->second].id_rank)
                    : std::pair<int, std::uint32_t>{};
    std::pair<int, std::uint32_t> rr_first_key{}, rr_after_key{};
    std::pair<std::uint32_t, std::size_t> rr_first{}, rr_after{};
    bool rr_has_after = false;
    // The AgentHot loads are random (one per candidate) and independent: start them well ahead
    // of use so that several misses overlap instead of stalling one after another.
    const Cand* const cbeg = q.cands.data();
    const std::size_t ncand = q.cands.size();
    constexpr std::size_t kAhead = 12;
    // The candidate vector itself is usually cold too: stream it further ahead.
    constexpr std::size_t kCandAhead = 3 * kAhead;
    // Key-based strategies: a tight loop finds the winner and the counts; when the winner's tier
    // alone fills the why record's notes (the usual case), they are its first eligible agents and
    // a short prefix scan collects them. Otherwise the general loop below does it all.
    bool picked = false;
    if (!cfg.reference_scan && max_notes > 0 &&
        (st == Strategy::LongestIdle || st == Strategy::FewestInteractions ||
         st == Strategy::LeastTalkTime || (st == Strategy::BestSkill && step == 0))) {
      TightPick tp;
      bool ok = false;
      switch (st) {
        case Strategy::LongestIdle:
          ok = tightScan<Strategy::LongestIdle>(cbeg, ncand, x.tenant, step, ch_bit, tp);
          break;
        case Strategy::FewestInteractions:
          ok = tightScan<Strategy::FewestInteractions>(cbeg, ncand, x.tenant, step, ch_bit, tp);
          break;
        case Strategy::LeastTalkTime:
          ok = tightScan<Strategy::LeastTalkTime>(cbeg, ncand, x.tenant, step, ch_bit, tp);
          break;
        default:
          ok = tightScan<Strategy::BestSkill>(cbeg, ncand, x.tenant, step, ch_bit, tp);
          break;
      }
      if (ok && tp.tier_n >= max_notes) {
        prefetchRecord(&agents[tp.agent]);  // makeOffer reads it
        auto score = [&](const AgentHot& h, const Cand& c) {
          switch (st) {
            case Strategy::LongestIdle:
              return seconds(now - h.last_idle);
            case Strategy::FewestInteractions:
              return static_cast<double>(h.today);
            case Strategy::LeastTalkTime:
              return h.talk_s;
            default:
              return static_cast<double>(c.prof0);
          }
        };
        // The first eligible candidates all belong to the winner's tier (sorted by penalty).
        for (std::size_t k = 0; k < ncand && first.size() < max_notes; ++k) {
          const Cand& c = cbeg[k];
          const AgentHot& h = hot[c.agent];
          if (!h.open || c.min_step > step || (h.fit_mask & ch_bit) == 0u) continue;
          __builtin_prefetch(&agents[c.agent].id);  // read when the why record is written
          first.push_back(c.agent);
          scratch_first_scores.push_back(score(h, c));
        }
        const AgentHot& wh = hot[tp.agent];
        best = Pick{tp.agent, wh.last_idle,
                    st == Strategy::LongestIdle ? seconds(now - wh.last_idle) : tp.metric};
        best_pos = tp.pos;
        considered = static_cast<std::uint32_t>(ncand);
        n_all = tp.n_all;
        tier_n = tp.tier_n;
        picked = true;
      }
    }
    if (!picked) {
      for (std::size_t k = 0; k < std::min(kCandAhead, ncand); k += 2) __builtin_prefetch(&cbeg[k]);
      for (std::size_t k = 0; k < std::min(kAhead, ncand); ++k)
        __builtin_prefetch(&hot[cbeg[k].agent]);
    }
    for (std::size_t ci_ = 0; !picked && ci_ < ncand; ++ci_) {
      const Cand& c = cbeg[ci_];
      if (ci_ + kAhead < ncand) {
        __builtin_prefetch(&cbeg[ci_ + kCandAhead]);  // prefetch never faults, even past the end
        __builtin_prefetch(&hot[cbeg[ci_ + kAhead].agent]);
      }
      const AgentHot& h = hot[c.agent];
      ++considered;
      Exclusion e;
      if (!h.open) {
        if (notes.size() >= max_notes) continue;
        e = qualifies(c.agent, agents[c.agent], c.min_step, x, q, step, now);
      } else if (h.sameTenant(x.tenant)) {
        e = c.min_step > step             ? Exclusion::NotYetEscalated
            : (h.fit_mask & ch_bit) == 0u ? Exclusion::NoCapacity
                                          : Exclusion::None;
      } else {
        e = qualifiesOpen(c.agent, agents[c.agent], c.min_step, x, q, step, now);
      }
      if (e != Exclusion::None) {
        if (notes.size() < max_notes) notes.push_back({agents[c.agent].id, e, 0});
        continue;
      }
      ++n_all;
      if (!have) {
        tier = c.penalty;
        have = true;
      } else if (c.penalty != tier) {
        if (lower.size() < max_notes)
          lower.push_back(
              {agents[c.agent].id, Exclusion::LowerTier, static_cast<double>(c.penalty)});
        continue;
      }
      Pick p{c.agent, h.last_idle, 0};
      if (st == Strategy::LongestIdle)
        p.score = seconds(now - h.last_idle);
      else if (st == Strategy::FewestInteractions)
        p.score = static_cast<double>(h.today);
      else if (st == Strategy::LeastTalkTime)
        p.score = h.talk_s;
      else if (st == Strategy::BestSkill)
        p.score = step == 0 ? c.prof0 : proficiency(agents[c.agent], x, q, step);
      if (first.size() < max_notes) {
        __builtin_prefetch(&agents[p.agent].id);  // read when the why record is written
        first.push_back(p.agent);
        scratch_first_scores.push_back(p.score);
      }
      if (st == Strategy::Random) {
        tier_agents.push_back(c.agent);
      } else if (rr) {
        // Round robin: the smallest key after the last offered one, else the smallest key.
        const std::pair<int, std::uint32_t> k(rr_ordered ? c.position : 0, h.id_rank);
        if (tier_n == 0 || k < rr_first_key) {
          rr_first_key = k;
          rr_first = {c.agent, tier_n};
        }
        if (rr_has_last && rr_last_key < k && (!rr_has_after || k < rr_after_key)) {
          rr_has_after = true;
          rr_after_key = k;
          rr_after = {c.agent, tier_n};
        }
      } else if (tier_n == 0) {
        best = p;
        best_pos = 0;
      } else {
        bool take;
        const bool idle_first =
            p.idle < best.idle || (p.idle == best.idle && h.id_rank < hot[best.agent].id_rank);
        if (st == Strategy::LongestIdle)
          take = idle_first;
        else if (p.score != best.score)
          take = st == Strategy::BestSkill ? p.score > best.score : p.score < best.score;
        else
          take = idle_first;
        if (take) {
          best = p;
          best_pos = tier_n;
        }
      }
      ++tier_n;
    }
    if (tier_n == 0) return false;
    if (st != Strategy::Random && !rr && !picked)
      prefetchRecord(&agents[best.agent]);  // makeOffer reads it
    if (st == Strategy::Random) {
      best_pos = static_cast<std::size_t>(nextRandom() % tier_n);
      best.agent = tier_agents[best_pos];
    } else if (rr) {
      const auto& win = rr_has_after ? rr_after : rr_first;
      best.agent = win.first;
      best_pos = win.second;
    }

    std::string_view rule;
    switch (st) {
      case Strategy::Random:
        rule = "random: uniform (seeded) over eligible agents in candidate order";
        break;
      case Strategy::RoundRobinMemory:
        rule = "rrmemory: next after the last offered agent in agent id order, wrapping";
        break;
      case Strategy::RoundRobinOrdered:
        rule =
            "rrordered: next after the last offered agent in (position, agent id) order, wrapping";
        break;
      case Strategy::LongestIdle:
        rule = "longest-idle: earliest last_idle, then agent id";
        break;
      case Strategy::FewestInteractions:
        rule = "fewest-interactions: fewest accepted today, then earliest last_idle, then agent id";
        break;
      case Strategy::LeastTalkTime:
        rule = "least-talk-time: least talk time, then earliest last_idle, then agent id";
        break;
      default:
        rule =
            "best-skill: highest summed proficiency on required skills, then earliest last_idle, "
            "then agent id";
        break;
    }
    auto w = freshWhy();
    w->rule = rule;
    w->queue = q.spec.id;
    w->step = step;
    w->considered = considered;
    w->eligible = n_all;
    w->trigger = trigger;
    w->winning_score = best.score;
    NoteWriter nw(w->candidates);
    for (std::size_t i = 0; i < first.size() && nw.size() < max_notes; ++i) {
      nw.add(agents[first[i]].id, i == best_pos ? Exclusion::None : Exclusion::NotPicked,
             scratch_first_scores[i]);
    }
    for (auto& n : lower) {
      if (nw.size() >= max_notes) break;
      nw.add(std::move(n));
    }
    for (auto& n : notes) {
      if (nw.size() >= max_notes) break;
      nw.add(std::move(n));
    }
    nw.finish();
    if (rr) {
      int pos = 0;
      for (const AgentQueue& aq : agents[best.agent].queues) {
        if (aq.queue == qi) pos = aq.position;
      }
      q.rr_last = std::make_pair(pos, best.agent);
    }
    makeOffer(xi, best.agent, qi, std::move(w), now, out);
    return true;
  }

  // Interaction -> agents: apply the entry queue's strategy over every eligible candidate of the
  // entry queue and the overflow queues. Returns whether at least one offer was made.
  bool dispatchInteraction(std::uint32_t xi, MonoTime now, Output& out, std::string_view trigger) {
    IxRec& x = ixs[xi];
    if (!x.alive || x.phase == Phase::Active) return false;
    QueueRec& eq = queues[x.queue];
    const Strategy st = eq.spec.strategy;
    if (x.phase == Phase::Offered) {
      if (!isRing(st)) return false;
      if (st == Strategy::RingProgressively && trigger != "ring-progressive") return false;
    }
    if (x.extra.empty() && x.own.empty() && x.offers.empty() && x.skips.empty() && !isRing(st) &&
        st != Strategy::Linear && st != Strategy::WeightedRandom) {
      const QueueRec& q = queues[x.queue];
      const StepRule& rule = q.rules[std::min<std::size_t>(x.step, q.rules.size() - 1)];
      if (!rule.expr || rule.expr->alwaysTrue()) return dispatchSinglePass(xi, now, out, trigger);
    }
    ++epoch;
    auto& elig = scratch_elig;
    auto& notes = scratch_notes;
    elig.clear();
    notes.clear();
    std::uint32_t considered = 0;
    // Agent-record-free fast path when the interaction adds nothing agent-specific.
    const bool simple = x.own.empty() && x.offers.empty() && x.skips.empty();
    auto scan = [&](std::uint32_t qi) {
      QueueRec& q = queues[qi];
      if (!q.alive || qhot[qi].open_count == 0) return;
      const std::uint32_t step = qi == x.queue ? x.step : 0;
      const StepRule& rule = q.rules[std::min<std::size_t>(step, q.rules.size() - 1)];
      const bool no_expr = !rule.expr || rule.expr->alwaysTrue();
      // One queue has no duplicate candidates: the dedupe marks are only needed with overflows.
      const bool dedupe = !x.extra.empty();
      for (const Cand& c : q.cands) {
        AgentHot& h = hot[c.agent];
        if (dedupe) {
          if (marks[c.agent] == epoch) continue;
          marks[c.agent] = epoch;
        }
        ++considered;
        Exclusion e;
        if (!h.open) {
          if (notes.size() >= cfg.why_candidates) continue;
          e = qualifies(c.agent, agents[c.agent], c.min_step, x, q, step, now);
        } else if (simple && no_expr && h.sameTenant(x.tenant)) {
          e = c.min_step > step                       ? Exclusion::NotYetEscalated
              : ((h.fit_mask >> ci(x.ch)) & 1u) == 0u ? Exclusion::NoCapacity
                                                      : Exclusion::None;
        } else {
          e = qualifiesOpen(c.agent, agents[c.agent], c.min_step, x, q, step, now);
        }
        if (e == Exclusion::None) {
          double metric = 0;
          if (st == Strategy::FewestInteractions)
            metric = static_cast<double>(h.today);
          else if (st == Strategy::LeastTalkTime)
            metric = h.talk_s;
          else if (st == Strategy::BestSkill)
            metric =
                step == 0 && x.own.empty() ? c.prof0 : proficiency(agents[c.agent], x, q, step);
          elig.push_back(
              Eligible{c.agent, c.penalty, c.position, c.weight, qi, 0, h.last_idle, metric});
        } else if (notes.size() < cfg.why_candidates) {
          notes.push_back({agents[c.agent].id, e, 0});
        }
      }
    };
    scan(x.queue);
    for (std::uint32_t qi : x.extra) scan(qi);
    if (elig.empty()) return false;

    int tier = elig.front().penalty;
    for (const Eligible& e : elig) tier = std::min(tier, e.penalty);
    std::size_t n_all = elig.size();
    auto& lower = scratch_lower;
    lower.clear();
    for (const Eligible& e : elig) {
      if (e.penalty != tier && lower.size() < cfg.why_candidates)
        lower.push_back({agents[e.agent].id, Exclusion::LowerTier, static_cast<double>(e.penalty)});
    }
    std::erase_if(elig, [&](const Eligible& e) { return e.penalty != tier; });

    const std::uint32_t step = x.step;
    // Agent-id tie-breaks compare ranks in the hot records instead of the id strings.
    ensureIdRanks();
    auto idLess = [&](std::uint32_t l, std::uint32_t r) { return hot[l].id_rank < hot[r].id_rank; };

    auto& winners = scratch_winners;
    winners.clear();
    std::string_view rule;
    switch (st) {
      case Strategy::LongestIdle: {
        rule = "longest-idle: earliest last_idle, then agent id";
        for (auto& e : elig) e.score = seconds(now - e.idle);
        std::size_t b = 0;
        for (std::size_t i = 1; i < elig.size(); ++i) {
          auto li = elig[i].idle, lb = elig[b].idle;
          if (li < lb || (li == lb && idLess(elig[i].agent, elig[b].agent))) b = i;
        }
        winners.push_back(b);
        break;
      }
      case Strategy::FewestInteractions:
      case Strategy::LeastTalkTime: {
        bool fewest = st == Strategy::FewestInteractions;
        rule = fewest ? "fewest-interactions: fewest accepted today, then earliest last_idle, then "
                        "agent id"
                      : "least-talk-time: least talk time, then earliest last_idle, then agent id";
        for (auto& e : elig) e.score = e.metric;
        std::size_t b = 0;
        for (std::size_t i = 1; i < elig.size(); ++i) {
          if (elig[i].score != elig[b].score) {
            if (elig[i].score < elig[b].score) b = i;
            continue;
          }
          auto li = elig[i].idle, lb = elig[b].idle;
          if (li < lb || (li == lb && idLess(elig[i].agent, elig[b].agent))) b = i;
        }
        winners.push_back(b);
        break;
      }
      case Strategy::BestSkill: {
        rule =
            "best-skill: highest summed proficiency on required skills, then earliest last_idle, "
            "then agent id";
        for (auto& e : elig) e.score = e.metric;
        std::size_t b = 0;
        for (std::size_t i = 1; i < elig.size(); ++i) {
          if (elig[i].score != elig[b].score) {
            if (elig[i].score > elig[b].score) b = i;
            continue;
          }
          auto li = elig[i].idle, lb = elig[b].idle;
          if (li < lb || (li == lb && idLess(elig[i].agent, elig[b].agent))) b = i;
        }
        winners.push_back(b);
        break;
      }
      case Strategy::Linear:
      case Strategy::RingProgressively: {
        rule = st == Strategy::Linear ? "linear: lowest position, then agent id"
                                      : "ring-progressively: next by position, then agent id";
        std::size_t b = 0;
        for (std::size_t i = 0; i < elig.size(); ++i) {
          elig[i].score = -elig[i].position;
          if (elig[i].position < elig[b].position ||
              (elig[i].position == elig[b].position && idLess(elig[i].agent, elig[b].agent)))
            b = i;
        }
        winners.push_back(b);
        break;
      }
      case Strategy::RoundRobinMemory:
      case Strategy::RoundRobinOrdered: {
        bool ordered = st == Strategy::RoundRobinOrdered;
        rule = ordered ? "rrordered: next after the last offered agent in (position, agent id) "
                         "order, wrapping"
                       : "rrmemory: next after the last offered agent in agent id order, wrapping";
        auto keyOf = [&](const Eligible& e) {
          return std::pair<int, std::uint32_t>(ordered ? e.position : 0, hot[e.agent].id_rank);
        };
        std::optional<std::size_t> after, first;
        for (std::size_t i = 0; i < elig.size(); ++i) {
          auto k = keyOf(elig[i]);
          if (!first || k < keyOf(elig[*first])) first = i;
          if (eq.rr_last) {
            std::pair<int, std::uint32_t> last(ordered ? eq.rr_last->first : 0,
                                               hot[eq.rr_last->second].id_rank);
            if (last < k && (!after || k < keyOf(elig[*after]))) after = i;
          }
        }
        winners.push_back(after ? *after : *first);
        break;
      }
      case Strategy::RingAll: {
        rule = "ring-all: every eligible agent of the lowest penalty tier; first accept wins";
        for (std::size_t i = 0; i < elig.size(); ++i) winners.push_back(i);
        break;
      }
      case Strategy::Random: {
        rule = "random: uniform (seeded) over eligible agents in candidate order";
        winners.push_back(static_cast<std::size_t>(nextRandom() % elig.size()));
        break;
      }
      case Strategy::WeightedRandom: {
        rule = "weighted-random: probability proportional to member weight (seeded)";
        double total = 0;
        for (auto& e : elig) {
          e.score = e.weight;
          total += e.weight;
        }
        double r = static_cast<double>(nextRandom() >> 11) * 0x1.0p-53 * total;
        std::size_t pick = elig.size() - 1;
        for (std::size_t i = 0; i < elig.size(); ++i) {
          if (r < elig[i].score) {
            pick = i;
            break;
          }
          r -= elig[i].score;
        }
        winners.push_back(pick);
        break;
      }
    }

    auto w = freshWhy();
    w->rule = rule;
    w->queue = eq.spec.id;
    w->step = step;
    w->considered = considered;
    w->eligible = static_cast<std::uint32_t>(n_all);
    w->trigger = trigger;
    w->winning_score = elig[winners.front()].score;
    NoteWriter nw(w->candidates);
    for (std::size_t i = 0; i < elig.size() && nw.size() < cfg.why_candidates; ++i) {
      bool won = std::find(winners.begin(), winners.end(), i) != winners.end();
      nw.add(agents[elig[i].agent].id, won ? Exclusion::None : Exclusion::NotPicked, elig[i].score);
    }
    for (auto& n : lower) {
      if (nw.size() >= cfg.why_candidates) break;
      nw.add(std::move(n));
    }
    for (auto& n : notes) {
      if (nw.size() >= cfg.why_candidates) break;
      nw.add(std::move(n));
    }
    nw.finish();
    WhyPtr wp = std::move(w);
    auto& picks = scratch_picks;
    picks.clear();
    for (std::size_t i : winners) picks.emplace_back(elig[i].agent, elig[i].queue);
    // makeOffer() never re-enters dispatch, so the scratch vectors stay valid here.
    for (std::size_t pi = 0; pi < picks.size(); ++pi) {
      auto [ai, qi] = picks[pi];
      if (st == Strategy::RoundRobinMemory || st == Strategy::RoundRobinOrdered) {
        int pos = 0;
        for (const AgentQueue& aq : agents[ai].queues) {
          if (aq.queue == qi) pos = aq.position;
        }
        eq.rr_last = std::make_pair(pos, ai);
      }
      makeOffer(xi, ai, qi, wp, now, out);
    }
    if (st == Strategy::RingProgressively) {
      pushTimer(
          Timer{now + eq.spec.ring_progressive_interval, TimerKind::RingNext, xi, ixs[xi].seq});
    }
    return true;
  }

  // Agent -> interaction: among the waiting interactions of all the agent's queues that it
  // qualifies for, the highest weight * (priority + aging * wait), then earliest enqueue.
  void dispatchAgent(std::uint32_t ai, MonoTime now, Output& out, std::string_view trigger) {
    for (int guard = 0; guard < 256; ++guard) {
      AgentRec& a = agents[ai];
      if (!a.open) return;
      std::uint32_t best_x = kNone, best_q = kNone;
      double best_score = 0;
      std::int64_t best_enq = 0;
      std::uint64_t best_seq = 0;
      WaitIt best_it{};
      bool best_from_head = false;
      std::uint32_t compared = 0;
      const double now_s = epochSeconds(now);
      const AgentHot& h = hot[ai];
      // Scores one qualifying waiting entry of queue aq.queue against the best so far.
      auto consider = [&](const AgentQueue& aq, const QueueHot& qh, const WaitKey& k,
                          bool from_head, WaitIt it) {
        ++compared;
        // weight * (priority + aging * wait), computed from the static key.
        double score = qh.weight * (k.key + qh.aging_rate * now_s);
        if (best_x == kNone || score > best_score ||
            (score == best_score &&
             (k.enq < best_enq || (k.enq == best_enq && k.seq < best_seq)))) {
          best_x = k.ix;
          best_q = aq.queue;
          best_score = score;
          best_enq = k.enq;
          best_seq = k.seq;
          best_from_head = from_head;
          best_it = it;
        }
      };
      for (const AgentQueue& aq : a.queues) {
        const QueueHot& qh = qhot[aq.queue];
        if (!qh.has_head) continue;
        // Fast path: a simple head entry qualifies from the agent's candidacy and capacity
        // alone, and the head is the queue's best, so neither the set nor the IxRec is read.
        const bool head_simple = (qh.head.flags & WaitKey::kSimple) != 0 && qh.trivial_base_expr;
        if (head_simple && aq.min_step == 0 && ((h.fit_mask >> ci(qh.head.channel())) & 1u) != 0u) {
          consider(aq, qh, qh.head, true, WaitIt{});
          continue;
        }
        const QueueRec& q = queues[aq.queue];
        for (auto it = q.waiting.begin(); it != q.waiting.end(); ++it) {
          const WaitKey& k = *it;
          if ((k.flags & WaitKey::kSimple) != 0 && qh.trivial_base_expr) {
            if (aq.min_step != 0 || ((h.fit_mask >> ci(k.channel())) & 1u) == 0u) continue;
          } else {
            const IxRec& x = ixs[k.ix];
            if (x.phase == Phase::Offered && queues[x.queue].strategy != Strategy::RingAll)
              continue;
            const std::uint32_t step = aq.queue == x.queue ? x.step : 0;
            if (qualifiesOpen(ai, a, aq.min_step, x, q, step, now) != Exclusion::None) continue;
          }
          consider(aq, qh, k, false, it);
          break;  // the first qualifying entry is the queue's best (same order as the score)
        }
      }
      if (best_x == kNone) return;
      prefetchRecord(&ixs[best_x]);
      prefetchRecord(&queues[best_q]);
      auto w = freshWhy();
      w->rule =
          "agent-available: highest weight*(priority + aging*wait), then earliest enqueue, then "
          "arrival order";
      w->queue = queues[best_q].spec.id;
      w->step = best_q == ixs[best_x].queue ? ixs[best_x].step : 0;
      w->considered = 1;
      w->eligible = 1;
      w->trigger = trigger;
      w->interactions_compared = compared;
      w->winning_score = best_score;
      NoteWriter nw(w->candidates);
      if (cfg.why_candidates > 0) nw.add(a.id, Exclusion::None, best_score);
      nw.finish();
      if (best_from_head) best_it = queues[best_q].waiting.begin();
      makeOffer(best_x, ai, best_q, std::move(w), now, out, best_q, best_it);
      const IxRec& bx = ixs[best_x];
      if (bx.offers.size() == 1 && queues[bx.queue].strategy == Strategy::RingProgressively) {
        // A new progressive ring started from the agent side: schedule its next addition.
        pushTimer(Timer{now + queues[bx.queue].spec.ring_progressive_interval, TimerKind::RingNext,
                        best_x, bx.seq});
      }
    }
  }

  void dispatchAgents(const std::vector<std::uint32_t>& freed, MonoTime now, Output& out,
                      std::string_view trigger) {
    for (std::uint32_t ai : freed) {
      if (agents[ai].alive) dispatchAgent(ai, now, out, trigger);
    }
  }

  // ---- escalation / timers ----
  bool advanceEscalation(std::uint32_t xi, MonoTime now, Output& out) {
    IxRec& x = ixs[xi];
    QueueRec& q = queues[x.queue];
    const auto& steps = q.spec.escalation;
    Duration waited = now - x.enq;
    bool advanced = false;
    while (x.step < steps.size() && steps[x.step].after <= waited) {
      const EscalationStep& s = steps[x.step];
      ++x.step;
      advanced = true;
      ++stats.escalations;
      out.decisions.emplace_back(Escalated{x.id, q.spec.id, x.step});
      event(SegmentKind::Escalate, x, nullptr, now, out, std::to_string(x.step));
      for (const QueueId& oq : s.overflow_queues) {
        auto it = queueFind(oq);
        if (!it) continue;
        std::uint32_t oi = *it;
        const QueueRec& o = queues[oi];
        if (!o.alive || o.tenant != x.tenant || oi == x.queue ||
            std::find(x.extra.begin(), x.extra.end(), oi) != x.extra.end())
          continue;
        x.extra.push_back(oi);
        if (x.in_sets) {
          queues[oi].waiting.insert(keyFor(x, xi, queues[oi]));
          syncHead(oi);
        }
        out.decisions.emplace_back(Overflowed{x.id, q.spec.id, o.spec.id});
      }
    }
    if (x.step < steps.size()) {
      pushTimer(Timer{x.enq + steps[x.step].after, TimerKind::Escalation, xi, x.seq});
    }
    return advanced;
  }

  void timeoutReservation(std::uint64_t r, MonoTime now, Output& out) {
    ResRec rr = dropReservation(r);
    IxRec& x = ixs[rr.ix];
    AgentRec& a = agents[rr.agent];
    out.decisions.emplace_back(OfferTimedOut{ReservationId(r), x.id, a.id});
    event(SegmentKind::OfferTimeout, x, &a, now, out);
    ++stats.offer_timeouts;
    skip(rr.ix, rr.agent, now);
    requeue(rr.ix);
    ++a.consecutive_timeouts;
    if (cfg.max_consecutive_timeouts > 0 &&
        a.consecutive_timeouts >= cfg.max_consecutive_timeouts &&
        a.requested == AgentState::Available) {
      std::vector<std::uint32_t> requeued;
      setRequested(rr.agent, AgentState::Away, "offer-timeouts", now, out, requeued);
      for (std::uint32_t xi : requeued) dispatchInteraction(xi, now, out, "requeue");
    } else {
      refreshAgent(rr.agent, out);
    }
    dispatchInteraction(rr.ix, now, out, "requeue");
    dispatchAgent(rr.agent, now, out, "agent-available");
  }

  void skip(std::uint32_t xi, std::uint32_t ai, MonoTime now) {
    IxRec& x = ixs[xi];
    Duration d = queues[x.queue].spec.decline_skip_time;
    if (d <= Duration::zero()) return;
    std::erase_if(x.skips, [&](const auto& s) { return s.first == ai || s.second <= now; });
    x.skips.emplace_back(ai, now + d);
    pushTimer(Timer{now + d, TimerKind::SkipEnd, xi, x.seq});
  }

  // Sets the requested state; leaving Available rescinds outstanding offers (their interactions
  // are requeued and listed in `requeued` for the caller to dispatch).
  void setRequested(std::uint32_t ai, AgentState req, std::string reason, MonoTime now, Output& out,
                    std::vector<std::uint32_t>& requeued) {
    AgentRec& a = agents[ai];
    AgentState old = a.requested;
    a.requested = req;
    if (req == AgentState::Break) a.reason = reason;
    if (req == AgentState::Available) {
      a.consecutive_timeouts = 0;
      if (old == AgentState::Offline) a.last_idle = now;
    }
    if (req != AgentState::Available) releaseReservations(ai, now, out, requeued);
    if (req == AgentState::Offline) {
      // No wrap-up once logged out.
      endWrapSlots(ai, now, out, std::nullopt);
    }
    refreshAgent(ai, out, reason);
  }

  void releaseReservations(std::uint32_t ai, MonoTime now, Output& out,
                           std::vector<std::uint32_t>& requeued) {
    std::vector<std::uint64_t> reserved;
    for (const Slot& s : agents[ai].work) {
      if (s.kind == SlotKind::Reserved) reserved.push_back(s.res);
    }
    for (std::uint64_t r : reserved) {
      ResRec rr = dropReservation(r);
      IxRec& x = ixs[rr.ix];
      out.decisions.emplace_back(
          Rescind{ReservationId(r), x.id, agents[ai].id, RescindReason::AgentLoggedOut});
      event(SegmentKind::Rescind, x, &agents[ai], now, out,
            rescindText(RescindReason::AgentLoggedOut));
      ++stats.rescinds;
      requeue(rr.ix);
      requeued.push_back(rr.ix);
    }
  }

  // Ends wrap-up slots (all, or only the one for reservation `only`); updates last_idle.
  void endWrapSlots(std::uint32_t ai, MonoTime now, Output& out,
                    std::optional<std::uint64_t> only) {
    AgentRec& a = agents[ai];
    for (auto it = a.work.begin(); it != a.work.end();) {
      if (it->kind == SlotKind::WrapUp && (!only || it->res == *only)) {
        auto wi = std::find_if(a.wraps.begin(), a.wraps.end(),
                               [&](const WrapInfo& w) { return w.res == it->res; });
        SB_RELEASE_ASSERT(wi != a.wraps.end(), "endActive() records one WrapInfo per wrap-up slot");
        SegmentEvent e;
        e.kind = SegmentKind::WrapUpEnd;
        e.at = now;
        e.tenant = std::move(wi->tenant);
        e.queue = std::move(wi->qid);
        e.interaction = std::move(wi->iid);
        e.agent = a.id;
        e.channel = it->ch;
        e.enqueued_at = wi->enq;
        out.events.push_back(std::move(e));
        a.wraps.erase(wi);
        addLoad(a, it->ch, -1);
        it = a.work.erase(it);
      } else {
        ++it;
      }
    }
    touchIdle(a, now);
  }

  static void touchIdle(AgentRec& a, MonoTime now) {
    bool busy = std::any_of(a.work.begin(), a.work.end(), [](const Slot& s) {
      return s.kind == SlotKind::Active || s.kind == SlotKind::WrapUp;
    });
    if (!busy) a.last_idle = now;
  }

  // Ends the active slot of interaction xi on its agent (with wrap-up if configured).
  void endActive(std::uint32_t xi, MonoTime now, Output& out, bool allow_wrap, std::string detail) {
    IxRec& x = ixs[xi];
    AgentRec& a = agents[x.agent];
    // The agent-available pick that usually follows reads these.
    for (const AgentQueue& aq : a.queues) __builtin_prefetch(&aq);
    auto it = std::find_if(a.work.begin(), a.work.end(), [&](const Slot& s) {
      return s.kind == SlotKind::Active && s.res == x.active_res;
    });
    a.talk += now - x.answered;
    event(SegmentKind::End, x, &a, now, out, std::move(detail));
    if (it == a.work.end()) return;
    if (allow_wrap && x.wrap > Duration::zero() && a.requested != AgentState::Offline) {
      it->kind = SlotKind::WrapUp;
      it->ix = kNone;
      a.wraps.push_back(WrapInfo{it->res, x.id, x.queue_id, x.tenant_id, x.enq});
      it->deadline = now + x.wrap;
      pushTimer(Timer{it->deadline, TimerKind::WrapUp, x.agent, it->res});
      event(SegmentKind::WrapUpStart, x, &a, now, out);
    } else {
      addLoad(a, it->ch, -1);
      a.work.erase(it);
      touchIdle(a, now);
    }
  }

  void timeoutInteraction(std::uint32_t xi, MonoTime now, Output& out) {
    std::vector<std::uint32_t> freed;
    rescindAll(xi, RescindReason::TimedOut, now, out, freed);
    IxRec& x = ixs[xi];
    const QueueRec& q = queues[x.queue];
    out.decisions.emplace_back(
        QueueTimeout{x.id, q.spec.id, q.spec.timeout_action, q.spec.timeout_target});
    event(SegmentKind::FlowOut, x, nullptr, now, out,
          std::string("timeout:") + timeoutActionName(q.spec.timeout_action));
    ++stats.queue_timeouts;
    finish(xi, FinishReason::TimedOut, out);
    dispatchAgents(freed, now, out, "agent-available");
  }

  void runTimer(const Timer& t, MonoTime now, Output& out) {
    switch (t.kind) {
      case TimerKind::Reservation: {
        const ResRec* rr = res.find(t.token);
        if (rr != nullptr && rr->deadline <= now) timeoutReservation(t.token, now, out);
        break;
      }
      case TimerKind::WrapUp: {
        AgentRec& a = agents[t.idx];
        bool due = std::any_of(a.work.begin(), a.work.end(), [&](const Slot& s) {
          return s.kind == SlotKind::WrapUp && s.res == t.token && s.deadline <= now;
        });
        if (!due) break;
        endWrapSlots(t.idx, now, out, t.token);
        refreshAgent(t.idx, out, "wrap-up-ended");
        dispatchAgent(t.idx, now, out, "agent-available");
        break;
      }
      case TimerKind::Escalation:
      case TimerKind::MaxWait:
      case TimerKind::RingNext:
      case TimerKind::SkipEnd: {
        if (t.idx >= ixs.size()) break;
        IxRec& x = ixs[t.idx];
        if (!x.alive || x.seq != t.token || x.phase == Phase::Active) break;
        if (t.kind == TimerKind::Escalation) {
          if (advanceEscalation(t.idx, now, out))
            dispatchInteraction(t.idx, now, out, "escalation");
        } else if (t.kind == TimerKind::MaxWait) {
          Duration mw = queues[x.queue].spec.max_wait;
          if (mw > Duration::zero() && x.enq + mw <= now) timeoutInteraction(t.idx, now, out);
        } else if (t.kind == TimerKind::RingNext) {
          if (queues[x.queue].spec.strategy == Strategy::RingProgressively &&
              x.phase == Phase::Offered &&
              !dispatchInteraction(t.idx, now, out, "ring-progressive")) {
            // Nobody new to add right now: look again after another interval while it rings.
            pushTimer(Timer{now + queues[x.queue].spec.ring_progressive_interval,
                            TimerKind::RingNext, t.idx, x.seq});
          }
        } else {
          std::erase_if(x.skips, [&](const auto& s) { return s.second <= now; });
          dispatchInteraction(t.idx, now, out, "skip-expired");
        }
        break;
      }
    }
  }

  void pushTimer(const Timer& t) {
    if (timers.size() >= timers.compact_at) compactTimers();
    timers.pushRaw(t);
  }
  // For a timer due `after` from the caller's `now` (t.at == now + after): see TimerLane.
  void pushTimerAfter(const Timer& t, Duration after) {
    if (timers.size() >= timers.compact_at) compactTimers();
    timers.pushAfter(t, after);
  }

  // Whether firing t would be a no-op whatever the time (exactly runTimer()'s early exits that
  // do not depend on `now`): its reservation, wrap-up slot or interaction generation is gone.
  bool timerStale(const Timer& t) const {
    switch (t.kind) {
      case TimerKind::Reservation:
        return !res.contains(t.token);
      case TimerKind::WrapUp: {
        const AgentRec& a = agents[t.idx];
        return std::none_of(a.work.begin(), a.work.end(), [&](const Slot& s) {
          return s.kind == SlotKind::WrapUp && s.res == t.token;
        });
      }
      default:
        // !alive || seq != token || phase == Active (Active until finished), via ix_gen.
        return t.idx >= ix_gen.size() || ix_gen[t.idx] != t.token;
    }
  }

  // Stale entries pile up when deadlines lie far ahead (max-wait timers of interactions long
  // answered, reservation timers of accepted offers). Dropping them every time the heap doubles
  // keeps it near the live work at O(1) amortised cost per push, and changes nothing else:
  // stale timers fire as no-ops. nextDeadline() simply reports fewer stale instants.
  void compactTimers() {
    // Each staleness check reads a random record (reservation slot, agent or interaction):
    // fetch them 16 timers ahead so the misses overlap (this pass runs inside a timed call).
    std::vector<Timer>& v = timers.v;
    auto target = [&](const Timer& t) -> const void* {
      switch (t.kind) {
        case TimerKind::Reservation:
          return nullptr;  // the small reservation table stays cached
        case TimerKind::WrapUp:
          return t.idx < agents.size() ? &agents[t.idx] : nullptr;
        default:
          return t.idx < ix_gen.size() ? &ix_gen[t.idx] : nullptr;
      }
    };
    constexpr std::size_t kAhead = 16;
    // Keeps the order of [from, size) (the lanes stay sorted); returns the new size.
    auto filter = [&](std::vector<Timer>& w, std::size_t from) {
      std::size_t keep = 0;
      for (std::size_t i = from; i < w.size(); ++i) {
        if (i + kAhead < w.size()) {
          if (const void* p = target(w[i + kAhead])) __builtin_prefetch(p);
        }
        if (!timerStale(w[i])) w[keep++] = w[i];
      }
      w.resize(keep);
      return keep;
    };
    filter(v, 0);
    std::make_heap(timers.v.begin(), timers.v.end(), std::greater<Timer>());
    timers.in_lanes = 0;
    for (TimerLane& ln : timers.lanes) {
      timers.in_lanes += filter(ln.q, ln.head);
      ln.head = 0;
    }
    timers.compact_at = std::max<std::size_t>(65536, timers.size() * 2);
  }

  void tick(MonoTime now, Output& out) {
    while (!timers.empty() && timers.top().at <= now) {
      Timer t = timers.top();
      timers.pop();
      runTimer(t, now, out);
    }
  }

  Status validateSkills(const std::vector<SkillRequirement>& reqs, const std::string& field) {
    for (const auto& r : reqs) {
      if (r.skill.empty()) return fail(Errc::InvalidArgument, "empty skill name", field);
      if (r.min_level < 1 || r.min_level > 10)
        return fail(Errc::InvalidArgument, "skill '" + r.skill + "' minimum must be 1..10", field);
    }
    return {};
  }

  std::vector<Req> internReqs(const std::vector<SkillRequirement>& reqs) {
    std::vector<Req> out;
    for (const auto& r : reqs) out.push_back({names.intern(r.skill), r.min_level});
    return out;
  }

  // Fills `out` (keeping its capacity) with the attributes sorted by interned key; the last
  // write wins on duplicate keys.
  void internAttrs(const std::vector<std::pair<std::string, std::string>>& attrs,
                   std::vector<std::pair<std::uint32_t, std::string>>& out) {
    out.clear();
    bool sorted_unique = true;
    for (const auto& [k, v] : attrs) {
      std::uint32_t id = names.intern(k);
      if (!out.empty() && out.back().first >= id) sorted_unique = false;
      out.emplace_back(id, v);
    }
    if (sorted_unique) return;
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& l, const auto& r) { return l.first < r.first; });
    std::size_t w = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (w > 0 && out[w - 1].first == out[i].first)
        out[w - 1] = std::move(out[i]);
      else if (w != i)
        out[w++] = std::move(out[i]);
      else
        ++w;
    }
    out.resize(w);
  }
};

// ---------------------------------------------------------------------------------------------

Engine::Engine(EngineConfig config) : impl_(std::make_unique<Impl>(config)) {}
Engine::~Engine() = default;

Status Engine::upsertQueue(const QueueSpec& spec_in, MonoTime now, Output& out) {
  Impl& m = *impl_;
  QueueSpec spec = spec_in;
  if (spec.id.value().empty()) return fail(Errc::InvalidArgument, "queue id is empty", "id");
  if (spec.tenant.value().empty()) return fail(Errc::InvalidArgument, "tenant is empty", "tenant");
  if (spec.channels.empty())
    return fail(Errc::InvalidArgument, "a queue needs at least one channel", "channels");
  if (!(spec.weight > 0)) return fail(Errc::InvalidArgument, "weight must be > 0", "weight");
  if (!(spec.aging_rate >= 0) || !std::isfinite(spec.aging_rate))
    return fail(Errc::InvalidArgument, "aging_rate must be >= 0", "aging_rate");
  if (spec.reservation_timeout <= Duration::zero())
    return fail(Errc::InvalidArgument, "reservation_timeout must be > 0", "reservation_timeout");
  if (spec.strategy == Strategy::RingProgressively &&
      spec.ring_progressive_interval <= Duration::zero())
    return fail(Errc::InvalidArgument, "ring_progressive_interval must be > 0",
                "ring_progressive_interval");
  SB_TRY(m.validateSkills(spec.skills, "skills"));
  for (const auto& mem : spec.members) {
    if (!(mem.weight > 0))
      return fail(Errc::InvalidArgument, "member weight must be > 0", "members");
  }
  std::stable_sort(
      spec.escalation.begin(), spec.escalation.end(),
      [](const EscalationStep& l, const EscalationStep& r) { return l.after < r.after; });
  auto existing = m.queueFind(spec.id);
  std::uint32_t tenant = m.tenantIndex(spec.tenant);
  if (existing.has_value() && m.queues[*existing].alive && m.queues[*existing].tenant != tenant)
    return fail(Errc::InvalidArgument, "a queue cannot move to another tenant", "tenant");
  for (const auto& oq : spec.on_remove_overflow ? std::vector<QueueId>{*spec.on_remove_overflow}
                                                : std::vector<QueueId>{}) {
    auto it = m.queueFind(oq);
    if (it.has_value() && m.queues[*it].alive && m.queues[*it].tenant != tenant)
      return fail(Errc::InvalidArgument, "overflow queue belongs to another tenant",
                  "on_remove_overflow");
  }
  // Compile everything before touching state.
  std::vector<StepRule> rules;
  {
    auto base = Expression::parse(spec.expression, m.names);
    if (!base) return std::unexpected(base.error());
    rules.push_back(
        StepRule{m.internReqs(spec.skills), std::make_shared<const Expression>(std::move(*base))});
  }
  for (std::size_t i = 0; i < spec.escalation.size(); ++i) {
    const EscalationStep& s = spec.escalation[i];
    std::string field = "escalation[" + std::to_string(i) + "]";
    if (s.after < Duration::zero())
      return fail(Errc::InvalidArgument, "after must be >= 0", field + ".after");
    StepRule r = rules.back();
    if (s.skills) {
      SB_TRY(m.validateSkills(*s.skills, field + ".skills"));
      r.reqs = m.internReqs(*s.skills);
    }
    if (s.expression) {
      auto e = Expression::parse(*s.expression, m.names);
      if (!e) {
        Error err = e.error();
        err.field = field + ".expression";
        return std::unexpected(std::move(err));
      }
      r.expr = std::make_shared<const Expression>(std::move(*e));
    }
    for (const QueueId& oq : s.overflow_queues) {
      auto it = m.queueFind(oq);
      if (it.has_value() && m.queues[*it].alive && m.queues[*it].tenant != tenant)
        return fail(Errc::InvalidArgument, "overflow queue belongs to another tenant",
                    field + ".overflow_queues");
    }
    rules.push_back(std::move(r));
  }

  std::uint32_t qi;
  bool replaced = existing.has_value() && m.queues[*existing].alive;
  if (existing.has_value()) {
    qi = *existing;
  } else {
    qi = static_cast<std::uint32_t>(m.queues.size());
    m.queues.emplace_back();
    m.qhot.emplace_back();
    m.queue_index.insert(std::hash<std::string>{}(spec.id.value()), qi);
  }
  if (!replaced) m.tenant_queues[tenant].push_back(qi);
  QueueRec& q = m.queues[qi];
  Duration old_max_wait = q.spec.max_wait;
  q.spec = std::move(spec);
  q.strategy = q.spec.strategy;
  q.tenant = tenant;
  q.alive = true;
  q.rules = std::move(rules);
  m.qhot[qi].trivial_base_expr = !q.rules[0].expr || q.rules[0].expr->alwaysTrue();
  m.qhot[qi].weight = q.spec.weight;
  m.qhot[qi].aging_rate = q.spec.aging_rate;
  q.members.clear();
  for (const auto& mem : q.spec.members) q.members[mem.agent] = mem;
  q.added.clear();
  for (std::uint32_t s = 0; s < q.spec.escalation.size(); ++s) {
    for (const AgentId& a : q.spec.escalation[s].add_agents) q.added.try_emplace(a, s + 1);
  }
  q.channel_mask = 0;
  for (Channel c : q.spec.channels) q.channel_mask |= 1u << ci(c);
  m.rebuildCandidates(qi);

  if (replaced) {
    // Waiting interactions keep their place; re-key if the aging rate changed.
    std::vector<std::uint32_t> members;
    for (const WaitKey& k : q.waiting) members.push_back(k.ix);
    // Re-key always: the order may change with the aging rate, the kSimple flags with the
    // strategy or escalation steps.
    q.waiting.clear();
    for (std::uint32_t xi : members) q.waiting.insert(m.keyFor(m.ixs[xi], xi, q));
    m.syncHead(qi);
    for (std::uint32_t xi : members) {
      const IxRec& x = m.ixs[xi];
      if (x.queue != qi) continue;
      for (std::uint32_t e :
           x.extra) {  // their overflow copies carry flags derived from this queue
        QueueRec& oq = m.queues[e];
        WaitKey k = m.keyFor(x, xi, oq);
        if (oq.waiting.erase(k) > 0) oq.waiting.insert(k);
        m.syncHead(e);
      }
    }
    for (std::uint32_t xi : members) {
      IxRec& x = m.ixs[xi];
      if (x.queue != qi) continue;
      // Steps may have changed: clamp, then apply any now due.
      x.step = std::min<std::uint32_t>(
          x.step, static_cast<std::uint32_t>(m.queues[qi].spec.escalation.size()));
      m.advanceEscalation(xi, now, out);
      if (m.queues[qi].spec.max_wait != old_max_wait &&
          m.queues[qi].spec.max_wait > Duration::zero())
        m.pushTimer(Timer{x.enq + m.queues[qi].spec.max_wait, TimerKind::MaxWait, xi, x.seq});
    }
    for (std::uint32_t xi : members) {
      if (m.ixs[xi].alive) m.dispatchInteraction(xi, now, out, "queue-change");
    }
  }
  std::vector<std::uint32_t> open_agents;
  for (const Cand& c : m.queues[qi].cands) {
    if (m.agents[c.agent].open) open_agents.push_back(c.agent);
  }
  m.dispatchAgents(open_agents, now, out, "queue-change");
  return {};
}

Status Engine::removeQueue(const QueueId& id, MonoTime now, Output& out) {
  Impl& m = *impl_;
  auto it = m.queueFind(id);
  if (!it || !m.queues[*it].alive) return fail(Errc::NotFound, "no such queue", "id");
  std::uint32_t qi = *it;
  std::optional<std::uint32_t> target;
  if (auto ov = m.queues[qi].spec.on_remove_overflow) {
    auto t = m.queueFind(*ov);
    if (t.has_value() && m.queues[*t].alive && *t != qi &&
        m.queues[*t].tenant == m.queues[qi].tenant)
      target = *t;
  }
  std::vector<std::uint32_t> freed, moved;
  for (std::uint32_t xi = 0; xi < m.ixs.size(); ++xi) {
    IxRec& x = m.ixs[xi];
    if (!x.alive) continue;
    if (x.queue != qi) {
      if (std::find(x.extra.begin(), x.extra.end(), qi) != x.extra.end()) {
        if (x.in_sets) {
          m.queues[qi].waiting.erase(m.keyFor(x, xi, m.queues[qi]));
          m.syncHead(qi);
        }
        std::erase(x.extra, qi);
      }
      continue;
    }
    if (x.phase == Phase::Active) continue;  // stays with its agent; complete() needs no queue
    m.rescindAll(xi, RescindReason::QueueRemoved, now, out, freed);
    m.removeSets(xi);
    if (target) {
      m.event(SegmentKind::FlowOut, m.ixs[xi], nullptr, now, out,
              "queue-removed:" + m.queues[*target].spec.id.value());
      IxRec& y = m.ixs[xi];
      out.decisions.emplace_back(Overflowed{y.id, m.queues[qi].spec.id, m.queues[*target].spec.id});
      y.queue = *target;
      y.queue_id = m.queues[*target].spec.id;
      y.sl = m.queues[*target].spec.service_level_threshold;
      y.short_abandon = m.queues[*target].spec.short_abandon_threshold;
      std::erase(y.extra, *target);
      y.step = 0;
      y.skips.clear();
      y.phase = Phase::Waiting;
      m.insertSets(xi);
      m.event(SegmentKind::Enqueue, y, nullptr, now, out, "overflow");
      m.advanceEscalation(xi, now, out);
      if (m.queues[*target].spec.max_wait > Duration::zero())
        m.pushTimer(Timer{y.enq + m.queues[*target].spec.max_wait, TimerKind::MaxWait, xi, y.seq});
      moved.push_back(xi);
    } else {
      m.event(SegmentKind::FlowOut, x, nullptr, now, out, "queue-removed");
      out.decisions.emplace_back(InteractionReturned{x.id, m.queues[qi].spec.id, "queue removed"});
      m.finish(xi, FinishReason::Returned, out);
    }
  }
  QueueRec& q = m.queues[qi];
  q.alive = false;
  q.waiting.clear();
  m.syncHead(qi);
  m.rebuildCandidates(qi);  // alive == false: detaches every candidate
  std::erase(m.tenant_queues[q.tenant], qi);
  for (std::uint32_t xi : moved) m.dispatchInteraction(xi, now, out, "overflow");
  m.dispatchAgents(freed, now, out, "agent-available");
  return {};
}

Status Engine::upsertAgent(const AgentSpec& spec, MonoTime now, Output& out) {
  Impl& m = *impl_;
  if (spec.id.value().empty()) return fail(Errc::InvalidArgument, "agent id is empty", "id");
  if (spec.tenant.value().empty()) return fail(Errc::InvalidArgument, "tenant is empty", "tenant");
  for (const auto& [name, lvl] : spec.skills) {
    if (name.empty()) return fail(Errc::InvalidArgument, "empty skill name", "skills");
    if (lvl < 1 || lvl > 10)
      return fail(Errc::InvalidArgument, "skill '" + name + "' proficiency must be 1..10",
                  "skills");
  }
  for (std::size_t c = 0; c < kChannelCount; ++c) {
    if (spec.capacity.max_per_channel[c] < 0 || spec.capacity.unit_cost[c] < 0)
      return fail(Errc::InvalidArgument, "capacity values must be >= 0", "capacity");
  }
  if (spec.capacity.total_units < 0)
    return fail(Errc::InvalidArgument, "total_units must be >= 0", "capacity");
  std::uint32_t tenant = m.tenantIndex(spec.tenant);
  auto it = m.agent_index.find(spec.id);
  std::uint32_t ai;
  if (it != m.agent_index.end()) {
    ai = it->second;
    if (m.agents[ai].tenant != tenant)
      return fail(Errc::InvalidArgument, "an agent cannot move to another tenant", "tenant");
  } else {
    ai = static_cast<std::uint32_t>(m.agents.size());
    m.agents.emplace_back();
    m.hot.emplace_back();
    m.marks.push_back(0);
    m.id_ranks_dirty = true;
    m.agent_index.emplace(spec.id, ai);
    AgentRec& a = m.agents[ai];
    a.id = spec.id;
    a.tenant_id = spec.tenant;
    a.tenant = tenant;
    a.alive = true;
    a.last_idle = now;
    m.tenant_agents[tenant].push_back(ai);
  }
  AgentRec& a = m.agents[ai];
  a.skills.clear();
  for (const auto& [name, lvl] : spec.skills) a.skills.emplace_back(m.names.intern(name), lvl);
  std::sort(a.skills.begin(), a.skills.end());
  a.skills.erase(std::unique(a.skills.begin(), a.skills.end(),
                             [](const auto& l, const auto& r) { return l.first == r.first; }),
                 a.skills.end());
  m.internAttrs(spec.attributes, a.attrs);
  // Recompute the unit load with the new costs; counts are unchanged.
  a.cap = spec.capacity;
  a.used_units = 0;
  for (const Slot& s : a.work) a.used_units += a.cap.unit_cost[ci(s.ch)];
  m.refreshAgentQueues(ai);
  if (m.refreshAgent(ai, out)) m.dispatchAgent(ai, now, out, "agent-changed");
  return {};
}

Status Engine::removeAgent(const AgentId& id, MonoTime now, Output& out) {
  Impl& m = *impl_;
  auto it = m.agent_index.find(id);
  if (it == m.agent_index.end()) return fail(Errc::NotFound, "no such agent", "id");
  std::uint32_t ai = it->second;
  for (const Slot& s : m.agents[ai].work) {
    if (s.kind == SlotKind::Active)
      return fail(Errc::Conflict, "agent has active interactions; complete them first", "id");
  }
  std::vector<std::uint32_t> requeued;
  m.setRequested(ai, AgentState::Offline, "removed", now, out, requeued);
  AgentRec& a = m.agents[ai];
  for (const AgentQueue& aq : std::vector<AgentQueue>(a.queues)) m.detachCandidate(aq.queue, ai);
  std::erase(m.tenant_agents[a.tenant], ai);
  a.alive = false;
  m.agent_index.erase(it);
  for (std::uint32_t xi : requeued) m.dispatchInteraction(xi, now, out, "requeue");
  return {};
}

namespace {
Result<std::uint32_t> findAgent(const std::unordered_map<AgentId, std::uint32_t>& idx,
                                const AgentId& id) {
  auto it = idx.find(id);
  if (it == idx.end()) return fail(Errc::NotFound, "no such agent: " + id.value(), "agent");
  return it->second;
}
}  // namespace

Status Engine::setAgentState(const AgentId& id, AgentState requested, std::string reason,
                             MonoTime now, Output& out) {
  Impl& m = *impl_;
  auto ai = findAgent(m.agent_index, id);
  if (!ai) return std::unexpected(ai.error());
  if (requested != AgentState::Offline && requested != AgentState::Available &&
      requested != AgentState::Away && requested != AgentState::Break)
    return fail(Errc::InvalidArgument,
                std::string("cannot request state ") + agentStateName(requested) +
                    " (only offline, available, away, break)",
                "state");
  std::vector<std::uint32_t> requeued;
  m.setRequested(*ai, requested, std::move(reason), now, out, requeued);
  for (std::uint32_t xi : requeued) m.dispatchInteraction(xi, now, out, "requeue");
  if (m.agents[*ai].open) m.dispatchAgent(*ai, now, out, "agent-available");
  return {};
}

Status Engine::setPresence(const AgentId& id, Presence presence, MonoTime now, Output& out) {
  Impl& m = *impl_;
  auto ai = findAgent(m.agent_index, id);
  if (!ai) return std::unexpected(ai.error());
  m.agents[*ai].presence = presence;
  std::vector<std::uint32_t> requeued;
  if (presence != Presence::Available) m.releaseReservations(*ai, now, out, requeued);
  bool open = m.refreshAgent(*ai, out, "presence");
  for (std::uint32_t xi : requeued) m.dispatchInteraction(xi, now, out, "requeue");
  if (open) m.dispatchAgent(*ai, now, out, "agent-available");
  return {};
}

Status Engine::setReachable(const AgentId& id, bool reachable, MonoTime now, Output& out) {
  Impl& m = *impl_;
  auto ai = findAgent(m.agent_index, id);
  if (!ai) return std::unexpected(ai.error());
  m.agents[*ai].reachable = reachable;
  std::vector<std::uint32_t> requeued;
  if (!reachable) m.releaseReservations(*ai, now, out, requeued);
  bool open = m.refreshAgent(*ai, out, reachable ? "reachable" : "unreachable");
  for (std::uint32_t xi : requeued) m.dispatchInteraction(xi, now, out, "requeue");
  if (open) m.dispatchAgent(*ai, now, out, "agent-available");
  return {};
}

Status Engine::endWrapUp(const AgentId& id, MonoTime now, Output& out) {
  Impl& m = *impl_;
  auto ai = findAgent(m.agent_index, id);
  if (!ai) return std::unexpected(ai.error());
  bool any = std::any_of(m.agents[*ai].work.begin(), m.agents[*ai].work.end(),
                         [](const Slot& s) { return s.kind == SlotKind::WrapUp; });
  if (!any) return fail(Errc::Conflict, "agent is not in wrap-up", "agent");
  m.endWrapSlots(*ai, now, out, std::nullopt);
  if (m.refreshAgent(*ai, out, "wrap-up-ended")) m.dispatchAgent(*ai, now, out, "agent-available");
  return {};
}

Result<EnqueueResult> Engine::enqueue(const InteractionSpec& spec, MonoTime now, Output& out) {
  Impl& m = *impl_;
  if (spec.id.value().empty()) return fail(Errc::InvalidArgument, "interaction id is empty", "id");
  auto qit = m.queueFind(spec.queue);
  if (!qit || !m.queues[*qit].alive)
    return fail(Errc::NotFound, "no such queue: " + spec.queue.value(), "queue");
  std::uint32_t qi = *qit;
  QueueRec& q = m.queues[qi];
  // The checks below and the dispatch read fields all over the queue record, then scan its
  // candidates: fetch them now, while the tenant, id and attribute bookkeeping runs.
  prefetchRecord(&q);
  __builtin_prefetch(&m.qhot[qi]);
  for (std::size_t k = 0; k < std::min<std::size_t>(q.cands.size(), 16); k += 2)
    __builtin_prefetch(q.cands.data() + k);
  auto tid = m.tenants.find(spec.tenant.value());
  if (!tid || *tid != q.tenant)
    return fail(Errc::InvalidArgument, "queue belongs to another tenant", "tenant");
  if ((q.channel_mask & (1u << ci(spec.channel))) == 0)
    return fail(Errc::InvalidArgument,
                std::string("queue does not serve channel ") + channelName(spec.channel),
                "channel");
  SB_TRY(m.validateSkills(spec.skills, "skills"));
  // The id is hashed once, for the duplicate check and the insert.
  const std::uint64_t id_hash = Impl::idHash(spec.id);
  if (m.ixFind(spec.id, id_hash) != detail::HashIndex::kNpos)
    return fail(Errc::AlreadyExists, "interaction already routed", "id");
  if (q.spec.max_size > 0 && q.waiting.size() >= q.spec.max_size)
    return fail(Errc::Unavailable, "queue is full", "queue");

  std::uint32_t xi;
  if (!m.free_ixs.empty()) {
    xi = m.free_ixs.back();
    m.free_ixs.pop_back();
  } else {
    xi = static_cast<std::uint32_t>(m.ixs.size());
    m.ixs.emplace_back();
    m.ix_gen.push_back(0);
  }
  IxRec& x = m.ixs[xi];
  prefetchRecord(&x);
  x.id = spec.id;
  x.tenant_id = spec.tenant;
  x.tenant = q.tenant;
  x.ch = spec.channel;
  x.queue = qi;
  x.queue_id = q.spec.id;
  x.priority = spec.priority + q.spec.priority;
  m.internAttrs(spec.attributes, x.attrs);
  x.own.clear();
  for (const auto& r : spec.skills) x.own.push_back({m.names.intern(r.skill), r.min_level});
  x.enq = spec.enqueued_at.value_or(now);
  x.seq = m.next_seq++;
  x.alive = true;
  m.ix_gen[xi] = x.seq;
  x.phase = Phase::Waiting;
  x.sl = q.spec.service_level_threshold;
  x.short_abandon = q.spec.short_abandon_threshold;
  m.ix_index.insert(id_hash, xi);
  ++m.stats.enqueued;
  ++m.stats.interactions;
  m.event(SegmentKind::Enqueue, x, nullptr, now, out);
  if (q.spec.max_wait > Duration::zero())
    m.pushTimerAfter(Timer{x.enq + q.spec.max_wait, TimerKind::MaxWait, xi, x.seq},
                     q.spec.max_wait);
  // The waiting sets are not consulted while deciding an arrival, so the interaction enters
  // them only if it is still waiting afterwards (or rings under a ring strategy, which keeps
  // ringing interactions in the sets): an immediate offer costs no set insert + erase.
  m.advanceEscalation(xi, now, out);
  bool offered = m.dispatchInteraction(xi, now, out, "arrival");
  m.requeue(xi);
  return EnqueueResult{offered, m.queues[qi].waiting.size()};
}

Status Engine::accept(ReservationId reservation, MonoTime now, Output& out) {
  Impl& m = *impl_;
  if (!m.res.contains(reservation.value()))
    return fail(Errc::NotFound, "reservation is not outstanding", "reservation");
  ResRec rr = m.dropReservation(reservation.value());
  std::vector<std::uint32_t> freed;
  m.rescindAll(rr.ix, RescindReason::AnotherAccepted, now, out, freed);
  IxRec& x = m.ixs[rr.ix];
  AgentRec& a = m.agents[rr.agent];
  m.removeSets(rr.ix);
  x.phase = Phase::Active;
  m.ix_gen[rr.ix] = 0;
  x.agent = rr.agent;
  x.active_res = reservation.value();
  x.answered = now;
  x.wrap = m.queues[x.queue].spec.wrap_up_time;
  a.work.push_back(Slot{SlotKind::Active, x.ch, rr.ix, reservation.value(), now + m.cfg.max_busy});
  Impl::addLoad(a, x.ch, +1);
  ++a.today;
  a.consecutive_timeouts = 0;
  out.decisions.emplace_back(Assigned{reservation, x.id, a.id, m.queues[rr.queue].spec.id});
  m.event(SegmentKind::Answer, x, &a, now, out);
  ++m.stats.accepts;
  bool open = m.refreshAgent(rr.agent, out);
  m.dispatchAgents(freed, now, out, "agent-available");
  if (open) m.dispatchAgent(rr.agent, now, out, "agent-available");
  return {};
}

Status Engine::decline(ReservationId reservation, MonoTime now, Output& out) {
  Impl& m = *impl_;
  if (!m.res.contains(reservation.value()))
    return fail(Errc::NotFound, "reservation is not outstanding", "reservation");
  ResRec rr = m.dropReservation(reservation.value());
  m.event(SegmentKind::Decline, m.ixs[rr.ix], &m.agents[rr.agent], now, out);
  ++m.stats.declines;
  m.skip(rr.ix, rr.agent, now);
  m.requeue(rr.ix);
  m.refreshAgent(rr.agent, out);
  m.dispatchInteraction(rr.ix, now, out, "requeue");
  m.dispatchAgent(rr.agent, now, out, "agent-available");
  return {};
}

Status Engine::complete(const InteractionId& id, MonoTime now, Output& out) {
  Impl& m = *impl_;
  const std::size_t pos = m.ixFind(id);
  if (pos == detail::HashIndex::kNpos)
    return fail(Errc::NotFound, "no such interaction", "interaction");
  std::uint32_t xi = m.ix_index.value(pos);
  prefetchRecord(&m.ixs[xi]);  // the id check loaded its first line; ending it reads them all
  if (m.ixs[xi].phase != Phase::Active)
    return fail(Errc::Conflict, "interaction is not active", "interaction");
  std::uint32_t ai = m.ixs[xi].agent;
  prefetchRecord(&m.agents[ai]);
  __builtin_prefetch(&m.hot[ai]);
  m.endActive(xi, now, out, true, {});
  m.finish(xi, FinishReason::Completed, out, pos);
  if (m.refreshAgent(ai, out)) m.dispatchAgent(ai, now, out, "agent-available");
  return {};
}

Status Engine::abandon(const InteractionId& id, MonoTime now, Output& out) {
  Impl& m = *impl_;
  const std::size_t pos = m.ixFind(id);
  if (pos == detail::HashIndex::kNpos)
    return fail(Errc::NotFound, "no such interaction", "interaction");
  std::uint32_t xi = m.ix_index.value(pos);
  if (m.ixs[xi].phase == Phase::Active) return complete(id, now, out);
  std::vector<std::uint32_t> freed;
  m.rescindAll(xi, RescindReason::Abandoned, now, out, freed);
  m.event(SegmentKind::Abandon, m.ixs[xi], nullptr, now, out);
  m.finish(xi, FinishReason::Abandoned, out);
  m.dispatchAgents(freed, now, out, "agent-available");
  return {};
}

Status Engine::hold(const InteractionId& id, bool on, MonoTime now, Output& out) {
  Impl& m = *impl_;
  const std::size_t pos = m.ixFind(id);
  if (pos == detail::HashIndex::kNpos || m.ixs[m.ix_index.value(pos)].phase != Phase::Active)
    return fail(Errc::NotFound, "no such active interaction", "interaction");
  const IxRec& x = m.ixs[m.ix_index.value(pos)];
  m.event(on ? SegmentKind::HoldOn : SegmentKind::HoldOff, x, &m.agents[x.agent], now, out);
  return {};
}

void Engine::tick(MonoTime now, Output& out) { impl_->tick(now, out); }

std::optional<MonoTime> Engine::nextDeadline() const {
  if (impl_->timers.empty()) return std::nullopt;
  return impl_->timers.top().at;
}

void Engine::reconcile(MonoTime now, const std::unordered_set<InteractionId>& live, Output& out) {
  Impl& m = *impl_;
  m.tick(now, out);
  std::vector<std::uint32_t> stale;
  for (std::uint32_t xi = 0; xi < m.ixs.size(); ++xi) {
    if (m.ixs[xi].alive && !live.contains(m.ixs[xi].id)) stale.push_back(xi);
  }
  // Busy leases past max_busy are released even if the caller still lists the interaction.
  for (AgentRec& a : m.agents) {
    if (!a.alive) continue;
    for (const Slot& s : a.work) {
      if (s.kind == SlotKind::Active && s.deadline <= now && s.ix != kNone && m.ixs[s.ix].alive &&
          std::find(stale.begin(), stale.end(), s.ix) == stale.end())
        stale.push_back(s.ix);
    }
  }
  std::vector<std::uint32_t> freed;
  for (std::uint32_t xi : stale) {
    IxRec& x = m.ixs[xi];
    if (x.phase == Phase::Active) {
      std::uint32_t ai = x.agent;
      m.endActive(xi, now, out, false, "reconciled");
      freed.push_back(ai);
    } else {
      m.rescindAll(xi, RescindReason::Reconciled, now, out, freed);
      m.event(SegmentKind::FlowOut, m.ixs[xi], nullptr, now, out, "reconciled");
    }
    m.finish(xi, FinishReason::Reconciled, out);
  }
  // Defensive sweep: a slot whose owner is gone is released (should never happen).
  for (std::uint32_t ai = 0; ai < m.agents.size(); ++ai) {
    AgentRec& a = m.agents[ai];
    if (!a.alive) continue;
    bool changed = false;
    for (auto it = a.work.begin(); it != a.work.end();) {
      bool orphan = it->kind == SlotKind::Reserved ? !m.res.contains(it->res)
                    : it->kind == SlotKind::Active ? (it->ix == kNone || !m.ixs[it->ix].alive ||
                                                      m.ixs[it->ix].active_res != it->res)
                                                   : false;
      if (orphan) {
        SB_BUG("routing: agent work slot without an owner released by reconcile");
        Impl::addLoad(a, it->ch, -1);
        it = a.work.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
    if (changed) {
      Impl::touchIdle(a, now);
      freed.push_back(ai);
    }
  }
  for (std::uint32_t ai : freed) m.refreshAgent(ai, out);
  m.dispatchAgents(freed, now, out, "agent-available");
}

std::optional<AgentSnapshot> Engine::agent(const AgentId& id) const {
  const Impl& m = *impl_;
  auto it = m.agent_index.find(id);
  if (it == m.agent_index.end()) return std::nullopt;
  const AgentRec& a = m.agents[it->second];
  AgentSnapshot s;
  s.id = a.id;
  s.tenant = a.tenant_id;
  s.state = a.state;
  s.requested = a.requested;
  s.break_reason = a.reason;
  s.presence = a.presence;
  s.reachable = a.reachable;
  s.routable = Impl::routable(a);
  s.interactions_today = a.today;
  s.talk_time = a.talk;
  s.last_idle = a.last_idle;
  s.consecutive_timeouts = a.consecutive_timeouts;
  s.used_units = a.used_units;
  s.channel_count = a.count;
  for (const Slot& sl : a.work) {
    if (sl.kind == SlotKind::Reserved) s.reserved.push_back(m.ixs[sl.ix].id);
    if (sl.kind == SlotKind::Active) s.active.push_back(m.ixs[sl.ix].id);
    if (sl.kind == SlotKind::WrapUp) {
      for (const WrapInfo& w : a.wraps) {
        if (w.res == sl.res) s.wrapping.push_back(w.iid);
      }
      if (!s.wrap_up_until || sl.deadline > *s.wrap_up_until) s.wrap_up_until = sl.deadline;
    }
  }
  for (const AgentQueue& aq : a.queues) s.queues.push_back(m.queues[aq.queue].spec.id);
  return s;
}

std::optional<InteractionSnapshot> Engine::interaction(const InteractionId& id) const {
  const Impl& m = *impl_;
  const std::size_t pos = m.ixFind(id);
  if (pos == detail::HashIndex::kNpos) return std::nullopt;
  const IxRec& x = m.ixs[m.ix_index.value(pos)];
  InteractionSnapshot s;
  s.id = x.id;
  s.tenant = x.tenant_id;
  s.queue = x.queue_id;
  for (std::uint32_t q : x.extra) s.also_in.push_back(m.queues[q].spec.id);
  s.channel = x.ch;
  s.phase = x.phase == Phase::Waiting   ? InteractionPhase::Waiting
            : x.phase == Phase::Offered ? InteractionPhase::Offered
                                        : InteractionPhase::Active;
  s.priority = x.priority;
  s.step = x.step;
  s.enqueued_at = x.enq;
  for (std::uint64_t r : x.offers) s.offered_to.push_back(m.agents[m.res.find(r)->agent].id);
  if (x.phase == Phase::Active) s.agent = m.agents[x.agent].id;
  return s;
}

std::optional<QueueSnapshot> Engine::queue(const QueueId& id) const {
  const Impl& m = *impl_;
  auto it = m.queueFind(id);
  if (!it || !m.queues[*it].alive) return std::nullopt;
  const QueueRec& q = m.queues[*it];
  QueueSnapshot s;
  s.id = q.spec.id;
  s.tenant = q.spec.tenant;
  s.waiting = q.waiting.size();
  s.candidates = q.cands.size();
  s.open_candidates = m.qhot[*it].open_count;
  for (const WaitKey& k : q.waiting) {
    MonoTime e = m.ixs[k.ix].enq;
    if (!s.oldest_enqueued_at || e < *s.oldest_enqueued_at) s.oldest_enqueued_at = e;
  }
  return s;
}

std::vector<WhyPtr> Engine::why(const InteractionId& id) const {
  const Impl& m = *impl_;
  std::vector<WhyPtr> found;
  const std::size_t n = m.why_ring.size();
  for (std::size_t k = 0; k < n; ++k) {
    const auto& [rid, w] = m.why_ring[(m.why_next + k) % n];  // oldest first
    if (rid == id) found.push_back(w);
  }
  if (found.size() > m.cfg.why_per_interaction) {
    found.erase(found.begin(),
                found.end() - static_cast<std::ptrdiff_t>(m.cfg.why_per_interaction));
  }
  return found;
}

const EngineStats& Engine::stats() const { return impl_->stats; }

std::size_t Engine::approximateMemory() const {
  const Impl& m = *impl_;
  // Node-based containers: payload plus ~32 bytes of node/bucket overhead per element.
  std::size_t bytes = m.ixs.capacity() * sizeof(IxRec) + m.agents.capacity() * sizeof(AgentRec) +
                      m.queues.capacity() * sizeof(QueueRec);
  for (const IxRec& x : m.ixs) {
    bytes += x.attrs.capacity() * sizeof(x.attrs[0]) + x.own.capacity() * sizeof(Req) +
             x.extra.capacity() * sizeof(std::uint32_t) +
             x.offers.capacity() * sizeof(std::uint64_t) + x.skips.capacity() * sizeof(x.skips[0]);
  }
  for (const QueueRec& q : m.queues) {
    bytes += q.waiting.capacityBytes() + q.cands.capacity() * sizeof(Cand);
  }
  bytes += m.ix_index.capacity() * 8 + m.res.capacity() * (sizeof(ResRec) + 8);
  bytes += m.timers.size() * sizeof(Timer);
  return bytes;
}

}  // namespace sb::routing
