// CommandRouter against an offline engine and a fake host: dispatch from the
// address table, error codes and texts, transactions, replies that wait for
// the audio thread, subscriptions that outlive a router. No JACK, no sockets.
#include "rtgraph/control/command_router.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rtgraph/control/osc_api.hpp"
#include "support/engine_rig.hpp"

namespace rtgraph::control {
namespace {

// The JACK side, recorded: what the router asked for, and what it refuses.
class FakeHost final : public ControlHost {
  public:
    bool connect_external(const std::string& port, const std::string& external,
                          std::string&) override {
        made.push_back(port + "->" + external);
        return true;
    }
    bool disconnect_external(const std::string& port, const std::string& external,
                             std::string&) override {
        made.push_back(port + "-x-" + external);
        return true;
    }
    bool can_connect_external(const std::string&, const std::string& external, bool,
                              std::string& error) override {
        if (external.rfind("system:", 0) == 0) return true;
        error = "no JACK port named '" + external + "'";
        return false;
    }
    void graph_ports_changed() override { ++port_changes; }
    ScheduledTime schedule_for_time(OscTimetag) override { return {}; }
    std::string status_json_members() override { return R"("host":"fake")"; }
    void graph_changed(bool structural) override {
        (structural ? structural_changes : value_changes) += 1;
    }

    std::vector<std::string> made;
    int port_changes = 0;
    int structural_changes = 0;
    int value_changes = 0;
};

OscPeer peer(std::uint64_t connection) {
    OscPeer p;
    p.kind = OscPeer::Kind::kUnix;
    p.connection = connection;
    return p;
}

OscMessage message(std::string address, std::vector<OscArgument> args = {}) {
    return OscMessage{std::move(address), std::move(args)};
}
OscArgument s(std::string text) {
    return {'s', std::move(text)};
}
OscArgument i(std::int32_t value) {
    return {'i', value};
}
OscArgument f(float value) {
    return {'f', value};
}

// Reply fields by position: /done ID ADDRESS ..., /error ID ADDRESS CODE TEXT.
std::string text_at(const Outgoing& reply, std::size_t index) {
    return std::get<std::string>(reply.message.args.at(index).value);
}

class CommandRouterTest : public ::testing::Test {
  protected:
    CommandRouterTest() : rig(engine::EngineConfig{}, 2) { make_router(); }

    void make_router() {
        router = std::make_unique<CommandRouter>(*rig.engine, host, subscriptions, "test");
    }

    // Sends one packet; returns what it gets at once.
    std::vector<Outgoing> send(std::vector<OscMessage> messages, bool bundle = false,
                               std::uint64_t from = 1) {
        OscPacket packet;
        packet.bundle = bundle;
        packet.messages = std::move(messages);
        std::vector<Outgoing> out;
        router->handle(packet, peer(from), out);
        return out;
    }
    // Renders a block, so that changes go live, and collects their replies.
    std::vector<Outgoing> render_and_poll() {
        rig.driver.render(64, 64);
        std::vector<Outgoing> out;
        router->poll(out);
        return out;
    }
    nlohmann::json dump() {
        const std::vector<Outgoing> out = send({message("/graph/dump")});
        EXPECT_EQ(out.size(), 1u);
        return nlohmann::json::parse(text_at(out.at(0), 2));
    }

    test_support::EngineRig rig;
    FakeHost host;
    Subscriptions subscriptions;
    std::unique_ptr<CommandRouter> router;
};

TEST_F(CommandRouterTest, EveryAddressInTheTableReachesItsHandler) {
    // Sent without arguments, every address gets exactly one reply, /done or
    // an /error about its arguments or state, never "unknown address" or
    // "no handler": the table and the handlers agree.
    for (const OscAddress& address : osc_addresses()) {
        std::vector<Outgoing> out = send({message(std::string(address.path), {i(7)})});
        const std::vector<Outgoing> later = render_and_poll();
        out.insert(out.end(), later.begin(), later.end());
        ASSERT_EQ(out.size(), 1u) << address.path;
        const OscMessage& reply = out[0].message;
        EXPECT_EQ(std::get<std::int32_t>(reply.args.at(0).value), 7) << address.path;
        EXPECT_EQ(text_at(out[0], 1), address.path);
        if (reply.address == "/error") {
            const std::string code = text_at(out[0], 2);
            EXPECT_TRUE(code == "bad_arguments" || code == "no_state_dir")
                << address.path << ": " << code;
            EXPECT_EQ(text_at(out[0], 3).find("handler"), std::string::npos) << text_at(out[0], 3);
        }
    }
}

TEST_F(CommandRouterTest, AChangeIsAnsweredOnceTheAudioThreadHasIt) {
    const std::vector<Outgoing> now =
        send({message("/node/add", {i(3), s("sine"), s("osc"), s("freq"), f(220.0f)})});
    EXPECT_TRUE(now.empty()) << "/done before the audio thread took the change";
    EXPECT_EQ(router->pending_replies(), 1u);
    EXPECT_EQ(host.structural_changes, 1);
    const std::vector<Outgoing> live = render_and_poll();
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].message.address, "/done");
    EXPECT_EQ(std::get<std::int32_t>(live[0].message.args[0].value), 3);
    EXPECT_EQ(router->pending_replies(), 0u);
    const nlohmann::json graph = dump();
    ASSERT_EQ(graph["nodes"].size(), 1u);
    EXPECT_EQ(graph["nodes"][0]["params"]["freq"], 220.0);

