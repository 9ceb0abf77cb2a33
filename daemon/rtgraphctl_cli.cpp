// rtgraphctl's command line (see rtgraphctl_cli.hpp).
#include "rtgraphctl_cli.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "rtgraph/control/command_words.hpp"

namespace rtgraph::ctl {

namespace {

constexpr std::size_t kAnyNumber = static_cast<std::size_t>(-1);

// rtgraphctl's own verbs: what it does around a request (or several).
struct ClientVerb {
    std::string_view words;
    std::string_view usage;
    std::string_view summary;
    std::string_view address;  // the request it sends, if one
    std::size_t min_args = 0;
    std::size_t max_args = 0;
    Mode mode = Mode::kRequest;
};

constexpr ClientVerb kClientVerbs[] = {
    {"watch", "[TOPIC ...]", "print notifications until Ctrl-C", "/subscribe", 0, kAnyNumber, Mode::kWatch},
    {"batch", "[FILE|-]", "run a script of graph edits", "", 0, 1, Mode::kBatch},
    {"export", "FILE|-", "write the graph as a JSON patch", "/graph/export", 1, 1, Mode::kExport},
    {"import", "FILE|-", "replace the graph with one", "/graph/import", 1, 1, Mode::kImport},
    {"help", "", "show this help", "", 0, 0, Mode::kHelp},
};

// Lines --help shows under a verb.
constexpr std::pair<std::string_view, std::string_view> kHelpNotes[] = {
    {"types", "(unfiltered, plugin types by name only)"},
    {"snapshot delete", "(NAME: 1-64 of A-Z a-z 0-9 . _ -, not starting with '.')"},
    {"watch", "(topics: xrun graph param meter status; none: all)"},
    {"batch", "as ONE transaction (one bundle): all of it or nothing; - or none: stdin"},
    {"export", "(the state file's format; - is stdout)"},
    {"import", "(a JSON patch or a dump, in one swap; - is stdin)"},
};

// "  connect SRC DST [GAIN]              connect two endpoints             /connect"
std::string help_line(std::string_view words, std::string_view usage, std::string_view summary,
                      std::string_view address) {
    constexpr std::size_t kUsageWidth = 36;
    constexpr std::size_t kSummaryWidth = 34;
    std::string line = "  " + std::string(words) + (usage.empty() ? "" : " " + std::string(usage));
    if (line.size() + 1 > kUsageWidth + 2) {
        line += "\n" + std::string(kUsageWidth + 2, ' ');
    } else {
        line.resize(kUsageWidth + 2, ' ');
    }
    std::string rest(summary);
    if (!address.empty()) rest.resize(std::max(rest.size() + 1, kSummaryWidth), ' ');
    line += rest + std::string(address);
    for (const auto& [verb, note] : kHelpNotes) {
        if (verb == words) line += "\n" + std::string(kUsageWidth + 2, ' ') + std::string(note);
    }
    return line + "\n";
}

Invocation usage_error(Invocation invocation, std::string error) {
    invocation.error = std::move(error);
    return invocation;
}

// COMMAND ARGS: one of rtgraphctl's own verbs, or a request from the command
// words. Fills the invocation's mode, request and show; false with `error`.
bool parse_command(std::span<const std::string_view> words, Invocation& invocation, std::string& error) {
    const std::span<const std::string_view> args = words.subspan(1);
    for (const ClientVerb& verb : kClientVerbs) {
        if (words[0] != verb.words) continue;
        if (args.size() < verb.min_args || args.size() > verb.max_args) {
            error = "usage: rtgraphctl " + std::string(verb.words) + (verb.usage.empty() ? "" : " ") +
                    std::string(verb.usage);
            return false;
        }
        invocation.mode = verb.mode;
        invocation.request = {std::string(verb.address), {}};
        invocation.show = verb.mode == Mode::kWatch ? Show::kPlain : Show::kChange;
        if (verb.mode == Mode::kWatch) {
            for (const std::string_view topic : args) invocation.request.args.emplace_back(std::string(topic));
        } else if (verb.mode != Mode::kHelp) {
            invocation.batch_source = args.empty() ? "-" : std::string(args[0]);
        }
        return true;
    }
    control::Command command;
    if (!control::parse_command_words(words, control::WordsContext::kCommandLine, command, error)) return false;
    invocation.mode = Mode::kRequest;
    invocation.request = std::move(command.request);
    invocation.show = show_for(invocation.request.address);
    return true;
}

}  // namespace

std::string usage_text() {
    std::string text = R"(usage: rtgraphctl [OPTIONS] COMMAND [ARGS...]

Controls a running rtgraphd over OSC (TCP by default).

Options (before or after COMMAND):
  --host HOST     daemon host or address (default 127.0.0.1)
  --port PORT     daemon OSC port (default 7711)
  --udp           use UDP instead of TCP
  --tcp           use TCP (the default)
  --timeout MS    how long to wait for connecting and for the reply (default 2000)
  --json          print replies as JSON objects
  -h, --help      show this help
  --version       show rtgraphctl's version (the 'version' command asks the daemon)

Graph edits (the same words make patch scripts and batch scripts):
)";
    const auto verbs = [&](control::VerbKind kind) {
        for (const control::CommandVerb& verb : control::command_verbs()) {
            if (verb.kind == kind) text += help_line(verb.words, verb.usage, verb.summary, verb.address);
        }
    };
    verbs(control::VerbKind::kEdit);
    text += "\nRequests:\n";
    verbs(control::VerbKind::kRequest);
    text += "\nrtgraphctl's own:\n";
    for (const ClientVerb& verb : kClientVerbs) text += help_line(verb.words, verb.usage, verb.summary, verb.address);
    text += R"(
Endpoints are NODE:PORT or graph:PORT (a graph port); an external JACK port
(system:playback_1) connects to a graph port. A batch script is one graph edit
per line, as above; '#' starts a comment.

Output: "ok" and any notes on stdout, or "error: CODE: MESSAGE" on stderr.
With --json, one JSON object on stdout: {"ok":true,"address":...,"results":[...]}
or {"ok":false,"address":...,"code":...,"message":...}; watch prints one object
per notification.

Exit status: 0 done, 1 the daemon answered with an error, 2 usage error,
3 no connection or no reply within the timeout.
)";
    return text;
}

