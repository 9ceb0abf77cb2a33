// rtgraphctl's pure part: its command line, the OSC requests a command
// becomes, patch-script edits as requests, and how replies are printed (text
// or JSON). No sockets and no liblo here, so tests can use it as it is; it is
// header-only so that they need no library beyond the engine headers and
// nlohmann_json (header-only too).
//
// Threads: rtgraphctl is single-threaded; everything here may allocate.
#pragma once

#include <algorithm>
#include <charconv>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "rtgraph/engine/edit.hpp"

namespace rtgraph::ctl {

// Exit codes (documented in the usage text).
inline constexpr int kExitOk = 0;           // /done
inline constexpr int kExitError = 1;        // /error (the daemon refused)
inline constexpr int kExitUsage = 2;        // bad command line or batch script
inline constexpr int kExitUnreachable = 3;  // no connection, or no reply in time

// An OSC blob: documents too long for an OSC string (/graph/import).
struct Blob {
    std::vector<std::uint8_t> bytes;
    bool operator==(const Blob&) const = default;
};

// One OSC argument as rtgraphctl sends or receives it. bool is T/F.
using Value = std::variant<std::int32_t, std::int64_t, float, double, std::string, bool, Blob>;

struct Message {
    std::string address;
    std::vector<Value> args;

    bool operator==(const Message&) const = default;
};

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

// How a successful reply is shown.
enum class Show {
    kChange,   // "ok" and any notes
    kParam,    // /param/get: value, range, default, unit
    kVersion,  // /version
    kApi,      // /api: a table
    kJson,     // /graph/dump, /status, /types: one JSON string, pretty-printed
    kPlain,    // "ok"
    kList,     // /snapshot/list: one result per line
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

inline const char* usage_text() {
    return R"(usage: rtgraphctl [OPTIONS] COMMAND [ARGS...]

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

Commands:
  add TYPE NAME [PARAM=VALUE ...]     add a node                        /node/add
  remove NAME                         remove a node                     /node/remove
  rename NAME NEW_NAME                rename a node                     /node/rename
  connect SRC DST [GAIN]              connect two endpoints             /connect
  disconnect SRC DST                  remove a connection               /disconnect
  gain SRC DST GAIN                   change a connection's gain        /edge/gain
  set NODE PARAM VALUE [--ramp MS]    set a parameter                   /param/set
  get NODE PARAM                      a parameter's value and range     /param/get
  bypass NODE on|off                  bypass a node, or end it          /node/bypass
  port add NAME in|out [audio|midi]   add a graph-level JACK port       /port/add
  port remove NAME                    remove a graph-level JACK port    /port/remove
  clear                               remove all nodes and connections  /graph/clear
  dump                                the graph, as JSON                /graph/dump
  status                              audio figures and counters, JSON  /status
  types [FILTER]                      node types and parameters, JSON   /types
                                      (unfiltered, plugin types by name only)
  plugins [FILTER]                    installed LV2/LADSPA plugins, JSON /plugins
  plugins rescan                      scan the plugin paths again       /plugins/rescan
  outputs NODE                        a plugin's control outputs, JSON  /node/outputs
  path NODE PROPERTY_URI FILE         send an LV2 plugin a file         /node/path
  midi map CHANNEL CC NODE PARAM [MIN MAX]
                                      bind a MIDI controller            /midi/map
  midi unmap CHANNEL CC               remove a controller's bindings    /midi/unmap
  midi learn NODE PARAM [MIN MAX]     bind the next controller moved    /midi/learn
  version                             the daemon's and API's versions   /version
  api                                 every OSC address the daemon has  /api
  watch [TOPIC ...]                   print notifications until Ctrl-C  /subscribe
                                      (topics: xrun graph param meter status; none: all)
  batch [FILE|-]                      run a patch script (from stdin when FILE is - or absent)
                                      as ONE transaction (one bundle): all of it or nothing
  snapshot save NAME                  save the graph as a named snapshot /snapshot/save
  snapshot load NAME                  replace the graph with a snapshot  /snapshot/load
  snapshot list                       the saved snapshots' names         /snapshot/list
  snapshot delete NAME                delete a snapshot                  /snapshot/delete
                                      (NAME: 1-64 of A-Z a-z 0-9 . _ -, not starting with '.')
  export FILE|-                       write the graph as a JSON patch file (the state file's
                                      format) to FILE, or stdout for -  /graph/export
  import FILE|-                       replace the graph with a JSON patch file (or a dump)
                                      in one swap                       /graph/import
  help                                show this help

Endpoints are NODE:PORT or graph:PORT (a graph port); an external JACK port
(system:playback_1) connects to a graph port. Batch scripts use the patch-script
words: add, remove, rename, connect, disconnect, edge-gain, set NODE PARAM
VALUE [RAMP_MS], port in|out NAME [audio|midi], unport, bypass, map CHANNEL CC
NODE PARAM [MIN MAX], unmap CHANNEL CC, clear; '#' starts a comment.

Output: "ok" and any notes on stdout, or "error: CODE: MESSAGE" on stderr.
With --json, one JSON object on stdout: {"ok":true,"address":...,"results":[...]}
or {"ok":false,"address":...,"code":...,"message":...}; watch prints one object
per notification.

Exit status: 0 done, 1 the daemon answered with an error, 2 usage error,
3 no connection or no reply within the timeout.
)";
}

// ---------------------------------------------------------------- numbers

// Shortest text that reads back as the same float: 440, 0.1, -6.5.
inline std::string format_float(float value) {
    char text[48];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return ec == std::errc() ? std::string(text, end) : std::string("nan");
}

inline std::string format_double(double value) {
    char text[48];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return ec == std::errc() ? std::string(text, end) : std::string("nan");
}

// A whole-text float ("440", "-6", "1e3", "+2"); nullopt otherwise.
inline std::optional<float> parse_float(std::string_view text) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
    float value = 0.0f;
    const char* last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(text.data(), last, value);
    if (text.empty() || ec != std::errc() || end != last) return std::nullopt;
    return value;
}

