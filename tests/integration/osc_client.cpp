// OSC test client, fixture and helpers for the rtgraphd OSC integration tests
// (see osc_client.hpp): sockets on 127.0.0.1, request ids, replies matched by
// id, a private jackd + rtgraphd per test with OSC on a free port.
#include "osc_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace rtgraph::integration {

namespace {

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

int bound_port(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
    return ntohs(address.sin_port);
}

std::string describe_argument(const OscArgument& arg) {
    char text[64];
    if (const auto* s = std::get_if<std::string>(&arg.value)) {
        std::string shown = s->size() > 200 ? s->substr(0, 200) + "...(" + std::to_string(s->size()) + " bytes)" : *s;
        return "\"" + shown + "\"";
    }
    if (const auto* i = std::get_if<std::int32_t>(&arg.value)) return std::to_string(*i);
    if (const auto* h = std::get_if<std::int64_t>(&arg.value)) return std::to_string(*h) + "h";
    if (const auto* f = std::get_if<float>(&arg.value)) {
        std::snprintf(text, sizeof text, "%gf", static_cast<double>(*f));
        return text;
    }
    if (const auto* d = std::get_if<double>(&arg.value)) {
        std::snprintf(text, sizeof text, "%gd", *d);
        return text;
    }
    if (const auto* b = std::get_if<bool>(&arg.value)) return *b ? "T" : "F";
    return std::string("<") + arg.tag + ">";
}

}  // namespace

int pick_free_osc_port() {
    for (int attempt = 0; attempt < 50; ++attempt) {
        const int tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int port = 0;
        if (tcp >= 0 && udp >= 0) {
            sockaddr_in any = loopback(0);
            if (::bind(tcp, reinterpret_cast<const sockaddr*>(&any), sizeof any) == 0) {
                const int candidate = bound_port(tcp);
                sockaddr_in same = loopback(candidate);
                if (candidate > 0 && ::bind(udp, reinterpret_cast<const sockaddr*>(&same), sizeof same) == 0) {
                    port = candidate;
                }
            }
        }
        if (tcp >= 0) ::close(tcp);
        if (udp >= 0) ::close(udp);
        if (port > 0) return port;
    }
    return 0;
}

std::int64_t realtime_us_now() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

OscTimetag ntp_from_realtime_us(std::int64_t realtime_us) {
    constexpr std::uint64_t kNtpToUnix = 2208988800ULL;
    const auto seconds = static_cast<std::uint64_t>(realtime_us / 1000000) + kNtpToUnix;
    const auto micros = static_cast<std::uint64_t>(realtime_us % 1000000);
    const std::uint64_t fraction = (micros << 32) / 1000000;
    return OscTimetag{(seconds << 32) | fraction};
}

OscTimetag ntp_from_now(double seconds_from_now) {
    return ntp_from_realtime_us(realtime_us_now() + static_cast<std::int64_t>(std::llround(seconds_from_now * 1e6)));
}

std::string describe_message(const OscMessage& message) {
    std::string out = message.address + " ," + message.typetags();
    for (const OscArgument& arg : message.args) out += " " + describe_argument(arg);
    return out;
}

control::OscParseLimits reply_limits() {
    // The daemon's replies go past the request limits: /api has 78
    // arguments, /types and /graph/dump are JSON strings of many kB (over
    // TCP a dump of a thousand nodes is past one 64 KiB packet).
    control::OscParseLimits limits;
    limits.max_packet = 16 << 20;
    limits.max_args = 4096;
    limits.max_string = 16 << 20;
    return limits;
}

// ---------------------------------------------------------------------------
// OscReply

std::string OscReply::str(std::size_t i) const {
    if (i >= results.size()) return {};
    const auto* s = std::get_if<std::string>(&results[i].value);
    return s != nullptr ? *s : std::string();
}

float OscReply::number(std::size_t i) const {
    if (i >= results.size()) return std::numeric_limits<float>::quiet_NaN();
    if (const auto* f = std::get_if<float>(&results[i].value)) return *f;
    if (const auto* n = std::get_if<std::int32_t>(&results[i].value)) return static_cast<float>(*n);
    return std::numeric_limits<float>::quiet_NaN();
}

std::optional<std::int32_t> OscReply::integer(std::size_t i) const {
    if (i >= results.size()) return std::nullopt;
    if (const auto* n = std::get_if<std::int32_t>(&results[i].value)) return *n;
    return std::nullopt;
}

