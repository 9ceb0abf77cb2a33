// Patch scripts: graph edits as text, one command per line, in the command
// words of command_words.hpp (the same words rtgraphctl takes), plus
//
//   at SECONDS      (the commands after it form one transaction at that time)
//
// '#' starts a comment. Endpoints are node:port or graph:port. Only graph
// edits may be written (no queries).
//
// Threads: control thread (parsing allocates); rtgraph-render and
// rtgraphctl batch parse on their only thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rtgraph/control/command_words.hpp"
#include "rtgraph/engine/edit.hpp"
#include "rtgraph/engine/model.hpp"

namespace rtgraph::control {

// Where one edit came from, for messages that point at the script.
struct ScriptSource {
    int line = 0;
    std::string text;  // the command, without comment or surrounding blanks
};

struct ScriptTransaction {
    double at_seconds = 0.0;
    int line = 0;  // where it starts, for messages
    std::vector<engine::Edit> edits;
    std::vector<ScriptSource> sources;  // one per edit
    std::vector<ClientMessage> requests;  // one per edit: the OSC request its words make
};

struct ScriptParse {
    std::vector<ScriptTransaction> transactions;
    int error_line = 0;         // 0 when the script parsed
    std::string error;          // what is wrong on error_line

    bool ok() const { return error.empty(); }
};

// [nrt] One command line (no "at", no comment) to an Edit. False with
// `error` set on failure.
bool parse_command(std::string_view line, engine::Edit& edit, std::string& error);

// [nrt] A whole script. Commands before the first "at" happen at time 0.
ScriptParse parse_patch_script(std::string_view text);

// [nrt] The model as a script that rebuilds it: graph ports, nodes with every
// parameter value, connections with their gains. Deterministic, so two dumps
// compare equal exactly when the models are the same. Written in the
// documented spellings.
std::string write_patch_script(const engine::Model& model);

}  // namespace rtgraph::control
