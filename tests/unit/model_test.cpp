// Model validation: every refusal has its code and message, and leaves the
// model exactly as it was; clamping is said; order and cycles are right.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "rtgraph/control/patch_script.hpp"
#include "rtgraph/engine/model.hpp"
#include "rtgraph/engine/node_registry.hpp"

namespace rtgraph::engine {
namespace {

class ModelTest : public ::testing::Test {
protected:
    ModelTest() : model(registry_with_builtins()) {}

    static const NodeRegistry& registry_with_builtins() {
        static NodeRegistry registry = [] {
            NodeRegistry r;
            register_builtin_nodes(r);
            return r;
        }();
        return registry;
    }

    void ok(const Edit& edit) {
        EditOutcome outcome;
        const Error error = model.apply(edit, outcome);
        ASSERT_FALSE(error) << error.message;
    }

    // Applies an edit that must be refused with `code`; checks the model did
    // not change at all, and returns the message.
    std::string refused(const Edit& edit, ErrorCode code) {
        const std::string before = control::write_patch_script(model);
        EditOutcome outcome;
        const Error error = model.apply(edit, outcome);
        EXPECT_EQ(error.code, code) << "got " << error_name(error.code) << ": " << error.message;
        EXPECT_FALSE(error.message.empty());
        EXPECT_EQ(control::write_patch_script(model), before) << "model changed by a refused edit";
        return error.message;
    }

    void build_chain() {
        ok(AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput});
        ok(AddGraphPort{"in_1", PortKind::kAudio, PortDirection::kInput});
        ok(AddGraphPort{"midi_in", PortKind::kMidi, PortDirection::kInput});
        ok(AddNode{"sine", "osc", {{"freq", 220.0f}}});
        ok(AddNode{"gain", "amp", {}});
        ok(AddNode{"biquad", "filter", {}});
        ok(Connect{"osc:out", "filter:in", 1.0f});
        ok(Connect{"filter:out", "amp:in", 1.0f});
        ok(Connect{"amp:out", "graph:out_1", 0.5f});
    }