inline std::optional<int> parse_int(std::string_view text) {
    int value = 0;
    const char* last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(text.data(), last, value);
    if (text.empty() || ec != std::errc() || end != last) return std::nullopt;
    return value;
}

// A float that crossed the wire as a double (the daemon's JSON writes floats
// as doubles: 0.009999999776482582) back to its short form (0.01), recursively.
// Doubles that are not exactly a float stay as they are.
inline void tidy_floats(nlohmann::json& value) {
    if (value.is_structured()) {
        for (auto& item : value) tidy_floats(item);
        return;
    }
    if (!value.is_number_float()) return;
    const double d = value.get<double>();
    const auto f = static_cast<float>(d);
    if (static_cast<double>(f) != d) return;
    const std::string shortest = format_float(f);
    double tidy = d;
    std::from_chars(shortest.data(), shortest.data() + shortest.size(), tidy);
    value = tidy;
}

inline nlohmann::json to_json(const Value& value) {
    struct Visitor {
        nlohmann::json operator()(std::int32_t v) const { return v; }
        nlohmann::json operator()(std::int64_t v) const { return v; }
        nlohmann::json operator()(float v) const {
            nlohmann::json j = static_cast<double>(v);
            tidy_floats(j);
            return j;
        }
        nlohmann::json operator()(double v) const { return v; }
        nlohmann::json operator()(const std::string& v) const { return v; }
        nlohmann::json operator()(bool v) const { return v; }
        nlohmann::json operator()(const Blob& v) const { return std::string(v.bytes.begin(), v.bytes.end()); }
    };
    return std::visit(Visitor{}, value);
}

inline std::string to_text(const Value& value) {
    struct Visitor {
        std::string operator()(std::int32_t v) const { return std::to_string(v); }
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(float v) const { return format_float(v); }
        std::string operator()(double v) const { return format_double(v); }
        std::string operator()(const std::string& v) const { return v; }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
        std::string operator()(const Blob& v) const { return "<blob of " + std::to_string(v.bytes.size()) + " bytes>"; }
    };
    return std::visit(Visitor{}, value);
}

// ---------------------------------------------------------------- command line

