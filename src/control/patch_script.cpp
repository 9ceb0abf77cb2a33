// Patch scripts: lines of command words, grouped by "at" (control thread).
#include "rtgraph/control/patch_script.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace rtgraph::control {

namespace {

bool parse_seconds(std::string_view text, double& out) {
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

}  // namespace

bool parse_command(std::string_view line, engine::Edit& edit, std::string& error) {
    Command command;
    if (!parse_command_words(split_words(line), WordsContext::kScript, command, error)) return false;
    edit = std::move(*command.edit);
    return true;
}

ScriptParse parse_patch_script(std::string_view text) {
    ScriptParse result;
    result.transactions.push_back(ScriptTransaction{0.0, 1, {}, {}, {}});
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
            if (words.size() != 2 || !parse_seconds(words[1], seconds) || !std::isfinite(seconds) ||
                seconds < result.transactions.back().at_seconds) {
                result.error_line = line_number;
                result.error = "usage: at SECONDS (a number, not earlier than the previous 'at')";
                return result;
            }
            result.transactions.push_back(ScriptTransaction{seconds, line_number, {}, {}, {}});
            continue;
        }
        Command parsed;
        std::string error;
        if (!parse_command_words(words, WordsContext::kScript, parsed, error)) {
            result.error_line = line_number;
            result.error = std::move(error);
            return result;
        }
        result.transactions.back().edits.push_back(std::move(*parsed.edit));
        result.transactions.back().requests.push_back(std::move(parsed.request));
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
        out += "port add " + port.name + (port.direction == PortDirection::kInput ? " in" : " out") +
               (port.kind == PortKind::kMidi ? " midi" : "") + "\n";
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
        out += "midi map " + std::to_string(map.channel + 1) + " " + std::to_string(map.controller) + " " +
               node->name + " " + node->type->params[map.param].name + " " + number(map.min) + " " +
               number(map.max) + "\n";
    }
    return out;
}

}  // namespace rtgraph::control
