// The table of config keys and the checks on their values (see
// config_fields.hpp). Threads: the control thread, at start and on SIGHUP.
// [nrt] everything here may allocate.
#include "config_fields.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <system_error>

namespace rtgraph::config::detail {
namespace {

constexpr std::size_t kMaxServerNameLength = 255;  // JACK_SERVER_NAME_SIZE - 1
constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();
constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

std::string got(std::string_view text) {
    return " (got " + quoted(text) + ")";
}

std::string range_text(std::int64_t min, std::int64_t max, std::int64_t value) {
    return "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
           std::to_string(value) + ")";
}

Problem check_range(std::int64_t value, std::int64_t min, std::int64_t max) {
    if (value < min || value > max) return range_text(min, max, value);
    return std::nullopt;
}

Problem check_no_nul(const std::string& text) {
    if (text.find('\0') != std::string::npos) return "must not contain a NUL character";
    return std::nullopt;
}

// A short JACK name: client names and our own port names.
Problem check_jack_name(const std::string& name, std::size_t max_length) {
    if (name.empty()) return "must not be empty";
    if (auto problem = check_no_nul(name)) return problem;
    if (name.find(':') != std::string::npos) return "must not contain ':'" + got(name);
    if (name.size() > max_length) {
        return "must be at most " + std::to_string(max_length) + " characters (got " +
               std::to_string(name.size()) + ")";
    }
    return std::nullopt;
}

Problem check_server_name(const std::string& name) {
    if (auto problem = check_no_nul(name)) return problem;
    if (name.size() > kMaxServerNameLength) {
        return "must be at most " + std::to_string(kMaxServerNameLength) + " characters";
    }
    return std::nullopt;
}

Problem check_client_name(const std::string& name) {
    return check_jack_name(name, kMaxClientNameLength);
}

Problem check_port_name(const std::string& name) {
    return check_jack_name(name, kMaxPortNameLength);
}

Problem check_bind_address(const std::string& address) {
    in6_addr buffer{};
    if (address.find('\0') == std::string::npos &&
        (inet_pton(AF_INET, address.c_str(), &buffer) == 1 ||
         inet_pton(AF_INET6, address.c_str(), &buffer) == 1)) {
        return std::nullopt;
    }
    return "must be a numeric IPv4 or IPv6 address" + got(address);
}

Problem check_unix_socket(const std::string& path) {
    if (path.empty()) return std::nullopt;
    if (auto problem = check_no_nul(path)) return problem;
    if (path.front() != '/') return "must be an absolute path" + got(path);
    if (path.size() > kMaxUnixSocketPath) {
        return "must be at most " + std::to_string(kMaxUnixSocketPath) +
               " bytes, the limit of a Unix socket path (got " + std::to_string(path.size()) + ")";
    }
    return std::nullopt;
}

// "192.168.1.0/24" or "fd00::/8". The prefix is required, and the address must
// have no bits set after it: "10.0.0.1/8" is refused rather than guessed at,
// because it is as likely a mistyped /32 as a mistyped 10.0.0.0/8.
Problem check_network(const std::string& network) {
    const auto slash = network.find('/');
    if (slash == std::string::npos || network.find('\0') != std::string::npos) {
        return "must be a network with a prefix length, such as '192.168.1.0/24' or "
               "'fd00::/8'" +
               got(network);
    }
    const std::string address = network.substr(0, slash);
    const std::string_view prefix_text = std::string_view(network).substr(slash + 1);

    std::array<unsigned char, 16> bytes{};
    int family = AF_INET;
    int max_prefix = 32;
    if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1) {
        family = AF_INET6;
        max_prefix = 128;
        if (inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1) {
            return "must start with a numeric IPv4 or IPv6 address" + got(network);
        }
    }

