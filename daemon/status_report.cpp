// StatusReport: /status's host figures and the systemd status line (control thread).
#include "status_report.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace rtgraph::daemon {

std::string StatusReport::json_members() const {
    const backend::BackendFigures f = sources_.backend.figures();
    const control::OscTransportStats& osc = sources_.transport.stats();
    const LoadFigures& load = sources_.telemetry.figures();
    nlohmann::json j = {
        {"sample_rate", f.sample_rate},
        {"period", f.period},
        {"jack_connected", f.connected},
        {"dsp_load_percent", f.jack_dsp_load},
        {"engine_load_max", load.max_load},
        {"engine_load_mean", load.mean_load},
        {"xruns", f.xruns},
        {"deadline_misses", f.deadline_misses},
        {"midi_refused", sources_.backend.midi_refused()},
        {"lv2_worker_jobs", sources_.session.lv2_worker_jobs()},
        {"realtime", f.process_thread && f.process_thread->is_fifo()},
        {"process_thread", f.process_thread ? f.process_thread->describe() : "unknown"},
        {"audio_stalled", sources_.watchdog.stalled()},
        {"osc_packets", osc.packets},
        {"osc_dropped_not_allowed", osc.dropped_not_allowed},
        {"osc_dropped_oversize", osc.dropped_oversize},
        {"osc_dropped_bad_frame", osc.dropped_bad_frame},
        {"osc_stream_clients", osc.stream_clients},
        {"osc_stream_clients_refused", osc.stream_clients_refused},
        {"osc_stream_clients_evicted", osc.stream_clients_evicted},
        {"osc_stream_clients_timed_out", osc.stream_clients_timed_out},
    };
    sources_.persistence.add_status(j);
    j["workers"] = sources_.session.workers_status();
    const std::string text = j.dump();
    return text.substr(1, text.size() - 2);  // members only
}

void StatusReport::report(std::chrono::steady_clock::time_point now) {
    if (now < next_) return;
    next_ = now + std::chrono::seconds(1);
    const backend::BackendFigures figures = sources_.backend.figures();
    service::StatusFigures status;
    status.sample_rate = figures.sample_rate;
    status.period = figures.period;
    status.dsp_load_percent = figures.jack_dsp_load;
    status.xruns = figures.xruns;
    status.realtime = figures.process_thread && figures.process_thread->is_fifo();
    status.jack_connected = figures.connected;
    std::string text = service::format_status(status);
    if (sources_.watchdog.stalled()) text += ", AUDIO STALLED";
    if (sources_.persistence.failing()) text += ", DEGRADED: state writes failing, graph changes refused";
    notifier_.status(text);
    const LoadFigures& load = sources_.telemetry.figures();
    spdlog::debug("status: {}; engine load max {:.1f}% mean {:.1f}%", text, 100.0 * load.max_load,
                  100.0 * load.mean_load);
}

}  // namespace rtgraph::daemon
