// Patch script parsing (control thread).
#include "rtgraph/control/patch_script.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace rtgraph::control {

namespace {

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

bool parse_number(std::string_view text, float& out) {
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool parse_number(std::string_view text, double& out) {
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool expect_count(const std::vector<std::string_view>& words, std::size_t min, std::size_t max,
                  const char* usage, std::string& error) {
    if (words.size() >= min && words.size() <= max) return true;
    error = std::string("usage: ") + usage;
    return false;
}

bool number_arg(std::string_view text, const char* what, float& out, std::string& error) {
    if (parse_number(text, out)) return true;
    error = std::string(what) + " must be a number, got '" + std::string(text) + "'";
    return false;
}

}  // namespace

bool parse_command(std::string_view line, engine::Edit& edit, std::string& error) {
    using namespace engine;
    const std::vector<std::string_view> w = split_words(line);
    if (w.empty()) {
        error = "empty command";
        return false;
    }
    const std::string_view verb = w[0];
    const auto s = [](std::string_view v) { return std::string(v); };

    if (verb == "add") {
        if (!expect_count(w, 3, 64, "add TYPE NAME [PARAM=VALUE ...]", error)) return false;
        AddNode add{s(w[1]), s(w[2]), {}};
        for (std::size_t i = 3; i < w.size(); ++i) {
            const std::size_t eq = w[i].find('=');
            float value = 0.0f;
            if (eq == std::string_view::npos || eq == 0) {
                error = "initial parameter '" + s(w[i]) + "' must be written PARAM=VALUE";
                return false;
            }
            if (!number_arg(w[i].substr(eq + 1), "parameter value", value, error)) return false;
            add.params.emplace_back(s(w[i].substr(0, eq)), value);
        }
        edit = std::move(add);
    } else if (verb == "remove") {
        if (!expect_count(w, 2, 2, "remove NAME", error)) return false;
        edit = RemoveNode{s(w[1])};
    } else if (verb == "rename") {
        if (!expect_count(w, 3, 3, "rename NAME NEW_NAME", error)) return false;
        edit = RenameNode{s(w[1]), s(w[2])};
    } else if (verb == "connect") {
        if (!expect_count(w, 3, 4, "connect SRC DST [GAIN]", error)) return false;
        float gain = 1.0f;
        if (w.size() == 4 && !number_arg(w[3], "gain", gain, error)) return false;
        edit = Connect{s(w[1]), s(w[2]), gain};
    } else if (verb == "disconnect") {
        if (!expect_count(w, 3, 3, "disconnect SRC DST", error)) return false;
        edit = Disconnect{s(w[1]), s(w[2])};
    } else if (verb == "edge-gain") {
        if (!expect_count(w, 4, 4, "edge-gain SRC DST GAIN", error)) return false;
        float gain = 1.0f;
        if (!number_arg(w[3], "gain", gain, error)) return false;
        edit = SetEdgeGain{s(w[1]), s(w[2]), gain};
    } else if (verb == "set") {
        if (!expect_count(w, 4, 5, "set NODE PARAM VALUE [RAMP_MS]", error)) return false;
        SetParam set{s(w[1]), s(w[2]), 0.0f, std::nullopt};
        if (!number_arg(w[3], "value", set.value, error)) return false;
        if (w.size() == 5) {
            float ramp = 0.0f;
            if (!number_arg(w[4], "ramp time", ramp, error)) return false;
            set.ramp_ms = ramp;
        }
        edit = std::move(set);
    } else if (verb == "port") {
        if (!expect_count(w, 3, 4, "port in|out NAME [audio|midi]", error)) return false;
        AddGraphPort port{s(w[2]), PortKind::kAudio, PortDirection::kOutput};
        if (w[1] == "in") {
            port.direction = PortDirection::kInput;
        } else if (w[1] != "out") {
            error = "port direction must be 'in' or 'out', got '" + s(w[1]) + "'";
            return false;
        }
        if (w.size() == 4) {
            if (w[3] == "midi") {
                port.kind = PortKind::kMidi;
            } else if (w[3] != "audio") {
                error = "port kind must be 'audio' or 'midi', got '" + s(w[3]) + "'";
                return false;
            }
        }
        edit = std::move(port);
    } else if (verb == "unport") {
        if (!expect_count(w, 2, 2, "unport NAME", error)) return false;
        edit = RemoveGraphPort{s(w[1])};
    } else if (verb == "bypass") {
        if (!expect_count(w, 3, 3, "bypass NAME on|off", error)) return false;
        if (w[2] != "on" && w[2] != "off") {
            error = "bypass takes 'on' or 'off', got '" + s(w[2]) + "'";
            return false;
        }
        edit = BypassNode{s(w[1]), w[2] == "on"};
    } else if (verb == "map") {
        if (!expect_count(w, 5, 7, "map CHANNEL CC NODE PARAM [MIN MAX]", error) ||
            w.size() == 6) {
            error = "usage: map CHANNEL CC NODE PARAM [MIN MAX]";
            return false;
        }
        float channel = 0.0f;
        float controller = 0.0f;
        if (!number_arg(w[1], "MIDI channel", channel, error)) return false;
        if (!number_arg(w[2], "MIDI controller", controller, error)) return false;
        MapMidi map{static_cast<int>(channel), static_cast<int>(controller), s(w[3]), s(w[4]),
                    std::nullopt, std::nullopt};
        if (w.size() == 7) {
            float low = 0.0f;
            float high = 0.0f;
            if (!number_arg(w[5], "minimum", low, error)) return false;
            if (!number_arg(w[6], "maximum", high, error)) return false;
            map.min = low;
            map.max = high;
        }
        edit = std::move(map);
    } else if (verb == "unmap") {
        if (!expect_count(w, 3, 3, "unmap CHANNEL CC", error)) return false;
        float channel = 0.0f;
        float controller = 0.0f;
        if (!number_arg(w[1], "MIDI channel", channel, error)) return false;
        if (!number_arg(w[2], "MIDI controller", controller, error)) return false;
        edit = UnmapMidi{static_cast<int>(channel), static_cast<int>(controller)};
    } else if (verb == "clear") {
        if (!expect_count(w, 1, 1, "clear", error)) return false;
        edit = ClearGraph{};
    } else {
        error = "unknown command '" + s(verb) +
                "' (known: add remove rename connect disconnect edge-gain set port unport bypass "
                "map unmap clear)";
        return false;
    }
    return true;
}

ScriptParse parse_patch_script(std::string_view text) {
    ScriptParse result;
    result.transactions.push_back(ScriptTransaction{0.0, 1, {}, {}});
    int line_number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
            line = line.substr(0, hash);
        }
        const std::vector<std::string_view> words = split_words(line);
        if (words.empty()) continue;
        if (words[0] == "at") {
            double seconds = 0.0;
            if (words.size() != 2 || !parse_number(words[1], seconds) || !std::isfinite(seconds) ||
                seconds < result.transactions.back().at_seconds) {
                result.error_line = line_number;
                result.error = "usage: at SECONDS (a number, not earlier than the previous 'at')";
                return result;
            }
            result.transactions.push_back(ScriptTransaction{seconds, line_number, {}, {}});
            continue;
        }
        engine::Edit edit;
        std::string error;
        if (!parse_command(line, edit, error)) {
            result.error_line = line_number;
            result.error = std::move(error);
            return result;
        }
        result.transactions.back().edits.push_back(std::move(edit));
        const std::string_view command(words.front().data(),
                                       static_cast<std::size_t>(words.back().data() + words.back().size() -
                                                                words.front().data()));
        result.transactions.back().sources.push_back(ScriptSource{line_number, std::string(command)});
    }
    return result;
}