    int prefix = -1;
    const char* first = prefix_text.data();
    const char* last = first + prefix_text.size();
    const auto [end, error] = std::from_chars(first, last, prefix);
    if (prefix_text.empty() || error != std::errc{} || end != last || prefix < 0 ||
        prefix > max_prefix) {
        return std::string("prefix length must be 0..") + std::to_string(max_prefix) + " for " +
               (family == AF_INET ? "IPv4" : "IPv6") + got(network);
    }

    const int byte_count = max_prefix / 8;
    bool host_bits = false;
    for (int i = 0; i < byte_count; ++i) {
        const int bits_kept = std::clamp(prefix - i * 8, 0, 8);
        const auto mask = static_cast<unsigned char>(bits_kept == 0 ? 0 : 0xFF << (8 - bits_kept));
        if ((bytes[i] & ~mask & 0xFF) != 0) host_bits = true;
        bytes[i] = static_cast<unsigned char>(bytes[i] & mask);
    }
    if (host_bits) {
        std::array<char, INET6_ADDRSTRLEN> text{};
        inet_ntop(family, bytes.data(), text.data(), text.size());
        return "has address bits set after the /" + std::to_string(prefix) +
               " prefix; did you mean " +
               quoted(std::string(text.data()) + "/" + std::to_string(prefix)) + "?" + got(network);
    }
    return std::nullopt;
}

Problem check_state_dir(const std::string& path) {
    if (path.empty()) return "must not be empty";
    return check_no_nul(path);
}

// Search paths end up joined with ':' (LV2_PATH, LADSPA_PATH), so an entry
// may not contain one.
Problem check_search_dir(const std::string& path) {
    if (path.empty()) return "must not be empty";
    if (auto problem = check_no_nul(path)) return problem;
    if (path.find(':') != std::string::npos) return "must not contain ':'" + got(path);
    return std::nullopt;
}

// A media directory bounds what clients may name: a relative one would move
// with the working directory.
Problem check_media_dir(const std::string& path) {
    if (path.empty() || path.front() != '/') return "must be an absolute path" + got(path);
    return check_no_nul(path);
}

Problem check_patch(const std::string& path) {
    return check_no_nul(path);
}

Problem check_log_level(const std::string& level) {
    if (std::find(kLogLevels.begin(), kLogLevels.end(), level) != kLogLevels.end()) {
        return std::nullopt;
    }
    std::string text = "must be one of";
    for (std::size_t i = 0; i < kLogLevels.size(); ++i) {
        text += (i == 0 ? " " : ", ");
        text += kLogLevels[i];
    }
    return text + got(level);
}

Problem check_port(std::int64_t port) {
    return check_range(port, 0, 65535);
}
Problem check_priority(std::int64_t priority) {
    return check_range(priority, 0, 99);
}
Problem check_worker_threads(std::int64_t count) {
    return check_range(count, 0, kMaxWorkerThreads);
}
Problem check_cpu(std::int64_t cpu) {
    return check_range(cpu, 0, kMaxCpuIndex);
}

Problem check_max_packet_bytes(std::int64_t bytes) {
    return check_range(bytes, static_cast<std::int64_t>(kMinOscPacketBytes),
                       static_cast<std::int64_t>(kMaxOscPacketBytes));
}

Problem check_stream_clients(std::int64_t count) {
    return check_range(count, 1, 4096);
}

Problem check_max_block(std::int64_t frames) {
    const bool power_of_two = frames > 0 && (frames & (frames - 1)) == 0;
    if (power_of_two && frames >= kMinBlock && frames <= kMaxBlock) return std::nullopt;
    return "must be a power of two between " + std::to_string(kMinBlock) + " and " +
           std::to_string(kMaxBlock) + " (got " + std::to_string(frames) + ")";
}

const Field kFields[] = {
    {"jack", "server_name", false,
     StringField{[](DaemonConfig& c) -> std::string& { return c.jack.server_name; },
                 check_server_name}},
    {"jack", "client_name", false,
     StringField{[](DaemonConfig& c) -> std::string& { return c.jack.client_name; },
                 check_client_name}},
    {"jack", "audio_inputs", false,
     StringListField{
         [](DaemonConfig& c) -> std::vector<std::string>& { return c.jack.audio_inputs; },
         check_port_name, kMaxPortsPerList}},
    {"jack", "audio_outputs", false,
     StringListField{
         [](DaemonConfig& c) -> std::vector<std::string>& { return c.jack.audio_outputs; },
         check_port_name, kMaxPortsPerList}},
    {"jack", "midi_inputs", false,
     StringListField{
         [](DaemonConfig& c) -> std::vector<std::string>& { return c.jack.midi_inputs; },
         check_port_name, kMaxPortsPerList}},
    {"jack", "reconnect_max_backoff_s", true,
     NumberField{[](DaemonConfig& c) -> double& { return c.jack.reconnect_max_backoff_s; }, 0.1,
                 3600.0}},
    {"jack", "stall_timeout_s", true,
     NumberField{[](DaemonConfig& c) -> double& { return c.jack.stall_timeout_s; }, 0.1, 60.0}},
    {"jack", "autoconnect", true,
     PortMapField{[](DaemonConfig& c) -> std::map<std::string, std::vector<std::string>>& {
         return c.jack.autoconnect;
     }}},

    {"osc", "bind_address", false,
     StringField{[](DaemonConfig& c) -> std::string& { return c.osc.bind_address; },
                 check_bind_address}},
    {"osc", "udp_port", false,
     IntegerField{[](const DaemonConfig& c) -> std::int64_t { return c.osc.udp_port; },
                  [](DaemonConfig& c, std::int64_t v) { c.osc.udp_port = static_cast<int>(v); },
                  check_port}},
    {"osc", "tcp_port", false,
     IntegerField{[](const DaemonConfig& c) -> std::int64_t { return c.osc.tcp_port; },
                  [](DaemonConfig& c, std::int64_t v) { c.osc.tcp_port = static_cast<int>(v); },
                  check_port}},
    {"osc", "unix_socket", false,
     StringField{[](DaemonConfig& c) -> std::string& { return c.osc.unix_socket; },
                 check_unix_socket}},
    {"osc", "allow", true,
     StringListField{[](DaemonConfig& c) -> std::vector<std::string>& { return c.osc.allow; },
                     check_network, kUnlimited}},
    {"osc", "meter_rate_hz", true,
     NumberField{[](DaemonConfig& c) -> double& { return c.osc.meter_rate_hz; }, 0.0, 100.0}},
    {"osc", "max_packet_bytes", false,
     IntegerField{
         [](const DaemonConfig& c) -> std::int64_t {
             return static_cast<std::int64_t>(c.osc.max_packet_bytes);
         },
         [](DaemonConfig& c, std::int64_t v) { c.osc.max_packet_bytes = static_cast<std::size_t>(v); },
         check_max_packet_bytes}},
    {"osc", "max_clients", false,
     IntegerField{
         [](const DaemonConfig& c) -> std::int64_t { return static_cast<std::int64_t>(c.osc.max_clients); },
         [](DaemonConfig& c, std::int64_t v) { c.osc.max_clients = static_cast<std::size_t>(v); },
         check_stream_clients}},
    {"osc", "max_clients_per_address", false,
     IntegerField{
         [](const DaemonConfig& c) -> std::int64_t {
             return static_cast<std::int64_t>(c.osc.max_clients_per_address);
         },
         [](DaemonConfig& c, std::int64_t v) { c.osc.max_clients_per_address = static_cast<std::size_t>(v); },
         check_stream_clients}},
    {"osc", "idle_timeout_s", false,
     NumberField{[](DaemonConfig& c) -> double& { return c.osc.idle_timeout_s; }, 1.0, 86400.0}},
    {"osc", "frame_timeout_s", false,
     NumberField{[](DaemonConfig& c) -> double& { return c.osc.frame_timeout_s; }, 1.0, 3600.0}},

    {"engine", "max_block", false,
     IntegerField{
         [](const DaemonConfig& c) -> std::int64_t { return c.engine.max_block; },
         [](DaemonConfig& c, std::int64_t v) { c.engine.max_block = static_cast<unsigned>(v); },
         check_max_block}},
    {"engine", "fade_ms", false,
     NumberField{[](DaemonConfig& c) -> double& { return c.engine.fade_ms; }, 0.0, 100.0}},

    {"realtime", "priority", false,
     IntegerField{
         [](const DaemonConfig& c) -> std::int64_t { return c.realtime.priority; },
         [](DaemonConfig& c, std::int64_t v) { c.realtime.priority = static_cast<int>(v); },
         check_priority}},
    {"realtime", "worker_threads", false,
     IntegerField{[](const DaemonConfig& c) -> std::int64_t {
                      return c.realtime.worker_threads == kAutoWorkerThreads ? std::int64_t{-1}
                                                                          : std::int64_t{c.realtime.worker_threads};
                  },
                  [](DaemonConfig& c, std::int64_t v) {
                      c.realtime.worker_threads = v == -1 ? kAutoWorkerThreads : static_cast<unsigned>(v);
                  },
                  check_worker_threads, "auto", -1}},
    {"realtime", "cpu_affinity", false,
     IntegerListField{[](DaemonConfig& c) -> std::vector<int>& { return c.realtime.cpu_affinity; },
                      check_cpu}},
    {"realtime", "lock_memory", false,
     BoolField{[](DaemonConfig& c) -> bool& { return c.realtime.lock_memory; }}},

    {"paths", "state_dir", false,
     StringField{[](DaemonConfig& c) -> std::string& { return c.paths.state_dir; },
                 check_state_dir}},
    {"paths", "lv2_path", false,
     StringListField{[](DaemonConfig& c) -> std::vector<std::string>& { return c.paths.lv2_path; },
                     check_search_dir, kUnlimited}},
    {"paths", "ladspa_path", false,
     StringListField{
         [](DaemonConfig& c) -> std::vector<std::string>& { return c.paths.ladspa_path; },
         check_search_dir, kUnlimited}},
    {"paths", "media_dirs", false,
     StringListField{
         [](DaemonConfig& c) -> std::vector<std::string>& { return c.paths.media_dirs; },
         check_media_dir, kUnlimited}},
    {"paths", "patch", false,
     StringField{[](DaemonConfig& c) -> std::string& { return c.paths.patch; }, check_patch}},

    {"", "log_level", true,
     StringField{[](DaemonConfig& c) -> std::string& { return c.log_level; }, check_log_level}},
};

constexpr std::string_view kSections[] = {"jack", "osc", "engine", "realtime", "paths"};

// The table's accessors take a mutable config; reading through them never
// writes, so a const config may be passed after dropping const.
DaemonConfig& readable(const DaemonConfig& config) {
    return const_cast<DaemonConfig&>(config);
}

template <typename... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void add(std::vector<Issue>& issues, std::string key, int index, Problem problem) {
    if (problem) issues.push_back({std::move(key), index, std::move(*problem), false});
}

}  // namespace