    Model model;
};

TEST_F(ModelTest, RefusesUnknownType) {
    build_chain();
    const std::string message = refused(AddNode{"reverbulator", "r", {}}, ErrorCode::kUnknownType);
    EXPECT_NE(message.find("reverbulator"), std::string::npos);
}

TEST_F(ModelTest, RefusesUnknownNode) {
    build_chain();
    refused(RemoveNode{"ghost"}, ErrorCode::kUnknownNode);
    refused(Connect{"ghost:out", "amp:in", 1.0f}, ErrorCode::kUnknownNode);
    refused(SetParam{"ghost", "gain", 1.0f, std::nullopt}, ErrorCode::kUnknownNode);
    refused(RenameNode{"ghost", "spirit"}, ErrorCode::kUnknownNode);
}

TEST_F(ModelTest, RefusesUnknownPortAndListsTheRealOnes) {
    build_chain();
    const std::string message = refused(Connect{"osc:wobble", "amp:in", 1.0f}, ErrorCode::kUnknownPort);
    EXPECT_NE(message.find("its ports are: out"), std::string::npos) << message;
    refused(Connect{"osc:out", "graph:nowhere", 1.0f}, ErrorCode::kUnknownPort);
    refused(Connect{"osc", "amp:in", 1.0f}, ErrorCode::kUnknownPort);
}

TEST_F(ModelTest, RefusesUnknownParam) {
    build_chain();
    refused(SetParam{"amp", "volume", 1.0f, std::nullopt}, ErrorCode::kUnknownParam);
    refused(AddNode{"gain", "g2", {{"volume", 1.0f}}}, ErrorCode::kUnknownParam);
}

TEST_F(ModelTest, RefusesDuplicateAndInvalidNames) {
    build_chain();
    refused(AddNode{"gain", "amp", {}}, ErrorCode::kDuplicateName);
    refused(RenameNode{"osc", "amp"}, ErrorCode::kDuplicateName);
    refused(AddGraphPort{"out_1", PortKind::kAudio, PortDirection::kOutput}, ErrorCode::kDuplicateName);
    refused(AddNode{"gain", "graph", {}}, ErrorCode::kInvalidName);
    refused(AddNode{"gain", "has space", {}}, ErrorCode::kInvalidName);
    refused(AddNode{"gain", "a:b", {}}, ErrorCode::kInvalidName);
    refused(AddNode{"gain", "", {}}, ErrorCode::kInvalidName);
    refused(AddNode{"gain", std::string(65, 'x'), {}}, ErrorCode::kInvalidName);
}

TEST_F(ModelTest, RefusesPortKindMismatch) {
    build_chain();
    const std::string message =
        refused(Connect{"graph:midi_in", "amp:in", 1.0f}, ErrorCode::kPortKindMismatch);
    EXPECT_NE(message.find("midi"), std::string::npos) << message;
}

TEST_F(ModelTest, RefusesWrongDirection) {
    build_chain();
    refused(Connect{"amp:in", "filter:in", 1.0f}, ErrorCode::kPortDirection);
    refused(Connect{"osc:out", "osc:out", 1.0f}, ErrorCode::kPortDirection);
    refused(Connect{"graph:out_1", "amp:in", 1.0f}, ErrorCode::kPortDirection);
    refused(Connect{"amp:out", "graph:in_1", 1.0f}, ErrorCode::kPortDirection);
}

TEST_F(ModelTest, RefusesCycles) {
    build_chain();
    const std::string message = refused(Connect{"amp:out", "filter:in", 1.0f}, ErrorCode::kWouldCreateCycle);
    EXPECT_NE(message.find("cycle"), std::string::npos);
    ok(AddNode{"gain", "self", {}});
    refused(Connect{"self:out", "self:in", 1.0f}, ErrorCode::kWouldCreateCycle);
    // A longer loop: osc -> filter -> amp, then amp -> x -> filter would close it.
    ok(AddNode{"mixer", "x", {}});
    ok(Connect{"amp:out", "x:in_1", 1.0f});
    refused(Connect{"x:out", "filter:in", 1.0f}, ErrorCode::kWouldCreateCycle);
}

TEST_F(ModelTest, RefusesNonFiniteValues) {
    build_chain();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    refused(SetParam{"amp", "gain", nan, std::nullopt}, ErrorCode::kNotFinite);
    refused(SetParam{"amp", "gain", inf, std::nullopt}, ErrorCode::kNotFinite);
    refused(SetParam{"amp", "gain", -inf, std::nullopt}, ErrorCode::kNotFinite);
    refused(SetParam{"amp", "gain", 1.0f, nan}, ErrorCode::kNotFinite);
    refused(AddNode{"gain", "g2", {{"gain", nan}}}, ErrorCode::kNotFinite);
    refused(Connect{"osc:out", "graph:out_1", inf}, ErrorCode::kNotFinite);
}

TEST_F(ModelTest, RefusesDoubleConnectAndMissingDisconnect) {
    build_chain();
    refused(Connect{"osc:out", "filter:in", 1.0f}, ErrorCode::kAlreadyConnected);
    refused(Disconnect{"osc:out", "amp:in"}, ErrorCode::kNotConnected);
}

TEST_F(ModelTest, RefusesChangingACreationOnlyParameter) {
    ok(AddNode{"delay", "echo", {{"max_time", 2.0f}}});
    refused(SetParam{"echo", "max_time", 4.0f, std::nullopt}, ErrorCode::kCreationOnlyParam);
    EXPECT_FLOAT_EQ(model.find_node("echo")->params[0], 2.0f);
}

TEST_F(ModelTest, ClampsOutOfRangeAndSaysSo) {
    build_chain();
    EditOutcome outcome;
    ASSERT_FALSE(model.apply(SetParam{"osc", "freq", 30000.0f, std::nullopt}, outcome));
    const auto index = model.find_node("osc")->type->find_param("freq");
    EXPECT_FLOAT_EQ(model.find_node("osc")->params[*index], 20000.0f);
    ASSERT_EQ(outcome.notes.size(), 1u);
    EXPECT_NE(outcome.notes[0].find("osc.freq clamped from 30000 to 20000"), std::string::npos)
        << outcome.notes[0];
    EXPECT_FLOAT_EQ(outcome.param_value, 20000.0f);
}

TEST_F(ModelTest, TopologicalOrderPutsEveryNodeAfterItsSources) {
    // Built in an order that is not the dependency order.
    ok(AddNode{"gain", "last", {}});
    ok(AddNode{"mixer", "middle", {}});
    ok(AddNode{"sine", "first_a", {}});
    ok(AddNode{"noise", "first_b", {}});
    ok(Connect{"first_a:out", "middle:in_1", 1.0f});
    ok(Connect{"first_b:out", "middle:in_2", 1.0f});
    ok(Connect{"middle:out", "last:in", 1.0f});
    const std::vector<NodeId> order = model.topological_order();
    ASSERT_EQ(order.size(), 4u);
    const auto position = [&](const char* name) {
        const NodeId id = model.find_node(name)->id;
        return std::find(order.begin(), order.end(), id) - order.begin();
    };
    EXPECT_LT(position("first_a"), position("middle"));
    EXPECT_LT(position("first_b"), position("middle"));
    EXPECT_LT(position("middle"), position("last"));
}

TEST_F(ModelTest, RemovingANodeRemovesItsConnections) {
    build_chain();
    EditOutcome outcome;
    ASSERT_FALSE(model.apply(RemoveNode{"filter"}, outcome));
    EXPECT_EQ(outcome.removed_edges.size(), 2u);
    EXPECT_EQ(model.edges().size(), 1u);  // amp -> graph:out_1 stays
    EXPECT_EQ(model.find_node("filter"), nullptr);
}

TEST_F(ModelTest, RenameKeepsConnections) {
    build_chain();
    ok(RenameNode{"filter", "lowpass"});
    const std::string dump = control::write_patch_script(model);
    EXPECT_NE(dump.find("connect osc:out lowpass:in"), std::string::npos) << dump;
    EXPECT_NE(dump.find("connect lowpass:out amp:in"), std::string::npos) << dump;
}

TEST_F(ModelTest, ScriptDumpRoundTrips) {
    build_chain();
    const std::string dump = control::write_patch_script(model);
    const control::ScriptParse parsed = control::parse_patch_script(dump);
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    Model copy(registry_with_builtins());
    for (const Edit& edit : parsed.transactions.front().edits) {
        EditOutcome outcome;
        ASSERT_FALSE(copy.apply(edit, outcome));
    }
    EXPECT_EQ(control::write_patch_script(copy), dump);
}

TEST(PatchScriptTest, ReportsTheLineOfAnError) {
    const control::ScriptParse parsed =
        control::parse_patch_script("add sine a\nconnect a:out\nclear\n");
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error_line, 2);
    EXPECT_EQ(parsed.error, "usage: connect SRC DST [GAIN]");
    const control::ScriptParse bad_number = control::parse_patch_script("set a freq 44O\n");
    EXPECT_EQ(bad_number.error, "value must be a number, got '44O'");
    const control::ScriptParse bad_verb = control::parse_patch_script("# c\n\nfrobnicate\n");
    EXPECT_EQ(bad_verb.error_line, 3);
}

}  // namespace
}  // namespace rtgraph::engine

namespace rtgraph::control {
namespace {

TEST(PatchScriptTest, KeepsEachEditsLineAndText) {
    const ScriptParse parsed = parse_patch_script("# head\nadd sine a freq=3  # tail\n\n  connect a:out graph:o \nat 1\nremove a\n");
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    ASSERT_EQ(parsed.transactions.size(), 2u);
    ASSERT_EQ(parsed.transactions[0].sources.size(), 2u);
    EXPECT_EQ(parsed.transactions[0].sources[0].line, 2);
    EXPECT_EQ(parsed.transactions[0].sources[0].text, "add sine a freq=3");
    EXPECT_EQ(parsed.transactions[0].sources[1].line, 4);
    EXPECT_EQ(parsed.transactions[0].sources[1].text, "connect a:out graph:o");
    ASSERT_EQ(parsed.transactions[1].sources.size(), 1u);
    EXPECT_EQ(parsed.transactions[1].sources[0].line, 6);
    EXPECT_EQ(parsed.transactions[1].sources[0].text, "remove a");
}

}  // namespace
}  // namespace rtgraph::control
