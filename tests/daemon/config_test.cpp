// Tests for rtgraphd's configuration: the shipped config/rtgraph.toml, type and
// value errors with key and line, unknown-key warnings, command-line flags and
// overrides, the config file search, reload comparison and TOML round trips.
//
// Threads: the test thread only (the code under test runs on the daemon's
// control thread).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "rtgraph/config/daemon_config.hpp"

namespace rtgraph::config {
namespace {

const std::string kDefaultFile = std::string(RTGRAPH_SOURCE_DIR) + "/config/rtgraph.toml";

LoadResult load(std::string_view text) {
    return load_config_text(text, "test.toml");
}

std::string all_messages(const std::vector<ConfigMessage>& messages) {
    std::string text;
    for (const ConfigMessage& message : messages) text += format_message(message) + "\n";
    return text;
}

// One error, and nothing else: its key, line and text.
void expect_one_error(const LoadResult& result, const std::string& key, int line,
                      const std::string& text) {
    ASSERT_EQ(result.errors.size(), 1u) << all_messages(result.errors);
    EXPECT_EQ(result.errors[0].key, key);
    EXPECT_EQ(result.errors[0].line, line);
    EXPECT_EQ(result.errors[0].text, text);
    EXPECT_TRUE(result.warnings.empty()) << all_messages(result.warnings);
    EXPECT_FALSE(result.ok());
}

// A config with every key set to something other than its default.
DaemonConfig everything_changed() {
    DaemonConfig c;
    c.jack.server_name = "studio";
    c.jack.client_name = "fx rack";
    c.jack.audio_inputs = {"left", "right", "aux"};
    c.jack.audio_outputs = {"main_l", "main_r"};
    c.jack.midi_inputs = {};
    c.jack.autoconnect = {{"main_l", {"system:playback_1", "recorder:in_1"}},
                          {"left", {"system:capture_1"}}};
    c.jack.reconnect_max_backoff_s = 30.5;
    c.jack.stall_timeout_s = 0.25;
    c.osc.bind_address = "::";
    c.osc.udp_port = 9000;
    c.osc.tcp_port = 0;
    c.osc.unix_socket = "/run/rtgraph/osc.sock";
    c.osc.allow = {"192.168.1.0/24", "fd00::/8", "0.0.0.0/0"};
    c.osc.meter_rate_hz = 30;
    c.osc.max_packet_bytes = 16 * 1024 * 1024;
    c.osc.max_clients = 256;
    c.osc.max_clients_per_address = 4;
    c.osc.idle_timeout_s = 120.0;
    c.osc.frame_timeout_s = 2.5;
    c.engine.max_block = 512;
    c.engine.fade_ms = 12.5;
    c.realtime.priority = 85;
    c.realtime.worker_threads = 3;
    c.realtime.cpu_affinity = {2, 3, 1};
    c.realtime.lock_memory = false;
    c.paths.state_dir = "/srv/rtgraph state";
    c.paths.lv2_path = {"/opt/lv2", "/home/me/.lv2"};
    c.paths.ladspa_path = {"/opt/ladspa"};
    c.paths.media_dirs = {"/srv/samples", "/home/me/Music"};
    c.paths.patch = "/etc/rtgraph/live \"set\".patch";
    c.log_level = "debug";
    return c;
}

const std::vector<std::string> kAllKeys = {
    "jack.server_name",
    "jack.client_name",
    "jack.audio_inputs",
    "jack.audio_outputs",
    "jack.midi_inputs",
    "jack.reconnect_max_backoff_s",
    "jack.stall_timeout_s",
    "jack.autoconnect",
    "osc.bind_address",
    "osc.udp_port",
    "osc.tcp_port",
    "osc.unix_socket",
    "osc.allow",
    "osc.meter_rate_hz",
    "osc.max_packet_bytes",
    "osc.max_clients",
    "osc.max_clients_per_address",
    "osc.idle_timeout_s",
    "osc.frame_timeout_s",
    "engine.max_block",
    "engine.fade_ms",
    "realtime.priority",
    "realtime.worker_threads",
    "realtime.cpu_affinity",
    "realtime.lock_memory",
    "paths.state_dir",
    "paths.lv2_path",
    "paths.ladspa_path",
    "paths.media_dirs",
    "paths.patch",
    "log_level",
};

// --- the shipped file ---------------------------------------------------------

TEST(DefaultConfigFile, LoadsWithoutErrorsOrWarningsAndEqualsTheDefaults) {
    const LoadResult result = load_config_file(kDefaultFile);
    EXPECT_TRUE(result.ok()) << all_messages(result.errors);
    EXPECT_TRUE(result.errors.empty());
    EXPECT_TRUE(result.warnings.empty()) << all_messages(result.warnings);
    EXPECT_EQ(result.source, kDefaultFile);
    EXPECT_TRUE(result.config == DaemonConfig{});
    EXPECT_TRUE(changed_keys(result.config, DaemonConfig{}).empty());
}

TEST(DefaultConfigFile, DocumentsEveryKey) {
    std::ifstream file(kDefaultFile);
    ASSERT_TRUE(file.good());
    std::stringstream text;
    text << file.rdbuf();
    const std::string content = text.str();
    for (const std::string& key : kAllKeys) {
        const auto dot = key.rfind('.');
        const std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
        const std::string name = dot == std::string::npos ? key : key.substr(dot + 1);
        if (!section.empty()) {
            EXPECT_NE(content.find("\n[" + section + "]\n"), std::string::npos) << section;
        }
        if (name == "autoconnect") {
            EXPECT_NE(content.find("\n[jack.autoconnect]\n"), std::string::npos);
        } else {
            const bool present = content.find("\n" + name + " = ") != std::string::npos ||
                                 content.find("\n# " + name + " = ") != std::string::npos;
            EXPECT_TRUE(present) << key;
        }
    }
}

TEST(DefaultConfig, DefaultsPassValidation) {
    std::vector<ConfigMessage> warnings;
    EXPECT_TRUE(validate_config(DaemonConfig{}, &warnings).empty());
    EXPECT_TRUE(warnings.empty());
    EXPECT_TRUE(validate_config(everything_changed(), &warnings).empty());
    EXPECT_TRUE(warnings.empty());
}

TEST(DefaultConfig, DefaultValues) {
    const DaemonConfig c;
    EXPECT_EQ(c.jack.client_name, "rtgraph");
    EXPECT_EQ(c.jack.audio_outputs, (std::vector<std::string>{"out_1", "out_2"}));
    EXPECT_EQ(c.osc.udp_port, 7711);
    EXPECT_EQ(c.osc.tcp_port, 7711);
    EXPECT_EQ(c.osc.max_packet_bytes, 4194304u);  // 4 MiB: a transaction of tens of thousands of commands
    EXPECT_EQ(c.osc.max_clients, 64u);
    EXPECT_EQ(c.osc.max_clients_per_address, 16u);
    EXPECT_DOUBLE_EQ(c.osc.idle_timeout_s, 30.0);
    EXPECT_DOUBLE_EQ(c.osc.frame_timeout_s, 10.0);
    EXPECT_EQ(c.engine.max_block, 2048u);
    EXPECT_DOUBLE_EQ(c.engine.fade_ms, 5.0);
    EXPECT_EQ(c.realtime.priority, 0);  // the JACK process thread's
    EXPECT_EQ(c.paths.state_dir, "/var/lib/rtgraph");
    EXPECT_EQ(c.log_level, "info");
}

// --- values read from a file --------------------------------------------------

TEST(LoadConfig, ReadsEveryKind) {
    const LoadResult result = load(R"(log_level = "warn"
[jack]
server_name = "studio"
client_name = "fx"
audio_inputs = []
audio_outputs = ["l", "r"]
midi_inputs = ["keys", "pads"]
reconnect_max_backoff_s = 10     # an integer is fine for a number
stall_timeout_s = 0.5
[jack.autoconnect]
l = ["system:playback_1"]
keys = ["a2j:keyboard", "a2j:other"]
[osc]
udp_port = 0
tcp_port = 9001
unix_socket = "/run/x.sock"
allow = ["10.0.0.0/8", "fe80::/10"]
meter_rate_hz = 25
max_packet_bytes = 1048576
[engine]
max_block = 256
fade_ms = 0
[realtime]
priority = 99
worker_threads = 4
cpu_affinity = [2, 3]
lock_memory = false
[paths]
state_dir = "state"
lv2_path = ["/a", "/b"]
patch = "start.patch"
)");
    ASSERT_TRUE(result.ok()) << all_messages(result.errors);
    EXPECT_TRUE(result.warnings.empty()) << all_messages(result.warnings);
    const DaemonConfig& c = result.config;
    EXPECT_EQ(c.log_level, "warn");
    EXPECT_EQ(c.jack.server_name, "studio");
    EXPECT_EQ(c.jack.client_name, "fx");
    EXPECT_TRUE(c.jack.audio_inputs.empty());
    EXPECT_EQ(c.jack.audio_outputs, (std::vector<std::string>{"l", "r"}));
    EXPECT_EQ(c.jack.midi_inputs, (std::vector<std::string>{"keys", "pads"}));
    EXPECT_DOUBLE_EQ(c.jack.reconnect_max_backoff_s, 10.0);
    EXPECT_DOUBLE_EQ(c.jack.stall_timeout_s, 0.5);
    ASSERT_EQ(c.jack.autoconnect.size(), 2u);
    EXPECT_EQ(c.jack.autoconnect.at("l"), (std::vector<std::string>{"system:playback_1"}));
    EXPECT_EQ(c.jack.autoconnect.at("keys"),
              (std::vector<std::string>{"a2j:keyboard", "a2j:other"}));
    EXPECT_EQ(c.osc.bind_address, "127.0.0.1");  // not in the file: default kept
    EXPECT_EQ(c.osc.udp_port, 0);
    EXPECT_EQ(c.osc.tcp_port, 9001);
    EXPECT_EQ(c.osc.unix_socket, "/run/x.sock");
    EXPECT_EQ(c.osc.allow, (std::vector<std::string>{"10.0.0.0/8", "fe80::/10"}));
    EXPECT_DOUBLE_EQ(c.osc.meter_rate_hz, 25.0);
    EXPECT_EQ(c.osc.max_packet_bytes, 1048576u);
    EXPECT_EQ(c.engine.max_block, 256u);
    EXPECT_DOUBLE_EQ(c.engine.fade_ms, 0.0);
    EXPECT_EQ(c.realtime.priority, 99);
    EXPECT_EQ(c.realtime.worker_threads, 4u);
    EXPECT_EQ(c.realtime.cpu_affinity, (std::vector<int>{2, 3}));
    EXPECT_FALSE(c.realtime.lock_memory);
    EXPECT_EQ(c.paths.state_dir, "state");
    EXPECT_EQ(c.paths.lv2_path, (std::vector<std::string>{"/a", "/b"}));
    EXPECT_TRUE(c.paths.ladspa_path.empty());
    EXPECT_EQ(c.paths.patch, "start.patch");
}

TEST(LoadConfig, OscMaxPacketBytesTakesItsRangeEndsAndNeedsARestart) {
    for (const std::size_t bytes : {std::size_t{65536}, std::size_t{268435456}}) {
        const LoadResult result = load("[osc]\nmax_packet_bytes = " + std::to_string(bytes) + "\n");
        ASSERT_TRUE(result.ok()) << all_messages(result.errors);
        EXPECT_EQ(result.config.osc.max_packet_bytes, bytes);
    }
    const LoadResult fractional = load("[osc]\n\nmax_packet_bytes = 65536.5\n");
    ASSERT_EQ(fractional.errors.size(), 1u) << all_messages(fractional.errors);
    EXPECT_EQ(fractional.errors[0].key, "osc.max_packet_bytes");
    EXPECT_EQ(fractional.errors[0].line, 3);
    DaemonConfig bigger;
    bigger.osc.max_packet_bytes = 8u << 20;
    EXPECT_EQ(restart_required(DaemonConfig{}, bigger), (std::vector<std::string>{"osc.max_packet_bytes"}));
}

TEST(LoadConfig, FileValuesGoOnTopOfTheBase) {
    DaemonConfig base;
    base.jack.client_name = "from_base";
    base.realtime.priority = 60;
    const LoadResult result = load_config_text("[realtime]\npriority = 80\n", "t.toml", base);
    ASSERT_TRUE(result.ok()) << all_messages(result.errors);
    EXPECT_EQ(result.config.jack.client_name, "from_base");
    EXPECT_EQ(result.config.realtime.priority, 80);
}

TEST(LoadConfig, AnEmptyFileGivesTheDefaults) {
    const LoadResult result = load("");
    EXPECT_TRUE(result.ok());
    EXPECT_TRUE(result.warnings.empty());
    EXPECT_TRUE(result.config == DaemonConfig{});
}

// --- type errors --------------------------------------------------------------

struct TypeCase {
    std::string section;  // "" for a top-level key
    std::string assignment;
    std::string key;
    std::string text;
    int line;
};

TEST(LoadConfig, EveryWrongTypeIsAnErrorNamingKeyAndLine) {
    const std::vector<TypeCase> cases = {
        {"jack", "server_name = 1", "jack.server_name", "must be a string", 3},
        {"jack", "client_name = 5", "jack.client_name", "must be a string", 3},
        {"jack", "audio_inputs = \"in_1\"", "jack.audio_inputs", "must be an array of strings", 3},
        {"jack", "audio_outputs = [\"a\",\n 1]", "jack.audio_outputs",
         "must be an array of strings", 4},
        {"jack", "midi_inputs = 3", "jack.midi_inputs", "must be an array of strings", 3},
        {"jack", "reconnect_max_backoff_s = \"5\"", "jack.reconnect_max_backoff_s",
         "must be a number", 3},
        {"jack", "stall_timeout_s = true", "jack.stall_timeout_s", "must be a number", 3},
        {"jack", "autoconnect = 3", "jack.autoconnect", "must be a table", 3},
        {"jack.autoconnect", "out_1 = \"system:playback_1\"", "jack.autoconnect.out_1",
         "must be an array of strings", 3},
        {"osc", "bind_address = 127", "osc.bind_address", "must be a string", 3},
        {"osc", "udp_port = \"7711\"", "osc.udp_port", "must be an integer", 3},
        {"osc", "tcp_port = 7711.0", "osc.tcp_port", "must be an integer", 3},
        {"osc", "unix_socket = false", "osc.unix_socket", "must be a string", 3},
        {"osc", "allow = \"127.0.0.1/32\"", "osc.allow", "must be an array of strings", 3},
        {"osc", "meter_rate_hz = \"fast\"", "osc.meter_rate_hz", "must be a number", 3},
        {"engine", "max_block = 2048.0", "engine.max_block", "must be an integer", 3},
        {"engine", "fade_ms = [5]", "engine.fade_ms", "must be a number", 3},
        {"realtime", "priority = \"high\"", "realtime.priority", "must be an integer", 3},
        {"realtime", "worker_threads = 1.5", "realtime.worker_threads", "must be an integer or \"auto\"", 3},
        {"realtime", "worker_threads = \"all\"", "realtime.worker_threads", "must be an integer or \"auto\"", 3},
        {"realtime", "cpu_affinity = [0,\n\n \"1\"]", "realtime.cpu_affinity",
         "must be an array of integers", 5},
        {"realtime", "lock_memory = \"yes\"", "realtime.lock_memory", "must be true or false", 3},
        {"paths", "state_dir = 0", "paths.state_dir", "must be a string", 3},
        {"paths", "lv2_path = \"/usr/lib/lv2\"", "paths.lv2_path", "must be an array of strings",
         3},
        {"paths", "ladspa_path = [1]", "paths.ladspa_path", "must be an array of strings", 3},
        {"paths", "patch = 1", "paths.patch", "must be a string", 3},
        {"", "log_level = 3", "log_level", "must be a string", 3},
    };
    for (const TypeCase& c : cases) {
        SCOPED_TRACE(c.key);
        const std::string header = c.section.empty() ? "\n" : "[" + c.section + "]\n";
        const LoadResult result = load("# a type error\n" + header + c.assignment + "\n");
        expect_one_error(result, c.key, c.line, c.text);
        EXPECT_TRUE(result.config == DaemonConfig{}) << "a bad value must not be applied";
    }
}

TEST(LoadConfig, ASectionThatIsNotATableIsAnError) {
    expect_one_error(load("log_level = \"info\"\njack = 5\n"), "jack", 2, "must be a table");
    expect_one_error(load("[[osc]]\nudp_port = 1\n"), "osc", 1, "must be a table");
}

TEST(LoadConfig, FormatMessageNamesFileLineAndKey) {
    const LoadResult result = load_config_text("[jack]\n\nclient_name = 5\n", "rtgraph.toml");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(format_message(result.errors[0]),
              "rtgraph.toml:3: jack.client_name: must be a string");
    EXPECT_EQ(format_message(result.errors[0], "/etc/rtgraph/rtgraph.toml"),
              "/etc/rtgraph/rtgraph.toml:3: jack.client_name: must be a string");
    EXPECT_EQ(format_message({"log_level", 0, "bad", 0, ""}), "log_level: bad");
    EXPECT_EQ(format_message({"", 0, "cannot read: x", 0, "a.toml"}), "a.toml: cannot read: x");
}

// --- malformed TOML -----------------------------------------------------------

TEST(LoadConfig, UnterminatedStringIsAnErrorOnItsLine) {
    const LoadResult result = load_config_text(
        "log_level = \"info\"\n[jack]\nclient_name = \"x\"\nserver_name = \"abc\nstall_timeout_s = "
        "1\n",
        "bad.toml");
    ASSERT_EQ(result.errors.size(), 1u) << all_messages(result.errors);
    const ConfigMessage& error = result.errors[0];
    EXPECT_EQ(error.key, "");
    EXPECT_EQ(error.line, 4);
    EXPECT_GT(error.column, 14);  // after the opening quote
    EXPECT_FALSE(error.text.empty());
    EXPECT_EQ(format_message(error).rfind("bad.toml:4:" + std::to_string(error.column) + ": ", 0),
              0u)
        << format_message(error);
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(result.config == DaemonConfig{}) << "nothing of a malformed file is applied";
}

TEST(LoadConfig, OtherSyntaxErrorsNameTheirLine) {
    const struct {
        const char* text;
        int line;
    } cases[] = {
        {"[jack]\nclient_name = \"a\"\nclient_name = \"b\"\n", 3},  // key defined twice
        {"[osc]\n[engine]\n[osc]\n", 3},                            // table defined twice
        {"[realtime]\npriority = 7 0\n", 2},                        // junk after a value
        {"[paths\nstate_dir = \"/x\"\n", 1},                        // unclosed header
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const LoadResult result = load(c.text);
        ASSERT_EQ(result.errors.size(), 1u) << all_messages(result.errors);
        EXPECT_EQ(result.errors[0].line, c.line) << all_messages(result.errors);
        EXPECT_EQ(result.errors[0].key, "");
    }
}

TEST(LoadConfig, AMissingFileIsAnError) {
    const std::string path = std::string(RTGRAPH_BINARY_DIR) + "/no/such/rtgraph.toml";
    const LoadResult result = load_config_file(path);
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].line, 0);
    EXPECT_EQ(result.errors[0].text, "cannot read: No such file or directory");
    EXPECT_EQ(format_message(result.errors[0]), path + ": cannot read: No such file or directory");
}

