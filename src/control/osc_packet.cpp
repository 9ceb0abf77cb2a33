// OSC 1.0 packet parsing (control thread); encoding is in osc_encode.cpp.
//
// The parser works on byte offsets into the one datagram. Each region it
// descends into (a bundle element, a message, an argument) is bounded by the
// end of its parent, checked before any byte of it is read; multi-byte
// numbers are assembled from single bytes, so alignment never matters.
// Errors name the absolute byte offset of what is wrong, and each enclosing
// bundle element prepends "bundle element K at offset P: " on the way out.
#include "rtgraph/control/osc_packet.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>

#include "osc_wire.hpp"

namespace rtgraph::control {

namespace {

using wire::kBundleHeader;
using wire::kBundleHeaderSize;
using wire::kMaxWireSize;
using wire::load_u32;
using wire::load_u64;
using wire::padded4;

constexpr std::size_t kBundleMinSize = kBundleHeaderSize + wire::kTimetagSize;
constexpr std::string_view kKnownTags = "ifsbhdtScrmTFNI";
constexpr std::string_view kPatternChars = "*?[]{}";

// 'x' for a printable character, 0x0a for anything else.
std::string describe_byte(std::uint8_t byte) {
    if (byte >= 0x20 && byte < 0x7f) return std::string{'\'', static_cast<char>(byte), '\''};
    char text[8];
    std::snprintf(text, sizeof text, "0x%02x", static_cast<unsigned>(byte));
    return text;
}

std::string hex64(std::uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(value));
    return text;
}

std::string at(std::size_t offset) {
    return " at offset " + std::to_string(offset);
}

std::size_t fixed_size(char tag) noexcept {
    switch (tag) {
        case 'i':
        case 'f':
        case 'c':
        case 'r':
        case 'm':
            return 4;
        case 'h':
        case 'd':
        case 't':
            return 8;
        default:
            return 0;
    }
}

// What is being read, for error messages: "address", "type tag string",
// "argument 3 ('s')". Turned into text only when something is wrong.
struct Field {
    const char* kind;
    std::size_t index = 0;  // arguments only: 1-based
    char tag = 0;

    std::string name(std::size_t offset) const {
        std::string text = kind;
        if (index != 0) text += " " + std::to_string(index) + " ('" + tag + "')";
        return text + at(offset);
    }
};

class PacketParser {
  public:
    PacketParser(std::span<const std::uint8_t> data, const OscParseLimits& limits, OscPacket& out,
                 std::string& error)
        : data_(data), limits_(limits), out_(out), error_(error) {}

    bool parse() {
        const std::size_t size = data_.size();
        if (size == 0) return fail("empty packet");
        if (size > limits_.max_packet) {
            return fail("packet of " + std::to_string(size) + " bytes exceeds the limit of " +
                        std::to_string(limits_.max_packet));
        }
        if (size % 4 != 0) {
            return fail("packet size " + std::to_string(size) + " is not a multiple of 4");
        }
        if (data_[0] == '/') return parse_message(0, size);
        if (data_[0] == '#') {
            out_.bundle = true;
            return parse_bundle(0, size, 1, nullptr);
        }
        return fail("packet starts with " + describe_byte(data_[0]) +
                    ", expected '/' (message) or '#bundle' (bundle)");
    }

  private:
    bool fail(std::string text) {
        error_ = std::move(text);
        return false;
    }