std::string Field::key() const {
    return section.empty() ? std::string(name) : std::string(section) + "." + std::string(name);
}

std::span<const Field> fields() {
    return kFields;
}
std::span<const std::string_view> sections() {
    return kSections;
}

const Field* find_field(std::string_view key) {
    for (const Field& field : kFields) {
        if (field.key() == key) return &field;
    }
    return nullptr;
}

Problem check_external_port(const std::string& name) {
    if (auto problem = check_no_nul(name)) return problem;
    const auto colon = name.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == name.size()) {
        return "must be a full JACK port name such as 'system:playback_1'" + got(name);
    }
    return std::nullopt;
}

Problem check_number(double value, double min, double max) {
    if (value >= min && value <= max) return std::nullopt;  // false for NaN too
    return "must be between " + number_text(min) + " and " + number_text(max) + " (got " +
           number_text(value) + ")";
}

std::string quoted(std::string_view text) {
    return "'" + std::string(text) + "'";
}

std::string number_text(double value) {
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return std::string(buffer.data(), result.ptr);
}

void check_values(const DaemonConfig& config, std::vector<Issue>& issues) {
    DaemonConfig& c = readable(config);
    for (const Field& field : kFields) {
        const std::string key = field.key();
        std::visit(Overloaded{
                       [&](const StringField& f) { add(issues, key, -1, f.check(f.ref(c))); },
                       [&](const StringListField& f) {
                           const auto& items = f.ref(c);
                           if (items.size() > f.max_items) {
                               add(issues, key, -1,
                                   "must have at most " + std::to_string(f.max_items) +
                                       " items (got " + std::to_string(items.size()) + ")");
                           }
                           for (std::size_t i = 0; i < items.size(); ++i) {
                               add(issues, key, static_cast<int>(i), f.check_item(items[i]));
                           }
                       },
                       [&](const IntegerField& f) {
                           if (!f.holds_word(c)) add(issues, key, -1, f.check(f.get(c)));
                       },
                       [&](const IntegerListField& f) {
                           const auto& items = f.ref(c);
                           for (std::size_t i = 0; i < items.size(); ++i) {
                               add(issues, key, static_cast<int>(i), f.check_item(items[i]));
                           }
                       },
                       [&](const NumberField& f) {
                           add(issues, key, -1, check_number(f.ref(c), f.min, f.max));
                       },
                       [&](const BoolField&) {},
                       [&](const PortMapField& f) {
                           for (const auto& [port, targets] : f.ref(c)) {
                               for (std::size_t i = 0; i < targets.size(); ++i) {
                                   add(issues, key + "." + port, static_cast<int>(i),
                                       check_external_port(targets[i]));
                               }
                           }
                       },
                   },
                   field.binding);
    }
}

