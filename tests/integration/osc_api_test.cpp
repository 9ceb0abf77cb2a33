// Every OSC address of rtgraphd on its success path, against a real daemon on
// a private dummy jackd: the reply is checked, and so is the effect on the
// running graph (/graph/dump parsed as JSON, JACK ports and connections seen
// by another client, audio at a capture client, notifications at a
// subscriber).
#include <gtest/gtest.h>
#include <jack/jack.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "osc_client.hpp"
#include "rtgraph/control/osc_api.hpp"

namespace rtgraph::integration {
namespace {

using Kind = OscClient::Kind;

// The addresses of API version 1, written out here so that a change to the
// table shows up as a test failure rather than passing silently.
const std::vector<std::string> kAddresses = {
    "/version",   "/api",        "/node/add",   "/node/remove", "/node/rename", "/node/bypass",
    "/connect",   "/disconnect", "/edge/gain",  "/port/add",    "/port/remove", "/param/set",
    "/param/get", "/graph/clear", "/graph/dump", "/graph/export", "/graph/import",
    "/snapshot/save", "/snapshot/load", "/snapshot/list", "/snapshot/delete", "/types",
    "/midi/map", "/midi/unmap", "/midi/learn", "/plugins", "/plugins/rescan", "/node/outputs",
    "/node/path", "/status", "/subscribe", "/unsubscribe"};

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

class OscApiTest : public OscDaemonTest {
protected:
    // Peak at out_1 of `capture` over 100 ms starting 50 ms after now (the
    // parameter smoothing and connection fades are 5-30 ms).
    float level_soon(const CaptureClient& capture, unsigned port = 0) {
        const std::size_t from = capture.frames() + 2400;
        const std::optional<float> peak = peak_after(capture, port, from, 4800);
        EXPECT_TRUE(peak) << "the capture client stopped recording";
        return peak.value_or(-1.0f);
    }
};

TEST_F(OscApiTest, VersionAndApiListEveryAddress) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    const OscReply version = ok("/version");
    ASSERT_EQ(version.results.size(), 2u) << version.describe();
    EXPECT_EQ(version.str(0), "1");
    EXPECT_EQ(version.str(1).rfind("rtgraphd ", 0), 0u) << version.describe();

    // The same over UDP, without a request id: the reply carries id 0.
    const std::vector<std::uint8_t> bare = control::encode_osc_message(OscMessage{"/version", {}});
    ASSERT_TRUE(udp().send_packet(bare));
    const std::optional<OscReply> udp_version = udp().wait_reply(0);
    ASSERT_TRUE(udp_version) << "no /version reply over UDP";
    EXPECT_TRUE(udp_version->done);
    EXPECT_EQ(udp_version->str(0), "1");

    const OscReply api = ok("/api");
    ASSERT_EQ(api.results.size(), 4 * kAddresses.size()) << api.describe();
    std::vector<std::string> listed;
    for (std::size_t i = 0; i < api.results.size(); ++i) {
        EXPECT_EQ(api.results[i].tag, 's') << "result " << i << " of /api is not a string";
    }
    for (std::size_t a = 0; a < kAddresses.size(); ++a) {
        const std::string path = api.str(4 * a);
        listed.push_back(path);
        const control::OscAddress* entry = nullptr;
        for (const control::OscAddress& e : control::osc_addresses()) {
            if (e.path == path) entry = &e;
        }
        ASSERT_NE(entry, nullptr) << path << " is not in the address table";
        EXPECT_EQ(api.str(4 * a + 1), entry->arguments) << path;
        EXPECT_EQ(api.str(4 * a + 2), entry->usage) << path;
        EXPECT_EQ(api.str(4 * a + 3), entry->description) << path;
        EXPECT_FALSE(api.str(4 * a + 3).empty()) << path << " has no description";
    }
    std::vector<std::string> sorted_listed = listed, sorted_expected = kAddresses;
    std::sort(sorted_listed.begin(), sorted_listed.end());
    std::sort(sorted_expected.begin(), sorted_expected.end());
    EXPECT_EQ(sorted_listed, sorted_expected);
}

TEST_F(OscApiTest, NodeAddRemoveRenameAndTypes) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    // Out of range: clamped, and the reply says so.
    const OscReply clamped = ok("/node/add", {osc_s("gain"), osc_s("g"), osc_s("gain"), osc_f(20.0f)});
    ASSERT_EQ(clamped.results.size(), 1u) << clamped.describe();
    EXPECT_NE(clamped.str(0).find("g.gain clamped from 20 to 16"), std::string::npos) << clamped.describe();
    // Numbers as int, double and int64 too.
    ok("/node/add", {osc_s("gain"), osc_s("g2"), osc_s("gain"), osc_d(0.75)});
    ok("/node/add", {osc_s("sine"), osc_s("osc2"), osc_s("freq"), osc_i(220),
                     osc_s("amp"), OscArgument{'h', std::int64_t{0}}});
    // Over UDP as well.
    const std::optional<OscReply> over_udp = udp().request("/node/add", {osc_s("meter"), osc_s("m")});
    ASSERT_TRUE(over_udp);
    EXPECT_TRUE(over_udp->done) << over_udp->describe();

