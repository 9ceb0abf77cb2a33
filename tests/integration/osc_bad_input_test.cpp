// Bad input to rtgraphd's OSC port, from a table: semantic errors (unknown
// address, argument types and counts, unknown node/port/param/type, duplicate
// names, cycles, kind and direction mismatches, non-finite values, bad names,
// bad JACK endpoints) and malformed packets over UDP and TCP (hand-made
// bytes). For each: the exact error code in the reply where a reply is
// possible, and afterwards the daemon still answers /version and /graph/dump
// is unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "osc_client.hpp"

namespace rtgraph::integration {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Hand-made OSC bytes.
struct Writer {
    Bytes bytes;
    Writer& raw(std::initializer_list<std::uint8_t> b) {
        bytes.insert(bytes.end(), b);
        return *this;
    }
    Writer& text(const std::string& s, bool terminate = true) {  // NUL-padded to 4
        bytes.insert(bytes.end(), s.begin(), s.end());
        if (terminate) {
            do bytes.push_back(0);
            while (bytes.size() % 4 != 0);
        }
        return *this;
    }
    Writer& i32(std::int32_t v) {
        const auto u = static_cast<std::uint32_t>(v);
        return raw({static_cast<std::uint8_t>(u >> 24), static_cast<std::uint8_t>(u >> 16),
                    static_cast<std::uint8_t>(u >> 8), static_cast<std::uint8_t>(u)});
    }
    Writer& u64(std::uint64_t v) {
        i32(static_cast<std::int32_t>(v >> 32));
        return i32(static_cast<std::int32_t>(v & 0xffffffffu));
    }
    Writer& append(const Bytes& b) {
        bytes.insert(bytes.end(), b.begin(), b.end());
        return *this;
    }
};

Bytes message(const std::string& address, std::vector<OscArgument> args) {
    return control::encode_osc_message(OscMessage{address, std::move(args)});
}

// `levels` bundles inside each other (all immediate) around /version.
Bytes nested_bundles(int levels, std::int32_t id) {
    Bytes inner = message("/version", {osc_i(id)});
    for (int level = 0; level < levels; ++level) {
        Writer w;
        w.text("#bundle").u64(OscTimetag::kImmediate).i32(static_cast<std::int32_t>(inner.size())).append(inner);
        inner = w.bytes;
    }
    return inner;
}

// kTcpStream: raw bytes on a connection of its own that the daemon must close.
// kTcpOversize: raw bytes on a connection of its own that announce a frame
// over osc.max_packet_bytes: one /error too_large, and the connection stays.
enum class Via { kTcp, kUdp, kTcpStream, kTcpOversize };

struct BadCase {
    std::string name;
    Via via;
    Bytes bytes;          // the packet (TCP: framed by the client), or raw stream bytes
    std::string code;     // expected /error code; empty: no reply, the connection closes
    std::string address;  // expected address in the /error ("" for malformed packets)
    std::int32_t id;      // expected id in the /error
};

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Cases built from a request: the id is the case number.
BadCase request_case(std::string name, std::int32_t id, const std::string& address,
                     std::vector<OscArgument> args, std::string code, Via via = Via::kTcp) {
    std::vector<OscArgument> all = {osc_i(id)};
    all.insert(all.end(), args.begin(), args.end());
    return {std::move(name), via, message(address, all), std::move(code), address, id};
}

BadCase malformed_case(std::string name, Bytes bytes, Via via = Via::kUdp) {
    return {std::move(name), via, std::move(bytes), "malformed_packet", "", 0};
}

std::vector<BadCase> bad_cases() {
    std::vector<BadCase> cases;
    std::int32_t id = 1000000;  // above the ids the clients' own requests use
    const auto add = [&](std::string name, const std::string& address, std::vector<OscArgument> args,
                         std::string code, Via via = Via::kTcp) {
        cases.push_back(request_case(std::move(name), id++, address, std::move(args), std::move(code), via));
    };
    // Addresses, argument types and counts.
    add("unknown address", "/nope", {}, "unknown_address");
    add("unknown address (prefix of a real one)", "/node", {osc_s("x")}, "unknown_address", Via::kUdp);
    add("wrong type: TYPE as a float", "/node/add", {osc_f(1.0f), osc_s("x")}, "bad_arguments");
    add("wrong type: VALUE as a string", "/param/set", {osc_s("osc"), osc_s("amp"), osc_s("loud")}, "bad_arguments");
    add("wrong type: ON as a float", "/node/bypass", {osc_s("g"), osc_f(0.5f)}, "bad_arguments");
    add("wrong type: GAIN as a blob", "/edge/gain",
        {osc_s("osc:out"), osc_s("g:in"), OscArgument{'b', control::OscBlob{1, 2, 3}}}, "bad_arguments");
    add("missing NAME", "/node/add", {osc_s("sine")}, "bad_arguments");
    add("missing VALUE", "/param/set", {osc_s("osc"), osc_s("amp")}, "bad_arguments");
    add("missing PARAM (query)", "/param/get", {osc_s("osc")}, "bad_arguments");
    add("PARAM without VALUE", "/node/add", {osc_s("sine"), osc_s("s2"), osc_s("freq")}, "bad_arguments");
    add("too many args", "/node/remove", {osc_s("osc"), osc_s("extra")}, "bad_arguments");
    add("too many args (query)", "/version", {osc_s("x")}, "bad_arguments", Via::kUdp);
    add("too many args (edge gain)", "/edge/gain", {osc_s("osc:out"), osc_s("g:in"), osc_f(1), osc_f(2)}, "bad_arguments");
    add("bad port direction word", "/port/add", {osc_s("p"), osc_s("sideways")}, "bad_arguments");
    add("bad port kind word", "/port/add", {osc_s("p"), osc_s("in"), osc_s("video")}, "bad_arguments");
    add("unknown topic", "/subscribe", {osc_s("bogus")}, "bad_arguments");
    // Names of things that do not exist.
    add("unknown node (remove)", "/node/remove", {osc_s("ghost")}, "unknown_node");
    add("unknown node (param)", "/param/set", {osc_s("ghost"), osc_s("amp"), osc_f(1)}, "unknown_node");
    add("unknown node (param get)", "/param/get", {osc_s("ghost"), osc_s("amp")}, "unknown_node");
    add("unknown node (rename)", "/node/rename", {osc_s("ghost"), osc_s("x")}, "unknown_node");
    add("unknown node (bypass)", "/node/bypass", {osc_s("ghost"), osc_T()}, "unknown_node");
    add("unknown node port", "/connect", {osc_s("osc:nope"), osc_s("g:in")}, "unknown_port");
    add("unknown graph port", "/connect", {osc_s("osc:out"), osc_s("graph:nope")}, "unknown_port");
    add("unknown graph port (remove)", "/port/remove", {osc_s("nope")}, "unknown_port");
    add("unknown param", "/param/set", {osc_s("osc"), osc_s("volume"), osc_f(1)}, "unknown_param");
    add("unknown param (get)", "/param/get", {osc_s("osc"), osc_s("volume")}, "unknown_param");
    add("unknown param (add)", "/node/add", {osc_s("sine"), osc_s("s2"), osc_s("volume"), osc_f(1)}, "unknown_param");
    add("unknown type", "/node/add", {osc_s("flute"), osc_s("f1")}, "unknown_type");
    // Graph rules.
    add("duplicate node name", "/node/add", {osc_s("sine"), osc_s("osc")}, "duplicate_name");
    add("rename onto an existing name", "/node/rename", {osc_s("g"), osc_s("osc")}, "duplicate_name");
    add("duplicate graph port", "/port/add", {osc_s("out_1"), osc_s("out")}, "duplicate_name");
    add("cycle", "/connect", {osc_s("m:out"), osc_s("g:in")}, "would_create_cycle");
    add("kind mismatch (midi to audio)", "/connect", {osc_s("graph:keys"), osc_s("g:in")}, "port_kind_mismatch");
    add("direction (input as source)", "/connect", {osc_s("g:in"), osc_s("m:in")}, "port_direction");
    add("already connected", "/connect", {osc_s("osc:out"), osc_s("g:in")}, "already_connected");
    add("not connected (disconnect)", "/disconnect", {osc_s("osc:out"), osc_s("m:in")}, "not_connected");
    add("not connected (edge gain)", "/edge/gain", {osc_s("osc:out"), osc_s("m:in"), osc_f(0.5f)}, "not_connected");
    add("creation-only param", "/param/set", {osc_s("d"), osc_s("max_time"), osc_f(2)}, "creation_only_param");
    // Numbers.
    add("NaN value", "/param/set", {osc_s("osc"), osc_s("amp"), osc_f(kNaN)}, "not_finite");
    add("Inf value", "/param/set", {osc_s("osc"), osc_s("amp"), osc_f(kInf)}, "not_finite");
    add("NaN as a double", "/param/set", {osc_s("osc"), osc_s("amp"), osc_d(std::nan(""))}, "not_finite");
    add("NaN at node creation", "/node/add", {osc_s("sine"), osc_s("s2"), osc_s("amp"), osc_f(kNaN)}, "not_finite");
    add("-Inf edge gain", "/edge/gain", {osc_s("osc:out"), osc_s("g:in"), osc_f(-kInf)}, "not_finite");
    add("NaN connection gain", "/connect", {osc_s("osc:out"), osc_s("graph:out_2"), osc_f(kNaN)}, "not_finite");
    add("negative ramp", "/param/set", {osc_s("osc"), osc_s("amp"), osc_f(0.3f), osc_f(-5.0f)}, "not_finite");
    add("NaN ramp", "/param/set", {osc_s("osc"), osc_s("amp"), osc_f(0.3f), osc_f(kNaN)}, "not_finite");
    // Names.
    add("node name of 65 characters", "/node/add", {osc_s("sine"), osc_s(std::string(65, 'a'))}, "invalid_name");
    add("node name with a space", "/node/add", {osc_s("sine"), osc_s("bad name")}, "invalid_name");
    add("node name with '/' and ':'", "/node/add", {osc_s("sine"), osc_s("a/b:c")}, "invalid_name");
    add("node named graph", "/node/add", {osc_s("sine"), osc_s("graph")}, "invalid_name");
    add("empty node name", "/node/add", {osc_s("sine"), osc_s("")}, "invalid_name");
    add("rename to an invalid name", "/node/rename", {osc_s("g"), osc_s("g!")}, "invalid_name");
    add("graph port name with a space", "/port/add", {osc_s("bad port"), osc_s("out")}, "invalid_name");
    // JACK endpoints.
    add("external port that does not exist", "/connect", {osc_s("graph:out_1"), osc_s("nosuch:port")}, "jack_error");
    add("gain on an external connection", "/edge/gain",
        {osc_s("graph:out_1"), osc_s("system:playback_1"), osc_f(1)}, "bad_endpoint");
    add("external to external", "/connect", {osc_s("system:capture_1"), osc_s("system:playback_1")}, "bad_endpoint");
    add("missing node to a node port", "/connect", {osc_s("ghost:out"), osc_s("g:in")}, "bad_endpoint");

    // Malformed packets over UDP: the parser refuses them, /error with id 0.
    cases.push_back(malformed_case("string argument over 1024 bytes",
                                   message("/node/add", {osc_i(1), osc_s("sine"), osc_s(std::string(1100, 'x'))})));
    cases.push_back(malformed_case("address over 1024 bytes", message("/" + std::string(1100, 'a'), {})));
    {
        Bytes b = message("/version", {osc_i(1)});
        b.push_back(0);
        cases.push_back(malformed_case("size not a multiple of 4", b));
    }
    cases.push_back(malformed_case("address without NUL", Writer{}.text("/version", false).bytes));
    cases.push_back(malformed_case("string argument without NUL",
                                   Writer{}.text("/node/remove").text(",s").text("abcd", false).bytes));
    cases.push_back(malformed_case("nonzero padding", Writer{}.raw({'/', 'a', 'p', 'i', 0, 'x', 0, 0}).text(",").bytes));
    cases.push_back(malformed_case("no type tag string", Writer{}.text("/version").bytes));
    cases.push_back(malformed_case("type tags without ','", Writer{}.text("/version").text("i").i32(1).bytes));
    cases.push_back(malformed_case("unknown type tag X", Writer{}.text("/version").text(",X").i32(1).bytes));
    cases.push_back(malformed_case("array type tags", Writer{}.text("/version").text(",[i]").i32(1).bytes));
    cases.push_back(malformed_case("int argument past the end", Writer{}.text("/version").text(",ii").i32(1).bytes));
    cases.push_back(malformed_case("bytes after the last argument", Writer{}.text("/version").text(",").i32(7).bytes));
    cases.push_back(malformed_case("blob past the end",
                                   Writer{}.text("/node/add").text(",b").i32(1000).i32(0).bytes));
    cases.push_back(malformed_case("negative blob size", Writer{}.text("/node/add").text(",b").i32(-4).bytes));
    cases.push_back(malformed_case("bundle element past the end",
                                   Writer{}.text("#bundle").u64(1).i32(1000).append(message("/version", {})).bytes));
    cases.push_back(malformed_case("bundle element size not positive",
                                   Writer{}.text("#bundle").u64(1).i32(0).append(message("/version", {})).bytes));
    cases.push_back(malformed_case("truncated bundle header", Writer{}.text("#bund").bytes));
    cases.push_back(malformed_case("nested bundles 9 deep", nested_bundles(9, 1)));
    cases.push_back(malformed_case("address pattern '*'", message("/node/*", {osc_s("x")})));
    cases.push_back(malformed_case("address pattern '?'", message("/ver?ion", {})));
    cases.push_back(malformed_case("address pattern '{,}'", message("/{version,api}", {})));
    cases.push_back(malformed_case("address pattern '//'", message("//version", {})));
    cases.push_back(malformed_case("packet starting with neither '/' nor '#'", Writer{}.text("version").bytes));
    // Over TCP: a well-framed frame with a bad OSC payload gets an /error,
    // and the connection stays.
    cases.push_back(malformed_case("TCP frame with a bad OSC payload", Writer{}.text("/version", false).bytes, Via::kTcp));
    cases.push_back(malformed_case("TCP frame with an address pattern", message("/node/[ab]", {}), Via::kTcp));
    // Bad framing: no reply possible; the daemon closes the connection.
    // Too large: refused with a reason, skipped unread; the connection stays.
    cases.push_back({"TCP size prefix 0x7ffffff0 (over osc.max_packet_bytes)", Via::kTcpOversize,
                     Writer{}.i32(0x7ffffff0).append(message("/version", {})).bytes, "too_large", "", 0});
    cases.push_back({"TCP size prefix 4194305 (one over osc.max_packet_bytes)", Via::kTcpOversize,
                     Writer{}.i32(4194305).append(message("/version", {})).bytes, "too_large", "", 0});
    cases.push_back({"TCP size prefix 0", Via::kTcpStream, Writer{}.i32(0).bytes, "", "", 0});
    cases.push_back({"TCP SLIP END byte", Via::kTcpStream, Writer{}.raw({0xc0, 0, 0, 0}).bytes, "", "", 0});
    return cases;
}

class OscBadInputTest : public OscDaemonTest {};

// The base graph every case runs against:
//   osc (sine) -> g (gain) -> m (meter) -> graph:out_1, and d (delay).
constexpr const char* kBasePatch =
    "add sine osc freq=1000 amp=0.5\n"
    "add gain g gain=0.5\n"
    "add meter m\n"
    "add delay d\n"
    "connect osc:out g:in\n"
    "connect g:out m:in\n"
    "connect m:out graph:out_1\n";

TEST_F(OscBadInputTest, EveryBadInputGetsItsErrorAndChangesNothing) {
    ASSERT_NO_FATAL_FAILURE(start_all(kBasePatch));
    const nlohmann::json baseline = dump();
    ASSERT_EQ(baseline["nodes"].size(), 4u) << baseline.dump();
    ASSERT_EQ(baseline["connections"].size(), 3u) << baseline.dump();

    // A control: 8 nested bundles are within the limit and answered.
    {
        ASSERT_TRUE(udp().send_packet(nested_bundles(8, 77)));
        const std::optional<OscReply> reply = udp().wait_reply(77);
        ASSERT_TRUE(reply) << "no reply to /version in 8 nested bundles";
        EXPECT_TRUE(reply->done) << reply->describe();
    }

    const std::vector<BadCase> cases = bad_cases();
    std::size_t replies_checked = 0, closes_checked = 0, oversize_checked = 0;
    for (const BadCase& c : cases) {
        SCOPED_TRACE("case: " + c.name);
        if (c.via == Via::kTcpOversize) {
            std::unique_ptr<OscClient> sender = connect(OscClient::Kind::kTcp);
            ASSERT_TRUE(sender->ok()) << sender->error();
            ASSERT_TRUE(sender->send_stream_bytes(c.bytes));
            const std::optional<OscReply> reply = sender->wait_reply(0, 3s);
            ASSERT_TRUE(reply) << "no /error for a frame over the limit";
            EXPECT_FALSE(reply->done) << reply->describe();
            EXPECT_EQ(reply->code, c.code) << reply->describe();
            EXPECT_EQ(reply->address, "") << reply->describe();
            EXPECT_NE(reply->text.find("osc.max_packet_bytes (4194304)"), std::string::npos) << reply->text;
            sender->pump(200ms);
            EXPECT_FALSE(sender->closed_by_peer()) << "the daemon closed the connection";
            EXPECT_TRUE(sender->inbox().empty()) << describe_message(sender->inbox().front());
            ++oversize_checked;
        } else if (c.via == Via::kTcpStream) {
            // Its own connection, which the daemon must close.
            std::unique_ptr<OscClient> victim = connect(OscClient::Kind::kTcp);
            ASSERT_TRUE(victim->ok()) << victim->error();
            ASSERT_TRUE(victim->send_stream_bytes(c.bytes));
            victim->pump(1500ms);
            EXPECT_TRUE(victim->closed_by_peer()) << "the daemon kept the connection open";
            EXPECT_TRUE(victim->inbox().empty()) << describe_message(victim->inbox().front());
            ++closes_checked;
        } else {
            OscClient& client = c.via == Via::kUdp ? udp() : tcp();
            ASSERT_TRUE(client.send_packet(c.bytes));
            const std::optional<OscReply> reply = client.wait_reply(c.id, 3s);
            ASSERT_TRUE(reply) << "no reply";
            EXPECT_FALSE(reply->done) << reply->describe();
            EXPECT_EQ(reply->code, c.code) << reply->describe();
            EXPECT_EQ(reply->address, c.address) << reply->describe();
            EXPECT_EQ(reply->message.typetags(), "isss") << reply->describe();
            EXPECT_FALSE(reply->text.empty()) << "an /error without a message";
            ++replies_checked;
            // Exactly one reply: nothing else for this id turns up.
            client.pump(c.via == Via::kUdp ? 30ms : 10ms);
            if (c.id != 0) {
                EXPECT_FALSE(client.wait_reply(c.id, 0s)) << "a second reply";
            }
        }
        // Still up, over both kinds, and nothing changed.
        ASSERT_TRUE(daemon_->running()) << "rtgraphd died";
        const std::optional<OscReply> tcp_version = tcp().request("/version");
        ASSERT_TRUE(tcp_version && tcp_version->done) << "no /version over TCP";
        const std::optional<OscReply> udp_version = udp().request("/version");
        ASSERT_TRUE(udp_version && udp_version->done) << "no /version over UDP";
        EXPECT_EQ(dump(), baseline);
        EXPECT_TRUE(observer_->connections(full_port("out_1")).empty()) << "a JACK connection was made";
        // Malformed replies carry id 0: drop any strays before the next case.
        tcp().take("/error");
        udp().take("/error");
    }
    std::printf("[ figures  ] %zu bad inputs: %zu /error replies checked, %zu TCP connections closed, "
                "%zu oversize frames refused with the connection kept\n",
                cases.size(), replies_checked, closes_checked, oversize_checked);
    EXPECT_GE(cases.size(), 25u);

    // The daemon counted them.
    const nlohmann::json s = status();
    std::printf("[ figures  ] /status after: errors %s, malformed_packets %s, osc_dropped_bad_frame %s, "
                "osc_dropped_oversize %s\n",
                s["errors"].dump().c_str(), s["malformed_packets"].dump().c_str(),
                s["osc_dropped_bad_frame"].dump().c_str(), s["osc_dropped_oversize"].dump().c_str());
    EXPECT_EQ(s.value("osc_dropped_bad_frame", 0), static_cast<int>(closes_checked));
    EXPECT_EQ(s.value("osc_dropped_oversize", 0), static_cast<int>(oversize_checked));
    EXPECT_TRUE(daemon_->running());
}

}  // namespace
}  // namespace rtgraph::integration
