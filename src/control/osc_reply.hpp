// Reply arguments and the JSON size rule shared by the router's handlers.
//
// Threads: any.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "rtgraph/control/osc_packet.hpp"

namespace rtgraph::control {

inline OscArgument string_arg(std::string text) {
    return OscArgument{'s', std::move(text)};
}
inline OscArgument int_arg(std::int32_t value) {
    return OscArgument{'i', value};
}
inline OscArgument float_arg(float value) {
    return OscArgument{'f', value};
}

// Replies carry JSON in one string; beyond this they would not fit a packet.
inline constexpr std::size_t kMaxReplyText = 60000;

// /error ,isss ID ADDRESS CODE MESSAGE.
inline OscMessage error_reply(std::int32_t id, const std::string& address, std::string_view code,
                              const std::string& text) {
    return OscMessage{
        "/error",
        {int_arg(id), string_arg(address), string_arg(std::string(code)), string_arg(text)}};
}

}  // namespace rtgraph::control