    // [begin, end) holds one bundle: header, timetag, elements. `parent` is
    // the enclosing bundle's time, null for the outermost. Recursion is
    // bounded by max_depth, checked first.
    bool parse_bundle(std::size_t begin, std::size_t end, std::size_t depth,
                      const OscTimetag* parent) {
        const auto where = [&] { return "bundle" + at(begin) + ": "; };
        if (depth > limits_.max_depth) {
            return fail(where() + "nesting depth " + std::to_string(depth) +
                        " exceeds the limit of " + std::to_string(limits_.max_depth));
        }
        if (end - begin < kBundleMinSize) {
            return fail(where() + std::to_string(end - begin) + " bytes, need at least " +
                        std::to_string(kBundleMinSize) + " for \"#bundle\\0\" and a timetag");
        }
        if (std::memcmp(data_.data() + begin, kBundleHeader, kBundleHeaderSize) != 0) {
            return fail(where() + "header is not \"#bundle\\0\"");
        }
        const OscTimetag time{load_u64(data_.data() + begin + kBundleHeaderSize)};
        if (parent == nullptr) {
            out_.time = time;
        } else if (!time.immediate() && time.ntp < parent->ntp) {
            return fail(where() + "timetag " + hex64(time.ntp) +
                        " is earlier than the enclosing bundle's " + hex64(parent->ntp));
        }
        std::size_t pos = begin + kBundleMinSize;
        for (std::size_t index = 1; pos < end; ++index) {
            if (!parse_element(pos, end, depth, time, parent == nullptr)) {
                return fail("bundle element " + std::to_string(index) + at(pos) + ": " + error_);
            }
        }
        return true;
    }

    // One bundle element at `pos`: int32 size, then a message or a bundle
    // filling exactly that size. Advances `pos` past it.
    bool parse_element(std::size_t& pos, std::size_t end, std::size_t depth, const OscTimetag& time,
                       bool outermost) {
        // end - pos is a positive multiple of 4 here; checked, not trusted.
        if (end - pos < 4) return fail("size field runs past the end");
        const auto size = static_cast<std::int32_t>(load_u32(data_.data() + pos));
        if (size <= 0) return fail("size " + std::to_string(size) + " is not positive");
        if (size % 4 != 0) return fail("size " + std::to_string(size) + " is not a multiple of 4");
        const std::size_t content = pos + 4;
        const auto length = static_cast<std::size_t>(size);
        if (length > end - content) {
            return fail("size " + std::to_string(size) + " runs past the end of " +
                        (outermost ? "the packet (" + std::to_string(end) + " bytes)"
                                   : "the enclosing bundle (offset " + std::to_string(end) + ")"));
        }
        bool ok = false;
        if (data_[content] == '/') {
            ok = parse_message(content, content + length);
        } else if (data_[content] == '#') {
            ok = parse_bundle(content, content + length, depth + 1, &time);
        } else {
            ok = fail("content starts with " + describe_byte(data_[content]) +
                      ", expected '/' (message) or '#bundle' (bundle)");
        }
        if (ok) pos = content + length;
        return ok;
    }

    // [begin, end) holds exactly one message.
    bool parse_message(std::size_t begin, std::size_t end) {
        if (out_.messages.size() >= limits_.max_messages) {
            return fail("message" + at(begin) + ": more than " +
                        std::to_string(limits_.max_messages) + " messages in the packet");
        }
        std::size_t pos = begin;
        std::string_view address;
        if (!read_string(pos, end, limits_.max_string, Field{"address"}, address)) return false;
        if (!check_address(address, begin)) return false;

        if (pos == end) {
            return fail("message" + at(begin) + ": no type tag string after the address (offset " +
                        std::to_string(pos) + ")");
        }
        const std::size_t tags_at = pos;
        if (data_[pos] != ',') {
            return fail("type tag string" + at(pos) + ": starts with " + describe_byte(data_[pos]) +
                        ", not ','");
        }
        std::string_view tags;
        const std::size_t max_tags = std::max(limits_.max_string, limits_.max_args + 1);
        if (!read_string(pos, end, max_tags, Field{"type tag string"}, tags)) return false;
        if (!check_tags(tags, tags_at)) return false;

        OscMessage message;
        message.address = address;
        message.args.reserve(tags.size() - 1);
        for (std::size_t k = 1; k < tags.size(); ++k) {
            OscArgument arg;
            arg.tag = tags[k];
            if (!read_argument(pos, end, Field{"argument", k, tags[k]}, arg)) return false;
            message.args.push_back(std::move(arg));
        }
        if (pos != end) {
            return fail("message" + at(begin) + ": " + std::to_string(end - pos) +
                        " trailing bytes after the last argument" + at(pos));
        }
        out_.messages.push_back(std::move(message));
        return true;
    }

