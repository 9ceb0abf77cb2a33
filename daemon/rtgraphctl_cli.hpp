// rtgraphctl's command line: its options, and the command words (the verb
// table of control/command_words.hpp, plus rtgraphctl's own watch, batch,
// export, import and help) as the request to send and how to show the reply.
// No sockets and no liblo here (nor in the headers it includes: messages,
// values, rendering, batch), so the tests link it as it is.
//
// Threads: rtgraphctl is single-threaded; everything here may allocate.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "rtgraphctl_batch.hpp"
#include "rtgraphctl_message.hpp"
#include "rtgraphctl_render.hpp"
#include "rtgraphctl_values.hpp"

namespace rtgraph::ctl {

struct Options {
    std::string host = "127.0.0.1";
    int port = 7711;
    bool udp = false;
    int timeout_ms = 2000;
    bool json = false;
};

enum class Mode {
    kHelp,           // print the usage text
    kClientVersion,  // --version: rtgraphctl's own version, no daemon needed
    kRequest,        // one request, one reply
    kWatch,          // /subscribe, print notifications, /unsubscribe
    kBatch,          // a patch script as one bundle
    kExport,         // /graph/export, written to a file
    kImport,         // a file sent as /graph/import
};

struct Invocation {
    Options options;
    Mode mode = Mode::kHelp;
    Message request;           // kRequest; kWatch: the /subscribe
    Show show = Show::kChange;
    std::string batch_source;  // kBatch, kImport: a file, or "-" for stdin; kExport: "-" is stdout
    std::string error;         // a usage error when not empty

    bool ok() const { return error.empty(); }
};

// The --help text: the options, then every documented verb from the table.
std::string usage_text();

// The arguments after the program name. The options may come before or after
// COMMAND (rtgraphctl dump --json); before it, anything else that starts with
// '-' is an unknown option; after it, words that are not rtgraphctl's options
// (a negative number, set's --ramp) belong to the command.
Invocation parse_invocation(std::span<const std::string_view> args);

}  // namespace rtgraph::ctl
