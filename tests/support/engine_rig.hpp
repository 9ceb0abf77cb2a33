// EngineRig: a registry, an engine and an offline driver wired for a test.
//
// Threads: test code; the offline driver plays audio, control and
// housekeeping in turn on the calling thread.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rtgraph/engine/engine.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/offline/offline_driver.hpp"

namespace rtgraph::test_support {

struct EngineRig {
    explicit EngineRig(engine::EngineConfig config = {}, std::uint32_t outputs = 1,
                       std::uint32_t inputs = 0);

    // Applies a patch script's transactions, each at its "at" time; fails the
    // test if the script does not parse or any transaction is refused.
    void script(std::string_view text);

    // Applies edits as one transaction at `frame`; fails the test on refusal.
    engine::ApplyResult apply_ok(std::vector<engine::Edit> edits, std::uint64_t frame = 0);

    std::span<const float> out(std::uint32_t channel = 0) const { return driver.output(channel); }

    engine::NodeRegistry registry;
    std::unique_ptr<engine::Engine> engine;
    std::unique_ptr<offline::OfflineDriver> driver_storage;
    offline::OfflineDriver& driver;
};

}  // namespace rtgraph::test_support