// --- bad values ---------------------------------------------------------------

struct ValueCase {
    std::string toml;  // the bad key is always on line 3
    std::string key;
    std::string text;
    bool relation = false;  // a check across keys: the values themselves were applied
};

TEST(LoadConfig, OutOfRangeValuesAreErrorsNamingKeyAndLine) {
    const std::vector<ValueCase> cases = {
        {"[realtime]\npriority = -1", "realtime.priority", "must be between 0 and 99 (got -1)"},
        {"[realtime]\npriority = 100", "realtime.priority", "must be between 0 and 99 (got 100)"},
        {"[realtime]\npriority = 9999999999", "realtime.priority",
         "must be between 0 and 99 (got 9999999999)"},
        {"[realtime]\nworker_threads = -1", "realtime.worker_threads",
         "must be between 0 and 64 (got -1)"},
        {"[realtime]\ncpu_affinity = [0, 1024]", "realtime.cpu_affinity",
         "must be between 0 and 1023 (got 1024)"},
        {"[realtime]\ncpu_affinity = [1, 2, 1]", "realtime.cpu_affinity", "CPU 1 is listed twice",
         true},
        {"[osc]\nudp_port = 70000", "osc.udp_port", "must be between 0 and 65535 (got 70000)"},
        {"[osc]\ntcp_port = -1", "osc.tcp_port", "must be between 0 and 65535 (got -1)"},
        {"[osc]\nmeter_rate_hz = 100.5", "osc.meter_rate_hz",
         "must be between 0 and 100 (got 100.5)"},
        {"[osc]\nmeter_rate_hz = nan", "osc.meter_rate_hz", "must be between 0 and 100 (got nan)"},
        {"[osc]\nmax_packet_bytes = 65535", "osc.max_packet_bytes",
         "must be between 65536 and 268435456 (got 65535)"},
        {"[osc]\nmax_packet_bytes = 268435457", "osc.max_packet_bytes",
         "must be between 65536 and 268435456 (got 268435457)"},
        {"[osc]\nmax_packet_bytes = 0", "osc.max_packet_bytes",
         "must be between 65536 and 268435456 (got 0)"},
        {"[osc]\nmax_clients = 0", "osc.max_clients", "must be between 1 and 4096 (got 0)"},
        {"[osc]\nmax_clients_per_address = 5000", "osc.max_clients_per_address",
         "must be between 1 and 4096 (got 5000)"},
        {"[osc]\nidle_timeout_s = 0.5", "osc.idle_timeout_s", "must be between 1 and 86400 (got 0.5)"},
        {"[osc]\nframe_timeout_s = 0.1", "osc.frame_timeout_s", "must be between 1 and 3600 (got 0.1)"},
        {"[osc]\nallow = [\"10.0.0.0/33\"]", "osc.allow",
         "prefix length must be 0..32 for IPv4 (got '10.0.0.0/33')"},
        {"[osc]\nallow = [\"fd00::/129\"]", "osc.allow",
         "prefix length must be 0..128 for IPv6 (got 'fd00::/129')"},
        {"[osc]\nallow = [\"10.0.0.0\"]", "osc.allow",
         "must be a network with a prefix length, such as '192.168.1.0/24' or 'fd00::/8' "
         "(got '10.0.0.0')"},
        {"[osc]\nallow = [\"10.0.0.300/8\"]", "osc.allow",
         "must start with a numeric IPv4 or IPv6 address (got '10.0.0.300/8')"},
        {"[osc]\nallow = [\"10.0.0.0/8x\"]", "osc.allow",
         "prefix length must be 0..32 for IPv4 (got '10.0.0.0/8x')"},
        {"[osc]\nallow = [\"192.168.1.7/24\"]", "osc.allow",
         "has address bits set after the /24 prefix; did you mean '192.168.1.0/24'? "
         "(got '192.168.1.7/24')"},
        {"[osc]\nallow = [\"fd00::1/8\"]", "osc.allow",
         "has address bits set after the /8 prefix; did you mean 'fd00::/8'? (got 'fd00::1/8')"},
        {"[osc]\nbind_address = \"localhost\"", "osc.bind_address",
         "must be a numeric IPv4 or IPv6 address (got 'localhost')"},
        {"[osc]\nunix_socket = \"run/osc.sock\"", "osc.unix_socket",
         "must be an absolute path (got 'run/osc.sock')"},
        {"[osc]\nunix_socket = \"/" + std::string(107, 's') + "\"", "osc.unix_socket",
         "must be at most 107 bytes, the limit of a Unix socket path (got 108)"},
        {"[engine]\nmax_block = 100", "engine.max_block",
         "must be a power of two between 16 and 8192 (got 100)"},
        {"[engine]\nmax_block = 8", "engine.max_block",
         "must be a power of two between 16 and 8192 (got 8)"},
        {"[engine]\nmax_block = 16384", "engine.max_block",
         "must be a power of two between 16 and 8192 (got 16384)"},
        {"[engine]\nfade_ms = 150", "engine.fade_ms", "must be between 0 and 100 (got 150)"},
        {"[engine]\nfade_ms = -0.5", "engine.fade_ms", "must be between 0 and 100 (got -0.5)"},
        {"[jack]\nstall_timeout_s = 0", "jack.stall_timeout_s",
         "must be between 0.1 and 60 (got 0)"},
        {"[jack]\nreconnect_max_backoff_s = inf", "jack.reconnect_max_backoff_s",
         "must be between 0.1 and 3600 (got inf)"},
        {"[jack]\nclient_name = \"\"", "jack.client_name", "must not be empty"},
        {"[jack]\nclient_name = \"a:b\"", "jack.client_name", "must not contain ':' (got 'a:b')"},
        {"[jack]\nclient_name = \"" + std::string(64, 'c') + "\"", "jack.client_name",
         "must be at most 63 characters (got 64)"},
        {"[jack]\nclient_name = \"a\\u0000b\"", "jack.client_name",
         "must not contain a NUL character"},
        {"[jack]\naudio_inputs = [\"in\", \"\"]", "jack.audio_inputs", "must not be empty"},
        {"[jack]\naudio_outputs = [\"" + std::string(65, 'p') + "\"]", "jack.audio_outputs",
         "must be at most 64 characters (got 65)"},
        {"[jack]\nmidi_inputs = [\"a:b\"]", "jack.midi_inputs", "must not contain ':' (got 'a:b')"},
        {"[jack]\naudio_outputs = [\"in_2\"]", "jack.audio_outputs",
         "duplicate port name 'in_2' (also in jack.audio_inputs)", true},
        {"[jack]\naudio_inputs = [\"x\", \"x\"]", "jack.audio_inputs",
         "duplicate port name 'x' (also in jack.audio_inputs)", true},
        {"[jack.autoconnect]\nout_1 = [\"playback_1\"]", "jack.autoconnect.out_1",
         "must be a full JACK port name such as 'system:playback_1' (got 'playback_1')"},
        {"[jack.autoconnect]\nout_3 = [\"system:playback_3\"]", "jack.autoconnect.out_3",
         "no port of that name in jack.audio_inputs, jack.audio_outputs or jack.midi_inputs", true},
        {"[paths]\nstate_dir = \"\"", "paths.state_dir", "must not be empty"},
        {"[paths]\nlv2_path = [\"/a:/b\"]", "paths.lv2_path", "must not contain ':' (got '/a:/b')"},
        {"[paths]\nmedia_dirs = [\"samples\"]", "paths.media_dirs",
         "must be an absolute path (got 'samples')"},
        {"[paths]\nladspa_path = [\"\"]", "paths.ladspa_path", "must not be empty"},
        {"\nlog_level = \"verbose\"", "log_level",
         "must be one of trace, debug, info, warn, error, critical, off (got 'verbose')"},
    };
    for (const ValueCase& c : cases) {
        SCOPED_TRACE(c.toml);
        const LoadResult result = load("# a bad value\n" + c.toml + "\n");
        expect_one_error(result, c.key, 3, c.text);
        if (!c.relation) {
            EXPECT_TRUE(result.config == DaemonConfig{}) << "a bad value must not be applied";
        }
    }
}