std::string OscReply::describe() const { return describe_message(message); }

namespace {

std::optional<OscReply> to_reply(const OscMessage& message) {
    if (message.address != "/done" && message.address != "/error") return std::nullopt;
    if (message.args.size() < 2 || message.args[0].tag != 'i' || message.args[1].tag != 's') return std::nullopt;
    OscReply reply;
    reply.done = message.address == "/done";
    reply.id = std::get<std::int32_t>(message.args[0].value);
    reply.address = std::get<std::string>(message.args[1].value);
    reply.message = message;
    if (reply.done) {
        reply.results.assign(message.args.begin() + 2, message.args.end());
    } else {
        if (message.args.size() >= 3 && message.args[2].tag == 's') reply.code = std::get<std::string>(message.args[2].value);
        if (message.args.size() >= 4 && message.args[3].tag == 's') reply.text = std::get<std::string>(message.args[3].value);
    }
    return reply;
}

}  // namespace

// ---------------------------------------------------------------------------
// OscClient

OscClient::OscClient(Kind kind, int port) : kind_(kind) {
    fd_ = ::socket(AF_INET, (kind == Kind::kTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error_ = std::string("socket: ") + std::strerror(errno);
        return;
    }
    if (kind == Kind::kUdp) {
        // Room for a flood's replies.
        const int size = 8 << 20;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
        sockaddr_in local = loopback(0);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
            error_ = std::string("bind: ") + std::strerror(errno);
            return;
        }
    } else {
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    const sockaddr_in remote = loopback(port);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
        error_ = std::string("connect to 127.0.0.1:") + std::to_string(port) + ": " + std::strerror(errno);
    }
}

OscClient::~OscClient() {
    if (fd_ >= 0) ::close(fd_);
}

bool OscClient::send_stream_bytes(std::span<const std::uint8_t> bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

bool OscClient::send_packet(std::span<const std::uint8_t> packet) {
    if (kind_ == Kind::kUdp) {
        return ::send(fd_, packet.data(), packet.size(), 0) == static_cast<ssize_t>(packet.size());
    }
    std::vector<std::uint8_t> frame(4 + packet.size());
    const auto size = static_cast<std::uint32_t>(packet.size());
    frame[0] = static_cast<std::uint8_t>(size >> 24);
    frame[1] = static_cast<std::uint8_t>(size >> 16);
    frame[2] = static_cast<std::uint8_t>(size >> 8);
    frame[3] = static_cast<std::uint8_t>(size);
    std::copy(packet.begin(), packet.end(), frame.begin() + 4);
    return send_stream_bytes(frame);
}

std::int32_t OscClient::send(const std::string& address, std::vector<OscArgument> args) {
    const std::int32_t id = next_id_++;
    OscMessage message{address, {osc_i(id)}};
    message.args.insert(message.args.end(), std::make_move_iterator(args.begin()),
                        std::make_move_iterator(args.end()));
    const std::vector<std::uint8_t> packet = control::encode_osc_message(message);
    if (packet.empty() || !send_packet(packet)) return -1;
    return id;
}

std::optional<OscReply> OscClient::request(const std::string& address, std::vector<OscArgument> args,
                                           Clock::duration timeout) {
    const std::int32_t id = send(address, std::move(args));
    if (id < 0) return std::nullopt;
    return wait_reply(id, timeout);
}

std::optional<OscReply> OscClient::wait_reply(std::int32_t id, Clock::duration timeout) {
    const std::optional<OscMessage> message = wait_message(
        [id](const OscMessage& m) {
            const std::optional<OscReply> reply = to_reply(m);
            return reply && reply->id == id;
        },
        timeout);
    if (!message) return std::nullopt;
    return to_reply(*message);
}

std::optional<OscMessage> OscClient::wait_message(const std::function<bool(const OscMessage&)>& match,
                                                  Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
        const auto it = std::find_if(inbox_.begin(), inbox_.end(), match);
        if (it != inbox_.end()) {
            OscMessage found = std::move(*it);
            inbox_.erase(it);
            return found;
        }
        const auto now = Clock::now();
        if (now >= deadline || closed_) return std::nullopt;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        read_some(static_cast<int>(std::max<std::int64_t>(1, left)));
    }
}

