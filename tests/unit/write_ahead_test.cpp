// Write-ahead: a structural change reaches the host's state file before the
// engine commits it, and a write that fails refuses the change with nothing
// changed (io_error). CommandRouter against an offline engine and a host whose
// disk can be made to fail; no JACK, no files.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rtgraph/control/command_router.hpp"
#include "support/engine_rig.hpp"

namespace rtgraph::control {
namespace {

// A host that keeps state: every document it is asked to write ahead, and
// what the engine's model held at that moment.
class KeepingHost final : public ControlHost {
  public:
    explicit KeepingHost(const engine::Engine& engine) : engine_(engine) {}

    bool connect_external(const std::string& port, const std::string& external,
                          std::string&) override {
        made.push_back(port + "->" + external);
        return true;
    }
    // Any external port exists; nothing here disconnects.
    bool can_connect_external(const std::string&, const std::string&, bool, std::string&) override { return true; }
    bool disconnect_external(const std::string&, const std::string&, std::string&) override { return true; }
    void graph_ports_changed() override {}
    ScheduledTime schedule_for_time(OscTimetag) override { return {}; }
    std::string status_json_members() override { return R"("host":"keeping")"; }
    bool keeps_state() const override { return true; }
    bool write_ahead(const std::string& document, std::string& error) override {
        written.push_back(nlohmann::json::parse(document));
        nodes_when_written.push_back(engine_.model().nodes().size());
        if (disk_full) {
            error = "No space left on device";
            return false;
        }
        return true;
    }
    void graph_changed(bool structural) override {
        (structural ? structural_changes : value_changes) += 1;
    }

    bool disk_full = false;
    std::vector<nlohmann::json> written;
    std::vector<std::size_t> nodes_when_written;
    std::vector<std::string> made;
    int structural_changes = 0;
    int value_changes = 0;

  private:
    const engine::Engine& engine_;
};

OscArgument s(std::string text) { return {'s', std::move(text)}; }
OscArgument i(std::int32_t value) { return {'i', value}; }
OscArgument f(float value) { return {'f', value}; }

std::string text_at(const Outgoing& reply, std::size_t index) {
    return std::get<std::string>(reply.message.args.at(index).value);
}

class WriteAheadTest : public ::testing::Test {
  protected:
    WriteAheadTest() : rig(engine::EngineConfig{}, 2), host(*rig.engine) {
        rig.apply_ok({engine::AddGraphPort{"out_1", engine::PortKind::kAudio, engine::PortDirection::kOutput}});
        router = std::make_unique<CommandRouter>(*rig.engine, host, subscriptions, "test");
    }

    std::vector<Outgoing> send(std::vector<OscMessage> messages, bool bundle = false) {
        OscPacket packet;
        packet.bundle = bundle;
        packet.messages = std::move(messages);
        OscPeer peer;
        peer.kind = OscPeer::Kind::kUnix;
        peer.connection = 1;
        std::vector<Outgoing> out;
        router->handle(packet, peer, out);
        rig.driver.render(64, 64);
        router->poll(out);
        return out;
    }
    std::string dump() {
        const std::vector<Outgoing> out = send({OscMessage{"/graph/dump", {}}});
        EXPECT_EQ(out.size(), 1u);
        return text_at(out.at(0), 2);
    }
    static nlohmann::json node_names(const nlohmann::json& document) {
        nlohmann::json names = nlohmann::json::array();
        for (const nlohmann::json& node : document["graph"]["nodes"]) names.push_back(node["name"]);
        return names;
    }

    test_support::EngineRig rig;
    KeepingHost host;
    Subscriptions subscriptions;
    std::unique_ptr<CommandRouter> router;
};

TEST_F(WriteAheadTest, TheStateFileHoldsAStructuralChangeBeforeTheEngineHasIt) {
    const std::vector<Outgoing> out =
        send({OscMessage{"/node/add", {i(4), s("sine"), s("osc"), s("freq"), f(220.0f)}}});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].message.address, "/done");
    ASSERT_EQ(host.written.size(), 1u);
    EXPECT_EQ(host.nodes_when_written[0], 0u) << "written after the engine committed the change";
    EXPECT_EQ(node_names(host.written[0]), nlohmann::json::array({"osc"}));
    EXPECT_EQ(host.written[0]["graph"]["nodes"][0]["params"]["freq"], 220.0);
    EXPECT_EQ(rig.engine->model().nodes().size(), 1u);