    nlohmann::json graph = dump();
    EXPECT_EQ(graph.value("api", ""), "1");
    ASSERT_EQ(graph["nodes"].size(), 5u) << graph.dump();
    const nlohmann::json osc = node_in(graph, "osc");
    ASSERT_FALSE(osc.is_null()) << graph.dump();
    EXPECT_EQ(osc["type"], "sine");
    EXPECT_EQ(osc["bypassed"], false);
    EXPECT_FLOAT_EQ(osc["params"]["freq"].get<float>(), 1000.0f);
    EXPECT_FLOAT_EQ(osc["params"]["amp"].get<float>(), 0.5f);
    EXPECT_FLOAT_EQ(node_in(graph, "g")["params"]["gain"].get<float>(), 16.0f);
    EXPECT_FLOAT_EQ(node_in(graph, "g2")["params"]["gain"].get<float>(), 0.75f);
    EXPECT_FLOAT_EQ(node_in(graph, "osc2")["params"]["freq"].get<float>(), 220.0f);
    EXPECT_FLOAT_EQ(node_in(graph, "osc2")["params"]["amp"].get<float>(), 0.0f);
    EXPECT_EQ(node_in(graph, "m")["type"], "meter");

    // Rename: the connection follows the node.
    ok("/connect", {osc_s("osc:out"), osc_s("g:in")});
    ok("/node/rename", {osc_s("g"), osc_s("g_renamed")});
    graph = dump();
    EXPECT_TRUE(node_in(graph, "g").is_null()) << graph.dump();
    ASSERT_FALSE(node_in(graph, "g_renamed").is_null()) << graph.dump();
    EXPECT_FLOAT_EQ(node_in(graph, "g_renamed")["params"]["gain"].get<float>(), 16.0f);
    EXPECT_FALSE(connection_in(graph, "osc:out", "g_renamed:in").is_null()) << graph.dump();

    // Remove: the node and its connections go.
    ok("/node/remove", {osc_s("g_renamed")});
    graph = dump();
    EXPECT_TRUE(node_in(graph, "g_renamed").is_null()) << graph.dump();
    EXPECT_TRUE(graph["connections"].empty()) << graph.dump();
    EXPECT_EQ(graph["nodes"].size(), 4u);

    // /types: JSON with every built-in type, its ports and parameters.
    const OscReply types_reply = ok("/types");
    const nlohmann::json types = nlohmann::json::parse(types_reply.str(0), nullptr, false);
    ASSERT_TRUE(types.is_array()) << types_reply.describe();
    std::set<std::string> names;
    for (const nlohmann::json& type : types) names.insert(type.value("name", ""));
    for (const char* expected : {"sine", "gain", "meter", "mixer", "delay", "biquad", "noise", "adsr"}) {
        EXPECT_TRUE(names.contains(expected)) << expected << " missing from " << types.dump();
    }
    for (const nlohmann::json& type : types) {
        if (type["name"] != "sine") continue;
        ASSERT_EQ(type["ports"].size(), 1u);
        EXPECT_EQ(type["ports"][0]["name"], "out");
        // /types spells directions like the dump's ports: "in"/"out".
        EXPECT_EQ(type["ports"][0]["direction"], "out");
        EXPECT_EQ(type["ports"][0]["kind"], "audio");
        std::set<std::string> params;
        for (const nlohmann::json& p : type["params"]) params.insert(p.value("name", ""));
        EXPECT_EQ(params, (std::set<std::string>{"freq", "amp"}));
    }
}