namespace detail {

inline Invocation usage_error(Invocation invocation, std::string error) {
    invocation.error = std::move(error);
    return invocation;
}

inline bool number_arg(std::string_view text, const char* what, std::vector<Value>& args,
                       std::string& error) {
    const std::optional<float> value = parse_float(text);
    if (!value) {
        error = std::string(what) + " must be a number, got '" + std::string(text) + "'";
        return false;
    }
    args.emplace_back(*value);
    return true;
}

// Fills invocation.request (and show/mode) for COMMAND ARGS; false with error.
inline bool parse_command_words(std::span<const std::string_view> words, Invocation& invocation,
                                std::string& error) {
    const std::string_view verb = words[0];
    const std::span<const std::string_view> w = words.subspan(1);
    Message& m = invocation.request;
    invocation.mode = Mode::kRequest;
    invocation.show = Show::kChange;
    const auto text = [](std::string_view v) { return Value(std::string(v)); };
    const auto count = [&](std::size_t min, std::size_t max, const char* usage) {
        if (w.size() >= min && w.size() <= max) return true;
        error = std::string("usage: rtgraphctl ") + usage;
        return false;
    };

    if (verb == "add") {
        if (!count(2, 62, "add TYPE NAME [PARAM=VALUE ...]")) return false;
        m = {"/node/add", {text(w[0]), text(w[1])}};
        for (std::size_t i = 2; i < w.size(); ++i) {
            const std::size_t eq = w[i].find('=');
            if (eq == std::string_view::npos || eq == 0) {
                error = "initial parameter '" + std::string(w[i]) + "' must be written PARAM=VALUE";
                return false;
            }
            m.args.push_back(text(w[i].substr(0, eq)));
            if (!number_arg(w[i].substr(eq + 1), "parameter value", m.args, error)) return false;
        }
    } else if (verb == "remove") {
        if (!count(1, 1, "remove NAME")) return false;
        m = {"/node/remove", {text(w[0])}};
    } else if (verb == "rename") {
        if (!count(2, 2, "rename NAME NEW_NAME")) return false;
        m = {"/node/rename", {text(w[0]), text(w[1])}};
    } else if (verb == "connect") {
        if (!count(2, 3, "connect SRC DST [GAIN]")) return false;
        m = {"/connect", {text(w[0]), text(w[1])}};
        if (w.size() == 3 && !number_arg(w[2], "GAIN", m.args, error)) return false;
    } else if (verb == "disconnect") {
        if (!count(2, 2, "disconnect SRC DST")) return false;
        m = {"/disconnect", {text(w[0]), text(w[1])}};
    } else if (verb == "gain") {
        if (!count(3, 3, "gain SRC DST GAIN")) return false;
        m = {"/edge/gain", {text(w[0]), text(w[1])}};
        if (!number_arg(w[2], "GAIN", m.args, error)) return false;
    } else if (verb == "set") {
        std::vector<std::string_view> positional;
        std::optional<std::string_view> ramp;
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (w[i] == "--ramp") {
                if (i + 1 >= w.size()) {
                    error = "--ramp needs a time in milliseconds";
                    return false;
                }
                ramp = w[++i];
            } else if (w[i].starts_with("--ramp=")) {
                ramp = w[i].substr(7);
            } else {
                positional.push_back(w[i]);
            }
        }
        if (positional.size() != 3) {
            error = "usage: rtgraphctl set NODE PARAM VALUE [--ramp MS]";
            return false;
        }
        m = {"/param/set", {text(positional[0]), text(positional[1])}};
        if (!number_arg(positional[2], "VALUE", m.args, error)) return false;
        if (ramp && !number_arg(*ramp, "--ramp", m.args, error)) return false;
    } else if (verb == "get") {
        if (!count(2, 2, "get NODE PARAM")) return false;
        m = {"/param/get", {text(w[0]), text(w[1])}};
        invocation.show = Show::kParam;
    } else if (verb == "bypass") {
        if (!count(2, 2, "bypass NODE on|off")) return false;
        if (w[1] != "on" && w[1] != "off") {
            error = "bypass takes 'on' or 'off', got '" + std::string(w[1]) + "'";
            return false;
        }
        m = {"/node/bypass", {text(w[0]), Value(w[1] == "on")}};
    } else if (verb == "port") {
        if (!w.empty() && w[0] == "add") {
            if (!count(3, 4, "port add NAME in|out [audio|midi]")) return false;
            if (w[2] != "in" && w[2] != "out") {
                error = "port direction must be 'in' or 'out', got '" + std::string(w[2]) + "'";
                return false;
            }
            if (w.size() == 4 && w[3] != "audio" && w[3] != "midi") {
                error = "port kind must be 'audio' or 'midi', got '" + std::string(w[3]) + "'";
                return false;
            }
            m = {"/port/add", {text(w[1]), text(w[2])}};
            if (w.size() == 4) m.args.push_back(text(w[3]));
        } else if (!w.empty() && w[0] == "remove") {
            if (!count(2, 2, "port remove NAME")) return false;
            m = {"/port/remove", {text(w[1])}};
        } else {
            error = "usage: rtgraphctl port add NAME in|out [audio|midi] | port remove NAME";
            return false;
        }
    } else if (verb == "types" || verb == "plugins") {
        if (!count(0, 1, verb == "types" ? "types [FILTER]" : "plugins [FILTER|rescan]")) return false;
        if (verb == "plugins" && !w.empty() && w[0] == "rescan") {
            m = {"/plugins/rescan", {}};
        } else {
            m = {verb == "types" ? "/types" : "/plugins", {}};
            if (!w.empty()) m.args.push_back(text(w[0]));
        }
        invocation.show = Show::kJson;
    } else if (verb == "outputs") {
        if (!count(1, 1, "outputs NODE")) return false;
        m = {"/node/outputs", {text(w[0])}};
        invocation.show = Show::kJson;
    } else if (verb == "path") {
        if (!count(3, 3, "path NODE PROPERTY_URI FILE")) return false;
        m = {"/node/path", {text(w[0]), text(w[1]), text(w[2])}};
    } else if (verb == "midi") {
        const auto whole = [&](std::string_view word, const char* what, std::int32_t& out) {
            int value = 0;
            const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
            if (ec != std::errc() || ptr != word.data() + word.size()) {
                error = std::string(what) + " must be a whole number, got '" + std::string(word) + "'";
                return false;
            }
            out = value;
            return true;
        };
        std::int32_t channel = 0;
        std::int32_t controller = 0;
        if (!w.empty() && w[0] == "map") {
            if ((w.size() != 5 && w.size() != 7) || !whole(w[1], "CHANNEL", channel) ||
                !whole(w[2], "CC", controller)) {
                if (error.empty()) error = "usage: rtgraphctl midi map CHANNEL CC NODE PARAM [MIN MAX]";
                return false;
            }
            m = {"/midi/map", {channel, controller, text(w[3]), text(w[4])}};
            if (w.size() == 7 && (!number_arg(w[5], "MIN", m.args, error) ||
                                  !number_arg(w[6], "MAX", m.args, error))) {
                return false;
            }
        } else if (!w.empty() && w[0] == "unmap") {
            if (w.size() != 3 || !whole(w[1], "CHANNEL", channel) || !whole(w[2], "CC", controller)) {
                if (error.empty()) error = "usage: rtgraphctl midi unmap CHANNEL CC";
                return false;
            }
            m = {"/midi/unmap", {channel, controller}};
        } else if (!w.empty() && w[0] == "learn") {
            if (w.size() != 3 && w.size() != 5) {
                error = "usage: rtgraphctl midi learn NODE PARAM [MIN MAX]";
                return false;
            }
            m = {"/midi/learn", {text(w[1]), text(w[2])}};
            if (w.size() == 5 && (!number_arg(w[3], "MIN", m.args, error) ||
                                  !number_arg(w[4], "MAX", m.args, error))) {
                return false;
            }
        } else {
            error = "usage: rtgraphctl midi map CHANNEL CC NODE PARAM [MIN MAX] | midi unmap CHANNEL CC"
                    " | midi learn NODE PARAM [MIN MAX]";
            return false;
        }
    } else if (verb == "clear" || verb == "dump" || verb == "status" || verb == "version" ||
               verb == "api") {
        if (!w.empty()) {
            error = "'" + std::string(verb) + "' takes no arguments";
            return false;
        }
        if (verb == "clear") m = {"/graph/clear", {}};
        if (verb == "dump") m = {"/graph/dump", {}};
        if (verb == "status") m = {"/status", {}};
        if (verb == "version") m = {"/version", {}};
        if (verb == "api") m = {"/api", {}};
        invocation.show = verb == "clear"     ? Show::kChange
                          : verb == "version" ? Show::kVersion
                          : verb == "api"     ? Show::kApi
                                              : Show::kJson;
    } else if (verb == "watch") {
        invocation.mode = Mode::kWatch;
        invocation.show = Show::kPlain;
        m = {"/subscribe", {}};
        for (const std::string_view topic : w) m.args.push_back(text(topic));
    } else if (verb == "batch") {
        if (!count(0, 1, "batch [FILE|-]")) return false;
        invocation.mode = Mode::kBatch;
        invocation.batch_source = w.empty() ? "-" : std::string(w[0]);
    } else if (verb == "snapshot") {
        const char* usage = "snapshot save|load|delete NAME | snapshot list";
        if (w.empty()) return count(1, 2, usage);
        if (w[0] == "list") {
            if (!count(1, 1, usage)) return false;
            m = {"/snapshot/list", {}};
            invocation.show = Show::kList;
        } else if (w[0] == "save" || w[0] == "load" || w[0] == "delete") {
            if (!count(2, 2, usage)) return false;
            m = {"/snapshot/" + std::string(w[0]), {text(w[1])}};  // the daemon checks the name
        } else {
            error = std::string("usage: rtgraphctl ") + usage;
            return false;
        }
    } else if (verb == "export" || verb == "import") {
        if (!count(1, 1, verb == "export" ? "export FILE|-" : "import FILE|-")) return false;
        invocation.mode = verb == "export" ? Mode::kExport : Mode::kImport;
        invocation.batch_source = std::string(w[0]);
        m = {verb == "export" ? "/graph/export" : "/graph/import", {}};
    } else if (verb == "help") {
        invocation.mode = Mode::kHelp;
    } else {
        error = "unknown command '" + std::string(verb) + "' (see rtgraphctl --help)";
        return false;
    }
    return true;
}

}  // namespace detail

