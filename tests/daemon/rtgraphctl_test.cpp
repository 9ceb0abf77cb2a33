// rtgraphctl's pure part, without a daemon: the command line and the requests
// it becomes, patch-script edits as requests, and how replies, batches and
// notifications are printed. (The header is header-only, so this needs no
// library beyond what rtgraph_daemon_tests links; the sockets are tested by
// scripts/examples/selftest.sh against a real rtgraphd.)
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "../../daemon/rtgraphctl_cli.hpp"
#include "../../daemon/rtgraphctl_limits.hpp"

namespace rtgraph::ctl {
namespace {

Invocation parse(std::vector<std::string_view> args) { return parse_invocation(args); }

Message request(std::vector<std::string_view> args) {
    const Invocation invocation = parse(args);
    EXPECT_TRUE(invocation.ok()) << invocation.error;
    return invocation.request;
}

std::string usage_error(std::vector<std::string_view> args) {
    const Invocation invocation = parse(args);
    EXPECT_FALSE(invocation.ok());
    return invocation.error;
}

TEST(RtgraphctlCommandLine, DefaultsAndOptions) {
    Invocation i = parse({"version"});
    ASSERT_TRUE(i.ok());
    EXPECT_EQ(i.options.host, "127.0.0.1");
    EXPECT_EQ(i.options.port, 7711);
    EXPECT_FALSE(i.options.udp);
    EXPECT_EQ(i.options.timeout_ms, 2000);
    EXPECT_FALSE(i.options.json);
    EXPECT_EQ(i.mode, Mode::kRequest);
    EXPECT_EQ(i.show, Show::kVersion);
    EXPECT_EQ(i.request, (Message{"/version", {}}));

    i = parse({"--host", "::1", "--port=9000", "--udp", "--timeout", "250", "--json", "status"});
    ASSERT_TRUE(i.ok()) << i.error;
    EXPECT_EQ(i.options.host, "::1");
    EXPECT_EQ(i.options.port, 9000);
    EXPECT_TRUE(i.options.udp);
    EXPECT_EQ(i.options.timeout_ms, 250);
    EXPECT_TRUE(i.options.json);
    EXPECT_EQ(i.show, Show::kJson);
}

TEST(RtgraphctlCommandLine, OptionsAfterTheCommand) {
    const Invocation i = parse({"dump", "--json", "--port", "8000"});
    ASSERT_TRUE(i.ok()) << i.error;
    EXPECT_TRUE(i.options.json);
    EXPECT_EQ(i.options.port, 8000);
    EXPECT_EQ(i.request.address, "/graph/dump");
}

TEST(RtgraphctlCommandLine, HelpAndVersion) {
    EXPECT_EQ(parse({"--help"}).mode, Mode::kHelp);
    EXPECT_EQ(parse({"-h"}).mode, Mode::kHelp);
    EXPECT_EQ(parse({"help"}).mode, Mode::kHelp);
    EXPECT_EQ(parse({"add", "--help"}).mode, Mode::kHelp);
    EXPECT_EQ(parse({"--version"}).mode, Mode::kClientVersion);
}

TEST(RtgraphctlCommandLine, ChangeVerbs) {
    EXPECT_EQ(request({"add", "sine", "osc"}), (Message{"/node/add", {"sine", "osc"}}));
    EXPECT_EQ(request({"add", "sine", "osc", "freq=220", "amp=0.5"}),
              (Message{"/node/add", {"sine", "osc", "freq", 220.0f, "amp", 0.5f}}));
    EXPECT_EQ(request({"remove", "osc"}), (Message{"/node/remove", {"osc"}}));
    EXPECT_EQ(request({"rename", "osc", "lfo"}), (Message{"/node/rename", {"osc", "lfo"}}));
    EXPECT_EQ(request({"connect", "a:out", "b:in"}), (Message{"/connect", {"a:out", "b:in"}}));
    EXPECT_EQ(request({"connect", "a:out", "b:in", "0.5"}), (Message{"/connect", {"a:out", "b:in", 0.5f}}));
    EXPECT_EQ(request({"disconnect", "a:out", "b:in"}), (Message{"/disconnect", {"a:out", "b:in"}}));
    EXPECT_EQ(request({"gain", "a:out", "b:in", "2"}), (Message{"/edge/gain", {"a:out", "b:in", 2.0f}}));
    EXPECT_EQ(request({"bypass", "osc", "on"}), (Message{"/node/bypass", {"osc", true}}));
    EXPECT_EQ(request({"bypass", "osc", "off"}), (Message{"/node/bypass", {"osc", false}}));
    EXPECT_EQ(request({"port", "add", "aux", "out"}), (Message{"/port/add", {"aux", "out"}}));
    EXPECT_EQ(request({"port", "add", "keys", "in", "midi"}), (Message{"/port/add", {"keys", "in", "midi"}}));
    EXPECT_EQ(request({"port", "remove", "aux"}), (Message{"/port/remove", {"aux"}}));
    EXPECT_EQ(request({"clear"}), (Message{"/graph/clear", {}}));
}

TEST(RtgraphctlCommandLine, SetWithRampAnywhereAndNegativeValues) {
    EXPECT_EQ(request({"set", "osc", "freq", "440"}), (Message{"/param/set", {"osc", "freq", 440.0f}}));
    EXPECT_EQ(request({"set", "osc", "freq", "440", "--ramp", "50"}),
              (Message{"/param/set", {"osc", "freq", 440.0f, 50.0f}}));
    EXPECT_EQ(request({"set", "--ramp=50", "osc", "freq", "440"}),
              (Message{"/param/set", {"osc", "freq", 440.0f, 50.0f}}));
    EXPECT_EQ(request({"set", "eq", "gain_db", "-6"}), (Message{"/param/set", {"eq", "gain_db", -6.0f}}));
    EXPECT_EQ(request({"set", "eq", "gain_db", "+3"}), (Message{"/param/set", {"eq", "gain_db", 3.0f}}));
}

TEST(RtgraphctlCommandLine, Queries) {
    Invocation i = parse({"get", "osc", "freq"});
    EXPECT_EQ(i.request, (Message{"/param/get", {"osc", "freq"}}));
    EXPECT_EQ(i.show, Show::kParam);
    EXPECT_EQ(parse({"api"}).show, Show::kApi);
    EXPECT_EQ(parse({"types"}).request.address, "/types");
    EXPECT_EQ(parse({"status"}).request.address, "/status");
}

TEST(RtgraphctlCommandLine, WatchAndBatch) {
    Invocation i = parse({"watch"});
    EXPECT_EQ(i.mode, Mode::kWatch);
    EXPECT_EQ(i.request, (Message{"/subscribe", {}}));
    i = parse({"watch", "param", "xrun"});
    EXPECT_EQ(i.request, (Message{"/subscribe", {"param", "xrun"}}));
    i = parse({"batch"});
    EXPECT_EQ(i.mode, Mode::kBatch);
    EXPECT_EQ(i.batch_source, "-");
    EXPECT_EQ(parse({"batch", "-"}).batch_source, "-");
    EXPECT_EQ(parse({"batch", "patch.txt"}).batch_source, "patch.txt");
}

TEST(RtgraphctlCommandLine, UsageErrors) {
    EXPECT_NE(usage_error({}).find("no command"), std::string::npos);
    EXPECT_NE(usage_error({"frobnicate"}).find("unknown command 'frobnicate'"), std::string::npos);
    EXPECT_NE(usage_error({"--frob", "dump"}).find("unknown option '--frob'"), std::string::npos);
    EXPECT_NE(usage_error({"--port", "0", "dump"}).find("--port"), std::string::npos);
    EXPECT_NE(usage_error({"--port", "70000", "dump"}).find("--port"), std::string::npos);
    EXPECT_NE(usage_error({"--timeout", "-5", "dump"}).find("--timeout"), std::string::npos);
    EXPECT_NE(usage_error({"dump", "--port"}).find("needs a value"), std::string::npos);
    EXPECT_NE(usage_error({"--json=1", "dump"}).find("takes no value"), std::string::npos);
    EXPECT_NE(usage_error({"add", "sine"}).find("usage: rtgraphctl add"), std::string::npos);
    EXPECT_NE(usage_error({"add", "sine", "osc", "freq"}).find("PARAM=VALUE"), std::string::npos);
    EXPECT_NE(usage_error({"add", "sine", "osc", "=1"}).find("PARAM=VALUE"), std::string::npos);
    EXPECT_NE(usage_error({"add", "sine", "osc", "freq=high"}).find("must be a number"), std::string::npos);
    EXPECT_NE(usage_error({"connect", "a:out"}).find("usage"), std::string::npos);
    EXPECT_NE(usage_error({"connect", "a:out", "b:in", "loud"}).find("GAIN must be a number"), std::string::npos);
    EXPECT_NE(usage_error({"gain", "a:out", "b:in"}).find("usage"), std::string::npos);
    EXPECT_NE(usage_error({"set", "osc", "freq"}).find("usage"), std::string::npos);
    EXPECT_NE(usage_error({"set", "osc", "freq", "1", "--ramp"}).find("--ramp needs"), std::string::npos);
    EXPECT_NE(usage_error({"set", "osc", "freq", "1", "--ramp", "soon"}).find("--ramp must be a number"),
              std::string::npos);
    EXPECT_NE(usage_error({"bypass", "osc", "yes"}).find("'on' or 'off'"), std::string::npos);
    EXPECT_NE(usage_error({"port", "add", "p", "up"}).find("'in' or 'out'"), std::string::npos);
    EXPECT_NE(usage_error({"port", "add", "p", "in", "video"}).find("'audio' or 'midi'"), std::string::npos);
    EXPECT_NE(usage_error({"port"}).find("usage"), std::string::npos);
    EXPECT_NE(usage_error({"dump", "now"}).find("takes no arguments"), std::string::npos);
    EXPECT_NE(usage_error({"batch", "a", "b"}).find("usage"), std::string::npos);
}

TEST(RtgraphctlBatch, EditsBecomeRequests) {
    using namespace engine;
    EXPECT_EQ(message_from_edit(AddNode{"sine", "osc", {{"freq", 220.0f}}}),
              (Message{"/node/add", {"sine", "osc", "freq", 220.0f}}));
    EXPECT_EQ(message_from_edit(RemoveNode{"osc"}), (Message{"/node/remove", {"osc"}}));
    EXPECT_EQ(message_from_edit(RenameNode{"a", "b"}), (Message{"/node/rename", {"a", "b"}}));
    EXPECT_EQ(message_from_edit(Connect{"a:out", "b:in", 1.0f}), (Message{"/connect", {"a:out", "b:in"}}));
    EXPECT_EQ(message_from_edit(Connect{"a:out", "b:in", 0.25f}), (Message{"/connect", {"a:out", "b:in", 0.25f}}));
    EXPECT_EQ(message_from_edit(Disconnect{"a:out", "b:in"}), (Message{"/disconnect", {"a:out", "b:in"}}));
    EXPECT_EQ(message_from_edit(SetEdgeGain{"a:out", "b:in", 0.5f}), (Message{"/edge/gain", {"a:out", "b:in", 0.5f}}));
    EXPECT_EQ(message_from_edit(SetParam{"osc", "freq", 440.0f, std::nullopt}),
              (Message{"/param/set", {"osc", "freq", 440.0f}}));
    EXPECT_EQ(message_from_edit(SetParam{"osc", "freq", 440.0f, 20.0f}),
              (Message{"/param/set", {"osc", "freq", 440.0f, 20.0f}}));
    EXPECT_EQ(message_from_edit(AddGraphPort{"keys", PortKind::kMidi, PortDirection::kInput}),
              (Message{"/port/add", {"keys", "in", "midi"}}));
    EXPECT_EQ(message_from_edit(AddGraphPort{"aux", PortKind::kAudio, PortDirection::kOutput}),
              (Message{"/port/add", {"aux", "out", "audio"}}));
    EXPECT_EQ(message_from_edit(RemoveGraphPort{"aux"}), (Message{"/port/remove", {"aux"}}));
    EXPECT_EQ(message_from_edit(BypassNode{"osc", true}), (Message{"/node/bypass", {"osc", true}}));
    EXPECT_EQ(message_from_edit(ClearGraph{}), (Message{"/graph/clear", {}}));
}

TEST(RtgraphctlReplies, DoneErrorAndOthers) {
    std::optional<Reply> r = reply_from_message(Message{"/done", {7, "/node/add", "a note"}});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->ok);
    EXPECT_EQ(r->id, 7);
    EXPECT_EQ(r->address, "/node/add");
    EXPECT_EQ(r->results, (std::vector<Value>{"a note"}));

