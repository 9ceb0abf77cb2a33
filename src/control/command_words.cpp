// The command words: the verb table, and how words find their verb and what
// a usage error says (control thread and rtgraphctl; see command_words.hpp).
// The argument parsers the table points at are command_word_parsers.cpp.
#include "rtgraph/control/command_words.hpp"

#include <algorithm>
#include <charconv>

#include "command_word_parsers.hpp"

namespace rtgraph::control {

namespace {

using namespace words;

constexpr std::size_t kManyArgs = 63;  // add: a script line of 64 words at most

using enum VerbKind;

// Documented verbs first, in --help order; then the old spellings.
constexpr CommandVerb kVerbs[] = {
    {"add", "TYPE NAME [PARAM=VALUE ...]", "add a node", "/node/add", kEdit, {}, 2, kManyArgs, parse_add},
    {"remove", "NAME", "remove a node", "/node/remove", kEdit, {}, 1, 1, parse_remove},
    {"rename", "NAME NEW_NAME", "rename a node", "/node/rename", kEdit, {}, 2, 2, parse_rename},
    {"connect", "SRC DST [GAIN]", "connect two endpoints", "/connect", kEdit, {}, 2, 3, parse_connect},
    {"disconnect", "SRC DST", "remove a connection", "/disconnect", kEdit, {}, 2, 2, parse_disconnect},
    {"edge-gain", "SRC DST GAIN", "change a connection's gain", "/edge/gain", kEdit, {}, 3, 3, parse_edge_gain},
    {"set", "NODE PARAM VALUE [--ramp MS]", "set a parameter", "/param/set", kEdit, {}, 3, 5,
     parse_set},
    {"bypass", "NODE on|off", "bypass a node, or end it", "/node/bypass", kEdit, {}, 2, 2, parse_bypass},
    {"port add", "NAME in|out [audio|midi]", "add a graph-level JACK port", "/port/add", kEdit, {}, 2, 3,
     parse_port_add},
    {"port remove", "NAME", "remove a graph-level JACK port", "/port/remove", kEdit, {}, 1, 1, parse_port_remove},
    {"midi map", "CHANNEL CC NODE PARAM [MIN MAX]", "bind a MIDI controller", "/midi/map", kEdit, {}, 4, 6,
     parse_midi_map},
    {"midi unmap", "CHANNEL CC", "remove a controller's bindings", "/midi/unmap", kEdit, {}, 2, 2,
     parse_midi_unmap},
    {"clear", "", "remove all nodes and connections", "/graph/clear", kEdit, {}, 0, 0, parse_clear},

    {"get", "NODE PARAM", "a parameter's value and range", "/param/get", kRequest, {}, 2, 2, parse_names},
    {"midi learn", "NODE PARAM [MIN MAX]", "bind the next controller moved", "/midi/learn", kRequest, {}, 2, 4,
     parse_midi_learn},
    {"path", "NODE PROPERTY_URI FILE", "send an LV2 plugin a file", "/node/path", kRequest, {}, 3, 3, parse_names},
    {"dump", "", "the graph, as JSON", "/graph/dump", kRequest, {}, 0, 0, parse_names},
    {"status", "", "audio figures and counters, JSON", "/status", kRequest, {}, 0, 0, parse_names},
    {"types", "[FILTER]", "node types and parameters, JSON", "/types", kRequest, {}, 0, 1, parse_names},
    {"plugins", "[FILTER]", "installed LV2/LADSPA plugins, JSON", "/plugins", kRequest, {}, 0, 1, parse_names},
    {"plugins rescan", "", "scan the plugin paths again", "/plugins/rescan", kRequest, {}, 0, 0, parse_names},
    {"outputs", "NODE", "a plugin's control outputs, JSON", "/node/outputs", kRequest, {}, 1, 1, parse_names},
    {"version", "", "the daemon's and API's versions", "/version", kRequest, {}, 0, 0, parse_names},
    {"api", "", "every OSC address the daemon has", "/api", kRequest, {}, 0, 0, parse_names},
    {"snapshot save", "NAME", "save the graph as a named snapshot", "/snapshot/save", kRequest, {}, 1, 1,
     parse_names},
    {"snapshot load", "NAME", "replace the graph with a snapshot", "/snapshot/load", kRequest, {}, 1, 1,
     parse_names},
    {"snapshot list", "", "the saved snapshots' names", "/snapshot/list", kRequest, {}, 0, 0, parse_names},
    {"snapshot delete", "NAME", "delete a snapshot", "/snapshot/delete", kRequest, {}, 1, 1, parse_names},

    // Old spellings: rtgraphctl's "gain", the patch scripts' port and MIDI words.
    {"gain", "SRC DST GAIN", "", "/edge/gain", kOldSpelling, "edge-gain", 3, 3, parse_edge_gain},
    {"port in", "NAME [audio|midi]", "", "/port/add", kOldSpelling, "port add", 1, 2, parse_port_in_or_out},
    {"port out", "NAME [audio|midi]", "", "/port/add", kOldSpelling, "port add", 1, 2, parse_port_in_or_out},
    {"unport", "NAME", "", "/port/remove", kOldSpelling, "port remove", 1, 1, parse_port_remove},
    {"map", "CHANNEL CC NODE PARAM [MIN MAX]", "", "/midi/map", kOldSpelling, "midi map", 4, 6, parse_midi_map},
    {"unmap", "CHANNEL CC", "", "/midi/unmap", kOldSpelling, "midi unmap", 2, 2, parse_midi_unmap},
};

std::string_view head_word(std::string_view words) { return words.substr(0, words.find(' ')); }

std::size_t word_count(std::string_view words) { return words.find(' ') == std::string_view::npos ? 1 : 2; }

bool allowed(const CommandVerb& verb, WordsContext context) {
    return context == WordsContext::kCommandLine || verb.kind != kRequest;
}

bool matches(const CommandVerb& verb, std::span<const std::string_view> words) {
    if (word_count(verb.words) == 1) return words[0] == verb.words;
    const std::size_t space = verb.words.find(' ');
    return words.size() >= 2 && words[0] == verb.words.substr(0, space) && words[1] == verb.words.substr(space + 1);
}

// The documented verbs that start with `head` and may be written here, as
// one line: "snapshot save|load|delete NAME | snapshot list". Two-word verbs
// with the same arguments share one alternative.
std::string group_usage(std::string_view head, WordsContext context) {
    struct Alternative {
        std::string words;  // "snapshot save|load|delete"
        std::string_view usage;
        bool two_words;
    };
    std::vector<Alternative> alternatives;
    for (const CommandVerb& verb : kVerbs) {
        if (verb.kind == kOldSpelling || !allowed(verb, context) || head_word(verb.words) != head) continue;
        const bool two_words = word_count(verb.words) == 2;
        Alternative* same = nullptr;
        for (Alternative& alternative : alternatives) {
            if (two_words && alternative.two_words && alternative.usage == verb.usage) same = &alternative;
        }
        if (same) {
            same->words += "|" + std::string(verb.words.substr(head.size() + 1));
        } else {
            alternatives.push_back({std::string(verb.words), verb.usage, two_words});
        }
    }
    std::string line;
    for (const Alternative& alternative : alternatives) {
        if (!line.empty()) line += " | ";
        line += alternative.words;
        if (!alternative.usage.empty()) line += " " + std::string(alternative.usage);
    }
    return line;
}

// "usage: rtgraphctl " on the command line, "usage: " in a script.
std::string usage_prefix(WordsContext context) {
    return context == WordsContext::kCommandLine ? "usage: rtgraphctl " : "usage: ";
}

std::string usage_error(const CommandVerb& verb, WordsContext context) {
    if (verb.max_args == 0) return "'" + std::string(verb.words) + "' takes no arguments";
    const std::string_view head = head_word(verb.words);
    std::size_t siblings = 0;
    for (const CommandVerb& other : kVerbs) {
        siblings += other.kind != kOldSpelling && allowed(other, context) && head_word(other.words) == head;
    }
    const bool grouped = verb.kind != kOldSpelling && siblings > 1;
    return usage_prefix(context) + (grouped ? group_usage(head, context) : usage_line(verb));
}

std::string not_an_edit(std::string_view words) {
    return "'" + std::string(words) +
           "' is not a graph edit: patch scripts and rtgraphctl batch hold edits only (run it as a command)";
}

std::string unknown_command(std::string_view verb, WordsContext context) {
    std::string error = "unknown command '" + std::string(verb) + "'";
    if (context == WordsContext::kCommandLine) return error + " (see rtgraphctl --help)";
    std::vector<std::string_view> heads;
    for (const CommandVerb& v : kVerbs) {
        const std::string_view head = head_word(v.words);
        if (v.kind == kEdit && std::find(heads.begin(), heads.end(), head) == heads.end()) heads.push_back(head);
    }
    error += " (known:";
    for (const std::string_view head : heads) error += " " + std::string(head);
    return error + ")";
}

}  // namespace

std::span<const CommandVerb> command_verbs() { return kVerbs; }

std::string usage_line(const CommandVerb& verb) {
    return std::string(verb.words) + (verb.usage.empty() ? "" : " " + std::string(verb.usage));
}

bool parse_command_words(std::span<const std::string_view> words, WordsContext context, Command& command,
                         std::string& error) {
    if (words.empty()) {
        error = "empty command";
        return false;
    }
    const CommandVerb* verb = nullptr;
    for (const CommandVerb& candidate : kVerbs) {
        if (matches(candidate, words) && (!verb || word_count(candidate.words) > word_count(verb->words))) {
            verb = &candidate;
        }
    }
    if (!verb) {
        bool head_known = false;
        bool head_allowed = false;
        for (const CommandVerb& candidate : kVerbs) {
            if (candidate.kind == kOldSpelling || head_word(candidate.words) != words[0]) continue;
            head_known = true;
            head_allowed = head_allowed || allowed(candidate, context);
        }
        if (!head_known) {
            error = unknown_command(words[0], context);
        } else if (!head_allowed) {
            error = not_an_edit(words[0]);
        } else {
            error = usage_prefix(context) + group_usage(words[0], context);
        }
        return false;
    }
    if (!allowed(*verb, context)) {
        error = not_an_edit(verb->words);
        return false;
    }
    const std::span<const std::string_view> args = words.subspan(word_count(verb->words));
    if (args.size() < verb->min_args || args.size() > verb->max_args) {
        error = usage_error(*verb, context);
        return false;
    }
    Command parsed;
    parsed.verb = verb;
    parsed.request.address = std::string(verb->address);
    std::string why;
    if (!verb->parse(args, parsed, why)) {
        error = why.empty() ? usage_error(*verb, context) : std::move(why);
        return false;
    }
    command = std::move(parsed);
    return true;
}

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (i < line.size()) {
        while (i < line.size() && blank(line[i])) ++i;
        const std::size_t start = i;
        while (i < line.size() && !blank(line[i])) ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

std::optional<float> parse_float(std::string_view text) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
    float value = 0.0f;
    const char* last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(text.data(), last, value);
    if (text.empty() || ec != std::errc() || end != last) return std::nullopt;
    return value;
}

std::optional<int> parse_int(std::string_view text) {
    int value = 0;
    const char* last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(text.data(), last, value);
    if (text.empty() || ec != std::errc() || end != last) return std::nullopt;
    return value;
}

}  // namespace rtgraph::control