// The arguments after the program name. The options may come before or after
// COMMAND (rtgraphctl dump --json); before it, anything else that starts with
// '-' is an unknown option; after it, words that are not rtgraphctl's options
// (a negative number, set's --ramp) belong to the command.
inline Invocation parse_invocation(std::span<const std::string_view> args) {
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
                return detail::usage_error(invocation, "unknown option '" + std::string(arg) + "' (see --help)");
            }
            words.push_back(args[i]);
            continue;
        }
        if (takes_value && !has_value) {
            if (i + 1 >= args.size()) {
                return detail::usage_error(invocation, "option " + std::string(arg) + " needs a value");
            }
            value = args[++i];
        } else if (!takes_value && has_value) {
            return detail::usage_error(invocation, "option " + std::string(arg) + " takes no value");
        }
        if (arg == "--host") {
            if (value.empty()) return detail::usage_error(invocation, "--host needs a host name or address");
            o.host = std::string(value);
        } else if (arg == "--port") {
            const std::optional<int> port = parse_int(value);
            if (!port || *port < 1 || *port > 65535) {
                return detail::usage_error(invocation,
                                           "--port needs a port number 1..65535, got '" + std::string(value) + "'");
            }
            o.port = *port;
        } else if (arg == "--timeout") {
            const std::optional<int> ms = parse_int(value);
            if (!ms || *ms < 1) {
                return detail::usage_error(invocation,
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
    if (words.empty()) return detail::usage_error(invocation, "no command given (see --help)");
    std::string error;
    if (!detail::parse_command_words(words, invocation, error)) {
        return detail::usage_error(invocation, std::move(error));
    }
    return invocation;
}

// ---------------------------------------------------------------- batch edits

// One patch-script edit as the OSC request that makes it.
inline Message message_from_edit(const engine::Edit& edit) {
    using namespace engine;
    struct Visitor {
        Message operator()(const AddNode& e) const {
            Message m{"/node/add", {e.type, e.name}};
            for (const auto& [param, value] : e.params) {
                m.args.emplace_back(param);
                m.args.emplace_back(value);
            }
            return m;
        }
        Message operator()(const RemoveNode& e) const { return {"/node/remove", {e.name}}; }
        Message operator()(const RenameNode& e) const { return {"/node/rename", {e.name, e.new_name}}; }
        Message operator()(const Connect& e) const {
            Message m{"/connect", {e.source, e.destination}};
            if (e.gain != 1.0f) m.args.emplace_back(e.gain);  // 1 is the default
            return m;
        }
        Message operator()(const Disconnect& e) const { return {"/disconnect", {e.source, e.destination}}; }
        Message operator()(const SetEdgeGain& e) const {
            return {"/edge/gain", {e.source, e.destination, e.gain}};
        }
        Message operator()(const SetParam& e) const {
            Message m{"/param/set", {e.node, e.param, e.value}};
            if (e.ramp_ms) m.args.emplace_back(*e.ramp_ms);
            return m;
        }
        Message operator()(const AddGraphPort& e) const {
            return {"/port/add",
                    {e.name, std::string(e.direction == PortDirection::kInput ? "in" : "out"),
                     std::string(e.kind == PortKind::kMidi ? "midi" : "audio")}};
        }
        Message operator()(const RemoveGraphPort& e) const { return {"/port/remove", {e.name}}; }
        Message operator()(const BypassNode& e) const { return {"/node/bypass", {e.name, e.bypassed}}; }
        Message operator()(const ClearGraph&) const { return {"/graph/clear", {}}; }
        Message operator()(const MapMidi& e) const {
            Message m{"/midi/map", {std::int32_t{e.channel}, std::int32_t{e.controller}, e.node, e.param}};
            if (e.min && e.max) {
                m.args.emplace_back(*e.min);
                m.args.emplace_back(*e.max);
            }
            return m;
        }
        Message operator()(const UnmapMidi& e) const {
            return {"/midi/unmap", {std::int32_t{e.channel}, std::int32_t{e.controller}}};
        }
    };
    return std::visit(Visitor{}, edit);
}

// ---------------------------------------------------------------- replies

struct Reply {
    bool ok = false;
    std::int32_t id = 0;
    std::string address;          // the request's address, as the daemon echoes it
    std::vector<Value> results;   // /done: after ID ADDRESS
    std::string code, message;    // /error
};

// A /done or /error message as a Reply; nullopt for anything else (notifications).
inline std::optional<Reply> reply_from_message(const Message& message) {
    const bool done = message.address == "/done", failed = message.address == "/error";
    if (!done && !failed) return std::nullopt;
    const auto& a = message.args;
    if (a.empty() || !std::holds_alternative<std::int32_t>(a[0])) return std::nullopt;
    Reply reply;
    reply.ok = done;
    reply.id = std::get<std::int32_t>(a[0]);
    const auto string_at = [&](std::size_t i) {
        return i < a.size() && std::holds_alternative<std::string>(a[i]) ? std::get<std::string>(a[i])
                                                                        : std::string();
    };
    reply.address = string_at(1);
    if (done) {
        if (a.size() > 2) reply.results.assign(a.begin() + 2, a.end());
    } else {
        reply.code = string_at(2);
        reply.message = string_at(3);
    }
    return reply;
}

// What to print and the exit status.
struct Output {
    std::string out;  // stdout
    std::string err;  // stderr
    int exit_code = kExitOk;
};

namespace detail {

inline std::optional<nlohmann::json> parse_json(const std::vector<Value>& results) {
    if (results.size() != 1 || !std::holds_alternative<std::string>(results[0])) return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(std::get<std::string>(results[0]), nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    tidy_floats(j);
    return j;
}

inline std::string note_lines(const std::vector<Value>& results, const std::string& prefix) {
    std::string text;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const bool late = std::holds_alternative<std::string>(results[i]) &&
                          std::get<std::string>(results[i]) == "late" && i + 1 < results.size();
        if (late) {
            text += prefix + "note: applied late by " + to_text(results[++i]) + " frames\n";
        } else {
            text += prefix + "note: " + to_text(results[i]) + "\n";
        }
    }
    return text;
}

inline std::string api_table(const std::vector<Value>& results) {
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i + 3 < results.size(); i += 4) {
        rows.push_back({to_text(results[i]), to_text(results[i + 1]), to_text(results[i + 2]),
                        to_text(results[i + 3])});
    }
    std::size_t width[3] = {4, 5, 5};
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < 3; ++c) width[c] = std::max(width[c], row[c].size());
    }
    const auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - s.size() + 2, ' '); };
    std::string text = pad("PATH", width[0]) + pad("TYPES", width[1]) + pad("USAGE", width[2]) + "DESCRIPTION\n";
    for (const auto& row : rows) {
        text += pad(row[0], width[0]) + pad(row[1], width[1]) + pad(row[2], width[2]) + row[3] + "\n";
    }
    return text;
}