    r = reply_from_message(Message{"/error", {0, "", "malformed_packet", "bad"}});
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok);
    EXPECT_EQ(r->id, 0);
    EXPECT_EQ(r->code, "malformed_packet");
    EXPECT_EQ(r->message, "bad");

    EXPECT_FALSE(reply_from_message(Message{"/notify/xrun", {std::int64_t{3}}}));
    EXPECT_FALSE(reply_from_message(Message{"/done", {"no id"}}));
    EXPECT_FALSE(reply_from_message(Message{"/done", {}}));
}

TEST(RtgraphctlOutput, ChangeText) {
    const Message req{"/param/set", {"osc", "freq", 5e4f}};
    Output o = render_reply(req, Reply{true, 1, "/param/set", {}, {}, {}}, Show::kChange, false);
    EXPECT_EQ(o.out, "ok\n");
    EXPECT_EQ(o.exit_code, kExitOk);
    o = render_reply(req, Reply{true, 1, "/param/set", {"osc.freq clamped", "late", 480}, {}, {}}, Show::kChange,
                     false);
    EXPECT_EQ(o.out, "ok\nnote: osc.freq clamped\nnote: applied late by 480 frames\n");
}

TEST(RtgraphctlOutput, ErrorTextAndJson) {
    const Message req{"/node/remove", {"x"}};
    const Reply failure{false, 3, "/node/remove", {}, "unknown_node", "no node named 'x'"};
    Output o = render_reply(req, failure, Show::kChange, false);
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(o.err, "error: unknown_node: no node named 'x'\n");
    EXPECT_EQ(o.exit_code, kExitError);
    o = render_reply(req, failure, Show::kChange, true);
    const nlohmann::json j = nlohmann::json::parse(o.out);
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["code"], "unknown_node");
    EXPECT_EQ(j["message"], "no node named 'x'");
    EXPECT_EQ(j["address"], "/node/remove");
    EXPECT_EQ(o.err, "");
    EXPECT_EQ(o.exit_code, kExitError);
}