    // A value change is saved within the bound, not before the reply.
    send({message("/param/set", {s("osc"), s("freq"), f(330.0f)})});
    EXPECT_EQ(host.value_changes, 1);
    EXPECT_EQ(host.structural_changes, 1);
}

TEST_F(CommandRouterTest, ARefusedBundleChangesNothingAndTellsEveryMessageWhy) {
    const nlohmann::json before = dump();
    const std::vector<Outgoing> out = send({message("/node/add", {i(1), s("sine"), s("a")}),
                                            message("/param/set", {i(2), s("nope"), s("x"), f(1)})},
                                           true);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(text_at(out[0], 2), "unknown_node");
    EXPECT_EQ(text_at(out[0], 1), "/param/set");
    EXPECT_EQ(text_at(out[1], 2), "transaction_refused");
    EXPECT_EQ(
        text_at(out[1], 3).rfind("nothing in this bundle was applied: /param/set failed: ", 0), 0u)
        << text_at(out[1], 3);
    EXPECT_TRUE(render_and_poll().empty());
    EXPECT_EQ(dump(), before);
    EXPECT_EQ(router->stats().errors, 2u);

    // An unknown address in a bundle refuses it too, and is answered once.
    const std::vector<Outgoing> unknown =
        send({message("/node/add", {s("sine"), s("b")}), message("/no/such")}, true);
    ASSERT_EQ(unknown.size(), 2u);
    EXPECT_EQ(text_at(unknown[0], 2), "unknown_address");
    EXPECT_EQ(text_at(unknown[0], 3), "no address /no/such; send /api for the list");
    EXPECT_EQ(text_at(unknown[1], 2), "transaction_refused");
    EXPECT_EQ(dump(), before);
}

TEST_F(CommandRouterTest, ErrorsNameTheProblemWithOneCodeEach) {
    send({message("/node/add", {s("sine"), s("osc")})});
    render_and_poll();
    const auto error = [&](OscMessage m) {
        const std::vector<Outgoing> out = send({std::move(m)});
        EXPECT_EQ(out.size(), 1u);
        return std::pair{text_at(out.at(0), 2), text_at(out.at(0), 3)};
    };
    EXPECT_EQ(
        error(message("/param/get", {s("osc"), s("fq")})),
        (std::pair<std::string, std::string>{
            "unknown_param",
            "node 'osc' has no parameter 'fq'; did you mean 'freq'?; its parameters are: freq, amp"}));
    EXPECT_EQ(error(message("/param/get", {s("osx"), s("freq")})),
              (std::pair<std::string, std::string>{
                  "unknown_node",
                  "no node named 'osx'; did you mean 'osc'?; `rtgraphctl dump` (/graph/dump) lists them"}));
    EXPECT_EQ(error(message("/node/add", {s("sinus"), s("x")})),
              (std::pair<std::string, std::string>{
                  "unknown_type",
                  "unknown node type 'sinus'; did you mean 'sine'?; `rtgraphctl types` (/types) lists them"}));
    EXPECT_EQ(error(message("/connect", {s("osc:uot"), s("graph:out_1")})).second,
              "node 'osc' (sine) has no port 'uot'; did you mean 'out'?; its ports are: out");
    EXPECT_EQ(error(message("/connect", {s("osc:out"), s("graph:otu_1")})).second,
              "no graph port named 'otu_1'; the graph ports are: (none)");
    EXPECT_EQ(error(message("/version", {s("extra")})),
              (std::pair<std::string, std::string>{"bad_arguments",
                                                   "too many arguments: /version takes none"}));
    EXPECT_EQ(error(message("/param/set", {s("osc"), f(1.0f)})).second,
              "argument PARAM must be a string, got type 'f'");
    const auto [code, text] = error(message("/node/path", {s("osc"), s("urn:x"), s("/tmp/a.wav")}));
    EXPECT_EQ(code, "bad_node");
    EXPECT_EQ(text,
              "node 'osc': node type sine takes no file paths (LV2 plugins with patch:writable "
              "paths do)");
    EXPECT_EQ(error(message("/snapshot/list")).first, "no_state_dir");
    EXPECT_EQ(error(message("/subscribe", {s("bogus")})).first, "bad_arguments");
    EXPECT_EQ(subscriptions.size(), 0u) << "a refused /subscribe subscribes nothing";
    EXPECT_EQ(router->stats().errors, 10u);
}

