// Edits: the requests that change the graph model, as plain values.
//
// Threads: built and consumed on the control thread. OSC messages, patch
// scripts and state files all become Edits; the model validates them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "rtgraph/engine/node_type.hpp"

namespace rtgraph::engine {

struct AddNode {
    std::string type;
    std::string name;
    std::vector<std::pair<std::string, float>> params;  // initial values, by name
    // Saved internal state for a node type that has one (an LV2 plugin's
    // state, as Node::save_state gave it), restored before the node runs.
    std::optional<std::string> state{};
};

struct RemoveNode {
    std::string name;
};

struct RenameNode {
    std::string name;
    std::string new_name;
};

// Endpoints are "node:port" or "graph:port" (a graph-level port).
struct Connect {
    std::string source;
    std::string destination;
    float gain = 1.0f;
};

struct Disconnect {
    std::string source;
    std::string destination;
};

struct SetEdgeGain {
    std::string source;
    std::string destination;
    float gain = 1.0f;
};

struct SetParam {
    std::string node;
    std::string param;
    float value = 0.0f;
    std::optional<float> ramp_ms;  // nullopt: the parameter's own smoothing time
};

struct AddGraphPort {
    std::string name;
    PortKind kind = PortKind::kAudio;
    PortDirection direction = PortDirection::kOutput;
};

struct RemoveGraphPort {
    std::string name;
};

// Bypassed, a node's outputs carry its inputs (output k = input k, silence
// where it has no such input), crossfaded over the fade time. The node keeps
// running, so turning bypass off again is seamless.
struct BypassNode {
    std::string name;
    bool bypassed = true;
};

struct ClearGraph {};

// Binds MIDI controller `controller` (0..127) on `channel` (1..16) of every
// graph MIDI input to a node parameter: CC value 0 gives `min`, 127 gives
// `max` (either may be the larger); absent, they are the parameter's range.
struct MapMidi {
    int channel = 1;
    int controller = 0;
    std::string node;
    std::string param;
    std::optional<float> min;
    std::optional<float> max;
};

// Removes every binding of (channel, controller).
struct UnmapMidi {
    int channel = 1;
    int controller = 0;
};

using Edit = std::variant<AddNode, RemoveNode, RenameNode, Connect, Disconnect, SetEdgeGain,
                          SetParam, AddGraphPort, RemoveGraphPort, BypassNode, ClearGraph, MapMidi,
                          UnmapMidi>;

// True for edits that change the graph's structure (and so need a new Program);
// parameter changes travel as events and never rebuild the graph.
bool is_structural(const Edit& edit) noexcept;

}  // namespace rtgraph::engine
