// Lookups on node type descriptions (control thread).
#include "rtgraph/engine/node_type.hpp"

namespace rtgraph::engine {

const char* to_string(PortKind kind) noexcept {
    switch (kind) {
        case PortKind::kAudio: return "audio";
        case PortKind::kMidi: return "midi";
    }
    return "unknown";
}

const char* to_string(PortDirection direction) noexcept {
    return direction == PortDirection::kInput ? "input" : "output";
}

std::optional<std::uint32_t> NodeTypeInfo::find_port(std::string_view port_name) const {
    for (std::uint32_t i = 0; i < ports.size(); ++i) {
        if (ports[i].name == port_name) return i;
    }
    return std::nullopt;
}

std::optional<std::uint32_t> NodeTypeInfo::find_param(std::string_view param_name) const {
    for (std::uint32_t i = 0; i < params.size(); ++i) {
        if (params[i].name == param_name) return i;
    }
    return std::nullopt;
}

std::uint32_t NodeTypeInfo::kind_index(std::uint32_t port) const {
    std::uint32_t index = 0;
    for (std::uint32_t i = 0; i < port; ++i) {
        if (ports[i].kind == ports[port].kind && ports[i].direction == ports[port].direction) {
            ++index;
        }
    }
    return index;
}

std::uint32_t NodeTypeInfo::port_count(PortKind kind, PortDirection direction) const {
    std::uint32_t count = 0;
    for (const PortInfo& port : ports) {
        if (port.kind == kind && port.direction == direction) ++count;
    }
    return count;
}

std::uint32_t NodeTypeInfo::audio_index(std::uint32_t port) const { return kind_index(port); }

std::uint32_t NodeTypeInfo::audio_count(PortDirection direction) const {
    return port_count(PortKind::kAudio, direction);
}

}  // namespace rtgraph::engine
