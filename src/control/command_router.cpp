// CommandRouter: dispatch, change transactions and live replies (control
// thread). Queries are in router_queries.cpp, standalone requests in
// router_persist.cpp, argument reading in change_request.cpp.
#include "rtgraph/control/command_router.hpp"

#include <algorithm>

#include "change_request.hpp"
#include "osc_reply.hpp"

namespace rtgraph::control {

using engine::Edit;

CommandRouter::CommandRouter(engine::Engine& engine, ControlHost& host,
                             Subscriptions& subscriptions, std::string daemon_version,
                             persist::SnapshotStore* snapshots)
    : engine_(engine),
      host_(host),
      subscriptions_(subscriptions),
      daemon_version_(std::move(daemon_version)),
      snapshots_(snapshots) {}

OscMessage CommandRouter::done(const Request& request) const {
    return OscMessage{"/done", {int_arg(request.id), string_arg(request.message->address)}};
}

void CommandRouter::refuse(const Request& request, const Refusal& refusal, const OscPeer& peer,
                           std::vector<Outgoing>& out) {
    ++stats_.errors;
    if (refusal.code == engine::error_name(engine::ErrorCode::kBusy)) ++stats_.busy;
    out.push_back(
        {peer, error_reply(request.id, request.message->address, refusal.code, refusal.text)});
}

void CommandRouter::reject_malformed(const std::string& error, const OscPeer& peer,
                                     std::vector<Outgoing>& out) {
    ++stats_.malformed;
    ++stats_.errors;
    out.push_back({peer, error_reply(0, "", error_name(ControlError::kMalformedPacket), error)});
}

void CommandRouter::handle(const OscPacket& packet, const OscPeer& peer,
                           std::vector<Outgoing>& out) {
    if (packet.bundle) ++stats_.bundles;
    std::vector<Request> changes;
    for (const OscMessage& message : packet.messages) {
        ++stats_.requests;
        Request request{0, &message, 0, find_osc_address(message.address)};
        if (!message.args.empty() && message.args[0].tag == 'i') {
            request.id = std::get<std::int32_t>(message.args[0].value);
            request.first_arg = 1;
        }
        if (request.address == nullptr) {
            refuse(request,
                   Refusal(ControlError::kUnknownAddress,
                           "no address " + message.address + "; send /api for the list"),
                   peer, out);
            if (packet.bundle) changes.push_back(request);  // refuses the whole transaction
            continue;
        }
        switch (request.address->kind) {
            case OscKind::kQuery:
                handle_query(request, peer, out);
                break;
            case OscKind::kStandalone:
                handle_standalone(request, peer, out);
                break;
            case OscKind::kChange:
                changes.push_back(request);
                break;
        }
    }
    if (!changes.empty()) handle_transaction(changes, packet, peer, out);
}

void CommandRouter::handle_transaction(const std::vector<Request>& requests,
                                       const OscPacket& packet, const OscPeer& peer,
                                       std::vector<Outgoing>& out) {
    std::vector<Edit> edits;
    std::vector<std::size_t> owner;  // edit index → request index
    std::vector<ChangeRequest> changes(requests.size());
    std::optional<std::size_t> failed;
    Refusal why;
    std::set<std::string> added_nodes;
    for (std::size_t r = 0; r < requests.size() && !failed; ++r) {
        const Request& request = requests[r];
        if (request.address == nullptr) {  // answered already; the others hear why nothing happened
            failed = r;
            why = Refusal(ControlError::kUnknownAddress, "no address " + request.message->address);
            continue;
        }
        if (!read_change(*request.address, *request.message, request.first_arg, engine_.model(),
                         added_nodes, host_, changes[r], why)) {
            failed = r;
            refuse(request, why, peer, out);
            continue;
        }
        for (Edit& edit : changes[r].edits) {
            if (const auto* add = std::get_if<engine::AddNode>(&edit))
                added_nodes.insert(add->name);
            edits.push_back(std::move(edit));
            owner.push_back(r);
        }
    }

    ScheduledTime when;
    // Times within the first second of the NTP era (0 included: some clients
    // send it for "now") are taken as "immediately", like the spec's 1.
    const bool timed = packet.bundle && packet.time.ntp >= (std::uint64_t{1} << 32);
    if (!failed && timed) when = host_.schedule_for_time(packet.time);
    const std::int64_t late = when.late_frames;

    bool ports_changed = false;
    // What must be on disk before the change is applied: everything but
    // values that glide (parameters, connection gains), which a storm may
    // change hundreds of times a second and which are saved within the
    // documented bound.
    bool structural = false, params = false;
    for (const Edit& edit : edits) {
        ports_changed = ports_changed || std::holds_alternative<engine::AddGraphPort>(edit) ||
                        std::holds_alternative<engine::RemoveGraphPort>(edit) ||
                        std::holds_alternative<engine::ClearGraph>(edit);
        const bool value = std::holds_alternative<engine::SetParam>(edit) ||
                           std::holds_alternative<engine::SetEdgeGain>(edit);
        (value ? params : structural) = true;
    }
    // External JACK connections are saved too: as they will be once made.
    std::vector<persist::ExternalConnection> externals;
    bool external_changes = false;
    for (const ChangeRequest& change : changes) external_changes = external_changes || !change.externals.empty();
    if (!failed && external_changes) {
        externals = host_.external_connections();
        for (const ChangeRequest& change : changes) {
            for (const auto& [port, external] : change.externals) {
                const persist::ExternalConnection c{port, external};
                const auto at = std::find(externals.begin(), externals.end(), c);
                if (change.disconnect && at != externals.end()) externals.erase(at);
                if (!change.disconnect && at == externals.end()) externals.push_back(c);
            }
        }
        std::sort(externals.begin(), externals.end());
        structural = true;
    } else if (!failed && structural) {
        externals = host_.external_connections();
    }

    engine::ApplyResult result;
    if (!failed && (!edits.empty() || external_changes)) {
        result = apply_kept(edits, when.frame, when.clock_us, structural, externals);
        if (!result.ok() && result.error.code == engine::ErrorCode::kNotKept) {
            // Not one request's fault: each hears why nothing was done.
            why = Refusal(result.error);
            for (const Request& request : requests) {
                if (request.address != nullptr) refuse(request, why, peer, out);
            }
            return;
        }
        if (!result.ok()) {
            failed = owner[result.failed_index];
            why = Refusal(result.error);
            refuse(requests[*failed], why, peer, out);
        }
    }
    if (failed) {
        for (std::size_t r = 0; r < requests.size(); ++r) {
            if (r == *failed || requests[r].address == nullptr) continue;
            refuse(requests[r],
                   Refusal(ControlError::kTransactionRefused,
                           "nothing in this bundle was applied: " +
                               requests[*failed].message->address + " failed: " + why.text),
                   peer, out);
        }
        return;
    }

    if (ports_changed) host_.graph_ports_changed();

    for (std::size_t r = 0; r < requests.size(); ++r) {
        const Request& request = requests[r];
        OscMessage reply = done(request);
        bool external_failed = false;
        for (const auto& [port, external] : changes[r].externals) {
            std::string jack_error;
            const bool ok = changes[r].disconnect
                                ? host_.disconnect_external(port, external, jack_error)
                                : host_.connect_external(port, external, jack_error);
            // A disconnect forgets the connection even when JACK had already
            // lost it, so either way the saved state changes.
            structural = structural || ok || changes[r].disconnect;
            if (!ok) {
                refuse(request, Refusal(ControlError::kJackError, jack_error), peer, out);
                external_failed = true;
            }
        }
        if (external_failed) continue;
        if (late > 0) {
            reply.args.push_back(string_arg("late"));
            reply.args.push_back(
                int_arg(static_cast<std::int32_t>(std::min<std::int64_t>(late, INT32_MAX))));
        }
        for (std::size_t n = 0; n < result.notes.size(); ++n) {
            if (owner[result.note_edits[n]] == r) reply.args.push_back(string_arg(result.notes[n]));
        }
        const auto first_edit = std::find(owner.begin(), owner.end(), r);
        if (first_edit != owner.end()) {
            pending_.push_back({peer, std::move(reply), result, ports_changed});
        } else {
            out.push_back({peer, std::move(reply)});
        }
        if (request.address->command != OscCommand::kParamSet) {
            notify("graph",
                   OscMessage{"/notify/graph",
                              {string_arg(peer.describe()), string_arg(request.message->address)}},
                   out);
            continue;
        }
        // The value as the model took it (clamped to the parameter's range).
        const auto& set =
            std::get<engine::SetParam>(edits[static_cast<std::size_t>(first_edit - owner.begin())]);
        for (const engine::ResolvedParam& param : result.params) {
            if (owner[param.edit] != r) continue;
            notify(
                "param",
                OscMessage{"/notify/param",
                           {string_arg(set.node), string_arg(set.param), float_arg(param.value)}},
                out);
        }
    }
    if (structural || params) host_.graph_changed(structural);
}

void CommandRouter::poll(std::vector<Outgoing>& out) {
    std::erase_if(pending_, [&](Pending& pending) {
        // Live: taken by the audio thread, its frame rendered, and the JACK
        // ports it added or removed seen so by every other client.
        if (!engine_.is_live(pending.result) || (pending.wait_ports && !host_.ports_settled())) {
            return false;
        }
        out.push_back({pending.peer, std::move(pending.reply)});
        return true;
    });
}

void CommandRouter::notify(const std::string& topic, const OscMessage& message,
                           std::vector<Outgoing>& out) {
    subscriptions_.notify(topic, message, out);
}

void CommandRouter::forget_connection(std::uint64_t connection) {
    subscriptions_.forget_connection(connection);
    if (connection == 0) return;
    std::erase_if(pending_, [&](const Pending& p) { return p.peer.connection == connection; });
}

void CommandRouter::midi_learned(int channel, int controller, std::vector<Outgoing>& out) {
    if (!learn_) return;
    Learn learn = std::move(*learn_);
    learn_.reset();
    learn.map.channel = channel + 1;
    learn.map.controller = controller;
    const Edit edit = learn.map;
    const engine::ApplyResult result =
        apply_kept(std::span<const Edit>(&edit, 1), 0, 0, true, host_.external_connections());
    if (!result.ok()) {
        // The node went away since the request, say.
        ++stats_.errors;
        out.push_back(
            {learn.peer, error_reply(learn.id, "/midi/learn", engine::error_name(result.error.code),
                                     result.error.message)});
        return;
    }
    host_.graph_changed(true);
    out.push_back(
        {learn.peer, OscMessage{"/midi/learned",
                                {int_arg(learn.map.channel), int_arg(learn.map.controller),
                                 string_arg(learn.map.node), string_arg(learn.map.param)}}});
}

}  // namespace rtgraph::control
