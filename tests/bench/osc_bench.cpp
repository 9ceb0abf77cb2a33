// Live OSC control benchmark for rtgraphd (standalone, not a gtest, not in
// ctest): scripts/bench_osc.sh starts a private dummy jackd and rtgraphd with
// "sine osc -> gain g -> graph:out_1" and runs this program against them.
// It measures (a) parameter-to-first-output-sample latency (a JACK client
// here captures rtgraph:out_1), (b) the time for 1000 /param/set requests
// over TCP each acknowledged once live (sequential and pipelined), and
// (c) the sustained /param/set rate absorbed with no xruns above an idle
// baseline, checking that every message got exactly one reply.
// Usage: rtgraph_bench_osc --server NAME --port P [--capture rtgraph:out_1]
#include <arpa/inet.h>
#include <jack/jack.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "rtgraph/control/osc_packet.hpp"

namespace {

using rtgraph::control::OscArgument;
using rtgraph::control::OscMessage;
using rtgraph::control::OscPacket;
using Clock = std::chrono::steady_clock;

// ---- capture client: one record per JACK block ---------------------------
struct Block {
    jack_nframes_t frame = 0;  // jack_last_frame_time of the block
    int first_nonzero = -1;    // index of the first nonzero sample, -1 if silent
};
constexpr std::size_t kRing = 1u << 16;
Block g_ring[kRing];
std::atomic<std::uint64_t> g_written{0};
std::atomic<std::uint64_t> g_xruns{0};
jack_port_t* g_in = nullptr;
jack_client_t* g_client = nullptr;

int on_process(jack_nframes_t nframes, void*) {
    const auto* buf = static_cast<const float*>(jack_port_get_buffer(g_in, nframes));
    int first = -1;
    for (jack_nframes_t i = 0; i < nframes; ++i) {
        if (buf[i] != 0.0f) {
            first = static_cast<int>(i);
            break;
        }
    }
    const std::uint64_t w = g_written.load(std::memory_order_relaxed);
    g_ring[w % kRing] = Block{jack_last_frame_time(g_client), first};
    g_written.store(w + 1, std::memory_order_release);
    return 0;
}

int on_xrun(void*) {
    g_xruns.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

// ---- TCP OSC client ---------------------------------------------------------
struct Reply {
    bool done = false;
    std::int32_t id = 0;
    std::string code;
};

class Tcp {
public:
    explicit Tcp(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            fd_ = -1;
            return;
        }
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~Tcp() {
        if (fd_ >= 0) ::close(fd_);
    }
    Tcp(const Tcp&) = delete;
    Tcp& operator=(const Tcp&) = delete;
    bool ok() const { return fd_ >= 0; }

    static std::vector<std::uint8_t> frame(std::int32_t id, const std::string& node,
                                           const std::string& param, float value, float ramp_ms) {
        OscMessage m;
        m.address = "/param/set";
        m.args = {OscArgument{'i', id}, OscArgument{'s', node}, OscArgument{'s', param},
                  OscArgument{'f', value}, OscArgument{'f', ramp_ms}};
        auto body = rtgraph::control::encode_osc_message(m);
        std::vector<std::uint8_t> out(4 + body.size());
        const std::uint32_t n = htonl(static_cast<std::uint32_t>(body.size()));
        std::memcpy(out.data(), &n, 4);
        std::memcpy(out.data() + 4, body.data(), body.size());
        return out;
    }
    bool send_bytes(const std::vector<std::uint8_t>& b) {
        std::size_t off = 0;
        while (off < b.size()) {
            const ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }
    bool set(std::int32_t id, const std::string& node, const std::string& param, float v,
             float ramp) {
        return send_bytes(frame(id, node, param, v, ramp));
    }
    // Reads replies for up to timeout_ms; appends decoded /done and /error.
    bool read_some(int timeout_ms, std::vector<Reply>& out) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        std::uint8_t tmp[65536];
        const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf_.insert(buf_.end(), tmp, tmp + n);
        std::size_t off = 0;
        while (buf_.size() - off >= 4) {
            std::uint32_t len = 0;
            std::memcpy(&len, buf_.data() + off, 4);
            len = ntohl(len);
            if (buf_.size() - off - 4 < len) break;
            OscPacket pk;
            std::string err;
            rtgraph::control::OscParseLimits lim;
            lim.max_packet = 1u << 20;
            lim.max_string = 1u << 20;
            if (rtgraph::control::parse_osc_packet(
                    std::span<const std::uint8_t>(buf_.data() + off + 4, len), pk, err, lim)) {
                for (const auto& m : pk.messages) {
                    if ((m.address != "/done" && m.address != "/error") || m.args.empty()) continue;
                    Reply r;
                    r.done = m.address == "/done";
                    if (const auto* id = std::get_if<std::int32_t>(&m.args[0].value)) r.id = *id;
                    if (!r.done && m.args.size() > 2) {
                        if (const auto* c = std::get_if<std::string>(&m.args[2].value)) r.code = *c;
                    }
                    out.push_back(r);
                }
            }
            off += 4 + len;
        }
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(off));
        return true;
    }
    // Waits for the reply with this id (others are dropped).
    bool wait(std::int32_t id, bool* done, int timeout_ms = 3000) {
        const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
        while (Clock::now() < end) {
            for (std::size_t i = 0; i < pending_.size(); ++i) {
                if (pending_[i].id == id) {
                    if (done) *done = pending_[i].done;
                    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
                    return true;
                }
            }
            read_some(10, pending_);
        }
        return false;
    }

private:
    int fd_ = -1;
    std::vector<std::uint8_t> buf_;
    std::vector<Reply> pending_;
};

double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::string server, capture = "rtgraph:out_1";
    int port = 0, iterations = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--server") server = argv[i + 1];
        else if (k == "--port") port = std::atoi(argv[i + 1]);
        else if (k == "--capture") capture = argv[i + 1];
        else if (k == "--iterations") iterations = std::atoi(argv[i + 1]);
    }
    if (server.empty() || port <= 0) {
        std::fprintf(stderr, "usage: %s --server NAME --port P [--capture PORT]\n", argv[0]);
        return 2;
    }
    jack_status_t st{};
    g_client = jack_client_open("oscbench", static_cast<jack_options_t>(JackServerName | JackNoStartServer),
                                &st, server.c_str());
    if (!g_client) {
        std::fprintf(stderr, "cannot open JACK client on %s\n", server.c_str());
        return 1;
    }
    g_in = jack_port_register(g_client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(g_client, on_process, nullptr);
    jack_set_xrun_callback(g_client, on_xrun, nullptr);
    if (jack_activate(g_client) != 0 ||
        jack_connect(g_client, capture.c_str(), jack_port_name(g_in)) != 0) {
        std::fprintf(stderr, "cannot activate/connect %s\n", capture.c_str());
        return 1;
    }
    const double period_us = 1e6 * jack_get_buffer_size(g_client) / jack_get_sample_rate(g_client);
    Tcp tcp(port);
    if (!tcp.ok()) {
        std::fprintf(stderr, "cannot connect TCP 127.0.0.1:%d\n", port);
        return 1;
    }
    std::int32_t next_id = 1;
    int failures = 0;

    // (a) latency: gain 0 -> silence -> t0, gain 1 ramp 0 -> first nonzero sample.
    std::vector<double> lat_us;
    for (int it = 0; it < iterations; ++it) {
        bool done = false;
        const std::int32_t id0 = next_id++;
        if (!tcp.set(id0, "g", "gain", 0.0f, 0.0f) || !tcp.wait(id0, &done) || !done) {
            ++failures;
            continue;
        }
        // Two whole silent blocks written after the /done.
        std::uint64_t from = g_written.load(std::memory_order_acquire);
        int silent = 0;
        const auto deadline = Clock::now() + std::chrono::seconds(2);
        while (silent < 2 && Clock::now() < deadline) {
            const std::uint64_t w = g_written.load(std::memory_order_acquire);
            for (; from < w; ++from) silent = g_ring[from % kRing].first_nonzero < 0 ? silent + 1 : 0;
            if (silent < 2) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        // Random phase against the period so the figure covers the whole cycle.
        std::this_thread::sleep_for(std::chrono::microseconds((it * 397) % 1400));
        from = g_written.load(std::memory_order_acquire);
        const jack_time_t t0 = jack_get_time();
        const std::int32_t id1 = next_id++;
        tcp.set(id1, "g", "gain", 1.0f, 0.0f);
        bool found = false;
        const auto d2 = Clock::now() + std::chrono::seconds(2);
        while (!found && Clock::now() < d2) {
            const std::uint64_t w = g_written.load(std::memory_order_acquire);
            for (; from < w && !found; ++from) {
                const Block b = g_ring[from % kRing];
                if (b.first_nonzero < 0) continue;
                const jack_time_t t = jack_frames_to_time(
                    g_client, b.frame + static_cast<jack_nframes_t>(b.first_nonzero));
                lat_us.push_back(static_cast<double>(static_cast<std::int64_t>(t - t0)));
                found = true;
            }
            if (!found) std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        if (!found) ++failures;
        tcp.wait(id1, &done);
    }

    // (b) 1000 acknowledged sets: sequential and pipelined, 5 repetitions each.
    std::vector<double> seq_ms, pipe_ms;
    int busy_pipe = 0, lost_b = 0;
    for (int rep = 0; rep < 5; ++rep) {
        auto t = Clock::now();
        for (int i = 0; i < 1000; ++i) {
            const std::int32_t id = next_id++;
            bool done = false;
            tcp.set(id, "g", "gain", 0.001f * static_cast<float>(i % 100), 0.0f);
            if (!tcp.wait(id, &done)) ++lost_b;
            else if (!done) ++failures;
        }
        seq_ms.push_back(ms_since(t));
        t = Clock::now();
        std::vector<std::uint8_t> all;
        const std::int32_t first = next_id;
        for (int i = 0; i < 1000; ++i) {
            const auto f = Tcp::frame(next_id++, "g", "gain", 0.001f * static_cast<float>(i % 100), 0.0f);
            all.insert(all.end(), f.begin(), f.end());
        }
        tcp.send_bytes(all);
        std::vector<Reply> got;
        const auto end = Clock::now() + std::chrono::seconds(5);
        while (got.size() < 1000 && Clock::now() < end) tcp.read_some(10, got);
        pipe_ms.push_back(ms_since(t));
        for (const auto& r : got) {
            if (r.id < first) continue;
            if (!r.done) ++busy_pipe;
        }
        if (got.size() < 1000) lost_b += 1000 - static_cast<int>(got.size());
    }

    // (c) sustained rate: paced sends; a reader thread counts replies.
    struct Stage {
        int rate;
        double achieved;
        std::uint64_t sent, done, busy, other, missing, xruns;
    };
    std::vector<Stage> stages;
    const int rates[] = {0, 1000, 5000, 20000, 50000, 100000};
    for (int rate : rates) {
        std::atomic<bool> stop{false};
        std::atomic<std::uint64_t> n_done{0}, n_busy{0}, n_other{0};
        std::thread reader([&] {
            std::vector<Reply> got;
            while (!stop.load()) {
                got.clear();
                tcp.read_some(20, got);
                for (const auto& r : got) {
                    if (r.done) ++n_done;
                    else if (r.code == "busy") ++n_busy;
                    else ++n_other;
                }
            }
        });
        const std::uint64_t x0 = g_xruns.load();
        const auto start = Clock::now();
        std::uint64_t sent = 0;
        while (ms_since(start) < 3000.0) {
            const auto target = static_cast<std::uint64_t>(rate * ms_since(start) / 1000.0);
            std::vector<std::uint8_t> batch;
            for (; sent < target; ++sent) {
                const auto f = Tcp::frame(next_id++, "g", "gain", 0.5f + 0.001f * static_cast<float>(sent % 100), 0.0f);
                batch.insert(batch.end(), f.begin(), f.end());
            }
            if (!batch.empty()) tcp.send_bytes(batch);
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        const double secs = ms_since(start) / 1000.0;
        const std::uint64_t x1 = g_xruns.load();
        const auto end = Clock::now() + std::chrono::seconds(10);
        while (n_done + n_busy + n_other < sent && Clock::now() < end)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // extra replies, if any
        stop = true;
        reader.join();
        const std::uint64_t got = n_done + n_busy + n_other;
        stages.push_back(Stage{rate, static_cast<double>(sent) / secs, sent, n_done.load(),
                               n_busy.load(), n_other.load(), sent > got ? sent - got : 0, x1 - x0});
        if (got > sent) std::printf("WARNING: %llu replies for %llu messages at %d/s\n",
                                    static_cast<unsigned long long>(got),
                                    static_cast<unsigned long long>(sent), rate);
    }

    // Report.
    std::printf("\n### rtgraphd OSC benchmark (JACK dummy, %u frames, %u Hz, period %.0f us)\n\n",
                jack_get_buffer_size(g_client), jack_get_sample_rate(g_client), period_us);
    std::printf("| measure | value |\n|---|---:|\n");
    std::printf("| param -> first output sample, median (%zu msgs) | %.3f ms (%.2f periods) |\n",
                lat_us.size(), pct(lat_us, 0.5) / 1000.0, pct(lat_us, 0.5) / period_us);
    std::printf("| param -> first output sample, p99 | %.3f ms (%.2f periods) |\n",
                pct(lat_us, 0.99) / 1000.0, pct(lat_us, 0.99) / period_us);
    std::printf("| param -> first output sample, min / max | %.3f / %.3f ms |\n",
                pct(lat_us, 0.0) / 1000.0, pct(lat_us, 1.0) / 1000.0);
    std::printf("| 1000 acked sets over TCP, sequential (median of 5) | %.1f ms (min %.1f, max %.1f) |\n",
                pct(seq_ms, 0.5), pct(seq_ms, 0.0), pct(seq_ms, 1.0));
    std::printf("| 1000 acked sets over TCP, pipelined (median of 5) | %.1f ms (min %.1f, max %.1f) |\n",
                pct(pipe_ms, 0.5), pct(pipe_ms, 0.0), pct(pipe_ms, 1.0));
    std::printf("| pipelined: busy replies / lost (no reply) in 5x1000 | %d / %d |\n", busy_pipe, lost_b);
    std::printf("| latency-loop failures | %d |\n\n", failures);

    std::printf("| target msg/s | achieved msg/s | sent | /done | busy | other error | no reply | xruns / 3 s |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const std::uint64_t baseline = stages.empty() ? 0 : stages[0].xruns;
    int best = 0;
    bool all_replied = true;
    for (const auto& s : stages) {
        std::printf("| %s | %.0f | %llu | %llu | %llu | %llu | %llu | %llu |\n",
                    s.rate == 0 ? "idle baseline" : std::to_string(s.rate).c_str(), s.achieved,
                    static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.done),
                    static_cast<unsigned long long>(s.busy), static_cast<unsigned long long>(s.other),
                    static_cast<unsigned long long>(s.missing), static_cast<unsigned long long>(s.xruns));
        if (s.missing != 0 || s.done + s.busy + s.other != s.sent) all_replied = false;
        if (s.rate > 0 && s.xruns <= baseline && s.rate > best) best = s.rate;
    }
    std::printf("\nhighest rate with xruns not above the idle baseline (%llu): %d msg/s; "
                "every message got exactly one reply: %s\n",
                static_cast<unsigned long long>(baseline), best, all_replied ? "yes" : "NO");
    jack_client_close(g_client);
    return 0;
}
