// OscTransport: rtgraphd's own OSC sockets. UDP and TCP (normally on the same
// port number) and an optional UNIX-domain stream socket, each bound exactly
// where the config says, handing whole raw packets to the OSC parser and
// sending replies back the way each request came.
//
// Threads: the control thread only (the daemon's poll() loop). Nothing here is
// thread-safe and nothing is real-time safe: every function may allocate and
// makes syscalls ([nrt] throughout). No function ever blocks: every socket is
// non-blocking, and a peer that cannot keep up is disconnected, not waited on.
//
// Why not liblo: its servers listen on every interface even when asked for
// 127.0.0.1 (liblo issue #113) and its parser has heap over-reads. Here a
// packet reaches the caller only whole, from an allowed peer, and at most
// max_packet bytes long; what a peer sends can never crash the daemon.
//
// Framing:
//   UDP        one datagram = one packet: at most min(max_packet, 64 KiB).
//   TCP, UNIX  OSC 1.0 stream framing (liblo's TCP default): each packet is
//              preceded by its size as a big-endian int32, so a packet may be
//              as large as max_packet (megabytes: a transaction of thousands
//              of commands). A frame larger than max_packet is refused
//              without ending the connection: on_oversize hears of it (so the
//              caller can tell the client why), its bytes are read and thrown
//              away as they come (never buffered), and the next frame is
//              delivered as usual; counted in dropped_oversize. A size of 0 is
//              a bad frame: the client is disconnected and counted. OSC 1.1
//              SLIP framing is not supported: a stream whose header starts
//              with a byte >= 0x80 (SLIP's END is 0xC0) can only be a negative
//              size, so the client is closed as soon as that first byte
//              arrives, counted as a bad frame.
//
// Memory: a stream client holds at most one partial frame (<= max_packet plus
// a read chunk) and max_stream_buffer bytes of unsent replies.
//
// Room for everyone (TCP and UNIX together): at most max_stream_clients
// connections, and at most max_stream_clients_per_address from one TCP source
// (an IPv4 address, or an IPv6 /64; UNIX peers count only against the total).
// A connection that finds no room takes the slot of one that is not in use,
// chosen in this order:
//   1. one that has sent nothing, the oldest first;
//   2. one stuck in its first frame (it has never sent a complete packet, an
//      oversize frame's header counting as one since it is answered), the
//      one whose last byte is oldest first;
//   3. one that has spoken, with nothing received and nothing sent to it for
//      idle_timeout (bytes of a frame count as received; a reply counts as
//      sent once the socket has taken all of it, so a subscriber hearing
//      notifications is in use and one that stops reading is not), the
//      longest idle first;
// and is refused only when every slot is in use. The one it replaces is cut
// off (an RST) and counted in stream_clients_evicted. What the clients there
// have sent is read before any newcomer is accepted, and connections accepted
// in the same service() call are never chosen. Where the full slots are one
// source's, only that source's connections are chosen from, so a flood from
// one address churns its own slots and nobody else's. (On loopback every
// address of 127.0.0.0/8 is a source of its own.)
// A frame that has begun and then gets no byte for frame_timeout is
// abandoned: the connection is cut off (stream_clients_timed_out). The check
// runs in service(), so it is as late as the caller's poll() wake-up.
//
// Access: UDP datagrams and TCP connections from outside `allow` are dropped or
// closed at once and counted. UNIX peers are always allowed: the socket file's
// mode (0660) and its directory guard them.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace rtgraph::control {

class IpAllowlist;

struct OscTransportConfig {
    std::string bind_address = "127.0.0.1";  // numeric IPv4 or IPv6 ("fe80::1%eth0" too)
    int udp_port = 7711;                     // 0: no UDP
    int tcp_port = 7711;                     // 0: no TCP
    std::string unix_socket;                 // empty: none; else a path
    std::vector<std::string> allow = {"127.0.0.1/32", "::1/128"};  // CIDR networks
    std::size_t max_packet = 65536;           // larger datagrams and frames are refused
    std::size_t max_stream_clients = 64;      // TCP and UNIX clients together
    std::size_t max_stream_clients_per_address = 16;  // TCP clients from one source address
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(30);
    std::chrono::steady_clock::duration frame_timeout = std::chrono::seconds(10);
    // The time the timeouts are measured in; empty: steady_clock::now. Tests
    // give a clock they move by hand.
    std::function<std::chrono::steady_clock::time_point()> clock;
    std::size_t max_stream_buffer = 1 << 20;  // unsent reply bytes queued per client
    int udp_receive_buffer = 4 << 20;         // SO_RCVBUF request; <= 0: the kernel's default
    // Tests: bind the enabled UDP/TCP sockets to a port the kernel picks (the
    // nonzero port values only say "on"). With both on, TCP binds first and UDP
    // takes the same number (retried with a new one if that is taken).
    bool ephemeral_ports = false;
};

