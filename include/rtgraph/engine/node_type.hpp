// What a node type offers: its ports and its parameters.
//
// Threads: built on the control thread when a type is registered and never
// changed afterwards, so the audio thread may read it freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rtgraph::engine {

using NodeId = std::uint32_t;
inline constexpr NodeId kNoNode = 0;

enum class PortKind : std::uint8_t { kAudio, kMidi };
enum class PortDirection : std::uint8_t { kInput, kOutput };

const char* to_string(PortKind kind) noexcept;
const char* to_string(PortDirection direction) noexcept;

struct PortInfo {
    std::string name;
    PortKind kind = PortKind::kAudio;
    PortDirection direction = PortDirection::kInput;
};

enum class ParamKind : std::uint8_t {
    kContinuous,  // ramped when it changes
    kToggle,      // 0 or 1, jumps
    kInteger,     // rounded, jumps
};

struct ParamDescriptor {
    std::string name;
    float min = 0.0f;
    float max = 1.0f;
    float default_value = 0.0f;
    std::string unit;
    float smoothing_ms = 0.0f;  // default ramp for a change that names none
    ParamKind kind = ParamKind::kContinuous;
    bool creation_only = false;  // fixed once the node exists (a delay's maximum time)
};

struct NodeTypeInfo {
    std::string name;
    std::string description;
    std::vector<PortInfo> ports;
    std::vector<ParamDescriptor> params;
    std::string family = "builtin";    // builtin, lv2 or ladspa
    std::uint32_t latency_frames = 0;  // the delay the node itself adds, as it reports it
    std::vector<std::string> control_outputs{};  // values the node reports (plugins' control outputs)

    // [nrt] lookups by name; nullopt when there is no such port or parameter.
    std::optional<std::uint32_t> find_port(std::string_view port_name) const;
    std::optional<std::uint32_t> find_param(std::string_view param_name) const;

    // Index of a port among the audio ports of its direction: the position of
    // its buffer in ProcessBlock::inputs or ::outputs.
    std::uint32_t audio_index(std::uint32_t port) const;
    std::uint32_t audio_count(PortDirection direction) const;

    // The same for any kind: a MIDI port's position in ProcessBlock::midi_inputs
    // or ::midi_outputs, and how many ports of a kind and direction there are.
    std::uint32_t kind_index(std::uint32_t port) const;
    std::uint32_t port_count(PortKind kind, PortDirection direction) const;
};

}  // namespace rtgraph::engine
