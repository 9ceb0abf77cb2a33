// rtgraphctl batch: a patch script (the command words, as in patch files) as
// the list of OSC requests that rtgraphctl sends in one bundle.
//
// Threads: rtgraphctl's only thread; allocates.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rtgraphctl_message.hpp"

namespace rtgraph::ctl {

struct BatchItem {
    int line = 0;        // in the script
    std::string text;    // the command as written (comment stripped, trimmed)
    Message message;     // without the request id
};

struct BatchParse {
    std::vector<BatchItem> items;  // one per command line, in order
    int error_line = 0;            // where the script is wrong (0: nowhere)
    std::string error;             // empty when the script parsed

    bool ok() const { return error.empty(); }
};

// Reads the script with control::parse_patch_script (same words, same
// messages as patch files, rtgraph-render and rtgraphctl's command line):
// each command line becomes the request its words make. "at" lines are
// refused unless they say 0: a batch is one immediate transaction.
BatchParse parse_batch(std::string_view text);

}  // namespace rtgraph::ctl