TEST_F(CommandRouterTest, ExternalConnectionsGoToTheHostAndABadOneRefusesTheBundle) {
    rig.apply_ok(
        {engine::AddGraphPort{"out_1", engine::PortKind::kAudio, engine::PortDirection::kOutput}});
    std::vector<Outgoing> out =
        send({message("/connect", {s("graph:out_1"), s("system:playback_1")})});
    ASSERT_EQ(out.size(), 1u) << "a JACK-only change is answered at once";
    EXPECT_EQ(out[0].message.address, "/done");
    EXPECT_EQ(host.made, (std::vector<std::string>{"out_1->system:playback_1"}));

    out = send({message("/node/add", {s("sine"), s("osc")}),
                message("/connect", {s("graph:out_1"), s("other:in")})},
               true);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(text_at(out[0], 2), "jack_error");
    EXPECT_EQ(text_at(out[0], 3), "no JACK port named 'other:in'");
    EXPECT_EQ(text_at(out[1], 2), "transaction_refused");
    EXPECT_TRUE(dump()["nodes"].empty());
    EXPECT_EQ(host.made.size(), 1u);

    out = send({message("/edge/gain", {s("graph:out_1"), s("system:playback_1"), f(0.5f)})});
    EXPECT_EQ(text_at(out.at(0), 2), "bad_endpoint");
    out = send({message("/connect", {s("graph:nope"), s("system:playback_1")})});
    EXPECT_EQ(text_at(out.at(0), 2), "unknown_port");
}

TEST_F(CommandRouterTest, AParameterNotificationCarriesTheClampedValue) {
    send({message("/node/add", {s("sine"), s("osc")})});
    render_and_poll();
    ASSERT_EQ(send({message("/subscribe", {s("param")})}, false, 5).size(), 1u);
    const std::vector<Outgoing> out = send({message("/param/set", {s("osc"), s("freq"), f(1e9f)})});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].peer.connection, 5u);
    EXPECT_EQ(out[0].message.address, "/notify/param");
    const float notified = std::get<float>(out[0].message.args.at(2).value);
    EXPECT_LT(notified, 1e9f);
    const std::vector<Outgoing> live = render_and_poll();
    ASSERT_EQ(live.size(), 1u);
    EXPECT_NE(text_at(live[0], 2).find("clamped"), std::string::npos) << text_at(live[0], 2);
    const std::vector<Outgoing> get = send({message("/param/get", {s("osc"), s("freq")})});
    EXPECT_EQ(std::get<float>(get.at(0).message.args.at(2).value), notified);
}

TEST_F(CommandRouterTest, SubscriptionsOutliveTheRouter) {
    ASSERT_EQ(send({message("/subscribe", {s("graph")})}, false, 9).at(0).message.address, "/done");
    // A sample-rate rebuild makes a new router for the new engine.
    router.reset();
    make_router();
    const std::vector<Outgoing> out = send({message("/node/add", {s("sine"), s("osc")})}, false, 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].peer.connection, 9u);
    EXPECT_EQ(out[0].message.address, "/notify/graph");
    EXPECT_EQ(text_at(out[0], 1), "/node/add");

    // The stream went away: it hears nothing more.
    router->forget_connection(9);
    EXPECT_TRUE(send({message("/node/remove", {s("osc")})}).empty());
}

}  // namespace
}  // namespace rtgraph::control
