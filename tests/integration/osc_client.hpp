// OSC test client for the rtgraphd integration tests: TCP (int32 big-endian
// length-prefixed frames) and UDP sockets on 127.0.0.1, request ids, replies
// (/done, /error) matched by id, notifications kept aside; plus the fixture
// that starts a private dummy jackd and rtgraphd with OSC on free ports, and
// small helpers (free ports, NTP time, a JACK xrun counter).
//
// Threads: an OscClient belongs to one thread. XrunCounter's callback runs on
// a JACK thread and only bumps an atomic.
#pragma once

#include <gtest/gtest.h>
#include <jack/jack.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "jack_harness.hpp"
#include "rtgraph/control/osc_packet.hpp"

namespace rtgraph::integration {

using control::OscArgument;
using control::OscMessage;
using control::OscTimetag;

// Argument builders.
inline OscArgument osc_s(std::string text) { return OscArgument{'s', std::move(text)}; }
inline OscArgument osc_f(float value) { return OscArgument{'f', value}; }
inline OscArgument osc_i(std::int32_t value) { return OscArgument{'i', value}; }
inline OscArgument osc_d(double value) { return OscArgument{'d', value}; }
inline OscArgument osc_T() { return OscArgument{'T', true}; }
inline OscArgument osc_F() { return OscArgument{'F', false}; }

// A port number free for both TCP and UDP on 127.0.0.1 right now (the kernel
// picks it: bind to port 0); 0 when none was found.
int pick_free_osc_port();

// The NTP timetag of CLOCK_REALTIME now plus `seconds_from_now`.
OscTimetag ntp_from_now(double seconds_from_now);
// The NTP timetag of a CLOCK_REALTIME instant in microseconds.
OscTimetag ntp_from_realtime_us(std::int64_t realtime_us);
std::int64_t realtime_us_now();

// Parser limits for reading the daemon's replies (larger than the defaults,
// which are for requests).
control::OscParseLimits reply_limits();

// One reply, decoded.
struct OscReply {
    bool done = false;           // /done; else /error
    std::int32_t id = 0;
    std::string address;         // the request's address, echoed
    std::string code;            // /error: the code
    std::string text;            // /error: the message
    std::vector<OscArgument> results;  // /done: what follows ID ADDRESS
    OscMessage message;

    // results[i] as a string / float / int; "" / NaN / nullopt when it is not one.
    std::string str(std::size_t i) const;
    float number(std::size_t i) const;
    std::optional<std::int32_t> integer(std::size_t i) const;
    std::string describe() const;  // "/done 7 /node/add [...]" for failure messages
};

// "/done ,is 3 /x ..." readable form of any message.
std::string describe_message(const OscMessage& message);

class OscClient {
public:
    enum class Kind { kTcp, kUdp };

    OscClient(Kind kind, int port);
    ~OscClient();
    OscClient(const OscClient&) = delete;
    OscClient& operator=(const OscClient&) = delete;

    bool ok() const { return fd_ >= 0 && error_.empty(); }
    const std::string& error() const { return error_; }
    Kind kind() const { return kind_; }
    int fd() const { return fd_; }

    // One packet: TCP adds the size prefix, UDP sends one datagram.
    bool send_packet(std::span<const std::uint8_t> packet);
    // TCP only: these bytes as they are (hand-made frames).
    bool send_stream_bytes(std::span<const std::uint8_t> bytes);

    // A message with a fresh request id in front of `args`; the id.
    std::int32_t send(const std::string& address, std::vector<OscArgument> args = {});
    // send() and wait for its reply.
    std::optional<OscReply> request(const std::string& address, std::vector<OscArgument> args = {},
                                    Clock::duration timeout = 3s);
    // The reply (/done or /error) carrying `id`.
    std::optional<OscReply> wait_reply(std::int32_t id, Clock::duration timeout = 3s);
    // The first message (already received or arriving within `timeout`) that
    // satisfies `match`; it is taken out of the inbox.
    std::optional<OscMessage> wait_message(const std::function<bool(const OscMessage&)>& match,
                                           Clock::duration timeout);
    // Reads whatever arrives for `duration` into the inbox.
    void pump(Clock::duration duration);
    // Takes every message in the inbox with this address.
    std::vector<OscMessage> take(const std::string& address);
    // Everything received and not taken yet.
    const std::deque<OscMessage>& inbox() const { return inbox_; }

