// rtgraphctl's connection to rtgraphd (sockets) and its OSC codec (liblo).
#include "rtgraphctl_client.hpp"

#include <fcntl.h>
#include <lo/lo.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rtgraph::ctl {

namespace {

constexpr std::size_t kMaxFrame = 64u << 20;  // a reply larger than this is not rtgraphd's
constexpr std::size_t kMaxDatagram = 65536;

// An lo_message, freed on scope exit unless released.
class LoMessage {
public:
    LoMessage() : message_(lo_message_new()) {}
    ~LoMessage() {
        if (message_ != nullptr) lo_message_free(message_);
    }
    LoMessage(const LoMessage&) = delete;
    LoMessage& operator=(const LoMessage&) = delete;
    lo_message get() const { return message_; }
    lo_message release() {
        lo_message m = message_;
        message_ = nullptr;
        return m;
    }

private:
    lo_message message_;
};

bool add_args(lo_message m, const Message& message) {
    struct Visitor {
        lo_message m;
        int operator()(std::int32_t v) const { return lo_message_add_int32(m, v); }
        int operator()(std::int64_t v) const { return lo_message_add_int64(m, v); }
        int operator()(float v) const { return lo_message_add_float(m, v); }
        int operator()(double v) const { return lo_message_add_double(m, v); }
        int operator()(const std::string& v) const { return lo_message_add_string(m, v.c_str()); }
        int operator()(bool v) const { return v ? lo_message_add_true(m) : lo_message_add_false(m); }
        int operator()(const Blob& v) const {
            lo_blob blob = lo_blob_new(static_cast<std::int32_t>(v.bytes.size()), v.bytes.data());
            if (blob == nullptr) return -1;
            const int rc = lo_message_add_blob(m, blob);
            lo_blob_free(blob);  // the message holds its own copy
            return rc;
        }
    };
    if (m == nullptr) return false;
    for (const Value& arg : message.args) {
        if (std::visit(Visitor{m}, arg) != 0) return false;
    }
    return true;
}

std::vector<std::uint8_t> take_buffer(void* data, std::size_t size) {
    std::vector<std::uint8_t> out;
    if (data != nullptr) {
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        out.assign(bytes, bytes + size);
        std::free(data);
    }
    return out;
}

std::uint32_t read_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

// liblo's argument pointers are only 4-byte aligned (the OSC wire layout),
// so values are copied out, never read through the lo_arg union.
template <typename T>
T load(const lo_arg* arg) {
    T value{};
    std::memcpy(&value, static_cast<const void*>(arg), sizeof value);
    return value;
}

Value from_lo(char type, const lo_arg* arg) {
    switch (type) {
        case LO_INT32: return load<std::int32_t>(arg);
        case LO_INT64: return load<std::int64_t>(arg);
        case LO_FLOAT: return load<float>(arg);
        case LO_DOUBLE: return load<double>(arg);
        case LO_STRING:
        case LO_SYMBOL: return std::string(reinterpret_cast<const char*>(arg));
        case LO_TRUE: return true;
        case LO_FALSE: return false;
        case LO_CHAR: return load<std::int32_t>(arg) & 0xff;  // sent as an int32
        case LO_NIL: return std::string("nil");
        case LO_INFINITUM: return std::string("infinitum");
        case LO_BLOB: return "<blob of " + std::to_string(load<std::int32_t>(arg)) + " bytes>";
        default: return "<type " + std::string(1, type) + ">";
    }
}

bool decode_message(std::span<const std::uint8_t> bytes, std::vector<Message>& out, std::string& error) {
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());  // liblo takes non-const data
    int result = 0;
    lo_message m = lo_message_deserialise(copy.data(), copy.size(), &result);
    if (m == nullptr) {
        error = "undecodable OSC message (liblo error " + std::to_string(result) + ")";
        return false;
    }
    Message message;
    message.address = lo_get_path(copy.data(), static_cast<ssize_t>(copy.size()));
    const char* types = lo_message_get_types(m);
    lo_arg** argv = lo_message_get_argv(m);
    const int argc = lo_message_get_argc(m);
    for (int i = 0; i < argc && types != nullptr && types[i] != '\0'; ++i) {
        message.args.push_back(from_lo(types[i], argv[i]));
    }
    lo_message_free(m);
    out.push_back(std::move(message));
    return true;
}

