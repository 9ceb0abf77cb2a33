// JackBackend: one JACK client that runs the engine on the JACK process thread.
//
// Threads:
//   control thread   open/close, sync_ports, connections, tick, figures
//   JACK process     process_callback → Engine::process (the audio thread)
//   JACK notify      xrun / shutdown / connect / size callbacks: they set
//                    atomics, which the control thread picks up in tick(),
//                    and most make wake_fd() readable so it does so at once
//
// Graph-level ports of the model map to JACK ports by slot. The process
// callback reads each slot's port through an atomic pointer; a port leaving
// the graph is taken out of its slot first and unregistered only after two
// more cycles, so the audio thread never touches a port being unregistered.
//
// The backend survives its server: when jackd goes away it closes the dead
// client, retries with exponential backoff, and on success re-registers every
// graph port and re-makes every external connection it had.
#pragma once

#include <jack/jack.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rtgraph/backend/load_meter.hpp"
#include "rtgraph/backend/wake_fd.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/rt/annotations.hpp"

namespace rtgraph::backend {

struct JackBackendConfig {
    std::string server_name;  // empty: the default server ($JACK_DEFAULT_SERVER or "default")
    std::string client_name = "rtgraph";
    // Our port short name → external ports to connect it to whenever we connect.
    std::map<std::string, std::vector<std::string>> autoconnect;
    double reconnect_first_delay_s = 0.25;
    double reconnect_max_delay_s = 5.0;
};

struct SchedInfo {
    int policy = 0;  // SCHED_OTHER, SCHED_FIFO, ...
    int priority = 0;
    bool is_fifo() const;
    std::string describe() const;  // "SCHED_FIFO priority 10"
};

// What the control thread can report about the audio side.
struct BackendFigures {
    bool connected = false;
    std::string client_name;  // as JACK gave it (may differ if the name was taken)
    double sample_rate = 0.0;
    std::uint32_t period = 0;
    double jack_dsp_load = 0.0;  // JACK's own figure for the whole graph, percent
    std::uint64_t xruns = 0;
    std::uint64_t cycles = 0;
    std::uint64_t deadline_misses = 0;
    std::optional<SchedInfo> process_thread;
};

// Something that happened, for the daemon to log and report.
struct BackendEvent {
    enum class Kind { kConnected, kLost, kRetryFailed, kPeriodChanged, kSampleRateChanged, kInfo };
    Kind kind;
    std::string text;
};

class JackBackend {
public:
    static constexpr std::uint32_t kMaxSlots = 64;

    // [nrt]
    explicit JackBackend(JackBackendConfig config);
    // [nrt] Closes the client (ports unregistered).
    ~JackBackend();

    JackBackend(const JackBackend&) = delete;
    JackBackend& operator=(const JackBackend&) = delete;

    // [nrt] Opens the client (never starts a server). Afterwards
    // figures() tells the server's sample rate and period, so the engine can
    // be built for them.
    bool open_client(std::string& error);

    // [nrt] Registers a JACK port for every graph port of `model`, activates
    // with `engine` on the process thread, and makes autoconnect and
    // remembered connections. `engine` must outlive the backend.
    bool start(engine::Engine& engine, const engine::Model& model, std::string& error);

    // [nrt] Deactivates, unregisters every port and closes the client.
    void close();

    // [nrt] Forgets the client without a word to the server, for exiting while
    // the server does not answer (a stopped or hung jackd would block close()
    // forever). The server drops the dead client once it runs again.
    void abandon();

    // [nrt] Registers JACK ports for graph ports new in `model` and retires
    // ports whose graph port is gone.
    void sync_ports(const engine::Model& model);

    // [nrt] Unregisters the retired ports the audio thread can no longer
    // touch, then registers model ports a retiring one held the name of, and
    // says whether none is left retiring: then JACK lists exactly `model`'s
    // ports (registration itself is synchronous).
    bool ports_settled(const engine::Model& model);