TEST_F(OscApiTest, ConnectEdgeGainDisconnectAtCaptureClient) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = add_capture(1, 20.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from(full_port("out_1"), 0));
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    EXPECT_EQ(level_soon(capture), 0.0f) << "out_1 plays before anything is connected to it";

    ok("/connect", {osc_s("osc:out"), osc_s("graph:out_1"), osc_f(0.5f)});
    nlohmann::json graph = dump();
    const nlohmann::json edge = connection_in(graph, "osc:out", "graph:out_1");
    ASSERT_FALSE(edge.is_null()) << graph.dump();
    EXPECT_FLOAT_EQ(edge["gain"].get<float>(), 0.5f);
    const float at_half = level_soon(capture);
    std::printf("[ figures  ] sine 0.5 at edge gain 0.5: peak %.5f\n", at_half);
    EXPECT_NEAR(at_half, 0.25f, 0.005f);

    ok("/edge/gain", {osc_s("osc:out"), osc_s("graph:out_1"), osc_f(0.8f)});
    graph = dump();
    EXPECT_FLOAT_EQ(connection_in(graph, "osc:out", "graph:out_1")["gain"].get<float>(), 0.8f);
    const float at_08 = level_soon(capture);
    std::printf("[ figures  ] edge gain 0.8: peak %.5f\n", at_08);
    EXPECT_NEAR(at_08, 0.4f, 0.005f);

    ok("/disconnect", {osc_s("osc:out"), osc_s("graph:out_1")});
    graph = dump();
    EXPECT_TRUE(graph["connections"].empty()) << graph.dump();
    EXPECT_EQ(level_soon(capture), 0.0f) << "out_1 still plays after /disconnect (and its fade)";
}

TEST_F(OscApiTest, BypassedGainPassesTheSignal) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = add_capture(1, 20.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from(full_port("out_1"), 0));
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    ok("/node/add", {osc_s("gain"), osc_s("g"), osc_s("gain"), osc_f(0.25f)});
    ok("/connect", {osc_s("osc:out"), osc_s("g:in")});
    ok("/connect", {osc_s("g:out"), osc_s("graph:out_1")});
    const float through_gain = level_soon(capture);
    EXPECT_NEAR(through_gain, 0.125f, 0.005f);

    ok("/node/bypass", {osc_s("g"), osc_T()});
    EXPECT_EQ(node_in(dump(), "g")["bypassed"], true);
    const float bypassed = level_soon(capture);
    std::printf("[ figures  ] gain 0.25: peak %.5f; bypassed: peak %.5f\n", through_gain, bypassed);
    EXPECT_NEAR(bypassed, 0.5f, 0.005f) << "a bypassed gain must pass its input unchanged";

    ok("/node/bypass", {osc_s("g"), osc_F()});
    EXPECT_EQ(node_in(dump(), "g")["bypassed"], false);
    EXPECT_NEAR(level_soon(capture), 0.125f, 0.005f);
    // The flag as an int and as "on".
    ok("/node/bypass", {osc_s("g"), osc_i(1)});
    EXPECT_EQ(node_in(dump(), "g")["bypassed"], true);
    ok("/node/bypass", {osc_s("g"), osc_s("off")});
    EXPECT_EQ(node_in(dump(), "g")["bypassed"], false);
}