TEST(LoadConfig, TooManyPortsIsAnError) {
    std::string list;
    for (int i = 0; i < 65; ++i) list += (i ? ", \"p" : "\"p") + std::to_string(i) + "\"";
    expect_one_error(load("[jack]\naudio_inputs = [" + list + "]\n"), "jack.audio_inputs", 2,
                     "must have at most 64 items (got 65)");
}

TEST(LoadConfig, AnErrorInAMultiLineArrayNamesTheItemsLine) {
    const LoadResult result = load(R"([osc]
allow = [
  "127.0.0.1/32",
  "10.0.0.1/8",
  "::1/128",
  "::1/200",
]
)");
    ASSERT_EQ(result.errors.size(), 2u) << all_messages(result.errors);
    EXPECT_EQ(format_message(result.errors[0]),
              "test.toml:4: osc.allow: has address bits set after the /8 prefix; did you mean "
              "'10.0.0.0/8'? (got '10.0.0.1/8')");
    EXPECT_EQ(format_message(result.errors[1]),
              "test.toml:6: osc.allow: prefix length must be 0..128 for IPv6 (got '::1/200')");
    EXPECT_EQ(result.config.osc.allow, DaemonConfig{}.osc.allow);
}

TEST(LoadConfig, ManyErrorsAreAllReportedInFileOrder) {
    const LoadResult result = load(R"([realtime]
priority = -1
[osc]
udp_port = 70000
[engine]
max_block = 100
[jack]
client_name = 5
)");
    ASSERT_EQ(result.errors.size(), 4u) << all_messages(result.errors);
    EXPECT_EQ(result.errors[0].key, "realtime.priority");
    EXPECT_EQ(result.errors[0].line, 2);
    EXPECT_EQ(result.errors[1].key, "osc.udp_port");
    EXPECT_EQ(result.errors[1].line, 4);
    EXPECT_EQ(result.errors[2].key, "engine.max_block");
    EXPECT_EQ(result.errors[2].line, 6);
    EXPECT_EQ(result.errors[3].key, "jack.client_name");
    EXPECT_EQ(result.errors[3].line, 8);
}