Invocation parse_invocation(std::span<const std::string_view> args) {
    Invocation invocation;
    Options& o = invocation.options;
    std::vector<std::string_view> words;
    bool help = false, version = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::string_view value;
        bool has_value = false;
        if (const std::size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        const bool takes_value = arg == "--host" || arg == "--port" || arg == "--timeout";
        const bool is_switch = arg == "--udp" || arg == "--tcp" || arg == "--json" || arg == "-h" ||
                               arg == "--help" || arg == "--version";
        if (!takes_value && !is_switch) {
            if (words.empty() && arg.starts_with("-") && arg != "-") {
                return usage_error(invocation, "unknown option '" + std::string(arg) + "' (see --help)");
            }
            words.push_back(args[i]);
            continue;
        }
        if (takes_value && !has_value) {
            if (i + 1 >= args.size()) {
                return usage_error(invocation, "option " + std::string(arg) + " needs a value");
            }
            value = args[++i];
        } else if (!takes_value && has_value) {
            return usage_error(invocation, "option " + std::string(arg) + " takes no value");
        }
        if (arg == "--host") {
            if (value.empty()) return usage_error(invocation, "--host needs a host name or address");
            o.host = std::string(value);
        } else if (arg == "--port") {
            const std::optional<int> port = parse_int(value);
            if (!port || *port < 1 || *port > 65535) {
                return usage_error(invocation,
                                           "--port needs a port number 1..65535, got '" + std::string(value) + "'");
            }
            o.port = *port;
        } else if (arg == "--timeout") {
            const std::optional<int> ms = parse_int(value);
            if (!ms || *ms < 1) {
                return usage_error(invocation,
                                           "--timeout needs a time in milliseconds (>= 1), got '" +
                                               std::string(value) + "'");
            }
            o.timeout_ms = *ms;
        } else if (arg == "--udp") {
            o.udp = true;
        } else if (arg == "--tcp") {
            o.udp = false;
        } else if (arg == "--json") {
            o.json = true;
        } else if (arg == "--version") {
            version = true;
        } else {
            help = true;
        }
    }
    if (help) {
        invocation.mode = Mode::kHelp;
        return invocation;
    }
    if (version) {
        invocation.mode = Mode::kClientVersion;
        return invocation;
    }
    if (words.empty()) return usage_error(invocation, "no command given (see --help)");
    std::string error;
    if (!parse_command(words, invocation, error)) return usage_error(invocation, std::move(error));
    return invocation;
}

}  // namespace rtgraph::ctl
