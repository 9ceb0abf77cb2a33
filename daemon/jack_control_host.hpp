// JackControlHost: what the command router needs beyond the engine, made of
// rtgraphd's parts. JACK connections and ports through the backend, OSC time
// onto the engine's frames, the plugin catalog, and the state file's marks.
//
// Threads: the control thread (it is the router's host).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "rtgraph/backend/jack_backend.hpp"
#include "rtgraph/control/command_router.hpp"
#include "engine_session.hpp"
#include "persistence.hpp"

namespace rtgraph::daemon {

class JackControlHost final : public control::ControlHost {
public:
    // `status_members`: /status's host figures (see StatusReport).
    JackControlHost(backend::JackBackend& backend, EngineSession& session, Persistence& persistence,
                    std::function<std::string()> status_members);

    bool connect_external(const std::string& graph_port, const std::string& external,
                          std::string& error) override;
    bool disconnect_external(const std::string& graph_port, const std::string& external,
                             std::string& error) override;
    bool can_connect_external(const std::string& graph_port, const std::string& external,
                              bool disconnect, std::string& error) override;
    void graph_ports_changed() override;
    bool ports_settled() override;
    control::ScheduledTime schedule_for_time(control::OscTimetag time) override;
    std::string status_json_members() override { return status_members_(); }
    const plugins::PluginCatalog* plugin_catalog() override { return &session_.catalog(); }
    std::vector<std::string> rescan_plugins() override { return session_.rescan_plugins(); }
    std::vector<persist::ExternalConnection> external_connections() override;
    void replace_external_connections(const std::vector<persist::ExternalConnection>& wanted) override;
    bool keeps_state() const override { return true; }
    bool write_ahead(const std::string& document, std::string& error) override {
        return persistence_.write_ahead(document, error);
    }
    void graph_changed(bool structural) override;

private:
    backend::JackBackend& backend_;
    EngineSession& session_;
    Persistence& persistence_;
    std::function<std::string()> status_members_;
};

}  // namespace rtgraph::daemon