inline nlohmann::json api_objects(const std::vector<Value>& results) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i + 3 < results.size(); i += 4) {
        list.push_back({{"path", to_text(results[i])}, {"types", to_text(results[i + 1])},
                        {"usage", to_text(results[i + 2])}, {"description", to_text(results[i + 3])}});
    }
    return list;
}

inline std::string param_line(const Message& request, const std::vector<Value>& r) {
    const bool shaped = r.size() == 5 && std::holds_alternative<std::string>(r[4]);
    if (!shaped) {
        std::string text;
        for (const Value& v : r) text += (text.empty() ? "" : " ") + to_text(v);
        return text + "\n";
    }
    std::string name;
    if (request.args.size() >= 2) name = to_text(request.args[0]) + "." + to_text(request.args[1]);
    const std::string unit = std::get<std::string>(r[4]);
    const std::string u = unit.empty() ? "" : " " + unit;
    return name + " = " + to_text(r[0]) + u + " (range " + to_text(r[1]) + ".." + to_text(r[2]) + u +
           ", default " + to_text(r[3]) + u + ")\n";
}

}  // namespace detail

inline nlohmann::json reply_json(const Reply& reply, Show show) {
    if (!reply.ok) {
        return {{"ok", false}, {"address", reply.address}, {"code", reply.code}, {"message", reply.message}};
    }
    nlohmann::json results = nlohmann::json::array();
    if (show == Show::kJson) {
        if (auto parsed = detail::parse_json(reply.results)) results.push_back(std::move(*parsed));
    } else if (show == Show::kApi) {
        results = detail::api_objects(reply.results);
    }
    if (results.empty()) {
        for (const Value& v : reply.results) results.push_back(to_json(v));
    }
    return {{"ok", true}, {"address", reply.address}, {"results", results}};
}