    // [nrt] Connects/disconnects one of our ports (short name) and an external
    // port; remembered so it is re-made after a server restart.
    bool connect_external(const std::string& our_port, const std::string& external,
                          std::string& error);
    bool disconnect_external(const std::string& our_port, const std::string& external,
                             std::string& error);

    // [nrt] Call every few ms while busy() and at least every 250 ms
    // otherwise, and at once when wake_fd() is readable: notices a lost
    // server, retries, finishes port retirement, refreshes the remembered
    // connections after a change.
    std::vector<BackendEvent> tick(std::chrono::steady_clock::time_point now,
                                   const engine::Model& model);

    // Readable when JACK told us something tick() acts on (the server went
    // away, a connection or port changed, a new rate); clear_wake() makes
    // it unreadable again. Xruns do not wake it: an idle dummy server reports dozens a
    // second on a VM, and they are counted and reported at the next look.
    int wake_fd() const noexcept { return wake_.fd(); }
    void clear_wake() const noexcept { wake_.clear(); }

    // [nrt] Whether tick() has something in hand that a slow look would
    // delay: reconnecting, connections changing, ports retiring, the
    // process thread not yet found.
    bool busy() const noexcept {
        return lost_ || refresh_due_.has_value() || !retiring_.empty() ||
               (client_ != nullptr && !process_thread_);
    }

    // [nrt] The engine frame that will be rendered `seconds` from now (JACK's
    // frame clock mapped onto the engine's), for timetagged changes.
    // Negative `seconds` gives a frame in the past. 0 when not connected.
    std::int64_t engine_frame_in(double seconds) const;

    // [nrt] A wall-clock time (CLOCK_REALTIME, seconds since 1970) on JACK's
    // clock (jack_get_time, microseconds), for changes timed on it
    // (Engine::apply's clock_us). 0 when not connected.
    std::int64_t clock_us_at(double unix_seconds) const;

    bool connected() const noexcept { return client_ != nullptr; }
    std::uint64_t cycles() const noexcept { return cycles_.load(std::memory_order_acquire); }
    // MIDI events refused at our JACK ports (system exclusive, or more than a
    // buffer holds in one cycle).
    std::uint64_t midi_refused() const noexcept { return midi_refused_.load(std::memory_order_relaxed); }
    BackendFigures figures() const;
    // [nrt] The SCHED_FIFO priority JACK gives this client's process thread
    // (jack_client_real_time_priority), or 0 when it is not real-time or no
    // client is open. Known as soon as the client is open.
    int process_thread_priority() const;

    // [nrt] Remembers (or forgets) an external connection without asking
    // JACK: a restored state names peers that may not exist yet, and they are
    // connected when their ports appear (or at the next start()).
    void remember_external(const std::string& our_port, const std::string& external, bool remember) {
        if (remember) {
            connections_[our_port].insert(external);
        } else if (const auto it = connections_.find(our_port); it != connections_.end()) {
            it->second.erase(external);
        }
    }

    // External connections we would re-make: our short name → full names.
    const std::map<std::string, std::set<std::string>>& remembered_connections() const {
        return connections_;
    }

private:
    struct SlotPort {
        std::atomic<jack_port_t*> port{nullptr};
    };
    struct RegisteredPort {
        std::string name;  // short name, equal to the graph port's name
        engine::PortKind kind;
        engine::PortDirection direction;
        std::uint32_t slot;
        jack_port_t* port;
    };
    struct RetiringPort {
        jack_port_t* port;
        std::uint64_t after_cycle;
    };

    static int process_callback(jack_nframes_t nframes, void* self) noexcept RTGRAPH_NONBLOCKING;
    static int buffer_size_callback(jack_nframes_t nframes, void* self) noexcept;
    static int sample_rate_callback(jack_nframes_t rate, void* self) noexcept;
    static int xrun_callback(void* self) noexcept;
    static void shutdown_callback(jack_status_t code, const char* reason, void* self) noexcept;
    static void connect_callback(jack_port_id_t a, jack_port_id_t b, int connect, void* self) noexcept;
    static void registration_callback(jack_port_id_t port, int registered, void* self) noexcept;

