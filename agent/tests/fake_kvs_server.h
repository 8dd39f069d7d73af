// A tiny single-purpose KVS server for agent tests: DescribeStream (404
// until CreateStream), CreateStream, and PutMedia with a chunked body parsed
// by fragments::MkvParser and PERSISTED acks for each Cluster as soon as it
// ends. It can drop a connection after N clusters without acking the last
// (a lost ack). Plain sockets, one thread per connection. Test-only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "osprey/fragments/mkv_parser.h"

namespace osprey::agent::testing {

class FakeKvsServer {
 public:
  FakeKvsServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~FakeKvsServer() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    std::lock_guard lock(mu_);
    for (auto& t : workers_) t.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Clusters received (timecodes), in arrival order, over all connections.
  std::vector<int64_t> clusters() {
    std::lock_guard lock(mu_);
    return clusters_;
  }
  std::vector<std::string> request_heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }
  int put_media_calls() {
    std::lock_guard lock(mu_);
    return put_media_calls_;
  }
  bool stream_created() {
    std::lock_guard lock(mu_);
    return created_;
  }
  // The next PutMedia connection closes after receiving `n` clusters; the
  // n-th is not acknowledged.
  void DropAfterClusters(int n) { drop_after_ = n; }

 private:
  struct Handler : fragments::MkvHandler {
    FakeKvsServer* server;
    int fd;
    int received = 0;
    int drop_after = 0;
    bool dropped = false;
    std::optional<uint64_t> open_timecode;
    Status OnClusterStart(const fragments::ClusterStart& c) override {
      open_timecode = c.timecode;
      std::lock_guard lock(server->mu_);
      server->clusters_.push_back(static_cast<int64_t>(c.timecode));
      return Status::Ok();
    }
    Status OnClusterEnd(const fragments::ClusterEnd&) override {
      ++received;
      if (drop_after > 0 && received >= drop_after) {
        dropped = true;
        return Status::Cancelled("drop");
      }
      std::string ack = "{\"EventType\":\"PERSISTED\",\"FragmentTimecode\":" +
                        std::to_string(*open_timecode) + ",\"FragmentNumber\":\"1\"}\n";
      SendChunk(fd, ack);
      return Status::Ok();
    }
  };

  static void SendAll(int fd, const std::string& s) {
    (void)!::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
  }
  static void SendChunk(int fd, const std::string& s) {
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", s.size());
    SendAll(fd, size + s + "\r\n");
  }

  void AcceptLoop() {
    while (!stop_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      workers_.emplace_back([this, fd] {
        Serve(fd);
        ::close(fd);
      });
    }
  }

  // Reads until `buf` holds `n` bytes or the peer closes.
  static bool Need(int fd, std::string* buf, size_t n) {
    char tmp[8192];
    while (buf->size() < n) {
      ssize_t r = ::recv(fd, tmp, sizeof(tmp), 0);
      if (r <= 0) return false;
      buf->append(tmp, static_cast<size_t>(r));
    }
    return true;
  }
  static bool ReadLine(int fd, std::string* buf, std::string* line) {
    size_t pos;
    while ((pos = buf->find("\r\n")) == std::string::npos) {
      if (!Need(fd, buf, buf->size() + 1)) return false;
    }
    *line = buf->substr(0, pos);
    buf->erase(0, pos + 2);
    return true;
  }

  void Serve(int fd) {
    std::string buf, line, head;
    while (ReadLine(fd, &buf, &line) && !line.empty()) head += line + "\n";
    {
      std::lock_guard lock(mu_);
      heads_.push_back(head);
    }
    auto path = head.substr(head.find(' ') + 1);
    path = path.substr(0, path.find(' '));
    if (path == "/describeStream" || path == "/createStream") {
      size_t cl = head.find("content-length: ");
      size_t n = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16));
      Need(fd, &buf, n);
      std::string body;
      int status = 200;
      {
        std::lock_guard lock(mu_);
        if (path == "/createStream") {
          created_ = true;
          body = "{\"StreamARN\":\"arn:aws:kinesisvideo:us-east-1:000000000000:stream/s/1\"}";
        } else if (!created_) {
          status = 404;
          body = "{\"message\":\"not found\"}";
        } else {
          body = "{\"StreamInfo\":{\"StreamName\":\"s\",\"Status\":\"ACTIVE\"}}";
        }
      }
      SendAll(fd, "HTTP/1.1 " + std::to_string(status) + " X\r\ncontent-length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
      return;
    }
    {
      std::lock_guard lock(mu_);
      ++put_media_calls_;
    }
    SendAll(fd, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
    Handler handler;
    handler.server = this;
    handler.fd = fd;
    handler.drop_after = drop_after_.exchange(0);
    fragments::MkvParser parser(&handler);
    for (;;) {
      if (!ReadLine(fd, &buf, &line)) return;
      size_t size = std::stoul(line, nullptr, 16);
      if (size == 0) break;
      if (!Need(fd, &buf, size + 2)) return;
      Status s = parser.Feed(std::string_view(buf).substr(0, size));
      buf.erase(0, size + 2);
      if (handler.dropped) return;
      if (!s.ok()) {
        SendChunk(fd, "{\"EventType\":\"ERROR\",\"ErrorId\":4006,\"ErrorCode\":\"INVALID_MKV_DATA\"}\n");
        SendAll(fd, "0\r\n\r\n");
        return;
      }
    }
    (void)parser.Finish();
    SendAll(fd, "0\r\n\r\n");
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> drop_after_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int64_t> clusters_;
  std::vector<std::string> heads_;
  int put_media_calls_ = 0;
  bool created_ = false;
};

}  // namespace osprey::agent::testing