void check_relations(const DaemonConfig& config, std::vector<Issue>& issues) {
    // Our ports share one namespace in JACK ("rtgraph:in_1"), whatever their kind.
    const std::pair<const char*, const std::vector<std::string>*> port_lists[] = {
        {"jack.audio_inputs", &config.jack.audio_inputs},
        {"jack.audio_outputs", &config.jack.audio_outputs},
        {"jack.midi_inputs", &config.jack.midi_inputs},
    };
    std::map<std::string, const char*> owner;  // port name -> the list it was first seen in
    for (const auto& [key, names] : port_lists) {
        for (std::size_t i = 0; i < names->size(); ++i) {
            const std::string& name = (*names)[i];
            const auto [it, inserted] = owner.emplace(name, key);
            if (!inserted) {
                add(issues, key, static_cast<int>(i),
                    "duplicate port name " + quoted(name) + " (also in " + it->second + ")");
            }
        }
    }
    for (const auto& entry : config.jack.autoconnect) {
        if (!owner.contains(entry.first)) {
            add(issues, "jack.autoconnect." + entry.first, -1,
                "no port of that name in jack.audio_inputs, jack.audio_outputs or "
                "jack.midi_inputs");
        }
    }

    std::set<int> cpus;
    const auto& affinity = config.realtime.cpu_affinity;
    for (std::size_t i = 0; i < affinity.size(); ++i) {
        if (!cpus.insert(affinity[i]).second) {
            add(issues, "realtime.cpu_affinity", static_cast<int>(i),
                "CPU " + std::to_string(affinity[i]) + " is listed twice");
        }
    }

    const auto& osc = config.osc;
    const bool network = osc.udp_port != 0 || osc.tcp_port != 0;
    if (!network && osc.unix_socket.empty()) {
        issues.push_back({"osc", -1,
                          "udp_port and tcp_port are 0 and unix_socket is empty: the daemon "
                          "will take no OSC commands",
                          true});
    }
    if (network && osc.allow.empty()) {
        issues.push_back(
            {"osc.allow", -1, "is empty: every UDP and TCP client will be refused", true});
    }
}

}  // namespace rtgraph::config::detail