struct OscPeer {
    enum class Kind { kUdp, kTcp, kUnix };
    Kind kind = Kind::kUdp;
    std::uint64_t connection = 0;  // stream connection id (1, 2, ...); 0 for UDP
    sockaddr_storage address{};    // UDP/TCP: the peer's address; UNIX: as accept() gave it
    socklen_t address_length = 0;

    // [nrt] "udp 127.0.0.1:50000", "tcp [::1]:4000 #3", "unix #5".
    std::string describe() const;
};

struct OscTransportStats {
    std::uint64_t packets = 0;                 // delivered to on_packet
    std::uint64_t dropped_not_allowed = 0;     // datagrams and connections outside `allow`
    std::uint64_t dropped_oversize = 0;        // datagrams and stream frames over max_packet
    std::uint64_t dropped_bad_frame = 0;       // empty datagrams; streams cut off for a bad frame
    std::uint64_t stream_clients_refused = 0;  // no slot free and none to take (or out of fds)
    std::uint64_t stream_clients_evicted = 0;  // cut off to give their unused slot to a newcomer
    std::uint64_t stream_clients_timed_out = 0;  // cut off: a begun frame stalled for frame_timeout
    std::uint64_t stream_clients_overflowed = 0;  // cut off: replies queued past max_stream_buffer
    std::uint64_t send_failures = 0;              // send() calls that returned false
    std::size_t stream_clients = 0;               // connected now
};

class OscTransport {
  public:
    using PacketHandler =
        std::function<void(std::span<const std::uint8_t> packet, const OscPeer& peer)>;
    // A stream frame of `frame_size` bytes (> max_packet) is being discarded.
    using OversizeHandler = std::function<void(std::size_t frame_size, const OscPeer& peer)>;

    OscTransport();
    ~OscTransport();  // close()
    OscTransport(const OscTransport&) = delete;
    OscTransport& operator=(const OscTransport&) = delete;

    // [nrt] Closes whatever was open, resets the stats, then opens the sockets
    // `config` asks for. UDP/TCP bind exactly bind_address (IPv6: IPV6_V6ONLY,
    // so "::" does not take IPv4 too); TCP sets SO_REUSEADDR (a restart is not
    // refused by old TIME_WAIT connections), UDP does not (two daemons must not
    // share a port). The UNIX socket: an existing file at the path is replaced
    // only when it is a socket nobody listens on (connect() -> ECONNREFUSED);
    // a live one is "already in use", anything else is refused, never deleted.
    // The new file gets mode 0660 before it accepts anyone, and close()
    // removes it. False with `error` set (nothing left open) on failure.
    bool open(const OscTransportConfig& config, std::string& error);

    // [nrt] Closes every socket and client; removes the UNIX socket file if it
    // is still the one open() made. Stats stay readable. Safe to call twice.
    void close();

    bool is_open() const;
    int udp_port() const { return udp_port_; }  // bound port; 0 when UDP is off
    int tcp_port() const { return tcp_port_; }  // bound port; 0 when TCP is off
    // SO_RCVBUF as the kernel reports it (its doubled figure, capped by
    // net.core.rmem_max unless the process has CAP_NET_ADMIN); 0 when UDP is off.
    int udp_receive_buffer() const { return udp_receive_buffer_; }

    // [nrt] Replaces the allowlist (SIGHUP reload of osc.allow). Connected TCP
    // clients outside the new list are disconnected and counted in
    // dropped_not_allowed. On a bad entry: false, `error` set, nothing changed.
    bool set_allow(const std::vector<std::string>& allow, std::string& error);

