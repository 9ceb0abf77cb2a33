// OSC 1.0 encoding (control thread): messages and flat bundles in the
// canonical form the parser (osc_packet.cpp) accepts, so what is encoded
// parses back to the same bytes.
#include <bit>
#include <iterator>
#include <string_view>

#include "osc_wire.hpp"
#include "rtgraph/control/osc_packet.hpp"

namespace rtgraph::control {

namespace {

using wire::append_u32;
using wire::append_u64;
using wire::kMaxWireSize;

void pad4(std::vector<std::uint8_t>& out) {
    while (out.size() % 4 != 0) out.push_back(0);
}

bool put_string(std::vector<std::uint8_t>& out, std::string_view text) {
    if (text.find('\0') != std::string_view::npos) return false;
    out.insert(out.end(), text.begin(), text.end());
    out.push_back(0);
    pad4(out);
    return true;
}

// Writes the argument's value with `write` when it holds a T.
template <typename T, typename Write>
bool put_as(const OscArgument& arg, Write write) {
    const T* value = std::get_if<T>(&arg.value);
    if (value == nullptr) return false;
    return write(*value);
}

bool put_argument(std::vector<std::uint8_t>& out, const OscArgument& arg) {
    const auto word = [&out](std::uint32_t value) {
        append_u32(out, value);
        return true;
    };
    const auto dword = [&out](std::uint64_t value) {
        append_u64(out, value);
        return true;
    };
    switch (arg.tag) {
        case 'i':
            return put_as<std::int32_t>(
                arg, [&](std::int32_t v) { return word(static_cast<std::uint32_t>(v)); });
        case 'f':
            return put_as<float>(arg,
                                 [&](float v) { return word(std::bit_cast<std::uint32_t>(v)); });
        case 'r':
        case 'm':
            return put_as<std::uint32_t>(arg, word);
        case 'c':
            return put_as<char>(arg, [&](char v) { return word(static_cast<std::uint8_t>(v)); });
        case 'h':
            return put_as<std::int64_t>(
                arg, [&](std::int64_t v) { return dword(static_cast<std::uint64_t>(v)); });
        case 'd':
            return put_as<double>(arg,
                                  [&](double v) { return dword(std::bit_cast<std::uint64_t>(v)); });
        case 't':
            return put_as<OscTimetag>(arg, [&](OscTimetag v) { return dword(v.ntp); });
        case 's':
        case 'S':
            return put_as<std::string>(arg,
                                       [&](const std::string& v) { return put_string(out, v); });
        case 'b':
            return put_as<OscBlob>(arg, [&](const OscBlob& v) {
                if (v.size() > kMaxWireSize) return false;
                append_u32(out, static_cast<std::uint32_t>(v.size()));
                out.insert(out.end(), v.begin(), v.end());
                pad4(out);
                return true;
            });
        case 'T':
        case 'F':
            return put_as<bool>(arg, [&](bool v) { return v == (arg.tag == 'T'); });
        case 'N':
            return std::holds_alternative<OscNil>(arg.value);
        case 'I':
            return std::holds_alternative<OscImpulse>(arg.value);
        default:
            return false;
    }
}

bool put_message(std::vector<std::uint8_t>& out, const OscMessage& message) {
    if (message.address.empty() || message.address[0] != '/') return false;
    if (!put_string(out, message.address)) return false;
    out.push_back(',');
    for (const OscArgument& arg : message.args) out.push_back(static_cast<std::uint8_t>(arg.tag));
    out.push_back(0);
    pad4(out);
    for (const OscArgument& arg : message.args) {
        if (!put_argument(out, arg)) return false;
    }
    return true;
}

}  // namespace

std::vector<std::uint8_t> encode_osc_message(const OscMessage& message) noexcept {
    try {
        std::vector<std::uint8_t> out;
        if (!put_message(out, message)) return {};
        return out;
    } catch (...) {  // std::bad_alloc
        return {};
    }
}

std::vector<std::uint8_t> encode_osc_bundle(OscTimetag time,
                                            const std::vector<OscMessage>& messages) noexcept {
    try {
        std::vector<std::uint8_t> out(std::begin(wire::kBundleHeader),
                                      std::end(wire::kBundleHeader));
        append_u64(out, time.ntp);
        for (const OscMessage& message : messages) {
            const std::size_t size_at = out.size();
            append_u32(out, 0);
            if (!put_message(out, message)) return {};
            const std::size_t size = out.size() - size_at - 4;
            if (size > kMaxWireSize) return {};
            wire::store_u32(out.data() + size_at, static_cast<std::uint32_t>(size));
        }
        return out;
    } catch (...) {  // std::bad_alloc
        return {};
    }
}

}  // namespace rtgraph::control