TEST(RtgraphctlOutput, ParamAndVersion) {
    const Message req{"/param/get", {"osc", "freq"}};
    const Reply r{true, 1, "/param/get", {440.0f, 0.01f, 20000.0f, 440.0f, "Hz"}, {}, {}};
    EXPECT_EQ(render_reply(req, r, Show::kParam, false).out,
              "osc.freq = 440 Hz (range 0.01..20000 Hz, default 440 Hz)\n");
    const nlohmann::json j = nlohmann::json::parse(render_reply(req, r, Show::kParam, true).out);
    EXPECT_EQ(j["results"], nlohmann::json::parse(R"([440.0, 0.01, 20000.0, 440.0, "Hz"])"));

    const Reply v{true, 1, "/version", {"1", "rtgraphd 0.1.0"}, {}, {}};
    EXPECT_EQ(render_reply(Message{"/version", {}}, v, Show::kVersion, false).out, "rtgraphd 0.1.0 (OSC API 1)\n");
}

TEST(RtgraphctlOutput, ApiTableAndObjects) {
    const Reply r{true, 1, "/api", {"/version", "", "", "versions", "/node/remove", "s", "NAME", "remove a node"},
                  {}, {}};
    const std::string text = render_reply(Message{"/api", {}}, r, Show::kApi, false).out;
    EXPECT_NE(text.find("PATH"), std::string::npos);
    EXPECT_NE(text.find("/node/remove  s      NAME   remove a node\n"), std::string::npos) << text;
    const nlohmann::json j = nlohmann::json::parse(render_reply(Message{"/api", {}}, r, Show::kApi, true).out);
    ASSERT_EQ(j["results"].size(), 2u);
    EXPECT_EQ(j["results"][1]["path"], "/node/remove");
    EXPECT_EQ(j["results"][1]["types"], "s");
    EXPECT_EQ(j["results"][1]["usage"], "NAME");
    EXPECT_EQ(j["results"][1]["description"], "remove a node");
}

