// rtgraphd's configuration: the TOML file (config/rtgraph.toml documents every
// key), command-line flags that override it, and the checks that refuse a bad
// value before the daemon starts.
//
// Threads: the control thread only, at start and again on SIGHUP. Nothing here
// is real-time safe: every function may allocate. ([nrt] throughout.)
//
// Precedence, lowest first: built-in defaults (DaemonConfig{}), the config
// file, command-line flags. A malformed file or a bad value is an error naming
// the key and line; an unknown key or table is a warning and is ignored.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtgraph::config {

// Limits the checks enforce (see config/rtgraph.toml for the reasons).
inline constexpr std::size_t kMaxClientNameLength = 63;  // JACK_CLIENT_NAME_SIZE - 1
inline constexpr std::size_t kMaxPortNameLength = 64;    // our short port names
inline constexpr std::size_t kMaxPortsPerList = 64;      // engine max_graph_ports
inline constexpr std::size_t kMaxUnixSocketPath = 107;   // sizeof(sockaddr_un::sun_path) - 1
inline constexpr unsigned kMinBlock = 16;
inline constexpr unsigned kMaxBlock = 8192;
inline constexpr unsigned kMaxWorkerThreads = 64;
// realtime.worker_threads = "auto": one fewer than the CPUs the daemon may
// run on (see resolve_worker_threads).
inline constexpr unsigned kAutoWorkerThreads = ~0u;
inline constexpr int kMaxCpuIndex = 1023;  // CPU_SETSIZE - 1
// osc.max_packet_bytes: at least one UDP datagram's worth, at most 256 MiB.
inline constexpr std::size_t kMinOscPacketBytes = 64 * 1024;
inline constexpr std::size_t kMaxOscPacketBytes = 256 * 1024 * 1024;

inline constexpr const char* kConfigEnvVar = "RTGRAPH_CONFIG";
inline constexpr const char* kSystemConfigPath = "/etc/rtgraph/rtgraph.toml";

struct DaemonConfig {
    struct Jack {
        std::string server_name;  // empty: the default server ($JACK_DEFAULT_SERVER)
        std::string client_name = "rtgraph";
        std::vector<std::string> audio_inputs = {"in_1", "in_2"};
        std::vector<std::string> audio_outputs = {"out_1", "out_2"};
        std::vector<std::string> midi_inputs = {"midi_in"};
        // Our short port name -> full names of external ports ("system:playback_1").
        std::map<std::string, std::vector<std::string>> autoconnect;
        double reconnect_max_backoff_s = 5.0;  // 0.1 .. 3600
        double stall_timeout_s = 2.0;          // 0.1 .. 60
        friend bool operator==(const Jack&, const Jack&) = default;
    } jack;

    struct Osc {
        std::string bind_address = "127.0.0.1";  // numeric IPv4 or IPv6 address
        int udp_port = 7711;                     // 0 disables; 1 .. 65535
        int tcp_port = 7711;                     // 0 disables; 1 .. 65535
        std::string unix_socket;                 // empty: none; else an absolute path
        // UDP/TCP clients are accepted from these CIDR networks only.
        std::vector<std::string> allow = {"127.0.0.1/32", "::1/128"};
        double meter_rate_hz = 10.0;  // 0 (no meter stream) .. 100
        // The largest packet (a bundle: one transaction) over TCP and the
        // UNIX socket; UDP stays at one datagram. kMinOscPacketBytes ..
        // kMaxOscPacketBytes.
        std::size_t max_packet_bytes = 4 * 1024 * 1024;
        // Stream (TCP and UNIX) connections: at most max_clients in all and
        // max_clients_per_address from one TCP address; a newcomer takes the
        // slot of one that never spoke or is idle for idle_timeout_s; a begun
        // frame that stalls for frame_timeout_s ends its connection.
        std::size_t max_clients = 64;              // 1 .. 4096
        std::size_t max_clients_per_address = 16;  // 1 .. 4096
        double idle_timeout_s = 30.0;              // 1 .. 86400
        double frame_timeout_s = 10.0;             // 1 .. 3600
        friend bool operator==(const Osc&, const Osc&) = default;
    } osc;

    struct Engine {
        unsigned max_block = 2048;  // power of two, kMinBlock .. kMaxBlock
        double fade_ms = 5.0;       // 0 .. 100
        friend bool operator==(const Engine&, const Engine&) = default;
    } engine;

    struct Realtime {
        int priority = 0;               // SCHED_FIFO priority of worker threads, 1 .. 99; 0: JACK's
        unsigned worker_threads = 0;    // 0: none; 1 .. kMaxWorkerThreads; or kAutoWorkerThreads
        std::vector<int> cpu_affinity;  // CPUs for workers; empty: no pinning
        bool lock_memory = true;        // mlockall(MCL_CURRENT | MCL_FUTURE) at start
        friend bool operator==(const Realtime&, const Realtime&) = default;
    } realtime;