// The reply to `request` as rtgraphctl prints it.
inline Output render_reply(const Message& request, const Reply& reply, Show show, bool json) {
    Output output;
    output.exit_code = reply.ok ? kExitOk : kExitError;
    if (json) {
        output.out = reply_json(reply, show).dump() + "\n";
        return output;
    }
    if (!reply.ok) {
        output.err = "error: " + reply.code + ": " + reply.message + "\n";
        return output;
    }
    switch (show) {
        case Show::kChange:
            output.out = "ok\n" + detail::note_lines(reply.results, "");
            break;
        case Show::kPlain:
            output.out = "ok\n";
            break;
        case Show::kList:
            for (const Value& v : reply.results) output.out += to_text(v) + "\n";
            break;
        case Show::kParam:
            output.out = detail::param_line(request, reply.results);
            break;
        case Show::kVersion:
            if (reply.results.size() == 2) {
                output.out = to_text(reply.results[1]) + " (OSC API " + to_text(reply.results[0]) + ")\n";
            } else {
                output.out = "ok\n" + detail::note_lines(reply.results, "");
            }
            break;
        case Show::kApi:
            output.out = detail::api_table(reply.results);
            break;
        case Show::kJson:
            if (auto parsed = detail::parse_json(reply.results)) {
                output.out = parsed->dump(2) + "\n";
            } else {
                for (const Value& v : reply.results) output.out += to_text(v) + "\n";
            }
            break;
    }
    return output;
}