void OscClient::pump(Clock::duration duration) {
    const auto deadline = Clock::now() + duration;
    while (!closed_) {
        const auto now = Clock::now();
        if (now >= deadline) break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        read_some(static_cast<int>(std::max<std::int64_t>(1, left)));
    }
}

std::vector<OscMessage> OscClient::take(const std::string& address) {
    std::vector<OscMessage> out;
    for (auto it = inbox_.begin(); it != inbox_.end();) {
        if (it->address == address) {
            out.push_back(std::move(*it));
            it = inbox_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

bool OscClient::read_some(int timeout_ms) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) return false;
    std::vector<std::uint8_t> buffer(kind_ == Kind::kUdp ? 70000 : 65536);
    bool any = false;
    while (true) {
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK && kind_ == Kind::kTcp) closed_ = true;
            break;
        }
        if (n == 0 && kind_ == Kind::kTcp) {
            closed_ = true;
            break;
        }
        any = true;
        if (kind_ == Kind::kUdp) {
            decode({buffer.data(), static_cast<std::size_t>(n)});
            continue;
        }
        stream_.insert(stream_.end(), buffer.begin(), buffer.begin() + n);
        std::size_t at = 0;
        while (stream_.size() - at >= 4) {
            const std::uint32_t size = (std::uint32_t{stream_[at]} << 24) | (std::uint32_t{stream_[at + 1]} << 16) |
                                       (std::uint32_t{stream_[at + 2]} << 8) | std::uint32_t{stream_[at + 3]};
            if (stream_.size() - at - 4 < size) break;
            decode({stream_.data() + at + 4, size});
            at += 4 + size;
        }
        stream_.erase(stream_.begin(), stream_.begin() + static_cast<std::ptrdiff_t>(at));
    }
    return any;
}

void OscClient::decode(std::span<const std::uint8_t> packet) {
    control::OscPacket parsed;
    std::string error;
    if (!control::parse_osc_packet(packet, parsed, error, reply_limits())) {
        ++undecodable_;
        return;
    }
    for (OscMessage& message : parsed.messages) inbox_.push_back(std::move(message));
}

// ---------------------------------------------------------------------------
// XrunCounter

XrunCounter::XrunCounter(const std::string& server) {
    client_ = open_jack_client(server, unique_name("xruns"));
    if (client_ == nullptr) return;
    jack_set_xrun_callback(client_, &XrunCounter::on_xrun, this);
    if (jack_activate(client_) != 0) {
        jack_client_close(client_);
        client_ = nullptr;
    }
}

XrunCounter::~XrunCounter() {
    if (client_ == nullptr) return;
    jack_deactivate(client_);
    jack_client_close(client_);
}

int XrunCounter::on_xrun(void* self) noexcept {
    static_cast<XrunCounter*>(self)->xruns_.fetch_add(1, std::memory_order_acq_rel);
    return 0;
}

float peak_of(std::span<const float> samples) {
    float peak = 0.0f;
    for (const float x : samples) peak = std::max(peak, std::fabs(x));
    return peak;
}

// ---------------------------------------------------------------------------
// Fixture

void OscDaemonTest::SetUp() {
    server_name_ = unique_name("rtgosc");
    settings_.server_name = server_name_;
    settings_.client_name = "rtgt";
    settings_.audio_inputs = {"in_1"};
    settings_.audio_outputs = {"out_1", "out_2"};
    settings_.midi_inputs = {"keys"};
    daemon_ = std::make_unique<DaemonProcess>(dir_.path());
}

void OscDaemonTest::TearDown() {
    tcp_.reset();
    udp_.reset();
    captures_.clear();
    observer_.reset();
    if (HasFailure()) {
        std::printf("---- rtgraphd log (%s) ----\n%s", daemon_->log_path().c_str(), daemon_->log().c_str());
        if (jack_) std::printf("---- jackd log ----\n%s", jack_->log().c_str());
        std::printf("---- end of logs ----\n");
    }
    daemon_.reset();  // the daemon before its server
    jack_.reset();
}