    struct Paths {
        std::string state_dir = "/var/lib/rtgraph";
        std::vector<std::string> lv2_path;     // empty: $LV2_PATH or lilv's default
        std::vector<std::string> ladspa_path;  // empty: $LADSPA_PATH or the usual dirs
        std::vector<std::string> media_dirs;   // files clients name must be inside; empty: none
        std::string patch;                     // patch script run at start; empty: none
        friend bool operator==(const Paths&, const Paths&) = default;
    } paths;

    std::string log_level = "info";  // trace debug info warn error critical off

    friend bool operator==(const DaemonConfig&, const DaemonConfig&) = default;
};

// One error or warning. key is dotted ("jack.client_name"); it is empty for a
// TOML syntax error and is the flag ("--log-level") for a command-line value.
// line and column are 1-based, 0 when unknown (always 0 on the command line).
// source is the file name, or "command line".
struct ConfigMessage {
    std::string key;
    int line = 0;
    std::string text;
    int column = 0;
    std::string source;
};

struct LoadResult {
    DaemonConfig config;  // meaningful only when ok()
    std::vector<ConfigMessage> errors;
    std::vector<ConfigMessage> warnings;
    std::string source;  // file path or source name, for format_message; empty: defaults
    bool ok() const { return errors.empty(); }
};

// [nrt] Reads and checks a config file on top of base. A file that cannot be
// read is an error (key empty, line 0).
LoadResult load_config_file(const std::string& path, DaemonConfig base = {});

// [nrt] Same, from text; source_name appears in messages (tests use it).
LoadResult load_config_text(std::string_view toml_text, std::string_view source_name,
                            DaemonConfig base = {});

// [nrt] Every check load_config_* makes on values, on a whole config (lines 0).
// Returns errors; warnings (if any) are appended to *warnings when given.
std::vector<ConfigMessage> validate_config(const DaemonConfig& config,
                                           std::vector<ConfigMessage>* warnings = nullptr);

struct CommandLine {
    std::optional<std::string> config_path;
    bool check_config = false;
    bool help = false;
    bool version = false;
    std::optional<std::string> jack_server;
    std::optional<std::string> client_name;
    std::optional<std::string> state_dir;
    std::optional<std::string> log_level;
    std::optional<std::string> patch;  // "" clears a patch set in the file
    std::optional<int> osc_port;       // sets osc.udp_port and osc.tcp_port
    std::vector<std::string> errors;   // one line each, naming the flag
};

// [nrt] argv[0] is the program name. Accepts "--flag value" and "--flag=value";
// "-h" is "--help". Syntax only: values are checked by apply_overrides, except
// --osc-port, which must be an integer 1 .. 65535.
CommandLine parse_command_line(int argc, const char* const* argv);

// [nrt] Applies the flags that were given, checking each value as the file's
// would be; a bad one leaves config unchanged and adds an error whose key is
// the flag. Ignores command_line.errors (the caller reports those first).
void apply_overrides(const CommandLine& command_line, DaemonConfig& config,
                     std::vector<ConfigMessage>& errors);

// [nrt] The --help text: a usage line, then one line per flag.
std::string usage_text();

// [nrt] "rtgraph.toml:12: jack.client_name: must be a string"; a TOML syntax
// error reads "rtgraph.toml:4:9: <description>"; line 0 drops the number.
// source replaces message.source when not empty.
std::string format_message(const ConfigMessage& message, std::string_view source = {});

// [nrt] Where to read the config when --config is not given: $RTGRAPH_CONFIG
// when set and non-empty, else kSystemConfigPath when it exists, else nullopt
// (built-in defaults).
std::optional<std::string> default_config_path();
// The same rule with its inputs passed in (env_value null: variable unset).
std::optional<std::string> choose_config_path(const char* env_value,
                                              const std::string& system_path);

// [nrt] The whole start-up sequence: the file from --config or
// default_config_path() (none: defaults), then the flags. On SIGHUP call it
// again with the same command line, so flags keep overriding the file.
LoadResult load_effective_config(const CommandLine& command_line);

// [nrt] Dotted keys whose values differ ("jack.autoconnect" is one key).
std::vector<std::string> changed_keys(const DaemonConfig& before, const DaemonConfig& after);

// [nrt] The changed keys a SIGHUP reload cannot apply: all but log_level,
// osc.allow, osc.meter_rate_hz, jack.autoconnect, jack.reconnect_max_backoff_s
// and jack.stall_timeout_s. The daemon keeps running with the old values of
// these and logs that they need a restart.
std::vector<std::string> restart_required(const DaemonConfig& before, const DaemonConfig& after);

// [nrt] The config as a TOML document (for --check-config to show the values
// in effect); load_config_text of it gives back an equal config.
std::string to_toml(const DaemonConfig& config);

// The worker threads to start: `configured`, or for kAutoWorkerThreads one
// fewer than `cpus` (the CPUs the daemon may run on; its affinity), capped at
// kMaxWorkerThreads; 0 on one CPU.
unsigned resolve_worker_threads(unsigned configured, unsigned cpus);

}  // namespace rtgraph::config