// Failure to reach the daemon or to hear back in time (exit 3).
inline Output render_unreachable(const std::string& code, const std::string& message, bool json) {
    Output output;
    output.exit_code = kExitUnreachable;
    if (json) {
        output.out = nlohmann::json{{"ok", false}, {"code", code}, {"message", message}}.dump() + "\n";
    } else {
        output.err = "rtgraphctl: " + message + "\n";
    }
    return output;
}

// ---------------------------------------------------------------- batch

struct BatchItem {
    int line = 0;        // in the script
    std::string text;    // the command as written (comment stripped, trimmed)
    Message message;     // without the request id
};

// The replies to a batch (one per item, in item order; nullopt: none came).
inline Output render_batch(const std::vector<BatchItem>& items, const std::vector<std::optional<Reply>>& replies,
                           bool json) {
    Output output;
    std::size_t done = 0, refused = 0, failed = 0;
    nlohmann::json list = nlohmann::json::array();
    std::optional<std::size_t> root;  // the first failure that is not "transaction_refused"
    std::vector<Value> notes;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::optional<Reply>& r = i < replies.size() ? replies[i] : std::nullopt;
        nlohmann::json entry;
        if (!r) {
            entry = {{"ok", false}, {"address", items[i].message.address}, {"code", "no_reply"},
                     {"message", "no reply came"}};
            ++failed;
            if (!root) root = i;
        } else {
            entry = reply_json(*r, Show::kChange);
            if (r->ok) {
                ++done;
                // The daemon gives every reply in a transaction all of its notes: show each once.
                for (const Value& v : r->results) {
                    if (std::find(notes.begin(), notes.end(), v) == notes.end()) notes.push_back(v);
                }
            } else if (r->code == "transaction_refused") {
                ++refused;
            } else {
                ++failed;
                if (!root) root = i;
                output.err += "error: line " + std::to_string(items[i].line) + ": " + items[i].text + ": " +
                              r->code + ": " + r->message + "\n";
            }
        }
        nlohmann::json head = {{"line", items[i].line}, {"command", items[i].text}};
        head.update(entry);
        list.push_back(std::move(head));
    }
    const bool ok = failed == 0 && refused == 0;
    output.exit_code = ok ? kExitOk : kExitError;
    if (json) {
        nlohmann::json result = {{"ok", ok}, {"commands", items.size()}, {"replies", list}};
        if (root) {
            result["line"] = items[*root].line;
            result["code"] = list[*root]["code"];
            result["message"] = list[*root]["message"];
        }
        output.out = result.dump() + "\n";
        output.err.clear();
        return output;
    }
    if (ok) {
        output.out = "ok: " + std::to_string(done) + " command" + (done == 1 ? "" : "s") +
                     " applied as one transaction\n" + detail::note_lines(notes, "");
    } else if (refused > 0) {
        output.err += "error: the transaction was refused: nothing in it was applied (" +
                      std::to_string(items.size()) + " commands)\n";
    } else {
        output.err += "error: " + std::to_string(failed) + " of " + std::to_string(items.size()) +
                      " commands failed\n";
    }
    return output;
}