TEST(LoadConfig, ValidNetworksAndAddressesAreAccepted) {
    const LoadResult result = load(R"([osc]
bind_address = "::1"
allow = ["0.0.0.0/0", "::/0", "10.1.2.3/32", "172.16.0.0/12", "fe80::/10", "2001:db8::1/128"]
)");
    EXPECT_TRUE(result.ok()) << all_messages(result.errors);
    EXPECT_EQ(result.config.osc.allow.size(), 6u);
}

TEST(LoadConfig, RelationChecksSeeTheMergedConfig) {
    // Autoconnect to a port the file renames away: the entry names a missing port.
    const LoadResult result = load(R"([jack]
audio_outputs = ["main_l", "main_r"]
[jack.autoconnect]
main_l = ["system:playback_1"]
out_2 = ["system:playback_2"]
)");
    expect_one_error(result, "jack.autoconnect.out_2", 5,
                     "no port of that name in jack.audio_inputs, jack.audio_outputs or "
                     "jack.midi_inputs");
}

// --- warnings -----------------------------------------------------------------

TEST(LoadConfig, UnknownKeysAndTablesAreWarningsWithKeyAndLine) {
    const LoadResult result = load(R"(log_levle = "debug"
[jack]
client_nam = "x"
[osc]
udp_port = 9000
colour = "blue"
[plugins]
lv2 = true
[jack.extra]
a = 1
)");
    EXPECT_TRUE(result.ok()) << all_messages(result.errors);
    ASSERT_EQ(result.warnings.size(), 5u) << all_messages(result.warnings);
    EXPECT_EQ(format_message(result.warnings[0]),
              "test.toml:1: log_levle: unknown key, ignored (did you mean 'log_level'?)");
    EXPECT_EQ(format_message(result.warnings[1]),
              "test.toml:3: jack.client_nam: unknown key, ignored (did you mean 'client_name'?)");
    EXPECT_EQ(format_message(result.warnings[2]), "test.toml:6: osc.colour: unknown key, ignored");
    EXPECT_EQ(format_message(result.warnings[3]), "test.toml:7: plugins: unknown table, ignored");
    EXPECT_EQ(format_message(result.warnings[4]),
              "test.toml:9: jack.extra: unknown table, ignored");
    EXPECT_EQ(result.config.osc.udp_port, 9000);  // the known keys still apply
    EXPECT_EQ(result.config.jack.client_name, "rtgraph");
}