TEST_F(OscApiTest, ExternalJackConnections) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    const nlohmann::json before = dump();
    ok("/connect", {osc_s("graph:out_1"), osc_s("system:playback_1")});
    ok("/connect", {osc_s("system:capture_1"), osc_s("graph:in_1")});
    EXPECT_EQ(observer_->connections(full_port("out_1")), (std::vector<std::string>{"system:playback_1"}));
    EXPECT_EQ(observer_->connections(full_port("in_1")), (std::vector<std::string>{"system:capture_1"}));
    // JACK connections are not graph connections, but the dump shows them
    // (as the state file keeps them), sorted by graph port.
    nlohmann::json after = dump();
    EXPECT_EQ(after["connections"], before["connections"]);
    EXPECT_EQ(after["external_connections"],
              nlohmann::json::parse(R"([{"port":"in_1","peer":"system:capture_1"},)"
                                    R"({"port":"out_1","peer":"system:playback_1"}])"));

    ok("/disconnect", {osc_s("graph:out_1"), osc_s("system:playback_1")});
    ok("/disconnect", {osc_s("system:capture_1"), osc_s("graph:in_1")});
    EXPECT_TRUE(observer_->connections(full_port("out_1")).empty());
    EXPECT_TRUE(observer_->connections(full_port("in_1")).empty());
    EXPECT_EQ(dump(), before) << "a disconnect forgets the external connection";
}

TEST_F(OscApiTest, GraphPortsAddAndRemove) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    ok("/port/add", {osc_s("extra_out"), osc_s("out")});
    ok("/port/add", {osc_s("extra_in"), osc_s("in"), osc_s("audio")});
    ok("/port/add", {osc_s("ctl"), osc_s("in"), osc_s("midi")});
    // /done means live: the JACK ports exist now.
    EXPECT_EQ(observer_->type_of(full_port("extra_out")), JACK_DEFAULT_AUDIO_TYPE);
    EXPECT_TRUE(observer_->flags_of(full_port("extra_out")) & JackPortIsOutput);
    EXPECT_EQ(observer_->type_of(full_port("extra_in")), JACK_DEFAULT_AUDIO_TYPE);
    EXPECT_TRUE(observer_->flags_of(full_port("extra_in")) & JackPortIsInput);
    EXPECT_EQ(observer_->type_of(full_port("ctl")), JACK_DEFAULT_MIDI_TYPE);
    EXPECT_TRUE(observer_->flags_of(full_port("ctl")) & JackPortIsInput);
    nlohmann::json graph = dump();
    std::vector<std::string> ports;
    for (const nlohmann::json& p : graph["ports"]) {
        ports.push_back(p["name"].get<std::string>() + "/" + p["direction"].get<std::string>() + "/" +
                        p["kind"].get<std::string>());
    }
    for (const char* expected : {"extra_out/out/audio", "extra_in/in/audio", "ctl/in/midi", "out_1/out/audio"}) {
        EXPECT_TRUE(contains(ports, expected)) << expected << " not in " << graph["ports"].dump();
    }

    // A new port is usable at once: a sine through it reaches a capture client.
    CaptureClient& capture = add_capture(1, 5.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from(full_port("extra_out"), 0));
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    ok("/connect", {osc_s("osc:out"), osc_s("graph:extra_out")});
    const std::optional<float> peak = peak_after(capture, 0, capture.frames() + 2400, 4800);
    ASSERT_TRUE(peak);
    EXPECT_NEAR(*peak, 0.5f, 0.005f);

    for (const char* name : {"extra_out", "extra_in", "ctl"}) ok("/port/remove", {osc_s(name)});
    EXPECT_TRUE(observer_->ports("^rtgt:(extra_out|extra_in|ctl)$").empty())
        << "JACK ports left after /port/remove";
    graph = dump();
    EXPECT_EQ(graph["ports"].size(), 4u) << graph["ports"].dump();
    EXPECT_TRUE(connection_in(graph, "osc:out", "graph:extra_out").is_null()) << graph.dump();
    EXPECT_EQ(observer_->ports("^rtgt:"),
              (std::vector<std::string>{"rtgt:in_1", "rtgt:keys", "rtgt:out_1", "rtgt:out_2"}));
}

// "/done" for a port change means every other JACK client sees it: a removed
// port is unregistered a cycle or two after it left the audio thread's slots,
// and the reply waits for that. Checked at once after each reply, many times.
TEST_F(OscApiTest, PortChangesAreInJackWhenDoneIsSent) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    int listed_after_remove = 0;
    int missing_after_add = 0;
    constexpr int kRounds = 30;
    for (int round = 0; round < kRounds; ++round) {
        const bool midi = round % 3 == 2;
        ok("/port/add", {osc_s("flip"), osc_s(round % 2 == 0 ? "out" : "in"), osc_s(midi ? "midi" : "audio")});
        if (observer_->ports("^rtgt:flip$").size() != 1) ++missing_after_add;
        ok("/port/remove", {osc_s("flip")});
        if (!observer_->ports("^rtgt:flip$").empty()) ++listed_after_remove;
    }
    std::printf("[ figures  ] %d rounds of /port/add + /port/remove: port missing after /done of an add %d "
                "times, still listed after /done of a remove %d times\n",
                kRounds, missing_after_add, listed_after_remove);
    EXPECT_EQ(missing_after_add, 0);
    EXPECT_EQ(listed_after_remove, 0);
}