// ---------------------------------------------------------------- notifications

// A /notify/... message as one line: "12:00:01.250 param osc freq 440" (text,
// local time first) or a JSON
// object {"time":..,"topic":..,"address":..,"args":[..]}. Empty for others.
inline std::string render_notification(const Message& message, double unix_time, bool json) {
    constexpr std::string_view kPrefix = "/notify/";
    if (!message.address.starts_with(kPrefix)) return {};
    const std::string topic = message.address.substr(kPrefix.size());
    if (json) {
        nlohmann::json args = nlohmann::json::array();
        for (const Value& v : message.args) args.push_back(to_json(v));
        return nlohmann::json{{"time", unix_time}, {"topic", topic}, {"address", message.address},
                              {"args", args}}
                   .dump() +
               "\n";
    }
    char stamp[32] = "";
    const auto seconds = static_cast<std::time_t>(unix_time);
    std::tm local{};
    if (localtime_r(&seconds, &local) != nullptr) {
        const int ms = static_cast<int>((unix_time - static_cast<double>(seconds)) * 1000.0);
        std::snprintf(stamp, sizeof stamp, "%02d:%02d:%02d.%03d ", local.tm_hour, local.tm_min, local.tm_sec,
                      std::clamp(ms, 0, 999));
    }
    std::string line = stamp + topic;
    for (const Value& v : message.args) {
        std::string text = to_text(v);
        if (text.empty() || text.find(' ') != std::string::npos) text = "\"" + text + "\"";
        line += " " + text;
    }
    return line + "\n";
}

}  // namespace rtgraph::ctl