    // TCP: true once the daemon closed the connection (read 0 or reset).
    bool closed_by_peer() const { return closed_; }
    // Packets that did not parse as OSC.
    std::size_t undecodable() const { return undecodable_; }
    std::int32_t next_id() { return next_id_++; }

private:
    // Waits up to `timeout_ms` for data and decodes what came; false on timeout.
    bool read_some(int timeout_ms);
    void decode(std::span<const std::uint8_t> packet);

    Kind kind_;
    int fd_ = -1;
    std::string error_;
    std::vector<std::uint8_t> stream_;
    std::deque<OscMessage> inbox_;
    bool closed_ = false;
    std::size_t undecodable_ = 0;
    std::int32_t next_id_ = 1;
};

// A JACK client counting the server's xruns (jack_set_xrun_callback).
class XrunCounter {
public:
    explicit XrunCounter(const std::string& server);
    ~XrunCounter();
    XrunCounter(const XrunCounter&) = delete;
    XrunCounter& operator=(const XrunCounter&) = delete;
    bool ok() const { return client_ != nullptr; }
    std::uint64_t count() const { return xruns_.load(std::memory_order_acquire); }

private:
    static int on_xrun(void* self) noexcept;
    jack_client_t* client_ = nullptr;
    std::atomic<std::uint64_t> xruns_{0};
};

// Peak |x| of a span.
float peak_of(std::span<const float> samples);

// Each test: a private dummy jackd (48 kHz; period_ frames), rtgraphd with
// graph ports in_1 (audio in), out_1/out_2 (audio out), keys (MIDI in), OSC
// on one free port for UDP and TCP, and clients tcp() and udp().
class OscDaemonTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Starts everything (fatal on failure); `patch` is loaded at start.
    void start_all(const std::string& patch = "");

    OscClient& tcp() { return *tcp_; }
    OscClient& udp() { return *udp_; }
    // A new client of the running daemon.
    std::unique_ptr<OscClient> connect(OscClient::Kind kind) const;

    // request() on tcp(), asserting a /done (returns it; fatal failures are
    // recorded with the request in the message).
    OscReply ok(const std::string& address, std::vector<OscArgument> args = {});
    // request() on tcp(), expecting /error with `code`.
    OscReply fails(const std::string& address, std::vector<OscArgument> args, const std::string& code);

    nlohmann::json dump();
    nlohmann::json status();
    // The dump's node / connection, or a null json when missing.
    static nlohmann::json node_in(const nlohmann::json& dump, const std::string& name);
    static nlohmann::json connection_in(const nlohmann::json& dump, const std::string& source,
                                        const std::string& destination);

    CaptureClient& add_capture(unsigned ports, double seconds);
    // Peak of `port` over [from, from + frames) once captured (waits up to 3 s).
    std::optional<float> peak_after(const CaptureClient& capture, unsigned port, std::size_t from,
                                    std::size_t frames);
    std::string full_port(const std::string& graph_port) const { return "rtgt:" + graph_port; }

    unsigned period_ = 128;
    int port_ = 0;
    TempDir dir_;
    std::string server_name_;
    DaemonSettings settings_;
    std::unique_ptr<JackServer> jack_;
    std::unique_ptr<DaemonProcess> daemon_;
    std::unique_ptr<JackObserver> observer_;
    std::unique_ptr<OscClient> tcp_;
    std::unique_ptr<OscClient> udp_;
    std::vector<std::unique_ptr<CaptureClient>> captures_;
};

}  // namespace rtgraph::integration