TEST_F(OscApiTest, ParamSetGetAndRamp) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = add_capture(1, 20.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from(full_port("out_1"), 0));
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    ok("/connect", {osc_s("osc:out"), osc_s("graph:out_1")});

    const OscReply get = ok("/param/get", {osc_s("osc"), osc_s("amp")});
    ASSERT_EQ(get.results.size(), 5u) << get.describe();
    EXPECT_FLOAT_EQ(get.number(0), 0.5f);  // value
    EXPECT_FLOAT_EQ(get.number(1), 0.0f);  // min
    EXPECT_FLOAT_EQ(get.number(2), 4.0f);  // max
    EXPECT_FLOAT_EQ(get.number(3), 0.5f);  // default
    EXPECT_EQ(get.str(4), "");             // unit
    EXPECT_EQ(ok("/param/get", {osc_s("osc"), osc_s("freq")}).str(4), "Hz");
    EXPECT_NEAR(level_soon(capture), 0.5f, 0.005f);

    ok("/param/set", {osc_s("osc"), osc_s("amp"), osc_f(0.25f)});
    EXPECT_FLOAT_EQ(ok("/param/get", {osc_s("osc"), osc_s("amp")}).number(0), 0.25f);
    EXPECT_FLOAT_EQ(node_in(dump(), "osc")["params"]["amp"].get<float>(), 0.25f);
    const float quarter = level_soon(capture);
    EXPECT_NEAR(quarter, 0.25f, 0.005f);

    // A 200 ms ramp 0.25 -> 0.5, measured on the audio: the peak of each
    // 1 ms (one cycle of the sine) crosses 0.30 and 0.45 120 ms apart on a
    // straight 200 ms line.
    const std::size_t mark = capture.frames();
    ok("/param/set", {osc_s("osc"), osc_s("amp"), osc_f(0.5f), osc_f(200.0f)});
    ASSERT_TRUE(capture.wait_for_frames(mark + 48000, 5s));
    std::optional<std::size_t> at30, at45;
    for (std::size_t w = mark; w + 48 <= mark + 48000; w += 48) {
        const float peak = peak_of(capture.samples(0, w, 48));
        if (!at30 && peak >= 0.30f) at30 = w;
        if (!at45 && peak >= 0.45f) at45 = w;
    }
    ASSERT_TRUE(at30 && at45) << "the level did not rise to 0.45 within a second";
    const double ramp_ms = (static_cast<double>(*at45) - static_cast<double>(*at30)) / 48.0 / 0.6;
    std::printf("[ figures  ] /param/set amp 0.25 -> 0.5 ramp 200 ms: measured ramp %.1f ms "
                "(0.30 at +%.1f ms, 0.45 at +%.1f ms after the request)\n",
                ramp_ms, (*at30 - mark) / 48.0, (*at45 - mark) / 48.0);
    EXPECT_NEAR(ramp_ms, 200.0, 12.0);
    EXPECT_NEAR(level_soon(capture), 0.5f, 0.005f);
}