TEST(RtgraphctlOutput, JsonRepliesArePrettyAndTidy) {
    const Reply r{true, 1, "/graph/dump", {R"({"nodes":[{"amp":0.009999999776482582,"exact":0.1}]})"}, {}, {}};
    const std::string text = render_reply(Message{"/graph/dump", {}}, r, Show::kJson, false).out;
    EXPECT_NE(text.find("\"amp\": 0.01"), std::string::npos) << text;
    EXPECT_NE(text.find("\"exact\": 0.1"), std::string::npos) << text;
    EXPECT_NE(text.find("\n  "), std::string::npos);  // indented
    const nlohmann::json j = nlohmann::json::parse(render_reply(Message{"/graph/dump", {}}, r, Show::kJson, true).out);
    EXPECT_EQ(j["results"][0]["nodes"][0]["amp"], 0.01);

    const Reply broken{true, 1, "/status", {"{not json"}, {}, {}};
    EXPECT_EQ(render_reply(Message{"/status", {}}, broken, Show::kJson, false).out, "{not json\n");
}

TEST(RtgraphctlOutput, Numbers) {
    EXPECT_EQ(format_float(440.0f), "440");
    EXPECT_EQ(format_float(0.1f), "0.1");
    EXPECT_EQ(format_float(-6.5f), "-6.5");
    EXPECT_FALSE(parse_float(""));
    EXPECT_FALSE(parse_float("1x"));
    EXPECT_FALSE(parse_float("+-1"));
    EXPECT_EQ(parse_float("1e3"), 1000.0f);
    nlohmann::json j = 0.1;  // a double that is not exactly a float stays
    tidy_floats(j);
    EXPECT_EQ(j.get<double>(), 0.1);
}