    // A bundle is one write, holding all of it.
    send({OscMessage{"/node/add", {s("gain"), s("g")}}, OscMessage{"/connect", {s("osc:out"), s("g:in")}},
          OscMessage{"/connect", {s("g:out"), s("graph:out_1")}}},
         true);
    ASSERT_EQ(host.written.size(), 2u);
    EXPECT_EQ(node_names(host.written[1]), nlohmann::json::array({"osc", "g"}));
    EXPECT_EQ(host.written[1]["graph"]["connections"].size(), 2u) << host.written[1].dump();

    // Values that glide are saved later, within the bound: no write ahead.
    send({OscMessage{"/param/set", {s("osc"), s("freq"), f(330.0f)}}});
    EXPECT_EQ(host.written.size(), 2u);
    EXPECT_EQ(host.value_changes, 1);
}

TEST_F(WriteAheadTest, AFailedWriteRefusesTheChangeAndChangesNothing) {
    send({OscMessage{"/node/add", {s("sine"), s("osc")}}});
    const std::string before = dump();
    const int structural_before = host.structural_changes;
    host.disk_full = true;

    const std::vector<Outgoing> one = send({OscMessage{"/node/add", {i(9), s("gain"), s("g")}}});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].message.address, "/error");
    EXPECT_EQ(std::get<std::int32_t>(one[0].message.args[0].value), 9);
    EXPECT_EQ(text_at(one[0], 2), "io_error");
    EXPECT_EQ(text_at(one[0], 3).rfind("nothing was changed: the state file could not be written "
                                       "(No space left on device)",
                                       0),
              0u)
        << text_at(one[0], 3);

    // Every message of a bundle hears it; removing is refused like adding.
    const std::vector<Outgoing> bundle = send({OscMessage{"/node/remove", {i(1), s("osc")}},
                                               OscMessage{"/port/add", {i(2), s("aux"), s("out")}}},
                                              true);
    ASSERT_EQ(bundle.size(), 2u);
    for (const Outgoing& reply : bundle) EXPECT_EQ(text_at(reply, 2), "io_error") << text_at(reply, 3);

    // An external connection alone is not made either.
    const std::vector<Outgoing> external = send({OscMessage{"/connect", {s("graph:out_1"), s("system:playback_1")}}});
    ASSERT_EQ(external.size(), 1u);
    EXPECT_EQ(text_at(external[0], 2), "io_error");
    EXPECT_TRUE(host.made.empty());

    // An import too, and its text says "nothing was changed" once.
    nlohmann::json document = host.written.back();
    document["graph"]["nodes"].clear();
    const std::vector<Outgoing> import = send({OscMessage{"/graph/import", {s(document.dump())}}});
    ASSERT_EQ(import.size(), 1u);
    EXPECT_EQ(text_at(import[0], 2), "io_error");
    EXPECT_EQ(text_at(import[0], 3).find("nothing was changed", 1), std::string::npos) << text_at(import[0], 3);

    EXPECT_EQ(dump(), before);
    EXPECT_EQ(host.structural_changes, structural_before);
    EXPECT_EQ(router->pending_replies(), 0u);

    // Parameter values are not refused: they wait in memory for the disk.
    const std::vector<Outgoing> param = send({OscMessage{"/param/set", {s("osc"), s("freq"), f(330.0f)}}});
    ASSERT_EQ(param.size(), 1u);
    EXPECT_EQ(param[0].message.address, "/done");

    // Once the disk takes writes again, the same change is made.
    host.disk_full = false;
    const std::vector<Outgoing> again = send({OscMessage{"/node/add", {i(9), s("gain"), s("g")}}});
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].message.address, "/done");
    EXPECT_EQ(node_names(host.written.back()), nlohmann::json::array({"osc", "g"}));
}

TEST_F(WriteAheadTest, ExternalConnectionsAreWrittenAsTheyWillBe) {
    send({OscMessage{"/connect", {s("graph:out_1"), s("system:playback_1")}}});
    ASSERT_EQ(host.written.size(), 1u);
    const nlohmann::json& externals = host.written[0]["graph"]["external_connections"];
    ASSERT_EQ(externals.size(), 1u) << host.written[0].dump();
    EXPECT_EQ(externals[0]["port"], "out_1");
    EXPECT_EQ(externals[0]["peer"], "system:playback_1");
    EXPECT_EQ(host.made, (std::vector<std::string>{"out_1->system:playback_1"}));
}

}  // namespace
}  // namespace rtgraph::control
