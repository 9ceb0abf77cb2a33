// One grammar: the same command words make the same OSC request on
// rtgraphctl's command line, in rtgraphctl batch and in a patch script; and
// --help and the README document every verb of the table.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../../daemon/rtgraphctl_cli.hpp"
#include "rtgraph/control/command_words.hpp"
#include "rtgraph/control/control_error.hpp"
#include "rtgraph/control/osc_api.hpp"
#include "rtgraph/control/patch_script.hpp"

namespace rtgraph::ctl {
namespace {

// Every edit verb, in its documented and its old spelling, with the optional
// arguments left out and written.
constexpr std::string_view kEditLines[] = {
    "add sine osc",
    "add sine osc freq=220 amp=0.3",
    "remove osc",
    "rename osc lfo",
    "connect a:out b:in",
    "connect a:out b:in 1",
    "connect a:out graph:out_1 0.5",
    "disconnect a:out b:in",
    "edge-gain a:out b:in 0.25",
    "gain a:out b:in 0.25",
    "set osc freq 440",
    "set osc freq 440 --ramp 50",
    "set osc freq 440 50",
    "set eq gain_db -6 --ramp=20",
    "bypass osc on",
    "bypass osc off",
    "port add aux out",
    "port add keys in midi",
    "port out aux",
    "port in keys midi",
    "port remove aux",
    "unport aux",
    "midi map 1 7 amp gain",
    "midi map 1 7 amp gain -40 0",
    "map 1 7 amp gain -40 0",
    "midi unmap 1 7",
    "unmap 1 7",
    "clear",
};

TEST(CommandWordsAgree, CommandLineBatchAndPatchScriptSendTheSameRequest) {
    for (const std::string_view line : kEditLines) {
        const std::vector<std::string_view> words = control::split_words(line);
        const Invocation invocation = parse_invocation(words);
        ASSERT_TRUE(invocation.ok()) << line << ": " << invocation.error;
        EXPECT_EQ(invocation.mode, Mode::kRequest) << line;
        EXPECT_EQ(invocation.show, Show::kChange) << line;

        const BatchParse batch = parse_batch(std::string(line) + "\n");
        ASSERT_TRUE(batch.ok()) << line << ": " << batch.error;
        ASSERT_EQ(batch.items.size(), 1u) << line;
        EXPECT_EQ(batch.items[0].message, invocation.request) << line;
        EXPECT_EQ(batch.items[0].text, line);

        const control::ScriptParse script = control::parse_patch_script(line);
        ASSERT_TRUE(script.ok()) << line << ": " << script.error;
        ASSERT_EQ(script.transactions[0].requests.size(), 1u) << line;
        EXPECT_EQ(script.transactions[0].requests[0], invocation.request) << line;
    }
}

// What the command line sends is exactly what the old rtgraphctl sent (the
// optional arguments only when written), and a batch now sends the same.
TEST(CommandWordsAgree, BatchSendsTheWordsNotARewrittenEdit) {
    const BatchParse batch = parse_batch("port out aux\nconnect a:out b:in 1\nset osc freq 440 50\n");
    ASSERT_TRUE(batch.ok()) << batch.error;
    ASSERT_EQ(batch.items.size(), 3u);
    EXPECT_EQ(batch.items[0].message, (Message{"/port/add", {"aux", "out"}}));
    EXPECT_EQ(batch.items[1].message, (Message{"/connect", {"a:out", "b:in", 1.0f}}));
    EXPECT_EQ(batch.items[2].message, (Message{"/param/set", {"osc", "freq", 440.0f, 50.0f}}));
    EXPECT_EQ(batch.items[2].line, 3);
}

TEST(CommandWordsAgree, ABatchHoldsEditsOnly) {
    const BatchParse batch = parse_batch("add sine a\nget a freq\n");
    EXPECT_FALSE(batch.ok());
    EXPECT_EQ(batch.error_line, 2);
    EXPECT_EQ(batch.error,
              "'get' is not a graph edit: patch scripts and rtgraphctl batch hold edits only (run it as a command)");
    const BatchParse bad = parse_batch("gain a:out b:in\n");
    EXPECT_EQ(bad.error, "usage: gain SRC DST GAIN");
    EXPECT_EQ(parse_invocation(control::split_words("gain a:out b:in")).error, "usage: rtgraphctl gain SRC DST GAIN");
}

std::string read_readme() {
    std::ifstream file(std::string(RTGRAPH_SOURCE_DIR) + "/README.md");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// Documented once, from the table: --help lists every documented verb with
// its usage and address, the README lists the same usage lines, and neither
// lists an old spelling as a command.
TEST(CommandWordsAgree, HelpAndReadmeDocumentEveryVerb) {
    const std::string help = usage_text();
    const std::string readme = read_readme();
    ASSERT_FALSE(readme.empty());
    for (const control::CommandVerb& verb : control::command_verbs()) {
        const std::string line = control::usage_line(verb);
        if (verb.kind == control::VerbKind::kOldSpelling) {
            EXPECT_EQ(help.find("\n  " + line), std::string::npos) << line << " is listed in --help";
            EXPECT_EQ(readme.find("\n" + line + " "), std::string::npos) << line << " is listed in the README";
            continue;
        }
        const std::size_t at = help.find("\n  " + line);
        ASSERT_NE(at, std::string::npos) << line << " missing from --help";
        const char after = help[at + 3 + line.size()];
        EXPECT_TRUE(after == ' ' || after == '\n') << line << " is only the start of a line in --help";
        EXPECT_NE(help.find(std::string(verb.address) + "\n"), std::string::npos) << verb.address;
        EXPECT_NE(readme.find(line), std::string::npos) << line << " missing from the README";
    }
}

// Every OSC address but /unsubscribe (sent by watch itself) is one
// rtgraphctl command away, and --help says which.
TEST(CommandWordsAgree, EveryAddressHasACommand) {
    const std::string help = usage_text();
    for (const control::OscAddress& address : control::osc_addresses()) {
        if (address.path == "/unsubscribe") continue;
        EXPECT_NE(help.find(" " + std::string(address.path) + "\n"), std::string::npos) << address.path;
    }
}

// Every /error code a client can get, the control plane's and the engine's,
// is listed in the README's reply conventions.
TEST(ReadmeTest, ListsEveryErrorCode) {
    const std::string readme = read_readme();
    for (int code = 0; code <= static_cast<int>(control::ControlError::kIoError); ++code) {
        const std::string name = control::error_name(static_cast<control::ControlError>(code));
        EXPECT_NE(readme.find("`" + name + "`"), std::string::npos) << name << " missing from the README";
    }
    for (const rtgraph::engine::ErrorCode code :
         {rtgraph::engine::ErrorCode::kUnknownType, rtgraph::engine::ErrorCode::kUnknownNode, rtgraph::engine::ErrorCode::kUnknownPort,
          rtgraph::engine::ErrorCode::kUnknownParam, rtgraph::engine::ErrorCode::kDuplicateName, rtgraph::engine::ErrorCode::kInvalidName,
          rtgraph::engine::ErrorCode::kPortKindMismatch, rtgraph::engine::ErrorCode::kPortDirection,
          rtgraph::engine::ErrorCode::kWouldCreateCycle, rtgraph::engine::ErrorCode::kNotFinite,
          rtgraph::engine::ErrorCode::kAlreadyConnected, rtgraph::engine::ErrorCode::kNotConnected,
          rtgraph::engine::ErrorCode::kCreationOnlyParam, rtgraph::engine::ErrorCode::kTooManyGraphPorts,
          rtgraph::engine::ErrorCode::kBadMidiMap, rtgraph::engine::ErrorCode::kBusy, rtgraph::engine::ErrorCode::kInstantiationFailed}) {
        const std::string name = rtgraph::engine::error_name(code);
        EXPECT_NE(readme.find("`" + name + "`"), std::string::npos) << name << " missing from the README";
    }
}

}  // namespace
}  // namespace rtgraph::ctl
