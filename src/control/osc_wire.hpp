// OSC's wire primitives, shared by the packet parser (osc_packet.cpp), the
// encoder (osc_encode.cpp) and the stream framing (osc_stream.cpp): big-endian
// numbers assembled from single bytes, so alignment never matters, the 4-byte
// padding rule and the bundle header. Control thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace rtgraph::control::wire {

constexpr std::size_t kBundleHeaderSize = 8;  // "#bundle" and its NUL
constexpr std::uint8_t kBundleHeader[kBundleHeaderSize] = {'#', 'b', 'u', 'n', 'd', 'l', 'e', 0};
constexpr std::size_t kTimetagSize = 8;
// The largest blob, bundle element or stream frame an int32 size can describe.
constexpr auto kMaxWireSize = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

inline std::uint64_t load_u64(const std::uint8_t* p) noexcept {
    return (std::uint64_t{load_u32(p)} << 32) | load_u32(p + 4);
}

inline void store_u32(std::uint8_t* out, std::uint32_t value) noexcept {
    out[0] = static_cast<std::uint8_t>(value >> 24);
    out[1] = static_cast<std::uint8_t>(value >> 16);
    out[2] = static_cast<std::uint8_t>(value >> 8);
    out[3] = static_cast<std::uint8_t>(value);
}

inline void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    std::uint8_t bytes[4];
    store_u32(bytes, value);
    out.insert(out.end(), bytes, bytes + 4);
}

inline void append_u64(std::vector<std::uint8_t>& out, std::uint64_t value) {
    append_u32(out, static_cast<std::uint32_t>(value >> 32));
    append_u32(out, static_cast<std::uint32_t>(value));
}

inline std::size_t padded4(std::size_t n) noexcept {
    return (n + 3) & ~std::size_t{3};
}

}  // namespace rtgraph::control::wire