bool decode_into(std::span<const std::uint8_t> packet, std::vector<Message>& out, std::string& error,
                 int depth) {
    static constexpr std::uint8_t kBundle[8] = {'#', 'b', 'u', 'n', 'd', 'l', 'e', 0};
    if (packet.size() < 8 || !std::equal(kBundle, kBundle + 8, packet.begin())) {
        return decode_message(packet, out, error);
    }
    if (depth > 8 || packet.size() < 16) {
        error = "malformed OSC bundle";
        return false;
    }
    std::size_t at = 16;  // after "#bundle\0" and the timetag
    while (at < packet.size()) {
        if (packet.size() - at < 4) {
            error = "malformed OSC bundle element";
            return false;
        }
        const std::size_t size = read_be32(packet.data() + at);
        at += 4;
        if (size == 0 || size > packet.size() - at) {
            error = "malformed OSC bundle element";
            return false;
        }
        if (!decode_into(packet.subspan(at, size), out, error, depth + 1)) return false;
        at += size;
    }
    return true;
}

std::string errno_text(int error) { return std::strerror(error); }

int remaining_ms(Clock::time_point deadline) {
    if (deadline == Clock::time_point::max()) return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

std::string where(const Options& options) {
    const bool v6 = options.host.find(':') != std::string::npos;
    return std::string(options.udp ? "udp " : "tcp ") + (v6 ? "[" : "") + options.host + (v6 ? "]" : "") + ":" +
           std::to_string(options.port);
}

}  // namespace

std::vector<std::uint8_t> encode_message(const Message& message) {
    LoMessage m;
    if (!add_args(m.get(), message)) return {};
    std::size_t size = 0;
    void* data = lo_message_serialise(m.get(), message.address.c_str(), nullptr, &size);
    return take_buffer(data, size);
}

std::vector<std::uint8_t> encode_bundle(const std::vector<Message>& messages) {
    const lo_timetag immediately{0, 1};
    lo_bundle bundle = lo_bundle_new(immediately);
    if (bundle == nullptr) return {};
    bool ok = true;
    for (const Message& message : messages) {
        LoMessage m;
        if (!add_args(m.get(), message) || lo_bundle_add_message(bundle, message.address.c_str(), m.get()) != 0) {
            ok = false;
            break;
        }
        m.release();  // the bundle holds a reference now; lo_bundle_free_recursive drops it
    }
    std::vector<std::uint8_t> out;
    if (ok) {
        std::size_t size = 0;
        void* data = lo_bundle_serialise(bundle, nullptr, &size);
        out = take_buffer(data, size);
    }
    lo_bundle_free_recursive(bundle);
    return out;
}

bool decode_packet(std::span<const std::uint8_t> packet, std::vector<Message>& out, std::string& error) {
    return decode_into(packet, out, error, 1);
}

Connection::~Connection() {
    if (fd_ >= 0) ::close(fd_);
}

bool Connection::open(const Options& options, Clock::time_point deadline, std::string& error) {
    udp_ = options.udp;
    where_ = where(options);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = udp_ ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options.port);
    if (const int rc = getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
        error = "cannot resolve host '" + options.host + "': " + gai_strerror(rc);
        return false;
    }
    std::string last_error = "no address";
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last_error = errno_text(errno);
            continue;
        }
        int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            const int ready = ::poll(&p, 1, remaining_ms(deadline));
            int so_error = ETIMEDOUT;
            socklen_t length = sizeof so_error;
            if (ready > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
            rc = so_error == 0 ? 0 : -1;
            errno = so_error;
        }
        if (rc == 0) {
            fd_ = fd;
            break;
        }
        last_error = errno == ETIMEDOUT ? "timed out" : errno_text(errno);
        ::close(fd);
        if (Clock::now() >= deadline) break;
    }
    freeaddrinfo(found);
    if (fd_ < 0) {
        error = "cannot connect to " + where_ + ": " + last_error + " (is rtgraphd running there?)";
        return false;
    }
    if (!udp_) {
        const int on = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    return true;
}

