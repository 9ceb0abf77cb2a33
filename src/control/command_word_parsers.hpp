// The command words' argument parsers (internal to src/control). Each takes
// a verb's arguments, already counted against the table's min/max, and fills
// command.request's arguments and, for graph edits, command.edit. False with
// `error` set names the wrong word; false with `error` empty means the
// arguments do not fit the usage (the caller writes the usage line).
//
// Threads: whoever parses words (control thread, rtgraphctl); may allocate.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "rtgraph/control/command_words.hpp"

namespace rtgraph::control::words {

using Args = std::span<const std::string_view>;

bool parse_add(Args args, Command& command, std::string& error);
bool parse_remove(Args args, Command& command, std::string& error);
bool parse_rename(Args args, Command& command, std::string& error);
bool parse_connect(Args args, Command& command, std::string& error);
bool parse_disconnect(Args args, Command& command, std::string& error);
bool parse_edge_gain(Args args, Command& command, std::string& error);
bool parse_set(Args args, Command& command, std::string& error);
bool parse_bypass(Args args, Command& command, std::string& error);
bool parse_port_add(Args args, Command& command, std::string& error);
bool parse_port_in_or_out(Args args, Command& command, std::string& error);
bool parse_port_remove(Args args, Command& command, std::string& error);
bool parse_midi_map(Args args, Command& command, std::string& error);
bool parse_midi_unmap(Args args, Command& command, std::string& error);
bool parse_clear(Args args, Command& command, std::string& error);
bool parse_names(Args args, Command& command, std::string& error);
bool parse_midi_learn(Args args, Command& command, std::string& error);

}  // namespace rtgraph::control::words
