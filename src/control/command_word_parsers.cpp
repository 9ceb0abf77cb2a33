// The command words' argument parsers: a verb's arguments (already counted)
// to its OSC request and, for graph edits, its engine::Edit. The verb table
// in command_words.cpp points at these.
#include "command_word_parsers.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rtgraph::control::words {

namespace {

ClientValue text(std::string_view word) { return std::string(word); }

// --------------------------------------------------------------- argument errors
// Every message about one argument is made here. A parser that returns false
// with `error` empty means "these arguments do not fit the usage", and the
// caller writes the usage line.

bool number(std::string_view word, std::string_view label, float& out, std::string& error) {
    if (const std::optional<float> value = parse_float(word)) {
        out = *value;
        return true;
    }
    error = std::string(label) + " must be a number, got '" + std::string(word) + "'";
    return false;
}

bool whole_number(std::string_view word, std::string_view label, int& out, std::string& error) {
    if (const std::optional<int> value = parse_int(word)) {
        out = *value;
        return true;
    }
    error = std::string(label) + " must be a whole number, got '" + std::string(word) + "'";
    return false;
}

bool one_of(std::string_view word, std::string_view what, std::string_view first, std::string_view second,
            std::string& error) {
    if (word == first || word == second) return true;
    error = std::string(what) + " '" + std::string(first) + "' or '" + std::string(second) + "', got '" +
            std::string(word) + "'";
    return false;
}

}  // namespace

// --------------------------------------------------------------- graph edits

bool parse_add(Args a, Command& c, std::string& error) {
    engine::AddNode add{std::string(a[0]), std::string(a[1]), {}};
    c.request.args = {text(a[0]), text(a[1])};
    for (const std::string_view assignment : a.subspan(2)) {
        const std::size_t eq = assignment.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            error = "initial parameter '" + std::string(assignment) + "' must be written PARAM=VALUE";
            return false;
        }
        float value = 0.0f;
        if (!number(assignment.substr(eq + 1), "parameter value", value, error)) return false;
        add.params.emplace_back(std::string(assignment.substr(0, eq)), value);
        c.request.args.push_back(text(assignment.substr(0, eq)));
        c.request.args.emplace_back(value);
    }
    c.edit = std::move(add);
    return true;
}

bool parse_remove(Args a, Command& c, std::string&) {
    c.request.args = {text(a[0])};
    c.edit = engine::RemoveNode{std::string(a[0])};
    return true;
}

bool parse_rename(Args a, Command& c, std::string&) {
    c.request.args = {text(a[0]), text(a[1])};
    c.edit = engine::RenameNode{std::string(a[0]), std::string(a[1])};
    return true;
}

bool parse_connect(Args a, Command& c, std::string& error) {
    c.request.args = {text(a[0]), text(a[1])};
    float gain = 1.0f;
    if (a.size() == 3) {
        if (!number(a[2], "GAIN", gain, error)) return false;
        c.request.args.emplace_back(gain);
    }
    c.edit = engine::Connect{std::string(a[0]), std::string(a[1]), gain};
    return true;
}

bool parse_disconnect(Args a, Command& c, std::string&) {
    c.request.args = {text(a[0]), text(a[1])};
    c.edit = engine::Disconnect{std::string(a[0]), std::string(a[1])};
    return true;
}

bool parse_edge_gain(Args a, Command& c, std::string& error) {
    float gain = 1.0f;
    if (!number(a[2], "GAIN", gain, error)) return false;
    c.request.args = {text(a[0]), text(a[1]), gain};
    c.edit = engine::SetEdgeGain{std::string(a[0]), std::string(a[1]), gain};
    return true;
}

// NODE PARAM VALUE with --ramp MS (or --ramp=MS) anywhere among them, or the
// old spelling: the ramp as a fourth word.
bool parse_set(Args a, Command& c, std::string& error) {
    std::vector<std::string_view> positional;
    std::optional<std::string_view> ramp;
    std::string_view ramp_label = "--ramp";
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == "--ramp") {
            if (i + 1 >= a.size()) {
                error = "--ramp needs a time in milliseconds";
                return false;
            }
            ramp = a[++i];
        } else if (a[i].starts_with("--ramp=")) {
            ramp = a[i].substr(7);
        } else if (a[i].starts_with("--")) {
            error = "set has one option, --ramp MS; got '" + std::string(a[i]) + "'";
            return false;
        } else {
            positional.push_back(a[i]);
        }
    }
    if (positional.size() == 4 && !ramp) {
        ramp = positional.back();
        ramp_label = "ramp time";
        positional.pop_back();
    }
    if (positional.size() != 3) return false;
    engine::SetParam set{std::string(positional[0]), std::string(positional[1]), 0.0f, std::nullopt};
    if (!number(positional[2], "value", set.value, error)) return false;
    c.request.args = {text(positional[0]), text(positional[1]), set.value};
    if (ramp) {
        float ms = 0.0f;
        if (!number(*ramp, ramp_label, ms, error)) return false;
        set.ramp_ms = ms;
        c.request.args.emplace_back(ms);
    }
    c.edit = std::move(set);
    return true;
}

