// rtgraphctl batch: a patch script (the text syntax of patch_script.hpp) as
// the list of OSC requests that rtgraphctl sends in one bundle.
//
// Threads: rtgraphctl's only thread; allocates.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rtgraphctl_cli.hpp"

namespace rtgraph::ctl {

struct BatchParse {
    std::vector<BatchItem> items;  // one per command line, in order
    int error_line = 0;            // where the script is wrong (0: nowhere)
    std::string error;             // empty when the script parsed

    bool ok() const { return error.empty(); }
};

// Validates the script with control::parse_patch_script (same words, same
// messages as patch files and rtgraph-render), then maps each command line to
// its OSC request. "at" lines are refused unless they say 0: a batch is one
// immediate transaction.
BatchParse parse_batch(std::string_view text);

}  // namespace rtgraph::ctl