    // [nrt] Appends the fds to poll: the UDP socket, the listening sockets and
    // every stream client, each with POLLIN, and POLLOUT for a client with
    // queued reply bytes. The set changes as clients come and go, and after
    // each service() or send(), so rebuild it before every poll().
    void append_poll_fds(std::vector<pollfd>& fds) const;

    // [nrt] Does everything that is ready without blocking (revents are not
    // needed: every socket is tried): cuts off stalled frames, accepts stream
    // clients (making room as the header says), flushes queued
    // replies, reads datagrams and stream bytes, and calls on_packet for each
    // complete packet from an allowed peer, in arrival order per peer. The
    // span is valid only during the call. on_packet may call send() (a reply
    // to any peer) but not open(), close() or service().
    // Fairness: at most kMaxDatagramsPerService datagrams and
    // kMaxStreamBytesPerService bytes per client are read per call; what is
    // left keeps its fd readable, so the next poll() returns at once.
    // on_oversize (may be empty) is called once per stream frame over
    // max_packet, when its size prefix arrives and before any of its bytes
    // are skipped, with the same freedom as on_packet (send() a reply).
    void service(const PacketHandler& on_packet, const OversizeHandler& on_oversize = {});

    // [nrt] Sends one packet to `peer`. UDP: one sendto() from the bound
    // socket; false if the kernel refuses it now (full buffer: UDP is lossy).
    // Stream: a big-endian int32 size and the packet; what the socket does not
    // take at once is queued and flushed by service(). A client whose queue
    // would pass max_stream_buffer is disconnected (stream_clients_overflowed)
    // and false is returned; so is false for a client that has gone, an empty
    // packet, or a kind whose socket is off. Every false counts a send_failure.
    bool send(const OscPeer& peer, std::span<const std::uint8_t> packet);

    // [nrt] The stream connections that ended since the last call (peer
    // closed, cut off, refused by a new allowlist), so that what was kept
    // for them (subscriptions, held replies) can be forgotten.
    std::vector<std::uint64_t> take_closed_connections() { return std::exchange(closed_connections_, {}); }

    const OscTransportStats& stats() const { return stats_; }

    static constexpr std::size_t kMaxDatagramsPerService = 512;
    static constexpr std::size_t kMaxStreamBytesPerService = 256 * 1024;

  private:
    struct StreamClient;

    bool open_network(const OscTransportConfig& config, std::string& error);
    bool open_unix(const std::string& path, std::string& error);
    using TimePoint = std::chrono::steady_clock::time_point;

    TimePoint now() const;
    void accept_clients(int listen_fd, OscPeer::Kind kind);
    // A slot for a newcomer from `address` (null: a UNIX peer), taking one
    // that is not in use if need be; false when every slot is in use.
    bool make_room(const sockaddr_storage* address, TimePoint now);
    void cut_off_stalled_frames(TimePoint now);
    void read_datagrams(const PacketHandler& on_packet);
    void read_stream(StreamClient& client, const PacketHandler& on_packet,
                     const OversizeHandler& on_oversize);
    bool flush(StreamClient& client);
    void drop_client(StreamClient& client, bool abortive);
    void remove_dropped_clients();
    StreamClient* find_client(std::uint64_t connection);
    bool send_stream(StreamClient& client, std::span<const std::uint8_t> packet);

    OscTransportConfig config_;
    std::unique_ptr<IpAllowlist> allowlist_;
    int udp_fd_ = -1;
    int tcp_fd_ = -1;
    int unix_fd_ = -1;
    int spare_fd_ = -1;  // /dev/null, given up to accept-and-refuse when out of fds
    int udp_port_ = 0;
    int tcp_port_ = 0;
    int udp_receive_buffer_ = 0;
    std::string unix_path_;  // the file open() bound, removed by close()
    std::uint64_t unix_device_ = 0;
    std::uint64_t unix_inode_ = 0;
    std::vector<std::uint8_t> datagram_;
    std::vector<std::unique_ptr<StreamClient>> clients_;
    std::uint64_t next_connection_ = 1;
    std::uint64_t service_pass_ = 0;  // service() calls so far: tells this call's newcomers apart
    std::vector<std::uint64_t> closed_connections_;
    OscTransportStats stats_;
};

}  // namespace rtgraph::control
