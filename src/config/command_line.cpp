// rtgraphd's command line: the flags, their --help text, and applying the
// ones that override config file values (checked by the same rules as the
// file, through the field table in config_fields.hpp).
//
// Threads: the control thread, at start (and on SIGHUP, when the daemon
// re-applies the same flags over the re-read file). [nrt] may allocate.
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config_fields.hpp"
#include "rtgraph/config/daemon_config.hpp"

namespace rtgraph::config {
namespace {

struct Flag {
    std::string_view name;        // "--client-name"
    std::string_view value_name;  // "NAME"; empty for a flag without a value
    std::string_view help;
};

constexpr Flag kFlags[] = {
    {"--config", "FILE", "read FILE (default: $RTGRAPH_CONFIG, else /etc/rtgraph/rtgraph.toml)"},
    {"--jack-server", "NAME", "connect to this JACK server (jack.server_name)"},
    {"--client-name", "NAME", "JACK client name (jack.client_name)"},
    {"--osc-port", "PORT", "OSC UDP and TCP port, 1..65535 (osc.udp_port, osc.tcp_port)"},
    {"--state-dir", "DIR", "directory for the saved graph state (paths.state_dir)"},
    {"--log-level", "LEVEL", "trace, debug, info, warn, error, critical or off (log_level)"},
    {"--patch", "FILE", "patch script to run at start, \"\" for none (paths.patch)"},
    {"--check-config", "", "check the config file and flags, then exit without starting"},
    {"--help", "", "show this help and exit (also -h)"},
    {"--version", "", "show the version and exit"},
};

constexpr std::string_view kCommandLine = "command line";

const Flag* find_flag(std::string_view name) {
    for (const Flag& flag : kFlags) {
        if (flag.name == name) return &flag;
    }
    return nullptr;
}

std::optional<int> parse_port(std::string_view text) {
    int port = 0;
    const char* last = text.data() + text.size();
    const auto [end, error] = std::from_chars(text.data(), last, port);
    if (text.empty() || error != std::errc{} || end != last || port < 1 || port > 65535) {
        return std::nullopt;
    }
    return port;
}

void set_value(CommandLine& command_line, std::string_view flag, std::string value) {
    if (flag == "--config") {
        command_line.config_path = std::move(value);
    } else if (flag == "--jack-server") {
        command_line.jack_server = std::move(value);
    } else if (flag == "--client-name") {
        command_line.client_name = std::move(value);
    } else if (flag == "--state-dir") {
        command_line.state_dir = std::move(value);
    } else if (flag == "--log-level") {
        command_line.log_level = std::move(value);
    } else if (flag == "--patch") {
        command_line.patch = std::move(value);
    } else if (flag == "--osc-port") {
        if (auto port = parse_port(value)) {
            command_line.osc_port = *port;
        } else {
            command_line.errors.push_back("option --osc-port needs a port number 1..65535 (got " +
                                          detail::quoted(value) + ")");
        }
    }
}

void set_switch(CommandLine& command_line, std::string_view flag) {
    if (flag == "--check-config") command_line.check_config = true;
    if (flag == "--help") command_line.help = true;
    if (flag == "--version") command_line.version = true;
}

// Sets a string key from a flag when its check passes; else an error naming
// the flag.
void override_string(DaemonConfig& config, std::string_view key, std::string_view flag,
                     const std::string& value, std::vector<ConfigMessage>& errors) {
    const detail::Field* field = detail::find_field(key);
    const auto& binding = std::get<detail::StringField>(field->binding);
    if (auto problem = binding.check(value)) {
        errors.push_back({std::string(flag), 0, std::move(*problem), 0, std::string(kCommandLine)});
        return;
    }
    binding.ref(config) = value;
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
    CommandLine command_line;
    for (int i = 1; i < argc; ++i) {
        if (argv[i] == nullptr) continue;
        const std::string_view arg = argv[i];
        if (arg == "-h") {
            command_line.help = true;
            continue;
        }
        if (!arg.starts_with("--")) {
            command_line.errors.push_back(
                (arg.starts_with("-") ? "unknown option " : "unexpected argument ") +
                detail::quoted(arg) + " (see --help)");
            continue;
        }
        const auto equals = arg.find('=');
        const std::string_view name = arg.substr(0, equals);
        const Flag* flag = find_flag(name);
        if (flag == nullptr) {
            command_line.errors.push_back("unknown option " + detail::quoted(name) +
                                          " (see --help)");
            continue;
        }
        if (flag->value_name.empty()) {
            if (equals != std::string_view::npos) {
                command_line.errors.push_back("option " + std::string(name) + " takes no value");
            } else {
                set_switch(command_line, name);
            }
            continue;
        }
        if (equals != std::string_view::npos) {
            set_value(command_line, name, std::string(arg.substr(equals + 1)));
        } else if (i + 1 < argc && argv[i + 1] != nullptr &&
                   !std::string_view(argv[i + 1]).starts_with("--")) {
            set_value(command_line, name, argv[++i]);
        } else {
            command_line.errors.push_back("option " + std::string(name) + " needs a value (" +
                                          std::string(name) + " " + std::string(flag->value_name) +
                                          ")");
        }
    }
    return command_line;
}

void apply_overrides(const CommandLine& command_line, DaemonConfig& config,
                     std::vector<ConfigMessage>& errors) {
    if (command_line.jack_server) {
        override_string(config, "jack.server_name", "--jack-server", *command_line.jack_server,
                        errors);
    }
    if (command_line.client_name) {
        override_string(config, "jack.client_name", "--client-name", *command_line.client_name,
                        errors);
    }
    if (command_line.state_dir) {
        override_string(config, "paths.state_dir", "--state-dir", *command_line.state_dir, errors);
    }
    if (command_line.log_level) {
        override_string(config, "log_level", "--log-level", *command_line.log_level, errors);
    }
    if (command_line.patch) {
        override_string(config, "paths.patch", "--patch", *command_line.patch, errors);
    }
    if (command_line.osc_port) {
        const int port = *command_line.osc_port;
        if (port < 1 || port > 65535) {
            errors.push_back({"--osc-port", 0,
                              "must be between 1 and 65535 (got " + std::to_string(port) + ")", 0,
                              std::string(kCommandLine)});
        } else {
            config.osc.udp_port = port;
            config.osc.tcp_port = port;
        }
    }
}

std::string usage_text() {
    std::string text =
        "Usage: rtgraphd [OPTION]...\n"
        "Runs an audio graph as a JACK client, controlled over OSC.\n"
        "\n"
        "Options (each also as --option=VALUE):\n";
    for (const Flag& flag : kFlags) {
        std::string left = "  " + std::string(flag.name);
        if (!flag.value_name.empty()) left += " " + std::string(flag.value_name);
        left.resize(std::max<std::size_t>(left.size() + 2, 24), ' ');
        text += left + std::string(flag.help) + "\n";
    }
    text +=
        "\n"
        "Flags override the config file; the file overrides the built-in defaults.\n";
    return text;
}

}  // namespace rtgraph::config