TEST_F(OscApiTest, GraphClearRemovesNodesKeepsPorts) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    CaptureClient& capture = add_capture(1, 10.0);
    ASSERT_TRUE(capture.ok());
    ASSERT_TRUE(capture.connect_from(full_port("out_1"), 0));
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    ok("/node/add", {osc_s("gain"), osc_s("g")});
    ok("/connect", {osc_s("osc:out"), osc_s("g:in")});
    ok("/connect", {osc_s("g:out"), osc_s("graph:out_1")});
    ok("/port/add", {osc_s("extra"), osc_s("out")});
    EXPECT_NEAR(level_soon(capture), 0.5f, 0.005f);
    const nlohmann::json before = dump();

    ok("/graph/clear");
    const nlohmann::json graph = dump();
    EXPECT_TRUE(graph["nodes"].empty()) << graph.dump();
    EXPECT_TRUE(graph["connections"].empty()) << graph.dump();
    EXPECT_EQ(graph["ports"], before["ports"]) << "ports must stay";
    EXPECT_EQ(observer_->ports("^rtgt:"),
              (std::vector<std::string>{"rtgt:extra", "rtgt:in_1", "rtgt:keys", "rtgt:out_1", "rtgt:out_2"}));
    EXPECT_EQ(level_soon(capture), 0.0f) << "out_1 still plays after /graph/clear";
}

TEST_F(OscApiTest, StatusReportsTheAudioSetup) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    const nlohmann::json s = status();
    std::printf("[ figures  ] /status: %s\n", s.dump().c_str());
    EXPECT_EQ(s.value("sample_rate", 0.0), 48000.0);
    EXPECT_EQ(s.value("period", 0), 128);
    EXPECT_EQ(s.value("realtime", false), true);
    EXPECT_EQ(s.value("jack_connected", false), true);
    EXPECT_TRUE(s.contains("xruns") && s["xruns"].is_number()) << s.dump();
    EXPECT_GE(s.value("requests", 0), 1);
    EXPECT_GT(s.value("frame", 0), 0);
    // The counters move: one bad request later, errors has grown by one.
    const std::int64_t errors = s.value("errors", std::int64_t{-1});
    fails("/node/remove", {osc_s("nobody")}, "unknown_node");
    EXPECT_EQ(status().value("errors", std::int64_t{-1}), errors + 1);
}

TEST_F(OscApiTest, SubscribersHearGraphParamAndMeterChanges) {
    settings_.osc_meter_rate_hz = 20.0;
    ASSERT_NO_FATAL_FAILURE(start_all());
    std::unique_ptr<OscClient> listener = connect(Kind::kTcp);
    ASSERT_TRUE(listener->ok()) << listener->error();
    const std::optional<OscReply> subscribed = listener->request("/subscribe");
    ASSERT_TRUE(subscribed && subscribed->done);
    // A UDP subscriber to "graph" only.
    const std::optional<OscReply> udp_subscribed = udp().request("/subscribe", {osc_s("graph")});
    ASSERT_TRUE(udp_subscribed && udp_subscribed->done) << (udp_subscribed ? udp_subscribed->describe() : "");

    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(1000.0f), osc_s("amp"), osc_f(0.5f)});
    const auto is = [](const char* address) {
        return [address](const OscMessage& m) { return m.address == address; };
    };
    std::optional<OscMessage> graph_note = listener->wait_message(is("/notify/graph"), 2s);
    ASSERT_TRUE(graph_note) << "no /notify/graph after /node/add";
    ASSERT_EQ(graph_note->typetags(), "ss") << describe_message(*graph_note);
    EXPECT_EQ(std::get<std::string>(graph_note->args[0].value).rfind("tcp 127.0.0.1:", 0), 0u)
        << describe_message(*graph_note);
    EXPECT_EQ(std::get<std::string>(graph_note->args[1].value), "/node/add");
    const std::optional<OscMessage> udp_graph_note = udp().wait_message(is("/notify/graph"), 2s);
    ASSERT_TRUE(udp_graph_note) << "the UDP subscriber heard no /notify/graph";

    ok("/param/set", {osc_s("osc"), osc_s("amp"), osc_f(0.3f)});
    const std::optional<OscMessage> param_note = listener->wait_message(is("/notify/param"), 2s);
    ASSERT_TRUE(param_note) << "no /notify/param after /param/set";
    EXPECT_EQ(describe_message(*param_note), "/notify/param ,ssf \"osc\" \"amp\" 0.3f");
    udp().pump(200ms);
    EXPECT_TRUE(udp().take("/notify/param").empty()) << "the UDP client subscribed to graph only";
    ok("/param/set", {osc_s("osc"), osc_s("amp"), osc_f(0.5f)});

    // Meters: a 0.5 sine through a meter node; peak 0.5, RMS 0.5/sqrt(2).
    ok("/node/add", {osc_s("meter"), osc_s("m"), osc_s("interval_ms"), osc_f(20.0f)});
    ok("/connect", {osc_s("osc:out"), osc_s("m:in")});
    ok("/connect", {osc_s("m:out"), osc_s("graph:out_2")});
    const std::optional<OscReply> meter_only = listener->request("/subscribe", {osc_s("meter")});
    ASSERT_TRUE(meter_only && meter_only->done);
    listener->pump(300ms);  // the level settles (amp smoothing, connection fade)
    listener->take("/notify/meter");
    listener->take("/notify/graph");  // from the /connects above, before the re-subscription
    listener->take("/notify/param");
    std::optional<OscMessage> meter = listener->wait_message(is("/notify/meter"), 2s);
    ASSERT_TRUE(meter) << "no /notify/meter within 2 s";
    ASSERT_EQ(meter->typetags(), "sff") << describe_message(*meter);
    EXPECT_EQ(std::get<std::string>(meter->args[0].value), "m");
    const float peak = std::get<float>(meter->args[1].value);
    const float rms = std::get<float>(meter->args[2].value);
    std::printf("[ figures  ] /notify/meter m: peak %.5f rms %.5f\n", peak, rms);
    EXPECT_NEAR(peak, 0.5f, 0.01f);
    EXPECT_NEAR(rms, 0.5f / std::sqrt(2.0f), 0.01f);
    // Only meters now: a graph change is not reported to this subscriber.
    ok("/node/add", {osc_s("gain"), osc_s("quiet")});
    listener->pump(200ms);
    EXPECT_TRUE(listener->take("/notify/graph").empty());

    // After /unsubscribe's reply, nothing more arrives.
    listener->pump(100ms);
    while (!listener->inbox().empty()) listener->wait_message([](const OscMessage&) { return true; }, 0s);
    const std::int32_t id = listener->send("/unsubscribe");
    bool answered = false;
    while (!answered) {
        const std::optional<OscMessage> next = listener->wait_message([](const OscMessage&) { return true; }, 2s);
        ASSERT_TRUE(next) << "no reply to /unsubscribe";
        answered = next->address == "/done" && std::get<std::int32_t>(next->args[0].value) == id;
    }
    listener->pump(500ms);
    EXPECT_TRUE(listener->inbox().empty()) << listener->inbox().size() << " message(s) after /unsubscribe, first "
                                           << describe_message(listener->inbox().front());
}

