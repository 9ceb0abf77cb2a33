// The command words (control/command_words.hpp) tested through the table:
// every verb's request and edit, the old spellings against the documented
// ones, and every error with its exact text, in scripts and on rtgraphctl's
// command line.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rtgraph/control/command_words.hpp"
#include "rtgraph/control/osc_api.hpp"

namespace rtgraph::control {
namespace {

// An edit as text with every field, so tests compare edits exactly.
std::string describe(const engine::Edit& edit) {
    using namespace engine;
    const auto number = [](float v) {
        std::string text = std::to_string(v);
        text.erase(text.find_last_not_of('0') + 1);
        if (text.back() == '.') text.pop_back();
        return text;
    };
    struct Visitor {
        decltype(number)& n;
        std::string operator()(const AddNode& e) const {
            std::string text = "add " + e.type + " " + e.name;
            for (const auto& [param, value] : e.params) text += " " + param + "=" + n(value);
            return text;
        }
        std::string operator()(const RemoveNode& e) const { return "remove " + e.name; }
        std::string operator()(const RenameNode& e) const { return "rename " + e.name + " " + e.new_name; }
        std::string operator()(const Connect& e) const {
            return "connect " + e.source + " " + e.destination + " " + n(e.gain);
        }
        std::string operator()(const Disconnect& e) const { return "disconnect " + e.source + " " + e.destination; }
        std::string operator()(const SetEdgeGain& e) const {
            return "edge-gain " + e.source + " " + e.destination + " " + n(e.gain);
        }
        std::string operator()(const SetParam& e) const {
            return "set " + e.node + " " + e.param + " " + n(e.value) + (e.ramp_ms ? " ramp " + n(*e.ramp_ms) : "");
        }
        std::string operator()(const AddGraphPort& e) const {
            return "port " + e.name + (e.direction == PortDirection::kInput ? " in" : " out") +
                   (e.kind == PortKind::kMidi ? " midi" : " audio");
        }
        std::string operator()(const RemoveGraphPort& e) const { return "port remove " + e.name; }
        std::string operator()(const BypassNode& e) const { return "bypass " + e.name + (e.bypassed ? " on" : " off"); }
        std::string operator()(const ClearGraph&) const { return "clear"; }
        std::string operator()(const MapMidi& e) const {
            std::string text = "midi map " + std::to_string(e.channel) + " " + std::to_string(e.controller) + " " +
                               e.node + " " + e.param;
            if (e.min) text += " " + n(*e.min);
            if (e.max) text += " " + n(*e.max);
            return text;
        }
        std::string operator()(const UnmapMidi& e) const {
            return "midi unmap " + std::to_string(e.channel) + " " + std::to_string(e.controller);
        }
    };
    return std::visit(Visitor{number}, edit);
}

Command parse(std::string_view line, WordsContext context) {
    Command command;
    std::string error;
    EXPECT_TRUE(parse_command_words(split_words(line), context, command, error)) << line << ": " << error;
    return command;
}

std::string error_of(std::string_view line, WordsContext context = WordsContext::kScript) {
    Command command;
    command.request.address = "/untouched";
    std::string error;
    EXPECT_FALSE(parse_command_words(split_words(line), context, command, error)) << line;
    EXPECT_EQ(command.request.address, "/untouched") << line << ": a refused command fills nothing in";
    EXPECT_FALSE(command.edit) << line;
    return error;
}

struct EditCase {
    std::string_view line;
    ClientMessage request;
    std::string edit;
};

const std::vector<EditCase>& edit_cases() {
    static const std::vector<EditCase> cases = {
        {"add sine osc", {"/node/add", {"sine", "osc"}}, "add sine osc"},
        {"add sine osc freq=220 amp=+0.5", {"/node/add", {"sine", "osc", "freq", 220.0f, "amp", 0.5f}},
         "add sine osc freq=220 amp=0.5"},
        {"remove osc", {"/node/remove", {"osc"}}, "remove osc"},
        {"rename osc lfo", {"/node/rename", {"osc", "lfo"}}, "rename osc lfo"},
        {"connect a:out b:in", {"/connect", {"a:out", "b:in"}}, "connect a:out b:in 1"},
        {"connect a:out graph:out_1 0.5", {"/connect", {"a:out", "graph:out_1", 0.5f}},
         "connect a:out graph:out_1 0.5"},
        {"disconnect a:out b:in", {"/disconnect", {"a:out", "b:in"}}, "disconnect a:out b:in"},
        {"edge-gain a:out b:in 2", {"/edge/gain", {"a:out", "b:in", 2.0f}}, "edge-gain a:out b:in 2"},
        {"set osc freq 440", {"/param/set", {"osc", "freq", 440.0f}}, "set osc freq 440"},
        {"set osc freq 440 --ramp 50", {"/param/set", {"osc", "freq", 440.0f, 50.0f}}, "set osc freq 440 ramp 50"},
        {"set --ramp=20 eq gain_db -6", {"/param/set", {"eq", "gain_db", -6.0f, 20.0f}},
         "set eq gain_db -6 ramp 20"},
        {"bypass osc on", {"/node/bypass", {"osc", true}}, "bypass osc on"},
        {"bypass osc off", {"/node/bypass", {"osc", false}}, "bypass osc off"},
        {"port add aux out", {"/port/add", {"aux", "out"}}, "port aux out audio"},
        {"port add keys in midi", {"/port/add", {"keys", "in", "midi"}}, "port keys in midi"},
        {"port remove aux", {"/port/remove", {"aux"}}, "port remove aux"},
        {"midi map 1 7 amp gain", {"/midi/map", {1, 7, "amp", "gain"}}, "midi map 1 7 amp gain"},
        {"midi map 16 127 amp gain -40 0", {"/midi/map", {16, 127, "amp", "gain", -40.0f, 0.0f}},
         "midi map 16 127 amp gain -40 0"},
        {"midi unmap 1 7", {"/midi/unmap", {1, 7}}, "midi unmap 1 7"},
        {"clear", {"/graph/clear", {}}, "clear"},
    };
    return cases;
}

TEST(CommandWords, EveryEditVerbMakesItsRequestAndItsEdit) {
    for (const EditCase& c : edit_cases()) {
        for (const WordsContext context : {WordsContext::kScript, WordsContext::kCommandLine}) {
            const Command command = parse(c.line, context);
            EXPECT_EQ(command.request, c.request) << c.line;
            ASSERT_TRUE(command.edit) << c.line;
            EXPECT_EQ(describe(*command.edit), c.edit) << c.line;
            ASSERT_NE(command.verb, nullptr);
            EXPECT_EQ(command.verb->kind, VerbKind::kEdit) << c.line;
        }
    }
}

// The spellings the two grammars had before: the same request and edit as
// the documented words, in scripts and on the command line.
TEST(CommandWords, OldSpellingsMeanTheDocumentedWords) {
    const std::pair<std::string_view, std::string_view> pairs[] = {
        {"gain a:out b:in 0.25", "edge-gain a:out b:in 0.25"},
        {"port out aux", "port add aux out"},
        {"port in keys midi", "port add keys in midi"},
        {"port in add", "port add add in"},
        {"unport aux", "port remove aux"},
        {"map 1 7 amp gain -40 0", "midi map 1 7 amp gain -40 0"},
        {"unmap 1 7", "midi unmap 1 7"},
        {"set osc freq 440 50", "set osc freq 440 --ramp 50"},
    };
    for (const auto& [old_words, documented] : pairs) {
        for (const WordsContext context : {WordsContext::kScript, WordsContext::kCommandLine}) {
            const Command then = parse(old_words, context);
            const Command now = parse(documented, context);
            EXPECT_EQ(then.request, now.request) << old_words;
            ASSERT_TRUE(then.edit && now.edit) << old_words;
            EXPECT_EQ(describe(*then.edit), describe(*now.edit)) << old_words;
        }
    }
    for (const CommandVerb& verb : command_verbs()) {
        if (verb.kind != VerbKind::kOldSpelling) continue;
        bool found = false;
        for (const CommandVerb& documented : command_verbs()) {
            found = found || (documented.kind == VerbKind::kEdit && documented.words == verb.spelled &&
                              documented.address == verb.address);
        }
        EXPECT_TRUE(found) << verb.words << " names no documented verb with its address";
    }
}

TEST(CommandWords, RequestsOnTheCommandLine) {
    const std::pair<std::string_view, ClientMessage> cases[] = {
        {"get osc freq", {"/param/get", {"osc", "freq"}}},
        {"midi learn amp gain", {"/midi/learn", {"amp", "gain"}}},
        {"midi learn amp gain -40 0", {"/midi/learn", {"amp", "gain", -40.0f, 0.0f}}},
        {"path smp urn:sample /tmp/a.wav", {"/node/path", {"smp", "urn:sample", "/tmp/a.wav"}}},
        {"dump", {"/graph/dump", {}}},
        {"status", {"/status", {}}},
        {"types", {"/types", {}}},
        {"types sine", {"/types", {"sine"}}},
        {"plugins", {"/plugins", {}}},
        {"plugins reverb", {"/plugins", {"reverb"}}},
        {"plugins rescan", {"/plugins/rescan", {}}},
        {"outputs comp", {"/node/outputs", {"comp"}}},
        {"version", {"/version", {}}},
        {"api", {"/api", {}}},
        {"snapshot save live-1", {"/snapshot/save", {"live-1"}}},
        {"snapshot load live-1", {"/snapshot/load", {"live-1"}}},
        {"snapshot list", {"/snapshot/list", {}}},
        {"snapshot delete ../x", {"/snapshot/delete", {"../x"}}},  // the daemon judges names
    };
    for (const auto& [line, request] : cases) {
        const Command command = parse(line, WordsContext::kCommandLine);
        EXPECT_EQ(command.request, request) << line;
        EXPECT_FALSE(command.edit) << line;
        EXPECT_EQ(command.verb->kind, VerbKind::kRequest) << line;
        const std::string words(command.verb->words);
        EXPECT_EQ(error_of(line, WordsContext::kScript),
                  "'" + words + "' is not a graph edit: patch scripts and rtgraphctl batch hold edits only "
                                "(run it as a command)");
    }
    // Every verb in the table is one of the cases above or in edit_cases().
    std::set<std::string_view> tested;
    for (const EditCase& c : edit_cases()) tested.insert(parse(c.line, WordsContext::kScript).verb->words);
    for (const auto& [line, request] : cases) tested.insert(parse(line, WordsContext::kCommandLine).verb->words);
    for (const CommandVerb& verb : command_verbs()) {
        if (verb.kind != VerbKind::kOldSpelling) {
            EXPECT_TRUE(tested.count(verb.words)) << verb.words << " untested";
        }
    }
}

TEST(CommandWords, EveryVerbNamesARealAddressAndASaneCount) {
    std::set<std::string_view> documented;
    for (const CommandVerb& verb : command_verbs()) {
        bool known = false;
        for (const OscAddress& address : osc_addresses()) known = known || address.path == verb.address;
        EXPECT_TRUE(known) << verb.words << " -> " << verb.address;
        EXPECT_LE(verb.min_args, verb.max_args) << verb.words;
        EXPECT_NE(verb.parse, nullptr) << verb.words;
        if (verb.kind != VerbKind::kOldSpelling) {
            EXPECT_TRUE(documented.insert(verb.words).second) << verb.words << " twice";
            EXPECT_FALSE(verb.summary.empty()) << verb.words;
        }
    }
    EXPECT_EQ(usage_line(command_verbs()[0]), "add TYPE NAME [PARAM=VALUE ...]");
}

TEST(CommandWords, UsageErrors) {
    EXPECT_EQ(error_of(""), "empty command");
    EXPECT_EQ(error_of("add sine"), "usage: add TYPE NAME [PARAM=VALUE ...]");
    EXPECT_EQ(error_of("add sine", WordsContext::kCommandLine), "usage: rtgraphctl add TYPE NAME [PARAM=VALUE ...]");
    EXPECT_EQ(error_of("remove"), "usage: remove NAME");
    EXPECT_EQ(error_of("remove a b"), "usage: remove NAME");
    EXPECT_EQ(error_of("rename a"), "usage: rename NAME NEW_NAME");
    EXPECT_EQ(error_of("connect a:out"), "usage: connect SRC DST [GAIN]");
    EXPECT_EQ(error_of("connect a b 1 2"), "usage: connect SRC DST [GAIN]");
    EXPECT_EQ(error_of("disconnect a:out"), "usage: disconnect SRC DST");
    EXPECT_EQ(error_of("edge-gain a:out b:in"), "usage: edge-gain SRC DST GAIN");
    EXPECT_EQ(error_of("gain a:out b:in", WordsContext::kCommandLine), "usage: rtgraphctl gain SRC DST GAIN");
    EXPECT_EQ(error_of("set osc freq"), "usage: set NODE PARAM VALUE [--ramp MS]");
    EXPECT_EQ(error_of("set osc freq 1 2 --ramp=3"), "usage: set NODE PARAM VALUE [--ramp MS]");
    EXPECT_EQ(error_of("bypass osc"), "usage: bypass NODE on|off");
    EXPECT_EQ(error_of("clear now"), "'clear' takes no arguments");
    EXPECT_EQ(error_of("dump now", WordsContext::kCommandLine), "'dump' takes no arguments");
    EXPECT_EQ(error_of("types a b", WordsContext::kCommandLine), "usage: rtgraphctl types [FILTER]");
}

// A verb of two words: a wrong or missing second word, or a wrong count,
// shows every verb of the group, those with the same arguments together.
TEST(CommandWords, GroupUsage) {
    const std::string port = "port add NAME in|out [audio|midi] | port remove NAME";
    EXPECT_EQ(error_of("port"), "usage: " + port);
    EXPECT_EQ(error_of("port frob x"), "usage: " + port);
    EXPECT_EQ(error_of("port add p"), "usage: " + port);
    EXPECT_EQ(error_of("port remove"), "usage: " + port);
    EXPECT_EQ(error_of("port", WordsContext::kCommandLine), "usage: rtgraphctl " + port);
    EXPECT_EQ(error_of("port out"), "usage: port out NAME [audio|midi]");  // an old spelling: its own
    const std::string midi = "midi map CHANNEL CC NODE PARAM [MIN MAX] | midi unmap CHANNEL CC";
    EXPECT_EQ(error_of("midi"), "usage: " + midi);
    EXPECT_EQ(error_of("midi map 1 7 amp gain -40"), "usage: " + midi);
    EXPECT_EQ(error_of("midi unmap 1"), "usage: " + midi);
    EXPECT_EQ(error_of("midi", WordsContext::kCommandLine),
              "usage: rtgraphctl " + midi + " | midi learn NODE PARAM [MIN MAX]");
    EXPECT_EQ(error_of("midi learn a b 1", WordsContext::kCommandLine),
              "usage: rtgraphctl " + midi + " | midi learn NODE PARAM [MIN MAX]");
    EXPECT_EQ(error_of("map 1 7 amp gain -40"), "usage: map CHANNEL CC NODE PARAM [MIN MAX]");
    const std::string snapshot = "usage: rtgraphctl snapshot save|load|delete NAME | snapshot list";
    EXPECT_EQ(error_of("snapshot", WordsContext::kCommandLine), snapshot);
    EXPECT_EQ(error_of("snapshot rename a", WordsContext::kCommandLine), snapshot);
    EXPECT_EQ(error_of("snapshot save", WordsContext::kCommandLine), snapshot);
    EXPECT_EQ(error_of("snapshot list now", WordsContext::kCommandLine), "'snapshot list' takes no arguments");
    EXPECT_EQ(error_of("plugins a b", WordsContext::kCommandLine), "usage: rtgraphctl plugins [FILTER] | plugins rescan");
}

TEST(CommandWords, ArgumentErrors) {
    EXPECT_EQ(error_of("add sine osc freq"), "initial parameter 'freq' must be written PARAM=VALUE");
    EXPECT_EQ(error_of("add sine osc =1"), "initial parameter '=1' must be written PARAM=VALUE");
    EXPECT_EQ(error_of("add sine osc freq=high"), "parameter value must be a number, got 'high'");
    EXPECT_EQ(error_of("connect a:out b:in loud"), "GAIN must be a number, got 'loud'");
    EXPECT_EQ(error_of("edge-gain a:out b:in x"), "GAIN must be a number, got 'x'");
    EXPECT_EQ(error_of("set a freq 44O"), "value must be a number, got '44O'");
    EXPECT_EQ(error_of("set osc freq 1 --ramp"), "--ramp needs a time in milliseconds");
    EXPECT_EQ(error_of("set osc freq 1 --ramp soon"), "--ramp must be a number, got 'soon'");
    EXPECT_EQ(error_of("set osc freq 1 --ramp=soon"), "--ramp must be a number, got 'soon'");
    EXPECT_EQ(error_of("set osc freq 1 soon"), "ramp time must be a number, got 'soon'");
    EXPECT_EQ(error_of("set osc freq 1 --fast"), "set has one option, --ramp MS; got '--fast'");
    EXPECT_EQ(error_of("bypass osc yes"), "bypass takes 'on' or 'off', got 'yes'");
    EXPECT_EQ(error_of("port add p up"), "port direction must be 'in' or 'out', got 'up'");
    EXPECT_EQ(error_of("port add p in video"), "port kind must be 'audio' or 'midi', got 'video'");
    EXPECT_EQ(error_of("port in p video"), "port kind must be 'audio' or 'midi', got 'video'");
    EXPECT_EQ(error_of("midi map one 7 amp gain"), "CHANNEL must be a whole number, got 'one'");
    EXPECT_EQ(error_of("midi map 1 7.5 amp gain"), "CC must be a whole number, got '7.5'");
    EXPECT_EQ(error_of("midi map 1 7 amp gain low 0"), "MIN must be a number, got 'low'");
    EXPECT_EQ(error_of("midi map 1 7 amp gain 0 high"), "MAX must be a number, got 'high'");
    EXPECT_EQ(error_of("midi unmap 1 x"), "CC must be a whole number, got 'x'");
    EXPECT_EQ(error_of("midi learn a b low 1", WordsContext::kCommandLine), "MIN must be a number, got 'low'");
}

TEST(CommandWords, UnknownAndMisplacedVerbs) {
    EXPECT_EQ(error_of("frobnicate"),
              "unknown command 'frobnicate' (known: add remove rename connect disconnect edge-gain set bypass "
              "port midi clear)");
    EXPECT_EQ(error_of("frob", WordsContext::kCommandLine), "unknown command 'frob' (see rtgraphctl --help)");
    const std::string only_edits = "' is not a graph edit: patch scripts and rtgraphctl batch hold edits only "
                                   "(run it as a command)";
    EXPECT_EQ(error_of("snapshot save x"), "'snapshot save" + only_edits);
    EXPECT_EQ(error_of("snapshot"), "'snapshot" + only_edits);
    EXPECT_EQ(error_of("midi learn amp gain"), "'midi learn" + only_edits);
    EXPECT_EQ(error_of("get osc freq"), "'get" + only_edits);
}

TEST(CommandWords, Numbers) {
    EXPECT_EQ(parse_float("440"), 440.0f);
    EXPECT_EQ(parse_float("+2"), 2.0f);
    EXPECT_EQ(parse_float("-6.5"), -6.5f);
    EXPECT_EQ(parse_float("1e3"), 1000.0f);
    EXPECT_FALSE(parse_float(""));
    EXPECT_FALSE(parse_float("+-1"));
    EXPECT_FALSE(parse_float("1x"));
    EXPECT_EQ(parse_int("16"), 16);
    EXPECT_FALSE(parse_int("1.0"));
    EXPECT_FALSE(parse_int(""));
    EXPECT_EQ(split_words(" \tadd  sine\r osc \r"), (std::vector<std::string_view>{"add", "sine", "osc"}));
}

}  // namespace
}  // namespace rtgraph::control