    void process(jack_nframes_t nframes) noexcept RTGRAPH_NONBLOCKING;
    void read_midi(jack_port_t* port, jack_nframes_t nframes, engine::MidiBuffer& events) noexcept
        RTGRAPH_NONBLOCKING;
    void write_midi(jack_port_t* port, jack_nframes_t nframes, const engine::MidiBuffer& events) noexcept
        RTGRAPH_NONBLOCKING;
    bool register_port(const engine::GraphPort& graph_port);
    bool connect_pair(const RegisteredPort& ours, const std::string& external);
    const RegisteredPort* registered(const std::string& name, std::string& error) const;

public:
    // [nrt] Whether connect_external/disconnect_external would succeed now.
    bool can_connect_external(const std::string& our_port, const std::string& external,
                              bool disconnect, std::string& error) const;

private:
    std::array<SlotPort, kMaxSlots>* slots_for(engine::PortDirection direction,
                                               engine::PortKind kind);
    void finish_port_retirement();
    void refresh_connections();
    void retry_connections();
    void make_connections();
    void drop_client();
    void read_process_thread_sched();

    engine::Engine* engine_ = nullptr;
    JackBackendConfig config_;
    jack_client_t* client_ = nullptr;
    std::string client_name_;

    // Shared with the audio thread.
    std::array<SlotPort, kMaxSlots> audio_inputs_;
    std::array<SlotPort, kMaxSlots> audio_outputs_;
    std::array<SlotPort, kMaxSlots> midi_inputs_;
    std::array<SlotPort, kMaxSlots> midi_outputs_;
    std::atomic<std::uint64_t> cycles_{0};
    std::atomic<std::uint64_t> midi_refused_{0};  // system exclusive and overflow at our ports
    std::atomic<std::uint64_t> xruns_{0};
    std::atomic<std::uint32_t> period_{0};
    std::atomic<std::uint32_t> sample_rate_{0};
    std::atomic<bool> server_lost_{false};
    std::atomic<bool> connections_changed_{false};
    std::atomic<bool> ports_appeared_{false};
    std::atomic<std::uint64_t> deadline_misses_{0};
    WakeFd wake_;  // signalled by the notification callbacks
    // The JACK frame and engine frame at the start of the last cycle, written
    // by the audio thread as a pair under a sequence counter (odd: writing).
    std::atomic<std::uint32_t> clock_seq_{0};
    std::atomic<std::uint32_t> cycle_jack_frame_{0};
    std::atomic<std::uint64_t> cycle_engine_frame_{0};
    std::atomic<bool> restart_frame_clock_{true};

    // Audio-thread scratch.
    std::array<const float*, kMaxSlots> input_buffers_{};
    std::array<float*, kMaxSlots> output_buffers_{};
    // One event buffer per MIDI slot and direction, allocated once (4 KiB each).
    std::unique_ptr<engine::MidiBuffer[]> midi_in_events_;
    std::unique_ptr<engine::MidiBuffer[]> midi_out_events_;
    std::array<const engine::MidiBuffer*, kMaxSlots> midi_input_buffers_{};
    std::array<engine::MidiBuffer*, kMaxSlots> midi_output_buffers_{};
    LoadMeter load_meter_;
    std::uint32_t expected_jack_frame_ = 0;  // where the next cycle should start
    bool have_expected_frame_ = false;

    // Control-thread state.
    std::vector<RegisteredPort> ports_;
    std::vector<RetiringPort> retiring_;
    std::map<std::string, std::set<std::string>> connections_;
    std::optional<SchedInfo> process_thread_;
    std::uint32_t reported_period_ = 0;
    std::optional<std::chrono::steady_clock::time_point> refresh_due_;
    std::chrono::steady_clock::time_point next_connection_retry_{};
    // Per our port: the external connections JACK reported at the last refresh.
    std::map<std::string, std::set<std::string>> established_;
    std::chrono::steady_clock::time_point next_retry_{};
    double retry_delay_s_ = 0.0;
    bool lost_ = false;
};

}  // namespace rtgraph::backend
