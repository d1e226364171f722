#include "engine/events.h"

#include <time.h>

namespace hull::engine {

nlohmann::json EventJson(const Event& e) {
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& [key, value] : e.attributes) attributes[key] = value;
  nlohmann::json out = {{"Type", e.type},
                        {"Action", e.action},
                        {"Actor", {{"ID", e.id}, {"Attributes", attributes}}},
                        {"scope", "local"},
                        {"time", e.time_ns / 1000000000},
                        {"timeNano", e.time_ns}};
  out["status"] = e.action;
  out["id"] = e.id;
  if (e.type == "container" && e.attributes.count("image")) out["from"] = e.attributes.at("image");
  return out;
}

void EventLog::Publish(Event event) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  {
    std::lock_guard lock(mu_);
    event.time_ns = int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
    event.seq = ++last_seq_;
    events_.push_back(std::move(event));
    if (events_.size() > kCapacity) events_.pop_front();
  }
  published_.notify_all();
}

std::vector<Event> EventLog::Next(uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  published_.wait_for(lock, timeout, [&] { return last_seq_ > after; });
  std::vector<Event> out;
  for (const Event& e : events_) {
    if (e.seq > after) out.push_back(e);
  }
  return out;
}

uint64_t EventLog::LastSeq() const {
  std::lock_guard lock(mu_);
  return last_seq_;
}

}  // namespace hull::engine
