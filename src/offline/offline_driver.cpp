// OfflineDriver: the engine driven block by block on one thread.
#include "rtgraph/offline/offline_driver.hpp"

#include <algorithm>

namespace rtgraph::offline {

OfflineDriver::OfflineDriver(engine::Engine& engine, std::uint32_t input_channels,
                             std::uint32_t output_channels)
    : engine_(engine),
      inputs_(input_channels),
      captured_(output_channels),
      input_blocks_(input_channels),
      output_blocks_(output_channels) {}

void OfflineDriver::set_input(std::uint32_t channel, std::vector<float> samples) {
    inputs_.at(channel) = std::move(samples);
}

void OfflineDriver::render(std::uint64_t frames, std::uint32_t block_size) {
    while (frames > 0) {
        const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(frames, block_size));
        render_block(n);
        frames -= n;
    }
}

void OfflineDriver::render_blocks(std::span<const std::uint32_t> block_sizes) {
    for (std::uint32_t n : block_sizes) render_block(n);
}

void OfflineDriver::render_block(std::uint32_t nframes) {
    if (on_block_) on_block_(rendered_);
    engine_.maintain();

    input_pointers_.clear();
    for (std::size_t c = 0; c < inputs_.size(); ++c) {
        std::vector<float>& block = input_blocks_[c];
        block.assign(nframes, 0.0f);
        const std::vector<float>& source = inputs_[c];
        for (std::uint32_t i = 0; i < nframes && rendered_ + i < source.size(); ++i) {
            block[i] = source[rendered_ + i];
        }
        input_pointers_.push_back(block.data());
    }
    output_pointers_.clear();
    for (std::vector<float>& block : output_blocks_) {
        block.assign(nframes, 0.0f);
        output_pointers_.push_back(block.data());
    }
    const engine::AudioIo io{input_pointers_.data(), static_cast<std::uint32_t>(inputs_.size()),
                             output_pointers_.data(),
                             static_cast<std::uint32_t>(output_blocks_.size())};
    engine_.process(io, nframes);
    for (std::size_t c = 0; c < output_blocks_.size(); ++c) {
        captured_[c].insert(captured_[c].end(), output_blocks_[c].begin(), output_blocks_[c].end());
    }
    rendered_ += nframes;
    engine_.collect_garbage();
}

}  // namespace rtgraph::offline
