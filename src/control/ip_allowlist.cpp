// IpAllowlist: CIDR parsing and matching for OscTransport (control thread).
#include "ip_allowlist.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <string_view>

namespace rtgraph::control {

namespace {

constexpr int kIpv4MappedPrefix = 96;  // ::ffff:0:0/96

std::array<std::uint8_t, 16> mapped_ipv4(const in_addr& address) {
    std::array<std::uint8_t, 16> out{};
    out[10] = 0xFF;
    out[11] = 0xFF;
    std::memcpy(out.data() + 12, &address.s_addr, 4);  // already network order
    return out;
}

std::string quoted(const std::string& text) {
    return "'" + text + "'";
}

}  // namespace

bool IpAllowlist::parse(const std::vector<std::string>& networks, std::string& error) {
    std::vector<Network> parsed;
    parsed.reserve(networks.size());
    for (const std::string& entry : networks) {
        const auto slash = entry.find('/');
        if (slash == std::string::npos || entry.find('\0') != std::string::npos) {
            error = "allow: " + quoted(entry) + " is not a network with a prefix length " +
                    "(such as '192.168.1.0/24' or 'fd00::/8')";
            return false;
        }
        const std::string address_text = entry.substr(0, slash);
        const std::string_view prefix_text = std::string_view(entry).substr(slash + 1);

        Network network;
        int max_prefix = 32;
        int offset = kIpv4MappedPrefix;
        in_addr ipv4{};
        in6_addr ipv6{};
        if (inet_pton(AF_INET, address_text.c_str(), &ipv4) == 1) {
            network.address = mapped_ipv4(ipv4);
        } else if (inet_pton(AF_INET6, address_text.c_str(), &ipv6) == 1) {
            std::memcpy(network.address.data(), ipv6.s6_addr, 16);
            max_prefix = 128;
            offset = 0;
        } else {
            error =
                "allow: " + quoted(entry) + " does not start with a numeric IPv4 or IPv6 address";
            return false;
        }

        int prefix = -1;
        const char* first = prefix_text.data();
        const char* last = first + prefix_text.size();
        const auto [end, status] = std::from_chars(first, last, prefix);
        if (prefix_text.empty() || status != std::errc{} || end != last || prefix < 0 ||
            prefix > max_prefix) {
            error = "allow: " + quoted(entry) + ": the prefix length must be 0.." +
                    std::to_string(max_prefix);
            return false;
        }
        network.prefix = offset + prefix;

        // No address bits may be set after the prefix.
        for (int bit = network.prefix; bit < 128; ++bit) {
            if (network.address[static_cast<std::size_t>(bit / 8)] & (0x80u >> (bit % 8))) {
                error = "allow: " + quoted(entry) + " has address bits set after the /" +
                        std::to_string(prefix) + " prefix";
                return false;
            }
        }
        parsed.push_back(network);
    }
    networks_ = std::move(parsed);
    return true;
}

bool IpAllowlist::contains(const Network& network, const std::array<std::uint8_t, 16>& address) {
    const auto whole_bytes = static_cast<std::size_t>(network.prefix / 8);
    if (std::memcmp(network.address.data(), address.data(), whole_bytes) != 0) return false;
    const int rest = network.prefix % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xFF00u >> rest);
    return (network.address[whole_bytes] & mask) == (address[whole_bytes] & mask);
}

bool IpAllowlist::allows(const sockaddr* address, socklen_t length) const {
    if (address == nullptr) return false;
    std::array<std::uint8_t, 16> key{};
    if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in ipv4{};
        std::memcpy(&ipv4, address, sizeof ipv4);
        key = mapped_ipv4(ipv4.sin_addr);
    } else if (address->sa_family == AF_INET6 &&
               length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 ipv6{};
        std::memcpy(&ipv6, address, sizeof ipv6);
        std::memcpy(key.data(), ipv6.sin6_addr.s6_addr, 16);
    } else {
        return false;
    }
    for (const Network& network : networks_) {
        if (contains(network, key)) return true;
    }
    return false;
}

}  // namespace rtgraph::control