// /notify/param tells subscribers the value the parameter now has: clamped
// into its range, as a float, whatever number type the request used.
TEST_F(OscApiTest, ParamNotificationCarriesTheValueSet) {
    ASSERT_NO_FATAL_FAILURE(start_all("add sine osc freq=1000 amp=0.5\n"));
    std::unique_ptr<OscClient> listener = connect(Kind::kTcp);
    ASSERT_TRUE(listener->ok()) << listener->error();
    const std::optional<OscReply> subscribed = listener->request("/subscribe", {osc_s("param")});
    ASSERT_TRUE(subscribed && subscribed->done);
    const auto is_param = [](const OscMessage& m) { return m.address == "/notify/param"; };

    const OscReply clamped = ok("/param/set", {osc_s("osc"), osc_s("amp"), osc_f(10.0f)});
    EXPECT_NE(clamped.str(0).find("clamped from 10 to 4"), std::string::npos) << clamped.describe();
    EXPECT_FLOAT_EQ(ok("/param/get", {osc_s("osc"), osc_s("amp")}).number(0), 4.0f);
    const std::optional<OscMessage> note = listener->wait_message(is_param, 2s);
    ASSERT_TRUE(note);
    EXPECT_EQ(describe_message(*note), "/notify/param ,ssf \"osc\" \"amp\" 4f")
        << "subscribers are told a value the parameter never had";

    ok("/param/set", {osc_s("osc"), osc_s("freq"), osc_i(500)});
    const std::optional<OscMessage> int_note = listener->wait_message(is_param, 2s);
    ASSERT_TRUE(int_note);
    EXPECT_EQ(describe_message(*int_note), "/notify/param ,ssf \"osc\" \"freq\" 500f");
}

}  // namespace
}  // namespace rtgraph::integration