TEST(RtgraphctlOutput, Unreachable) {
    Output o = render_unreachable("timeout", "no reply from tcp 127.0.0.1:7711 within 2000 ms", false);
    EXPECT_EQ(o.exit_code, kExitUnreachable);
    EXPECT_EQ(o.err, "rtgraphctl: no reply from tcp 127.0.0.1:7711 within 2000 ms\n");
    o = render_unreachable("unreachable", "cannot connect", true);
    EXPECT_EQ(nlohmann::json::parse(o.out)["code"], "unreachable");
}

// A 256-voice patch: 1792 commands in 103 KB. Over TCP any number of
// commands up to 4 MiB; over UDP one datagram, and the error says TCP has no
// such limit.
TEST(RtgraphctlBatch, SizeLimitDependsOnTheTransport) {
    EXPECT_EQ(batch_size_problem(1792, 103000, false), "");
    EXPECT_EQ(batch_size_problem(100000, 4194304, false), "");
    EXPECT_EQ(batch_size_problem(1, 4194305, false),
              "1 commands in 4194305 bytes: more than one packet to rtgraphd may hold (4194304 bytes, the "
              "default osc.max_packet_bytes); split the script");
    EXPECT_EQ(batch_size_problem(1024, 65507, true), "");
    EXPECT_EQ(batch_size_problem(1792, 103000, true),
              "1792 commands in 103000 bytes: over UDP a batch must fit one datagram (65507 bytes, 1024 "
              "commands); TCP has no such limit: leave out --udp");
    EXPECT_NE(batch_size_problem(1025, 20000, true), "");  // small, but more messages than a datagram may hold
    EXPECT_NE(batch_size_problem(10, 65508, true), "");
}

TEST(RtgraphctlOutput, BatchSuccessShowsEachNoteOnce) {
    const std::vector<BatchItem> items = {{1, "set a x 9", {"/param/set", {"a", "x", 9.0f}}},
                                          {3, "set b y 9", {"/param/set", {"b", "y", 9.0f}}}};
    const std::vector<std::optional<Reply>> replies = {Reply{true, 5, "/param/set", {"n1", "n2"}, {}, {}},
                                                       Reply{true, 6, "/param/set", {"n1", "n2"}, {}, {}}};
    const Output o = render_batch(items, replies, false);
    EXPECT_EQ(o.exit_code, kExitOk);
    EXPECT_EQ(o.out, "ok: 2 commands applied as one transaction\nnote: n1\nnote: n2\n");
}

TEST(RtgraphctlOutput, BatchRefused) {
    const std::vector<BatchItem> items = {{1, "add sine a", {"/node/add", {"sine", "a"}}},
                                          {2, "remove zz", {"/node/remove", {"zz"}}}};
    const std::vector<std::optional<Reply>> replies = {
        Reply{false, 5, "/node/add", {}, "transaction_refused", "nothing applied"},
        Reply{false, 6, "/node/remove", {}, "unknown_node", "no node named 'zz'"}};
    Output o = render_batch(items, replies, false);
    EXPECT_EQ(o.exit_code, kExitError);
    EXPECT_EQ(o.out, "");
    EXPECT_NE(o.err.find("error: line 2: remove zz: unknown_node: no node named 'zz'\n"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("nothing in it was applied"), std::string::npos);

    o = render_batch(items, replies, true);
    const nlohmann::json j = nlohmann::json::parse(o.out);
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["line"], 2);
    EXPECT_EQ(j["code"], "unknown_node");
    ASSERT_EQ(j["replies"].size(), 2u);
    EXPECT_EQ(j["replies"][0]["code"], "transaction_refused");
    EXPECT_EQ(j["replies"][0]["command"], "add sine a");
}

