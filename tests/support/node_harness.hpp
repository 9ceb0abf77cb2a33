// Drives one node directly, without the engine, for node-level tests.
//
// Threads: test code only. Mirrors what the executor promises a node: blocks of
// 1..max_block frames, parameter events applied between blocks at their exact
// frame (a block is split there), silence on unconnected inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtgraph/engine/node.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/rt/telemetry.hpp"

namespace rtgraph::test_support {

// How a render is cut into blocks (before event splits).
struct BlockPlan {
    std::uint32_t size = 256;  // fixed block size, or the largest random one
    bool random = false;       // sizes uniform in 1..size, from `seed`
    std::uint32_t seed = 1;

    static BlockPlan fixed(std::uint32_t n) { return {n, false, 1}; }
    static BlockPlan randomized(std::uint32_t max, std::uint32_t seed) { return {max, true, seed}; }
};

class NodeHarness {
public:
    // Creates `type_name` through a registry holding the built-in nodes, with
    // every parameter at its default except those in `overrides`.
    explicit NodeHarness(std::string_view type_name, double sample_rate = 48000.0,
                         std::uint32_t max_block = 1024,
                         const std::vector<std::pair<std::string, float>>& overrides = {});

    engine::Node& node() { return *node_; }
    const engine::NodeTypeInfo& type() const { return *type_; }
    double sample_rate() const { return spec_.sample_rate; }
    std::uint64_t frame() const { return frame_; }
    // Moves the engine clock (before the first render, say).
    void set_frame(std::uint64_t frame) { frame_ = frame; }

    std::uint32_t param_index(std::string_view name) const;

    // Applies a change now, before the next rendered sample.
    void set_param(std::string_view name, float value, std::uint32_t ramp_frames = 0);
    // Applies a change when the clock reaches `frame` (blocks are split there).
    void schedule(std::uint64_t frame, std::string_view name, float value,
                  std::uint32_t ramp_frames = 0);

    // The signal for input port `port`, indexed by frames since the clock stood
    // where it does now; silence past its end.
    void set_input(std::string_view port, std::vector<float> signal);

    // Renders `frames` frames; returns one buffer per audio output, in port order.
    std::vector<std::vector<float>> render(std::uint64_t frames, BlockPlan plan = {});
    // Same, the output named `port` only.
    std::vector<float> render_port(std::uint64_t frames, std::string_view port,
                                   BlockPlan plan = {});

    // Every telemetry record written so far, oldest first.
    std::vector<rt::TelemetryRecord> drain_telemetry();

private:
    struct Event {
        std::uint64_t frame;
        std::uint32_t param;
        float value;
        std::uint32_t ramp;
    };
    struct Input {
        std::uint64_t start;
        std::vector<float> signal;
    };

    engine::NodeRegistry registry_;
    const engine::NodeTypeInfo* type_ = nullptr;
    engine::PrepareSpec spec_;
    std::unique_ptr<engine::Node> node_;
    std::vector<Input> inputs_;  // one per audio input, in buffer order
    std::vector<Event> events_;  // sorted by frame, stable
    std::unique_ptr<rt::TelemetryRing> telemetry_;
    std::uint64_t frame_ = 0;
};

// A sine of `amplitude` at `frequency`, starting at phase 0, computed in double.
std::vector<float> make_sine(std::size_t frames, double sample_rate, double frequency,
                             double amplitude);

}  // namespace rtgraph::test_support