std::string write_patch_script(const engine::Model& model) {
    using namespace engine;
    const auto number = [](float value) {
        char text[32];
        std::snprintf(text, sizeof text, "%.9g", static_cast<double>(value));
        return std::string(text);
    };
    std::string out;
    for (const GraphPort& port : model.graph_ports()) {
        out += std::string("port ") + (port.direction == PortDirection::kInput ? "in " : "out ") +
               port.name + (port.kind == PortKind::kMidi ? " midi" : "") + "\n";
    }
    for (const auto& [id, node] : model.nodes()) {
        out += "add " + node.type->name + " " + node.name;
        for (std::size_t i = 0; i < node.params.size(); ++i) {
            out += " " + node.type->params[i].name + "=" + number(node.params[i]);
        }
        out += "\n";
        if (node.bypassed) out += "bypass " + node.name + " on\n";
    }
    for (const ModelEdge& edge : model.edges()) {
        out += "connect " + model.describe(edge.source) + " " + model.describe(edge.destination);
        if (edge.gain != 1.0f) out += " " + number(edge.gain);
        out += "\n";
    }
    for (const MidiMap& map : model.midi_maps()) {
        const ModelNode* node = model.node(map.node);
        out += "map " + std::to_string(map.channel + 1) + " " + std::to_string(map.controller) + " " +
               node->name + " " + node->type->params[map.param].name + " " + number(map.min) + " " +
               number(map.max) + "\n";
    }
    return out;
}

}  // namespace rtgraph::control
