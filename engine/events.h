// The daemon's event log, as `docker events` and GET /events see it: what happened to
// containers (create, start, kill, oom, die, stop, restart, destroy) and images (pull,
// import, load, untag, delete), in order, each with Docker's type, action and actor
// (ID and attributes: name, image, exitCode, signal, the container's labels). A bounded
// ring of the last kCapacity events: followers replay from a `since` time within it and
// then wait for new ones. Thread-safe: the engine publishes from API threads and its
// reaper; any number of /events connections read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hull::engine {

struct Event {
  std::string type;    // "container" or "image"
  std::string action;  // "start", "die", "pull", ...
  std::string id;      // the container's ID, or the image reference
  std::map<std::string, std::string> attributes;
  int64_t time_ns = 0;  // CLOCK_REALTIME, set by Publish
  uint64_t seq = 0;     // 1, 2, ... in publishing order, set by Publish
};

// Docker's events message: {"status", "id", "from", "Type", "Action", "Actor": {"ID",
// "Attributes"}, "scope": "local", "time", "timeNano"} (the first three are the old
// fields Docker still sends for containers and images).
nlohmann::json EventJson(const Event& event);

class EventLog {
 public:
  static constexpr size_t kCapacity = 4096;

  // Stamps the time and sequence number, keeps it, wakes the followers.
  void Publish(Event event);
  // The kept events numbered after `after` (0: from the oldest kept), waiting up to
  // `timeout` while there are none. Empty when the wait ran out.
  std::vector<Event> Next(uint64_t after, std::chrono::milliseconds timeout) const;
  // The number of the newest event (0: none yet): a follower without `since` starts here.
  uint64_t LastSeq() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable published_;
  std::deque<Event> events_;  // guarded by mu_
  uint64_t last_seq_ = 0;     // guarded by mu_
};

}  // namespace hull::engine