void OscDaemonTest::start_all(const std::string& patch) {
    jack_ = std::make_unique<JackServer>(server_name_, dir_.path() / "jackd.log", period_);
    std::string error;
    ASSERT_TRUE(jack_->start(error)) << error;
    settings_.patch_text = patch;
    bool ready = false;
    for (int attempt = 0; attempt < 4 && !ready; ++attempt) {
        port_ = pick_free_osc_port();
        ASSERT_GT(port_, 0) << "no free port on 127.0.0.1";
        settings_.osc_udp_port = port_;
        settings_.osc_tcp_port = port_;
        ASSERT_TRUE(daemon_->start(settings_, error)) << error;
        const std::optional<std::string> line =
            daemon_->wait_for_log("rtgraphd ready|cannot open the OSC control port", 10s);
        ASSERT_TRUE(line) << "daemon " << (daemon_->running() ? "running" : "exited") << "; log:\n"
                          << daemon_->log();
        ready = line->find("ready") != std::string::npos;
        if (!ready) daemon_->stop();  // the port was taken in between: another one
    }
    ASSERT_TRUE(ready) << daemon_->log();
    observer_ = std::make_unique<JackObserver>(server_name_);
    ASSERT_TRUE(observer_->ok());
    tcp_ = connect(OscClient::Kind::kTcp);
    udp_ = connect(OscClient::Kind::kUdp);
    ASSERT_TRUE(tcp_->ok()) << tcp_->error();
    ASSERT_TRUE(udp_->ok()) << udp_->error();
}

std::unique_ptr<OscClient> OscDaemonTest::connect(OscClient::Kind kind) const {
    return std::make_unique<OscClient>(kind, port_);
}

OscReply OscDaemonTest::ok(const std::string& address, std::vector<OscArgument> args) {
    const std::string shown = describe_message(OscMessage{address, args});
    const std::optional<OscReply> reply = tcp_->request(address, std::move(args));
    if (!reply) {
        ADD_FAILURE() << shown << ": no reply within 3 s";
        return {};
    }
    EXPECT_TRUE(reply->done) << shown << " -> " << reply->describe();
    EXPECT_EQ(reply->address, address) << reply->describe();
    return *reply;
}

OscReply OscDaemonTest::fails(const std::string& address, std::vector<OscArgument> args,
                              const std::string& code) {
    const std::string shown = describe_message(OscMessage{address, args});
    const std::optional<OscReply> reply = tcp_->request(address, std::move(args));
    if (!reply) {
        ADD_FAILURE() << shown << ": no reply within 3 s";
        return {};
    }
    EXPECT_FALSE(reply->done) << shown << " -> " << reply->describe();
    EXPECT_EQ(reply->code, code) << shown << " -> " << reply->describe();
    return *reply;
}

nlohmann::json OscDaemonTest::dump() {
    const OscReply reply = ok("/graph/dump");
    nlohmann::json parsed = nlohmann::json::parse(reply.str(0), nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << "/graph/dump is not JSON: " << reply.describe();
    return parsed.is_discarded() ? nlohmann::json() : parsed;
}

nlohmann::json OscDaemonTest::status() {
    const OscReply reply = ok("/status");
    nlohmann::json parsed = nlohmann::json::parse(reply.str(0), nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << "/status is not JSON: " << reply.describe();
    return parsed.is_discarded() ? nlohmann::json() : parsed;
}

nlohmann::json OscDaemonTest::node_in(const nlohmann::json& dump, const std::string& name) {
    if (!dump.contains("nodes")) return {};
    for (const nlohmann::json& node : dump["nodes"]) {
        if (node.value("name", "") == name) return node;
    }
    return {};
}

nlohmann::json OscDaemonTest::connection_in(const nlohmann::json& dump, const std::string& source,
                                            const std::string& destination) {
    if (!dump.contains("connections")) return {};
    for (const nlohmann::json& c : dump["connections"]) {
        if (c.value("source", "") == source && c.value("destination", "") == destination) return c;
    }
    return {};
}

CaptureClient& OscDaemonTest::add_capture(unsigned ports, double seconds) {
    captures_.push_back(std::make_unique<CaptureClient>(server_name_, unique_name("cap"), ports,
                                                        static_cast<std::size_t>(seconds * 48000.0)));
    return *captures_.back();
}

std::optional<float> OscDaemonTest::peak_after(const CaptureClient& capture, unsigned port, std::size_t from,
                                               std::size_t frames) {
    if (!capture.wait_for_frames(from + frames, 3s)) return std::nullopt;
    return peak_of(capture.samples(port, from, frames));
}

}  // namespace rtgraph::integration
