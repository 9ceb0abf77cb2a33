// IpAllowlist: the CIDR networks OscTransport accepts UDP datagrams and TCP
// connections from ("127.0.0.1/32", "fd00::/8").
//
// Threads: the control thread, which owns the OscTransport holding it. parse()
// allocates ([nrt]); allows() neither allocates nor makes a syscall.
//
// Every network is kept as a 128-bit IPv6 prefix: an IPv4 network a.b.c.d/n is
// stored as ::ffff:a.b.c.d/(96 + n). So an IPv4-mapped IPv6 peer address
// (::ffff:10.1.2.3, what a dual-stack socket reports for an IPv4 client)
// matches the IPv4 network it belongs to, and "::ffff:0:0/96" matches every
// IPv4 peer, with one comparison for both families.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace rtgraph::control {

class IpAllowlist {
  public:
    // [nrt] Replaces the list with `networks`. Each entry is a numeric address,
    // '/', and a prefix length (0..32 for IPv4, 0..128 for IPv6), with no
    // address bits set after the prefix: "10.0.0.1/8" is refused as the config
    // check refuses it (a mistyped /32 as likely as a mistyped 10.0.0.0/8).
    // On a bad entry: false, `error` names it, and the list is left unchanged.
    bool parse(const std::vector<std::string>& networks, std::string& error);

    // Whether an AF_INET or AF_INET6 address lies in one of the networks.
    // Any other family (AF_UNIX included), or a short length: false.
    bool allows(const sockaddr* address, socklen_t length) const;

    bool empty() const { return networks_.empty(); }
    std::size_t size() const { return networks_.size(); }

  private:
    struct Network {
        std::array<std::uint8_t, 16> address{};  // IPv6, or IPv4-mapped IPv6
        int prefix = 0;                          // 0..128
    };
    static bool contains(const Network& network, const std::array<std::uint8_t, 16>& address);

    std::vector<Network> networks_;
};

}  // namespace rtgraph::control