    // An OSC-string at `pos`: bytes, a NUL, then NULs up to a multiple of 4,
    // all before `end`. `out` views the bytes before the NUL; `pos` moves
    // past the padding.
    bool read_string(std::size_t& pos, std::size_t end, std::size_t max_length, const Field& field,
                     std::string_view& out) {
        // Look no further than one byte past the longest allowed string.
        const std::size_t left = end - pos;
        const std::size_t span = left > max_length ? max_length + 1 : left;
        const auto* first = data_.data() + pos;
        const auto* nul = static_cast<const std::uint8_t*>(std::memchr(first, 0, span));
        if (nul == nullptr) {
            if (span > max_length) {
                return fail(field.name(pos) + ": longer than the limit of " +
                            std::to_string(max_length) + " bytes");
            }
            return fail(field.name(pos) + ": no NUL terminator before the end of the message " +
                        "(offset " + std::to_string(end) + ")");
        }
        const auto length = static_cast<std::size_t>(nul - first);
        const std::size_t total = padded4(length + 1);
        // Cannot happen while pos and end are multiples of 4; checked anyway.
        if (total > left) {
            return fail(field.name(pos) + ": padding runs past the end of the message (offset " +
                        std::to_string(end) + ")");
        }
        for (std::size_t i = pos + length + 1; i < pos + total; ++i) {
            if (data_[i] != 0) {
                return fail(field.name(pos) + ": padding byte" + at(i) + " is " +
                            describe_byte(data_[i]) + ", not NUL");
            }
        }
        out = std::string_view(reinterpret_cast<const char*>(first), length);
        pos += total;
        return true;
    }

    // Printable ASCII without space, '#' or ','; no pattern characters.
    bool check_address(std::string_view address, std::size_t begin) {
        for (std::size_t i = 0; i < address.size(); ++i) {
            const auto c = static_cast<unsigned char>(address[i]);
            const std::size_t offset = begin + i;
            if (c <= 0x20 || c >= 0x7f || c == '#' || c == ',') {
                return fail("address" + at(begin) + ": character " + describe_byte(c) + at(offset) +
                            " is not allowed in an OSC address");
            }
            if (kPatternChars.find(static_cast<char>(c)) != std::string_view::npos) {
                return fail("address" + at(begin) + ": address patterns are not supported (" +
                            describe_byte(c) + at(offset) + ")");
            }
            if (c == '/' && i + 1 < address.size() && address[i + 1] == '/') {
                return fail("address" + at(begin) + ": address patterns are not supported ('//'" +
                            at(offset) + ")");
            }
        }
        return true;
    }

    // `tags` starts with ','. Every tag known; not too many.
    bool check_tags(std::string_view tags, std::size_t begin) {
        const auto where = [&] { return "type tag string" + at(begin) + ": "; };
        const std::size_t count = tags.size() - 1;
        if (count > limits_.max_args) {
            return fail(where() + "too many arguments: " + std::to_string(count) + " (limit " +
                        std::to_string(limits_.max_args) + ")");
        }
        for (std::size_t k = 1; k < tags.size(); ++k) {
            const char tag = tags[k];
            if (kKnownTags.find(tag) != std::string_view::npos) continue;
            const auto byte = static_cast<std::uint8_t>(tag);
            if (tag == '[' || tag == ']') {
                return fail(where() + "arrays are not supported (" + describe_byte(byte) +
                            at(begin + k) + ")");
            }
            return fail(where() + "unknown type tag " + describe_byte(byte) + at(begin + k));
        }
        return true;
    }

    bool read_argument(std::size_t& pos, std::size_t end, const Field& field, OscArgument& arg) {
        const char tag = arg.tag;
        switch (tag) {
            case 's':
            case 'S': {
                std::string_view text;
                if (!read_string(pos, end, limits_.max_string, field, text)) return false;
                arg.value = std::string(text);
                return true;
            }
            case 'b':
                return read_blob(pos, end, field, arg);
            case 'T':
            case 'F':
                arg.value = (tag == 'T');
                return true;
            case 'N':
                arg.value = OscNil{};
                return true;
            case 'I':
                arg.value = OscImpulse{};
                return true;
            default:
                return read_fixed(pos, end, field, arg);
        }
    }

