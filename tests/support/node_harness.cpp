// Drives one node directly for node-level tests (see node_harness.hpp).
//
// Threads: test code only.
#include "support/node_harness.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace rtgraph::test_support {

using engine::PortDirection;

NodeHarness::NodeHarness(std::string_view type_name, double sample_rate,
                         std::uint32_t max_block,
                         const std::vector<std::pair<std::string, float>>& overrides)
    : spec_{sample_rate, max_block}, telemetry_(std::make_unique<rt::TelemetryRing>(4096)) {
    engine::register_builtin_nodes(registry_);
    type_ = registry_.find(type_name);
    if (type_ == nullptr) throw std::invalid_argument("no such node type");
    std::vector<float> initial;
    for (const engine::ParamDescriptor& p : type_->params) initial.push_back(p.default_value);
    for (const auto& [name, value] : overrides) initial[param_index(name)] = value;
    node_ = registry_.create(*type_, spec_, initial);
    if (node_ == nullptr) throw std::runtime_error("factory returned null");
    inputs_.resize(type_->audio_count(PortDirection::kInput));
}

std::uint32_t NodeHarness::param_index(std::string_view name) const {
    const auto index = type_->find_param(name);
    if (!index) throw std::invalid_argument("no such parameter");
    return *index;
}

void NodeHarness::set_param(std::string_view name, float value, std::uint32_t ramp_frames) {
    node_->set_param(param_index(name), value, ramp_frames);
}

void NodeHarness::schedule(std::uint64_t frame, std::string_view name, float value,
                           std::uint32_t ramp_frames) {
    const Event event{frame, param_index(name), value, ramp_frames};
    const auto at = std::upper_bound(events_.begin(), events_.end(), frame,
                                     [](std::uint64_t f, const Event& e) { return f < e.frame; });
    events_.insert(at, event);
}

void NodeHarness::set_input(std::string_view port, std::vector<float> signal) {
    const auto index = type_->find_port(port);
    if (!index || type_->ports[*index].direction != PortDirection::kInput) {
        throw std::invalid_argument("no such input port");
    }
    inputs_[type_->audio_index(*index)] = Input{frame_, std::move(signal)};
}

std::vector<std::vector<float>> NodeHarness::render(std::uint64_t frames, BlockPlan plan) {
    const std::uint32_t out_count = type_->audio_count(PortDirection::kOutput);
    std::vector<std::vector<float>> result(out_count, std::vector<float>(frames, 0.0f));
    // Scratch buffers sized for the largest block, like the executor's.
    std::vector<std::vector<float>> in_buffers(inputs_.size(),
                                               std::vector<float>(spec_.max_block, 0.0f));
    std::vector<std::vector<float>> out_buffers(out_count,
                                                std::vector<float>(spec_.max_block, 0.0f));
    std::vector<const float*> in_ptrs;
    std::vector<float*> out_ptrs;
    for (auto& b : in_buffers) in_ptrs.push_back(b.data());
    for (auto& b : out_buffers) out_ptrs.push_back(b.data());

    std::mt19937 rng(plan.seed);
    const std::uint32_t limit = std::clamp<std::uint32_t>(plan.size, 1, spec_.max_block);
    std::uniform_int_distribution<std::uint32_t> random_size(1, limit);

    std::uint64_t done = 0;
    while (done < frames) {
        // Events due now go in before the block, in the order they were scheduled.
        while (!events_.empty() && events_.front().frame <= frame_) {
            const Event e = events_.front();
            events_.erase(events_.begin());
            node_->set_param(e.param, e.value, e.ramp);
        }
        std::uint64_t n = plan.random ? random_size(rng) : limit;
        n = std::min<std::uint64_t>(n, frames - done);
        if (!events_.empty()) n = std::min<std::uint64_t>(n, events_.front().frame - frame_);
        const auto count = static_cast<std::uint32_t>(n);

        for (std::size_t i = 0; i < inputs_.size(); ++i) {
            for (std::uint32_t k = 0; k < count; ++k) {
                const std::uint64_t at = frame_ + k - inputs_[i].start;
                in_buffers[i][k] =
                    (frame_ + k >= inputs_[i].start && at < inputs_[i].signal.size())
                        ? inputs_[i].signal[at]
                        : 0.0f;
            }
        }
        // Poison the outputs: a node must write every sample.
        for (auto& b : out_buffers) std::fill(b.begin(), b.end(), std::nanf(""));
        const engine::ProcessBlock block{in_ptrs.data(), out_ptrs.data(), count, frame_,
                                         telemetry_.get()};
        node_->process(block);
        for (std::uint32_t o = 0; o < out_count; ++o) {
            std::copy_n(out_buffers[o].begin(), count, result[o].begin() + done);
        }
        frame_ += count;
        done += count;
    }
    return result;
}

std::vector<float> NodeHarness::render_port(std::uint64_t frames, std::string_view port,
                                            BlockPlan plan) {
    const auto index = type_->find_port(port);
    if (!index || type_->ports[*index].direction != PortDirection::kOutput) {
        throw std::invalid_argument("no such output port");
    }
    auto all = render(frames, plan);
    return std::move(all[type_->audio_index(*index)]);
}

std::vector<rt::TelemetryRecord> NodeHarness::drain_telemetry() {
    std::vector<rt::TelemetryRecord> records;
    rt::TelemetryRecord record{};
    while (telemetry_->try_read(record)) records.push_back(record);
    return records;
}

std::vector<float> make_sine(std::size_t frames, double sample_rate, double frequency,
                             double amplitude) {
    std::vector<float> signal(frames);
    const double w = 2.0 * std::numbers::pi * frequency / sample_rate;
    for (std::size_t n = 0; n < frames; ++n) {
        signal[n] = static_cast<float>(amplitude * std::sin(w * static_cast<double>(n)));
    }
    return signal;
}

}  // namespace rtgraph::test_support
