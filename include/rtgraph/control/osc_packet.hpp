// OSC 1.0 packets: a strict parser for untrusted datagrams, and an encoder.
//
// Threads: control thread only (the OSC receiver, and whoever builds
// replies). Everything here may allocate; nothing here throws.
//
// Every datagram that reaches rtgraphd goes through parse_osc_packet before
// anything else looks at it. The parser follows the OSC 1.0 specification
// (opensoundcontrol.org) plus the OSC 1.1 argument types (T F N I), and it is
// strict where older implementations are lenient: a type tag string is
// required, padding must be NUL, a message must end exactly where its last
// argument ends, nested bundles may not be timed before their parent, and
// address patterns (* ? [ ] { } //) are refused because rtgraph matches
// addresses literally. Every size is checked against what is left of its
// enclosing message, bundle element or packet before a byte of it is read,
// and against OscParseLimits before anything is allocated for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace rtgraph::control {

// A 64-bit NTP time (seconds since 1900 in the high word, fraction in the
// low). The value 1 means "immediately" (OSC 1.0).
struct OscTimetag {
    static constexpr std::uint64_t kImmediate = 1;

    std::uint64_t ntp = kImmediate;

    bool immediate() const noexcept { return ntp == kImmediate; }
    bool operator==(const OscTimetag&) const = default;
};

using OscBlob = std::vector<std::uint8_t>;

struct OscNil {  // 'N'
    bool operator==(const OscNil&) const = default;
};

struct OscImpulse {  // 'I' (OSC 1.0 calls it "Infinitum")
    bool operator==(const OscImpulse&) const = default;
};

// One argument's value. The tag beside it says which wire type it is where
// one C++ type serves several tags: std::string for 's' and 'S', bool for
// 'T' and 'F' (the value must match the tag), std::uint32_t for 'r' (RGBA)
// and 'm' (MIDI: port id, status, data1, data2, most significant first).
using OscValue = std::variant<std::int32_t,    // i
                              float,           // f
                              std::string,     // s S
                              OscBlob,         // b
                              std::int64_t,    // h
                              double,          // d
                              OscTimetag,      // t
                              bool,            // T F
                              OscNil,          // N
                              OscImpulse,      // I
                              char,            // c (sent as an int32 0..255)
                              std::uint32_t>;  // r m

struct OscArgument {
    char tag = 'N';
    OscValue value = OscNil{};

    bool operator==(const OscArgument&) const = default;
};

struct OscMessage {
    std::string address;
    std::vector<OscArgument> args;

    // [nrt] may allocate. The type tags without the leading ',', e.g. "sf".
    std::string typetags() const;

    bool operator==(const OscMessage&) const = default;
};

struct OscPacket {
    bool bundle = false;
    OscTimetag time;                   // the outermost bundle's; immediate for a bare message
    std::vector<OscMessage> messages;  // nested bundles flattened, in packet order

    bool operator==(const OscPacket&) const = default;
};

struct OscParseLimits {
    std::size_t max_packet = 65536;   // bytes in the whole datagram
    std::size_t max_depth = 8;        // bundles inside bundles; the outermost is depth 1
    std::size_t max_messages = 1024;  // in the whole packet
    std::size_t max_args = 64;        // in one message
    std::size_t max_string = 1024;    // bytes in an address or string argument, without the NUL
    std::size_t max_blob = 16384;     // bytes in one blob argument
};

// The fewest bytes a message takes inside a bundle: its element size (4), an
// address ("/" and padding, 4) and a type tag string ("," and padding, 4).
inline constexpr std::size_t kMinBundledMessageBytes = 12;

// [nrt] Limits for a packet that may be up to `max_packet` bytes (a stream
// frame: OSC over TCP or a UNIX socket). The byte count is the only bound:
// max_messages is as many as that many bytes can hold, so no bundle that fits
// is refused for its number of messages, and a blob may be as large as the
// packet. What a parsed packet holds in memory is still proportional to its
// bytes (several times them: each message and argument is its own object).
OscParseLimits stream_parse_limits(std::size_t max_packet) noexcept;

// [nrt] may allocate; noexcept: never reads outside `data`, never throws.
// Returns true and fills `out`, or returns false with `error` saying what is
// wrong and at which byte offset, e.g. "bundle element 2 at offset 36: size
// 4096 runs past the end of the packet (60 bytes)". On failure `out` is
// left empty. Running out of memory is reported as an error too.
bool parse_osc_packet(std::span<const std::uint8_t> data, OscPacket& out, std::string& error,
                      const OscParseLimits& limits = {}) noexcept;

// [nrt] may allocate; noexcept. The message as one OSC packet. Returns an
// empty vector (never a valid packet) when the message cannot be encoded:
// an address that does not start with '/', a NUL inside a string, a tag
// that is unknown or does not match its value, or a blob over 2^31-1 bytes.
// The address's characters are not checked: what the parser would refuse,
// this still writes.
std::vector<std::uint8_t> encode_osc_message(const OscMessage& message) noexcept;

// [nrt] may allocate; noexcept. The messages as one bundle with `time`, one
// element per message. Empty when any message cannot be encoded.
std::vector<std::uint8_t> encode_osc_bundle(OscTimetag time,
                                            const std::vector<OscMessage>& messages) noexcept;

}  // namespace rtgraph::control