TEST(LoadConfig, NoOscTransportOrAnEmptyAllowListIsAWarning) {
    const LoadResult off = load("[osc]\nudp_port = 0\ntcp_port = 0\n");
    EXPECT_TRUE(off.ok());
    ASSERT_EQ(off.warnings.size(), 1u);
    EXPECT_EQ(format_message(off.warnings[0]),
              "test.toml:1: osc: udp_port and tcp_port are 0 and unix_socket is empty: the "
              "daemon will take no OSC commands");

    const LoadResult closed = load("[osc]\n\nallow = []\n");
    EXPECT_TRUE(closed.ok());
    ASSERT_EQ(closed.warnings.size(), 1u);
    EXPECT_EQ(format_message(closed.warnings[0]),
              "test.toml:3: osc.allow: is empty: every UDP and TCP client will be refused");
}

// --- command line -------------------------------------------------------------

CommandLine parse(std::vector<const char*> args) {
    args.insert(args.begin(), "rtgraphd");
    return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(CommandLine, ParsesEveryFlagInBothForms) {
    const CommandLine a = parse({"--config", "/tmp/a.toml", "--jack-server", "studio",
                                 "--client-name", "fx", "--osc-port", "9000", "--state-dir",
                                 "/tmp/state", "--log-level", "debug", "--patch", "p.patch"});
    EXPECT_TRUE(a.errors.empty());
    EXPECT_EQ(a.config_path, "/tmp/a.toml");
    EXPECT_EQ(a.jack_server, "studio");
    EXPECT_EQ(a.client_name, "fx");
    EXPECT_EQ(a.osc_port, 9000);
    EXPECT_EQ(a.state_dir, "/tmp/state");
    EXPECT_EQ(a.log_level, "debug");
    EXPECT_EQ(a.patch, "p.patch");
    EXPECT_FALSE(a.help || a.version || a.check_config);

    const CommandLine b = parse({"--config=/tmp/b.toml", "--jack-server=", "--client-name=x=y",
                                 "--osc-port=1", "--log-level=off", "--patch="});
    EXPECT_TRUE(b.errors.empty());
    EXPECT_EQ(b.config_path, "/tmp/b.toml");
    EXPECT_EQ(b.jack_server, "");
    EXPECT_EQ(b.client_name, "x=y");
    EXPECT_EQ(b.osc_port, 1);
    EXPECT_EQ(b.log_level, "off");
    EXPECT_EQ(b.patch, "");
    EXPECT_FALSE(b.state_dir.has_value());
}

TEST(CommandLine, ParsesSwitches) {
    EXPECT_TRUE(parse({"--help"}).help);
    EXPECT_TRUE(parse({"-h"}).help);
    EXPECT_TRUE(parse({"--version"}).version);
    const CommandLine check = parse({"--check-config", "--config", "x.toml"});
    EXPECT_TRUE(check.check_config);
    EXPECT_EQ(check.config_path, "x.toml");
    EXPECT_TRUE(check.errors.empty());
    const CommandLine none = parse({});
    EXPECT_FALSE(none.help || none.version || none.check_config);
    EXPECT_FALSE(none.config_path.has_value());
    EXPECT_TRUE(none.errors.empty());
}

TEST(CommandLine, BadFlagsAreErrorsNamingTheFlag) {
    const struct {
        std::vector<const char*> args;
        std::string error;
    } cases[] = {
        {{"--frobnicate"}, "unknown option '--frobnicate' (see --help)"},
        {{"--frobnicate=1"}, "unknown option '--frobnicate' (see --help)"},
        {{"-x"}, "unknown option '-x' (see --help)"},
        {{"extra"}, "unexpected argument 'extra' (see --help)"},
        {{"--config"}, "option --config needs a value (--config FILE)"},
        {{"--client-name", "--help"}, "option --client-name needs a value (--client-name NAME)"},
        {{"--help=yes"}, "option --help takes no value"},
        {{"--osc-port", "70000"}, "option --osc-port needs a port number 1..65535 (got '70000')"},
        {{"--osc-port=0"}, "option --osc-port needs a port number 1..65535 (got '0')"},
        {{"--osc-port", "77x"}, "option --osc-port needs a port number 1..65535 (got '77x')"},
        {{"--osc-port="}, "option --osc-port needs a port number 1..65535 (got '')"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.error);
        const CommandLine command_line = parse(c.args);
        ASSERT_EQ(command_line.errors.size(), 1u);
        EXPECT_EQ(command_line.errors[0], c.error);
        EXPECT_FALSE(command_line.osc_port.has_value());
    }
}

TEST(CommandLine, OverridesWinOverTheFile) {
    LoadResult result = load(R"(log_level = "warn"
[jack]
server_name = "file_server"
client_name = "file_client"
[osc]
udp_port = 8000
tcp_port = 0
[paths]
state_dir = "/file/state"
patch = "file.patch"
)");
    ASSERT_TRUE(result.ok());
    const CommandLine command_line =
        parse({"--jack-server=cli_server", "--client-name", "cli_client", "--osc-port", "9100",
               "--state-dir", "/cli/state", "--log-level", "trace", "--patch="});
    std::vector<ConfigMessage> errors;
    apply_overrides(command_line, result.config, errors);
    EXPECT_TRUE(errors.empty()) << all_messages(errors);
    const DaemonConfig& c = result.config;
    EXPECT_EQ(c.jack.server_name, "cli_server");
    EXPECT_EQ(c.jack.client_name, "cli_client");
    EXPECT_EQ(c.osc.udp_port, 9100);
    EXPECT_EQ(c.osc.tcp_port, 9100);
    EXPECT_EQ(c.paths.state_dir, "/cli/state");
    EXPECT_EQ(c.log_level, "trace");
    EXPECT_EQ(c.paths.patch, "");
}

TEST(CommandLine, FlagsNotGivenLeaveTheConfigAlone) {
    DaemonConfig config = everything_changed();
    std::vector<ConfigMessage> errors;
    apply_overrides(parse({"--check-config"}), config, errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_TRUE(config == everything_changed());
}

TEST(CommandLine, BadOverrideValuesAreErrorsAndChangeNothing) {
    DaemonConfig config;
    std::vector<ConfigMessage> errors;
    apply_overrides(parse({"--log-level", "nonsense", "--client-name", "a:b", "--state-dir="}),
                    config, errors);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(format_message(errors[0]),
              "command line: --client-name: must not contain ':' (got 'a:b')");
    EXPECT_EQ(format_message(errors[1]), "command line: --state-dir: must not be empty");
    EXPECT_EQ(format_message(errors[2]),
              "command line: --log-level: must be one of trace, debug, info, warn, error, "
              "critical, off (got 'nonsense')");
    EXPECT_TRUE(config == DaemonConfig{});

    CommandLine forged;
    forged.osc_port = 0;
    apply_overrides(forged, config, errors);
    ASSERT_EQ(errors.size(), 4u);
    EXPECT_EQ(format_message(errors[3]),
              "command line: --osc-port: must be between 1 and 65535 (got 0)");
    EXPECT_EQ(config.osc.udp_port, 7711);
}

TEST(CommandLine, UsageListsEveryFlagOnItsOwnLine) {
    const std::string usage = usage_text();
    EXPECT_EQ(usage.rfind("Usage: rtgraphd", 0), 0u);
    for (const char* flag : {"--config FILE", "--jack-server NAME", "--client-name NAME",
                             "--osc-port PORT", "--state-dir DIR", "--log-level LEVEL",
                             "--patch FILE", "--check-config", "--help", "--version"}) {
        EXPECT_NE(usage.find("\n  " + std::string(flag) + " "), std::string::npos) << flag;
    }
}

TEST(CommandLine, EffectiveConfigIsFileThenFlags) {
    const CommandLine command_line =
        parse({"--config", kDefaultFile.c_str(), "--client-name", "second"});
    const LoadResult result = load_effective_config(command_line);
    EXPECT_TRUE(result.ok()) << all_messages(result.errors);
    EXPECT_EQ(result.source, kDefaultFile);
    DaemonConfig expected;
    expected.jack.client_name = "second";
    EXPECT_TRUE(result.config == expected);

    const LoadResult missing = load_effective_config(parse({"--config", "/nonexistent.toml"}));
    ASSERT_EQ(missing.errors.size(), 1u);
    EXPECT_EQ(format_message(missing.errors[0]),
              "/nonexistent.toml: cannot read: No such file or directory");
}

// --- config file search -------------------------------------------------------

TEST(ConfigSearch, EnvironmentThenSystemFileThenDefaults) {
    const std::string present = kDefaultFile;
    const std::string absent = std::string(RTGRAPH_BINARY_DIR) + "/no/such/file.toml";
    EXPECT_EQ(choose_config_path("/from/env.toml", present), "/from/env.toml");
    EXPECT_EQ(choose_config_path("/from/env.toml", absent), "/from/env.toml");
    EXPECT_EQ(choose_config_path("", present), present);  // set but empty: as if unset
    EXPECT_EQ(choose_config_path(nullptr, present), present);
    EXPECT_EQ(choose_config_path(nullptr, absent), std::nullopt);
}

// --- reload -------------------------------------------------------------------

TEST(Reload, ChangedKeysListsEveryKeyThatDiffers) {
    EXPECT_EQ(changed_keys(DaemonConfig{}, everything_changed()), kAllKeys);
    EXPECT_TRUE(changed_keys(everything_changed(), everything_changed()).empty());
}

TEST(Reload, RestartRequiredListsExactlyTheChangedRestartOnlyKeys) {
    DaemonConfig after;
    after.jack.client_name = "renamed";
    after.realtime.priority = 80;
    after.log_level = "debug";                                // live
    after.osc.meter_rate_hz = 20;                             // live
    after.osc.allow = {"10.0.0.0/8"};                         // live
    after.jack.autoconnect["out_1"] = {"system:playback_1"};  // live
    after.jack.stall_timeout_s = 1.0;                         // live
    EXPECT_EQ(restart_required(DaemonConfig{}, after),
              (std::vector<std::string>{"jack.client_name", "realtime.priority"}));
    EXPECT_EQ(changed_keys(DaemonConfig{}, after).size(), 7u);

    DaemonConfig live_only;
    live_only.log_level = "error";
    live_only.jack.reconnect_max_backoff_s = 60;
    EXPECT_TRUE(restart_required(DaemonConfig{}, live_only).empty());

    const std::vector<std::string> all = restart_required(DaemonConfig{}, everything_changed());
    EXPECT_EQ(all.size(), kAllKeys.size() - 6);
    for (const char* live : {"log_level", "osc.meter_rate_hz", "osc.allow", "jack.autoconnect",
                             "jack.stall_timeout_s", "jack.reconnect_max_backoff_s"}) {
        EXPECT_EQ(std::find(all.begin(), all.end(), live), all.end()) << live;
    }
}

// --- writing TOML back --------------------------------------------------------

TEST(ToToml, RoundTripsDefaultsAndEveryChangedValue) {
    for (const DaemonConfig& config : {DaemonConfig{}, everything_changed()}) {
        const std::string text = to_toml(config);
        SCOPED_TRACE(text);
        const LoadResult result = load(text);
        EXPECT_TRUE(result.ok()) << all_messages(result.errors);
        EXPECT_TRUE(result.warnings.empty()) << all_messages(result.warnings);
        EXPECT_TRUE(result.config == config);
    }
}

TEST(WorkerThreads, AutoIsOneFewerThanTheCpusAndRoundTrips) {
    const LoadResult result = load("[realtime]\nworker_threads = \"auto\"\n");
    ASSERT_TRUE(result.ok()) << all_messages(result.errors);
    EXPECT_EQ(result.config.realtime.worker_threads, kAutoWorkerThreads);
    const std::string text = to_toml(result.config);
    EXPECT_NE(text.find("worker_threads = 'auto'"), std::string::npos) << text;
    EXPECT_TRUE(load(text).config == result.config);

    EXPECT_EQ(resolve_worker_threads(kAutoWorkerThreads, 2), 1u);
    EXPECT_EQ(resolve_worker_threads(kAutoWorkerThreads, 1), 0u);
    EXPECT_EQ(resolve_worker_threads(kAutoWorkerThreads, 0), 0u);
    EXPECT_EQ(resolve_worker_threads(kAutoWorkerThreads, 200), kMaxWorkerThreads);
    EXPECT_EQ(resolve_worker_threads(3, 2), 3u) << "a number is taken as given";
}

}  // namespace
}  // namespace rtgraph::config