TEST(RtgraphctlOutput, Notifications) {
    const Message param{"/notify/param", {"osc", "freq", 440.0f}};
    const std::string text = render_notification(param, 0.0, false);
    EXPECT_NE(text.find("param osc freq 440\n"), std::string::npos) << text;
    const std::string graph = render_notification(Message{"/notify/graph", {"tcp 127.0.0.1:5 #1", "/node/add"}}, 0.0,
                                                  false);
    EXPECT_NE(graph.find("graph \"tcp 127.0.0.1:5 #1\" /node/add\n"), std::string::npos) << graph;
    const nlohmann::json j = nlohmann::json::parse(render_notification(param, 12.5, true));
    EXPECT_EQ(j["topic"], "param");
    EXPECT_EQ(j["address"], "/notify/param");
    EXPECT_EQ(j["args"], nlohmann::json::parse(R"(["osc","freq",440.0])"));
    EXPECT_EQ(j["time"], 12.5);
    EXPECT_EQ(render_notification(Message{"/done", {1}}, 0.0, false), "");
}

}  // namespace
}  // namespace rtgraph::ctl

namespace rtgraph::ctl {
namespace {

TEST(RtgraphctlCommandLine, SnapshotExportAndImport) {
    EXPECT_EQ(request({"snapshot", "save", "live-1"}), (Message{"/snapshot/save", {std::string("live-1")}}));
    EXPECT_EQ(request({"snapshot", "load", "live-1"}), (Message{"/snapshot/load", {std::string("live-1")}}));
    EXPECT_EQ(request({"snapshot", "delete", "x"}), (Message{"/snapshot/delete", {std::string("x")}}));
    const Invocation list = parse({"snapshot", "list"});
    ASSERT_TRUE(list.ok()) << list.error;
    EXPECT_EQ(list.request, (Message{"/snapshot/list", {}}));
    EXPECT_EQ(list.show, Show::kList);
    // The daemon, not the client, judges names: one rule, one place.
    EXPECT_EQ(request({"snapshot", "save", "../x"}).args, (std::vector<Value>{std::string("../x")}));
    EXPECT_NE(usage_error({"snapshot"}).find("snapshot save|load|delete NAME"), std::string::npos);
    EXPECT_NE(usage_error({"snapshot", "rename", "a"}).find("snapshot save|load|delete NAME"), std::string::npos);
    EXPECT_NE(usage_error({"snapshot", "save"}).find("snapshot save|load|delete NAME"), std::string::npos);

    const Invocation exporting = parse({"export", "live.json"});
    ASSERT_TRUE(exporting.ok()) << exporting.error;
    EXPECT_EQ(exporting.mode, Mode::kExport);
    EXPECT_EQ(exporting.batch_source, "live.json");
    EXPECT_EQ(exporting.request.address, "/graph/export");
    const Invocation importing = parse({"import", "-"});
    ASSERT_TRUE(importing.ok()) << importing.error;
    EXPECT_EQ(importing.mode, Mode::kImport);
    EXPECT_EQ(importing.batch_source, "-");
    EXPECT_EQ(usage_error({"import"}), "usage: rtgraphctl import FILE|-");
}

TEST(RtgraphctlOutput, SnapshotListPrintsOneNamePerLine) {
    Reply reply;
    reply.ok = true;
    reply.address = "/snapshot/list";
    reply.results = {std::string("a"), std::string("b")};
    EXPECT_EQ(render_reply(Message{"/snapshot/list", {}}, reply, Show::kList, false).out, "a\nb\n");
    reply.results.clear();
    EXPECT_EQ(render_reply(Message{"/snapshot/list", {}}, reply, Show::kList, false).out, "");
}

}  // namespace
}  // namespace rtgraph::ctl