bool parse_bypass(Args a, Command& c, std::string& error) {
    if (!one_of(a[1], "bypass takes", "on", "off", error)) return false;
    c.request.args = {text(a[0]), a[1] == "on"};
    c.edit = engine::BypassNode{std::string(a[0]), a[1] == "on"};
    return true;
}

namespace {

// NAME in|out [audio|midi]; the kind is sent only when written.
bool add_port(std::string_view name, std::string_view direction, std::optional<std::string_view> kind, Command& c,
              std::string& error) {
    if (!one_of(direction, "port direction must be", "in", "out", error)) return false;
    if (kind && !one_of(*kind, "port kind must be", "audio", "midi", error)) return false;
    c.request.args = {text(name), text(direction)};
    if (kind) c.request.args.push_back(text(*kind));
    c.edit = engine::AddGraphPort{std::string(name),
                                  kind == "midi" ? engine::PortKind::kMidi : engine::PortKind::kAudio,
                                  direction == "in" ? engine::PortDirection::kInput : engine::PortDirection::kOutput};
    return true;
}

}  // namespace

bool parse_port_add(Args a, Command& c, std::string& error) {
    return add_port(a[0], a[1], a.size() == 3 ? std::optional(a[2]) : std::nullopt, c, error);
}

// Old spelling "port in|out NAME [audio|midi]": the direction is in the verb.
bool parse_port_in_or_out(Args a, Command& c, std::string& error) {
    const std::string_view direction = c.verb->words.substr(c.verb->words.find(' ') + 1);
    return add_port(a[0], direction, a.size() == 2 ? std::optional(a[1]) : std::nullopt, c, error);
}

bool parse_port_remove(Args a, Command& c, std::string&) {
    c.request.args = {text(a[0])};
    c.edit = engine::RemoveGraphPort{std::string(a[0])};
    return true;
}

bool parse_midi_map(Args a, Command& c, std::string& error) {
    if (a.size() == 5) return false;  // MIN without MAX
    engine::MapMidi map{0, 0, std::string(a[2]), std::string(a[3]), std::nullopt, std::nullopt};
    if (!whole_number(a[0], "CHANNEL", map.channel, error) || !whole_number(a[1], "CC", map.controller, error)) {
        return false;
    }
    c.request.args = {std::int32_t{map.channel}, std::int32_t{map.controller}, text(a[2]), text(a[3])};
    if (a.size() == 6) {
        float low = 0.0f;
        float high = 0.0f;
        if (!number(a[4], "MIN", low, error) || !number(a[5], "MAX", high, error)) return false;
        map.min = low;
        map.max = high;
        c.request.args.emplace_back(low);
        c.request.args.emplace_back(high);
    }
    c.edit = std::move(map);
    return true;
}

bool parse_midi_unmap(Args a, Command& c, std::string& error) {
    engine::UnmapMidi unmap{0, 0};
    if (!whole_number(a[0], "CHANNEL", unmap.channel, error) || !whole_number(a[1], "CC", unmap.controller, error)) {
        return false;
    }
    c.request.args = {std::int32_t{unmap.channel}, std::int32_t{unmap.controller}};
    c.edit = unmap;
    return true;
}

bool parse_clear(Args, Command& c, std::string&) {
    c.edit = engine::ClearGraph{};
    return true;
}

// --------------------------------------------------------------- requests

// Every argument as a string, as written (names, filters, paths).
bool parse_names(Args a, Command& c, std::string&) {
    for (const std::string_view word : a) c.request.args.push_back(text(word));
    return true;
}

bool parse_midi_learn(Args a, Command& c, std::string& error) {
    if (a.size() == 3) return false;  // MIN without MAX
    c.request.args = {text(a[0]), text(a[1])};
    if (a.size() == 4) {
        float low = 0.0f;
        float high = 0.0f;
        if (!number(a[2], "MIN", low, error) || !number(a[3], "MAX", high, error)) return false;
        c.request.args.emplace_back(low);
        c.request.args.emplace_back(high);
    }
    return true;
}

}  // namespace rtgraph::control::words
