// Lv2Node: one LV2 plugin instance as a graph node.
//
// Threads:
//   control thread   construction (instantiate, default state, activate),
//                    send_path(), save of state
//   audio thread     process(): delivers worker responses, ramps controls in
//                    short sub-blocks, converts MIDI to atom sequences and back
//   worker thread    run_pending_work(): the plugin's non-real-time work()
//   housekeeping     destruction (deactivate, free)
// Between them only SPSC queues and relaxed atomics: the plugin's worker
// requests and responses, host messages, control output values.
#pragma once

#include <lilv/lilv.h>
#include <lv2/log/log.h>
#include <lv2/worker/worker.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rtgraph/engine/node.hpp"
#include "rtgraph/plugins/lv2_worker.hpp"
#include "rtgraph/rt/spsc_queue.hpp"

namespace rtgraph::plugins {

struct Lv2PluginDesc;

class Lv2Node final : public engine::Node, public WorkerClient {
public:
    // Ramping controls are written every kRampChunk frames.
    static constexpr std::uint32_t kRampChunk = 16;

    // [nrt] Throws std::runtime_error when the plugin cannot be instantiated.
    Lv2Node(std::shared_ptr<const Lv2PluginDesc> desc, const engine::NodeTypeInfo& type,
            const engine::PrepareSpec& spec, std::span<const float> initial);
    ~Lv2Node() override;

    void process(const engine::ProcessBlock& block) noexcept RTGRAPH_NONBLOCKING override;
    // No reset: deactivate/activate are not real-time safe in LV2, so a plugin
    // that emitted NaN is silenced by the executor but keeps its state.

    float control_output(std::uint32_t index) const noexcept override;
    std::uint32_t latency_frames() const noexcept override;

    // [nrt] control thread. The plugin's LV2 state (state:interface) as
    // Turtle text; nullopt when the plugin has no state interface. Port
    // values are left out: parameters are saved by the model.
    std::optional<std::string> save_state() override;
    // Refused with kBadPath, before lilv reads it, when the state names a
    // file outside the host's media directories (see io::MediaDirs).
    engine::Error restore_state(const std::string& state) override;

    // [worker thread]
    std::uint32_t run_pending_work() override;

    // [nrt] control thread. Queues a patch:Set of `property` to an atom:Path
    // value for the plugin's control port, delivered at the next block. An
    // error when the plugin has no port for host messages or the queue is
    // full; kBadPath when the file is not inside the host's media directories.
    engine::Error send_path(const std::string& property_uri, const std::string& path) override;

    // Counters any thread may read.
    std::uint64_t work_scheduled() const noexcept { return work_scheduled_.load(std::memory_order_relaxed); }
    std::uint64_t work_responses() const noexcept { return work_responses_.load(std::memory_order_relaxed); }

private:
    static constexpr std::uint32_t kMaxWorkSize = 4096;
    struct WorkMessage {
        std::uint32_t size;
        alignas(8) std::uint8_t data[kMaxWorkSize];
    };
    struct HostMessage {
        std::uint32_t size;
        alignas(8) std::uint8_t data[2048];
    };

    static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, std::uint32_t size,
                                           const void* data);
    static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, std::uint32_t size,
                                     const void* data);
    static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char* format, ...);
    static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char* format, va_list args);

    void run_span(const engine::ProcessBlock& block, std::uint32_t start, std::uint32_t nframes,
                  bool first) noexcept RTGRAPH_NONBLOCKING;

    std::shared_ptr<const Lv2PluginDesc> desc_;
    LilvInstance* instance_ = nullptr;
    bool activated_ = false;
    bool worker_registered_ = false;

    std::vector<float> control_in_;                        // by parameter index
    std::vector<float> control_out_;                       // by control-output slot
    std::unique_ptr<std::atomic<float>[]> control_out_mirror_;
    std::int32_t latency_slot_ = -1;
    std::vector<std::unique_ptr<std::uint64_t[]>> atom_buffers_;  // by desc port position
    std::vector<float> cv_silence_;
    std::vector<float> cv_scratch_;

    const LV2_Worker_Interface* worker_interface_ = nullptr;
    std::unique_ptr<rt::SpscQueue<WorkMessage>> requests_;
    std::unique_ptr<rt::SpscQueue<WorkMessage>> responses_;
    rt::SpscQueue<HostMessage> host_messages_{8};
    std::atomic<std::uint64_t> work_scheduled_{0};
    std::atomic<std::uint64_t> work_responses_{0};

    // A restored state whose loading the plugin scheduled on its worker: what
    // save_state reports until the worker's answer has been delivered.
    std::optional<std::string> pending_restore_;
    std::uint64_t responses_at_restore_ = 0;

    LV2_Worker_Schedule schedule_{};
    LV2_Log_Log log_{};
    LV2_Feature schedule_feature_{};
    LV2_Feature log_feature_{};
    std::vector<const LV2_Feature*> features_;
};

}  // namespace rtgraph::plugins
