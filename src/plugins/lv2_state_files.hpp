// The files an LV2 plugin state names, found before the state reaches lilv.
//
// lilv hands a plugin every file URI and atom:Path value of a state as a
// path, and the plugin opens it: a saved or imported state is a way to make
// the daemon open a file, and must pass the same check as /node/path. This
// reads the state's Turtle with serd (as lilv does) and collects every file
// URI in any position, after prefixes and @base are applied, and every
// literal typed atom:Path.
//
// Threads: [nrt] control thread.
#pragma once

#include <string>
#include <vector>

namespace rtgraph::plugins {

struct StateFiles {
    bool parsed = false;             // false: not Turtle serd can read (`error` says why)
    std::vector<std::string> paths;  // as written: absolute or not, resolved or not
    std::string error;
};

StateFiles lv2_state_files(const std::string& turtle);

}  // namespace rtgraph::plugins
