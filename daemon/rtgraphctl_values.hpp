// rtgraphctl's numbers and argument values as text and JSON: the shortest
// text that reads back as the same float, and floats that crossed the wire as
// doubles turned back into their short form.
//
// Threads: rtgraphctl's only thread; allocates.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rtgraphctl_message.hpp"

namespace rtgraph::ctl {

// Whole-text numbers, as the command words read them ("+2", "1e3").
using control::parse_float;
using control::parse_int;

// Shortest text that reads back as the same float: 440, 0.1, -6.5.
std::string format_float(float value);
std::string format_double(double value);

// A float that crossed the wire as a double (the daemon's JSON writes floats
// as doubles: 0.009999999776482582) back to its short form (0.01), recursively.
// Doubles that are not exactly a float stay as they are.
void tidy_floats(nlohmann::json& value);

nlohmann::json to_json(const Value& value);
std::string to_text(const Value& value);

}  // namespace rtgraph::ctl
