// The plain request and response types that hulld's routes see: no Beast or Asio type
// leaves http_server.cc. A ResponseWriter belongs to one connection and is used by the
// one thread serving it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hull::api {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // percent-decoded, without the query
  std::map<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;

  std::string Query(const std::string& key, const std::string& fallback = "") const;
  // Docker's booleans: "1", "true", "True" (and present-but-empty for some flags).
  bool QueryBool(const std::string& key, bool fallback = false) const;
  std::string Header(const std::string& lower_name) const;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // A whole response.
  virtual void Send(int status, std::string_view content_type, std::string body,
                    const HeaderList& headers = {}) = 0;
  // A streamed response: status and headers now (chunked), then Write()s, then End().
  virtual bool StartStream(int status, std::string_view content_type) = 0;
  // Docker's hijacked stream: 101 Switching Protocols (200 if the client did not ask to
  // upgrade), then raw bytes; the connection is closed after End().
  virtual bool Hijack(std::string_view content_type) = 0;
  // False once the client has gone.
  virtual bool Write(std::string_view data) = 0;
  virtual void End() = 0;
  // Whether the client has closed the connection (checked while a stream is idle).
  virtual bool ClientGone() = 0;
  // After Hijack, what the client sends (a container's stdin): first the bytes the server
  // had already read past the request, then the rest read from ClientFd() (-1: none).
  virtual std::string TakeBuffered() { return ""; }
  virtual int ClientFd() { return -1; }
};

// Writes {"message": text} with `status` (Docker's error body).
void SendError(ResponseWriter& w, int status, const std::string& message);
void SendJson(ResponseWriter& w, int status, const std::string& json);

}  // namespace hull::api
