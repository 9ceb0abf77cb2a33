// JackControlHost: the router's host in rtgraphd (control thread).
#include "jack_control_host.hpp"

#include <time.h>

#include <algorithm>

namespace rtgraph::daemon {

JackControlHost::JackControlHost(backend::JackBackend& backend, EngineSession& session,
                                 Persistence& persistence, std::function<std::string()> status_members)
    : backend_(backend), session_(session), persistence_(persistence), status_members_(std::move(status_members)) {}

bool JackControlHost::connect_external(const std::string& graph_port, const std::string& external,
                                       std::string& error) {
    return backend_.connect_external(graph_port, external, error);
}

bool JackControlHost::disconnect_external(const std::string& graph_port, const std::string& external,
                                          std::string& error) {
    return backend_.disconnect_external(graph_port, external, error);
}

bool JackControlHost::can_connect_external(const std::string& graph_port, const std::string& external,
                                           bool disconnect, std::string& error) {
    return backend_.can_connect_external(graph_port, external, disconnect, error);
}

void JackControlHost::graph_ports_changed() { backend_.sync_ports(session_.engine()->model()); }

bool JackControlHost::ports_settled() { return backend_.ports_settled(session_.engine()->model()); }

std::vector<persist::ExternalConnection> JackControlHost::external_connections() {
    std::vector<persist::ExternalConnection> out;
    for (const auto& [port, peers] : backend_.remembered_connections()) {
        for (const std::string& peer : peers) out.push_back({port, peer});
    }
    return out;  // sorted: a map of sets
}

void JackControlHost::replace_external_connections(const std::vector<persist::ExternalConnection>& wanted) {
    const std::vector<persist::ExternalConnection> now = external_connections();
    const auto has = [](const std::vector<persist::ExternalConnection>& list, const persist::ExternalConnection& c) {
        return std::find(list.begin(), list.end(), c) != list.end();
    };
    std::string ignored;  // a peer already gone is not an error here
    for (const persist::ExternalConnection& c : now) {
        if (has(wanted, c)) continue;
        backend_.disconnect_external(c.port, c.peer, ignored);
        backend_.remember_external(c.port, c.peer, false);
    }
    for (const persist::ExternalConnection& c : wanted) {
        if (has(now, c)) continue;
        // Made now when the peer exists; remembered either way, and made when
        // its port appears.
        if (!backend_.connect_external(c.port, c.peer, ignored)) backend_.remember_external(c.port, c.peer, true);
    }
}

void JackControlHost::graph_changed(bool structural) {
    if (structural) {
        persistence_.mark_structural();
    } else {
        persistence_.mark_params(Persistence::Clock::now());
    }
}

control::ScheduledTime JackControlHost::schedule_for_time(control::OscTimetag time) {
    // NTP time (seconds since 1900, 32.32 fixed point) against the wall clock.
    constexpr double kNtpToUnix = 2208988800.0;
    const double target = static_cast<double>(time.ntp >> 32) - kNtpToUnix +
                          static_cast<double>(time.ntp & 0xffffffffu) / 4294967296.0;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    const double seconds_ahead = target - (static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9);
    control::ScheduledTime when;
    const std::int64_t frame = backend_.engine_frame_in(seconds_ahead);
    const auto rendered = static_cast<std::int64_t>(session_.engine()->counters().frame.load());
    if (frame < rendered) {
        when.late_frames = rendered - frame;
        return when;  // already past: at once
    }
    when.frame = static_cast<std::uint64_t>(frame);
    // The audio thread maps this time onto a frame by the clock of the cycle
    // it falls in (JACK's, DLL-filtered); the frame above is only an estimate.
    when.clock_us = backend_.clock_us_at(target);
    return when;
}

}  // namespace rtgraph::daemon
