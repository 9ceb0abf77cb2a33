// EngineRig implementation (test code).
#include "support/engine_rig.hpp"

#include <cmath>

#include "rtgraph/control/patch_script.hpp"

namespace rtgraph::test_support {

namespace {
engine::NodeRegistry& with_builtins(engine::NodeRegistry& registry) {
    engine::register_builtin_nodes(registry);
    return registry;
}
}  // namespace

EngineRig::EngineRig(engine::EngineConfig config, std::uint32_t outputs, std::uint32_t inputs)
    : engine(std::make_unique<engine::Engine>(config, with_builtins(registry))),
      driver_storage(std::make_unique<offline::OfflineDriver>(*engine, inputs, outputs)),
      driver(*driver_storage) {}

void EngineRig::script(std::string_view text) {
    const control::ScriptParse parsed = control::parse_patch_script(text);
    ASSERT_TRUE(parsed.ok()) << "line " << parsed.error_line << ": " << parsed.error;
    for (const control::ScriptTransaction& transaction : parsed.transactions) {
        if (transaction.edits.empty()) continue;
        const auto frame = static_cast<std::uint64_t>(
            std::llround(transaction.at_seconds * engine->config().sample_rate));
        const engine::ApplyResult result = engine->apply(transaction.edits, frame);
        ASSERT_TRUE(result.ok()) << "line " << transaction.line << ": "
                                 << result.error.message;
    }
}

engine::ApplyResult EngineRig::apply_ok(std::vector<engine::Edit> edits, std::uint64_t frame) {
    engine::ApplyResult result = engine->apply(edits, frame);
    EXPECT_TRUE(result.ok()) << engine::error_name(result.error.code) << ": "
                             << result.error.message;
    return result;
}

}  // namespace rtgraph::test_support