bool Connection::wait_for(short events, Clock::time_point deadline, int signal_fd, Wait& why, std::string& error) {
    for (;;) {
        pollfd fds[2] = {{fd_, events, 0}, {signal_fd, POLLIN, 0}};
        const int n = ::poll(fds, signal_fd >= 0 ? 2 : 1, remaining_ms(deadline));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = "poll: " + errno_text(errno);
            why = Wait::kError;
            return false;
        }
        if (signal_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
            why = Wait::kSignal;
            return false;
        }
        if (n == 0) {
            why = Wait::kTimeout;
            return false;
        }
        return true;  // ready, or an error/hangup that the next call reports
    }
}

bool Connection::send(std::span<const std::uint8_t> packet, Clock::time_point deadline, std::string& error) {
    std::vector<std::uint8_t> bytes;
    if (udp_) {
        bytes.assign(packet.begin(), packet.end());
    } else {
        const auto size = static_cast<std::uint32_t>(packet.size());
        bytes = {static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
                 static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
        bytes.insert(bytes.end(), packet.begin(), packet.end());
    }
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
            if (udp_) break;
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            Wait why = Wait::kError;
            if (!wait_for(POLLOUT, deadline, -1, why, error)) {
                if (why == Wait::kTimeout) error = "timed out sending to " + where_;
                return false;
            }
            continue;
        }
        error = "cannot send to " + where_ + ": " + errno_text(errno);
        return false;
    }
    return true;
}

bool Connection::take_frame(std::vector<std::uint8_t>& packet, std::string& error) {
    if (buffer_.size() < 4) return false;
    const std::uint32_t size = read_be32(buffer_.data());
    if (size == 0 || size > kMaxFrame) {
        error = "not an OSC stream from " + where_ + " (frame size " + std::to_string(static_cast<std::int32_t>(size)) +
                "): is rtgraphd listening there?";
        return false;
    }
    if (buffer_.size() - 4 < size) return false;
    packet.assign(buffer_.begin() + 4, buffer_.begin() + 4 + size);
    buffer_.erase(buffer_.begin(), buffer_.begin() + 4 + size);
    return true;
}

Connection::Wait Connection::receive(std::vector<std::uint8_t>& packet, Clock::time_point deadline, int signal_fd,
                                     std::string& error) {
    for (;;) {
        if (!udp_) {
            error.clear();
            if (take_frame(packet, error)) return Wait::kPacket;
            if (!error.empty()) return Wait::kError;
        }
        Wait why = Wait::kError;
        if (!wait_for(POLLIN, deadline, signal_fd, why, error)) return why;
        if (udp_) {
            packet.resize(kMaxDatagram);
            const ssize_t n = ::recv(fd_, packet.data(), packet.size(), 0);
            if (n > 0) {
                packet.resize(static_cast<std::size_t>(n));
                return Wait::kPacket;
            }
            if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
            if (n == 0) continue;  // an empty datagram
            error = (errno == ECONNREFUSED ? "connection refused: nothing listens on " + where_
                                           : "cannot receive from " + where_ + ": " + errno_text(errno));
            return Wait::kError;
        }
        std::uint8_t chunk[65536];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n > 0) {
            buffer_.insert(buffer_.end(), chunk, chunk + n);
            continue;
        }
        if (n == 0) return Wait::kClosed;
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        if (errno == ECONNRESET) return Wait::kClosed;
        error = "cannot receive from " + where_ + ": " + errno_text(errno);
        return Wait::kError;
    }
}

}  // namespace rtgraph::ctl
