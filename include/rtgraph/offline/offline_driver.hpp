// OfflineDriver: runs an Engine without an audio server.
//
// Threads: one thread plays all three roles in turn, deterministically:
// the audio thread (process), then control (maintain) and housekeeping
// (collect_garbage) between blocks. Used by tests, benchmarks and
// rtgraph-render.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "rtgraph/engine/engine.hpp"

namespace rtgraph::offline {

class OfflineDriver {
public:
    // [nrt] Captures `output_channels` graph outputs (slots 0..n-1) and feeds
    // `input_channels` graph inputs from buffers the caller fills with set_input.
    OfflineDriver(engine::Engine& engine, std::uint32_t input_channels,
                  std::uint32_t output_channels);

    // Source signal for graph input slot `channel`; read from frame 0 of the
    // render on, silence past its end.
    void set_input(std::uint32_t channel, std::vector<float> samples);

    // Renders `frames` in blocks of `block_size`, appending to the captured outputs.
    void render(std::uint64_t frames, std::uint32_t block_size);

    // Renders one block per entry of `block_sizes`.
    void render_blocks(std::span<const std::uint32_t> block_sizes);

    // Called before each block with the frame it starts at (to change the graph
    // mid-render as a control thread would).
    void on_block(std::function<void(std::uint64_t frame)> callback) { on_block_ = std::move(callback); }

    const std::vector<float>& output(std::uint32_t channel) const { return captured_[channel]; }
    std::uint64_t frames_rendered() const { return rendered_; }

private:
    void render_block(std::uint32_t nframes);

    engine::Engine& engine_;
    std::vector<std::vector<float>> inputs_;
    std::vector<std::vector<float>> captured_;
    std::vector<std::vector<float>> input_blocks_;
    std::vector<std::vector<float>> output_blocks_;
    std::vector<const float*> input_pointers_;
    std::vector<float*> output_pointers_;
    std::function<void(std::uint64_t)> on_block_;
    std::uint64_t rendered_ = 0;
};

}  // namespace rtgraph::offline
