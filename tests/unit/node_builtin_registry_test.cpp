// register_builtin_nodes: every built-in type is there, with the port and
// parameter names, directions, ranges and kinds that patches rely on.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "rtgraph/engine/node_registry.hpp"

namespace rtgraph::engine {
namespace {

struct ExpectedPort {
    std::string name;
    PortDirection direction;
};

struct ExpectedParam {
    std::string name;
    float min;
    float max;
    float default_value;
    ParamKind kind = ParamKind::kContinuous;
    bool creation_only = false;
};

void expect_type(const NodeRegistry& registry, const std::string& name,
                 const std::vector<ExpectedPort>& ports,
                 const std::vector<ExpectedParam>& params) {
    SCOPED_TRACE(name);
    const NodeTypeInfo* type = registry.find(name);
    ASSERT_NE(type, nullptr);
    EXPECT_EQ(type->name, name);
    EXPECT_FALSE(type->description.empty());
    ASSERT_EQ(type->ports.size(), ports.size());
    for (std::size_t i = 0; i < ports.size(); ++i) {
        EXPECT_EQ(type->ports[i].name, ports[i].name);
        EXPECT_EQ(type->ports[i].direction, ports[i].direction) << ports[i].name;
        EXPECT_EQ(type->ports[i].kind, PortKind::kAudio) << ports[i].name;
    }
    ASSERT_EQ(type->params.size(), params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        const ParamDescriptor& p = type->params[i];
        SCOPED_TRACE(p.name);
        EXPECT_EQ(p.name, params[i].name);
        EXPECT_FLOAT_EQ(p.min, params[i].min);
        EXPECT_FLOAT_EQ(p.max, params[i].max);
        EXPECT_FLOAT_EQ(p.default_value, params[i].default_value);
        EXPECT_EQ(p.kind, params[i].kind);
        EXPECT_EQ(p.creation_only, params[i].creation_only);
        EXPECT_GE(p.default_value, p.min);
        EXPECT_LE(p.default_value, p.max);
        // Every continuous parameter that can change while running is smoothed.
        if (p.kind == ParamKind::kContinuous && !p.creation_only) {
            EXPECT_GT(p.smoothing_ms, 0.0f);
        }
    }

    // The factory builds a node of this type with the given initial values.
    std::vector<float> initial;
    for (const ParamDescriptor& p : type->params) initial.push_back(p.max);
    const auto node = registry.create(*type, PrepareSpec{48000.0, 256}, initial);
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(&node->type(), type);
    ASSERT_EQ(node->param_count(), type->params.size());
    for (std::uint32_t i = 0; i < node->param_count(); ++i) {
        EXPECT_EQ(node->param(i).current(), type->params[i].max);
    }
}

TEST(BuiltinNodeRegistry, RegistersAllEightTypesWithTheirPortsAndParams) {
    NodeRegistry registry;
    register_builtin_nodes(registry);
    EXPECT_EQ(registry.types().size(), 8u);

    constexpr auto kIn = PortDirection::kInput;
    constexpr auto kOut = PortDirection::kOutput;
    expect_type(registry, "sine", {{"out", kOut}},
                {{"freq", 0.01f, 20000.0f, 440.0f}, {"amp", 0.0f, 4.0f, 0.5f}});
    expect_type(registry, "noise", {{"out", kOut}}, {{"amp", 0.0f, 4.0f, 0.25f}});
    expect_type(registry, "gain", {{"in", kIn}, {"out", kOut}}, {{"gain", 0.0f, 16.0f, 1.0f}});

    std::vector<ExpectedPort> mixer_ports;
    std::vector<ExpectedParam> mixer_params;
    for (int k = 1; k <= 8; ++k) {
        mixer_ports.push_back({"in_" + std::to_string(k), kIn});
        mixer_params.push_back({"gain_" + std::to_string(k), 0.0f, 16.0f, 1.0f});
    }
    mixer_ports.push_back({"out", kOut});
    mixer_params.push_back({"master", 0.0f, 16.0f, 1.0f});
    expect_type(registry, "mixer", mixer_ports, mixer_params);

    expect_type(registry, "biquad", {{"in", kIn}, {"out", kOut}},
                {{"mode", 0.0f, 4.0f, 0.0f, ParamKind::kInteger},
                 {"freq", 10.0f, 20000.0f, 1000.0f},
                 {"q", 0.1f, 40.0f, 0.7071f},
                 {"gain_db", -24.0f, 24.0f, 0.0f}});
    expect_type(registry, "delay", {{"in", kIn}, {"out", kOut}},
                {{"max_time", 0.001f, 10.0f, 1.0f, ParamKind::kContinuous, true},
                 {"time", 0.0f, 10.0f, 0.25f},
                 {"feedback", 0.0f, 0.99f, 0.0f},
                 {"mix", 0.0f, 1.0f, 1.0f}});
    expect_type(registry, "adsr", {{"in", kIn}, {"out", kOut}, {"env", kOut}},
                {{"gate", 0.0f, 1.0f, 0.0f, ParamKind::kToggle},
                 {"attack", 0.0f, 10.0f, 0.01f},
                 {"decay", 0.0f, 10.0f, 0.1f},
                 {"sustain", 0.0f, 1.0f, 0.7f},
                 {"release", 0.0f, 10.0f, 0.2f}});
    expect_type(registry, "meter", {{"in", kIn}, {"out", kOut}},
                {{"interval_ms", 1.0f, 1000.0f, 50.0f, ParamKind::kInteger}});
}

TEST(BuiltinNodeRegistry, RegisteringTwiceKeepsTheFirstAndAddsNothing) {
    NodeRegistry registry;
    register_builtin_nodes(registry);
    const NodeTypeInfo* sine = registry.find("sine");
    register_builtin_nodes(registry);
    EXPECT_EQ(registry.types().size(), 8u);
    EXPECT_EQ(registry.find("sine"), sine);
}

}  // namespace
}  // namespace rtgraph::engine