    // The 4- and 8-byte types.
    bool read_fixed(std::size_t& pos, std::size_t end, const Field& field, OscArgument& arg) {
        const std::size_t size = fixed_size(arg.tag);
        if (size == 0) return fail(field.name(pos) + ": unhandled type tag");  // check_tags
        if (end - pos < size) {
            return fail(field.name(pos) + ": needs " + std::to_string(size) + " bytes, only " +
                        std::to_string(end - pos) + " left in the message");
        }
        const std::uint8_t* p = data_.data() + pos;
        switch (arg.tag) {
            case 'i':
                arg.value = static_cast<std::int32_t>(load_u32(p));
                break;
            case 'f':
                arg.value = std::bit_cast<float>(load_u32(p));
                break;
            case 'r':
            case 'm':
                arg.value = load_u32(p);
                break;
            case 'h':
                arg.value = static_cast<std::int64_t>(load_u64(p));
                break;
            case 'd':
                arg.value = std::bit_cast<double>(load_u64(p));
                break;
            case 't':
                arg.value = OscTimetag{load_u64(p)};
                break;
            default: {  // 'c': an int32 that must hold one byte
                const std::uint32_t value = load_u32(p);
                if (value > 0xff) {
                    char text[16];
                    std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(value));
                    return fail(field.name(pos) + ": char value " + text + " is outside 0..255");
                }
                arg.value = static_cast<char>(static_cast<std::uint8_t>(value));
                break;
            }
        }
        pos += size;
        return true;
    }

    // int32 size, that many bytes, zero bytes up to a multiple of 4.
    bool read_blob(std::size_t& pos, std::size_t end, const Field& field, OscArgument& arg) {
        if (end - pos < 4) {
            return fail(field.name(pos) + ": needs 4 bytes for the blob size, only " +
                        std::to_string(end - pos) + " left in the message");
        }
        const auto size = static_cast<std::int32_t>(load_u32(data_.data() + pos));
        if (size < 0) {
            return fail(field.name(pos) + ": blob size " + std::to_string(size) + " is negative");
        }
        const auto length = static_cast<std::size_t>(size);
        if (length > limits_.max_blob) {
            return fail(field.name(pos) + ": blob size " + std::to_string(size) +
                        " exceeds the limit of " + std::to_string(limits_.max_blob) + " bytes");
        }
        const std::size_t bytes = pos + 4;
        const std::size_t total = padded4(length);
        if (total > end - bytes) {
            return fail(field.name(pos) + ": blob of " + std::to_string(size) +
                        " bytes runs past the end of the message (offset " + std::to_string(end) +
                        ")");
        }
        for (std::size_t i = bytes + length; i < bytes + total; ++i) {
            if (data_[i] != 0) {
                return fail(field.name(pos) + ": blob padding byte" + at(i) + " is " +
                            describe_byte(data_[i]) + ", not zero");
            }
        }
        const auto* first = data_.data() + bytes;
        arg.value = OscBlob(first, first + length);
        pos = bytes + total;
        return true;
    }

    std::span<const std::uint8_t> data_;
    const OscParseLimits& limits_;
    OscPacket& out_;
    std::string& error_;
};

}  // namespace

std::string OscMessage::typetags() const {
    std::string tags;
    tags.reserve(args.size());
    for (const OscArgument& arg : args) tags.push_back(arg.tag);
    return tags;
}

OscParseLimits stream_parse_limits(std::size_t max_packet) noexcept {
    OscParseLimits limits;
    limits.max_packet = max_packet;
    limits.max_messages = std::max<std::size_t>(1, max_packet / kMinBundledMessageBytes);
    limits.max_blob = max_packet;
    return limits;
}

bool parse_osc_packet(std::span<const std::uint8_t> data, OscPacket& out, std::string& error,
                      const OscParseLimits& limits) noexcept {
    try {
        OscPacket packet;
        error.clear();
        PacketParser parser(data, limits, packet, error);
        if (!parser.parse()) {
            out = OscPacket{};
            return false;
        }
        out = std::move(packet);
        return true;
    } catch (...) {  // std::bad_alloc: nothing else in here throws
        out = OscPacket{};
        error = "out of memory";
        return false;
    }
}

}  // namespace rtgraph::control
