// CommandRouter's persistence requests (control thread): snapshots, export
// and import, each on its own; and the graph as /graph/dump shows it, written
// by persist so that the dump and the state document cannot disagree. The
// only router file that includes persist.
#include "arg_reader.hpp"
#include "osc_reply.hpp"
#include "rtgraph/control/command_router.hpp"
#include "rtgraph/persist/snapshot_store.hpp"
#include "rtgraph/persist/state_file.hpp"

namespace rtgraph::control {

namespace {

// The state file as a transaction will leave the graph, written through the
// host before the engine commits it.
class WriteAhead final : public engine::CommitGuard {
public:
    WriteAhead(ControlHost& host, const std::vector<persist::ExternalConnection>& externals)
        : host_(host), externals_(externals) {}

    engine::Error admit(const engine::Model& next, const InstanceOf& instance_of) override {
        const persist::PluginStateSource states = [&](engine::NodeId id) -> std::optional<std::string> {
            const std::shared_ptr<engine::Node> node = instance_of(id);
            return node ? node->save_state() : std::nullopt;
        };
        std::string error;
        if (host_.write_ahead(persist::to_document(persist::capture(next, externals_, states)), error)) return {};
        return {engine::ErrorCode::kNotKept,
                "nothing was changed: the state file could not be written (" + error +
                    "); a change that cannot be kept is not made. Free space or fix the state "
                    "directory, then send it again"};
    }

private:
    ControlHost& host_;
    const std::vector<persist::ExternalConnection>& externals_;
};

}  // namespace

engine::ApplyResult CommandRouter::apply_kept(std::span<const engine::Edit> edits, std::uint64_t frame,
                                              std::int64_t clock_us, bool structural,
                                              const std::vector<persist::ExternalConnection>& externals) {
    if (!structural || !host_.keeps_state()) return engine_.apply(edits, frame, clock_us);
    WriteAhead guard(host_, externals);
    if (!edits.empty()) return engine_.apply(edits, frame, clock_us, &guard);
    // Only external connections change: the model as it is, with them.
    engine::ApplyResult result;
    const engine::CommitGuard::InstanceOf running = [this](engine::NodeId id) { return engine_.instance(id); };
    result.error = guard.admit(engine_.model(), running);
    return result;
}

persist::GraphState CommandRouter::capture_graph(bool plugin_states) const {
    persist::PluginStateSource states;
    if (plugin_states) {
        states = [this](engine::NodeId id) {
            const std::shared_ptr<engine::Node> node = engine_.instance(id);
            return node ? node->save_state() : std::nullopt;
        };
    }
    return persist::capture(engine_.model(), host_.external_connections(), states);
}

std::string CommandRouter::graph_dump() const {
    return persist::to_graph_dump(capture_graph(false), kApiVersion);
}

void CommandRouter::handle_standalone(const Request& request, const OscPeer& peer,
                                      std::vector<Outgoing>& out) {
    ArgReader args(*request.message, request.first_arg, *request.address);
    const OscCommand command = request.address->command;
    std::string name, error;
    OscMessage reply = done(request);
    const auto fail = [&](ControlError code, const std::string& text) {
        refuse(request, Refusal(code, text), peer, out);
    };
    // The store says "no snapshot ..." when the name is not there.
    const auto store_failure = [&] {
        return error.rfind("no snapshot", 0) == 0 ? ControlError::kUnknownSnapshot
                                                  : ControlError::kIoError;
    };

    if (command == OscCommand::kGraphExport) {
        if (!args.finish(error)) return fail(ControlError::kBadArguments, error);
        reply.args.push_back(string_arg(persist::to_document(capture_graph(true))));
        out.push_back({peer, std::move(reply)});
        return;
    }
    if (command == OscCommand::kGraphImport) {
        std::string text;
        if (!args.text("JSON", text, error) || !args.finish(error))
            return fail(ControlError::kBadArguments, error);
        persist::GraphState state;
        if (!persist::from_document(text, state, error))
            return fail(ControlError::kBadDocument, error);
        replace_graph(request, state, peer, out);
        return;
    }
    if (snapshots_ == nullptr)
        return fail(ControlError::kNoStateDir, "this rtgraphd keeps no state directory");
    if (command == OscCommand::kSnapshotList) {
        if (!args.finish(error)) return fail(ControlError::kBadArguments, error);
        const std::vector<std::string> names = snapshots_->list(error);
        if (!error.empty()) return fail(ControlError::kIoError, error);
        for (const std::string& n : names) reply.args.push_back(string_arg(n));
        out.push_back({peer, std::move(reply)});
        return;
    }
    if (!args.string("NAME", name, error) || !args.finish(error))
        return fail(ControlError::kBadArguments, error);
    // Checked here as well as in the store, so a bad name gets its own code.
    if (!persist::valid_snapshot_name(name, error)) return fail(ControlError::kBadName, error);
    switch (command) {
        case OscCommand::kSnapshotSave:
            if (!snapshots_->save(name, persist::to_document(capture_graph(true)), error)) {
                return fail(ControlError::kIoError, error);
            }
            out.push_back({peer, std::move(reply)});
            return;
        case OscCommand::kSnapshotDelete:
            if (!snapshots_->remove(name, error)) return fail(store_failure(), error);
            out.push_back({peer, std::move(reply)});
            return;
        case OscCommand::kSnapshotLoad: {
            std::string text;
            if (!snapshots_->load(name, text, error)) return fail(store_failure(), error);
            persist::GraphState state;
            if (!persist::from_document(text, state, error)) {
                return fail(ControlError::kBadDocument, "snapshot '" + name + "': " + error);
            }
            replace_graph(request, state, peer, out);
            return;
        }
        default:
            return fail(ControlError::kUnknownAddress,
                        "no handler for " + request.message->address);
    }
}

void CommandRouter::replace_graph(const Request& request, const persist::GraphState& state,
                                  const OscPeer& peer, std::vector<Outgoing>& out) {
    const std::vector<engine::Edit> edits = persist::restore_edits(state, engine_.model());
    engine::ApplyResult result = apply_kept(edits, 0, 0, true, state.externals);
    if (!result.ok()) {
        const bool said = result.error.code == engine::ErrorCode::kNotKept;  // says so already
        return refuse(request,
                      Refusal(result.error.code,
                              (said ? std::string() : "nothing was changed: ") + result.error.message),
                      peer, out);
    }
    host_.graph_ports_changed();
    host_.replace_external_connections(state.externals);
    host_.graph_changed(true);
    OscMessage reply = done(request);
    for (const std::string& note : result.notes) reply.args.push_back(string_arg(note));
    pending_.push_back({peer, std::move(reply), std::move(result), true});
    notify("graph",
           OscMessage{"/notify/graph",
                      {string_arg(peer.describe()), string_arg(request.message->address)}},
           out);
}

}  // namespace rtgraph::control
