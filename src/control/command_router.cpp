// CommandRouter: requests to edits, replies and notifications (control thread).
#include "rtgraph/control/command_router.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <tuple>

#include "rtgraph/control/osc_api.hpp"
#include "rtgraph/plugins/lv2_node.hpp"
#include "rtgraph/persist/state_file.hpp"

namespace rtgraph::control {

namespace {

using engine::Edit;

OscArgument string_arg(std::string text) { return OscArgument{'s', std::move(text)}; }
OscArgument int_arg(std::int32_t value) { return OscArgument{'i', value}; }
OscArgument float_arg(float value) { return OscArgument{'f', value}; }

// Replies carry JSON in one string; beyond this they would not fit a packet.
constexpr std::size_t kMaxReplyText = 60000;

bool is_query(std::string_view path) {
    return path == "/version" || path == "/api" || path == "/param/get" || path == "/graph/dump" ||
           path == "/types" || path == "/status" || path == "/subscribe" || path == "/unsubscribe" ||
           path == "/plugins" || path == "/plugins/rescan" || path == "/node/outputs" ||
           path == "/node/path" || path == "/midi/learn";
}

bool is_persist(std::string_view path) {
    return path == "/snapshot/save" || path == "/snapshot/load" || path == "/snapshot/list" ||
           path == "/snapshot/delete" || path == "/graph/export" || path == "/graph/import";
}

const OscAddress* find_address(std::string_view path) {
    for (const OscAddress& address : osc_addresses()) {
        if (address.path == path) return &address;
    }
    return nullptr;
}

// Reads a request's arguments in order, with messages that name what is wrong.
class ArgReader {
public:
    ArgReader(const OscMessage& message, std::size_t first, const OscAddress& address)
        : message_(message), index_(first), address_(address) {}

    bool more() const { return index_ < message_.args.size(); }

    bool string(const char* name, std::string& out, std::string& error) {
        if (!present(name, error)) return false;
        const OscArgument& arg = message_.args[index_];
        if (const auto* text = std::get_if<std::string>(&arg.value)) {
            out = *text;
            ++index_;
            return true;
        }
        return wrong(name, "a string", arg.tag, error);
    }

    // A string, or a blob read as text (documents too long for an OSC string).
    bool text(const char* name, std::string& out, std::string& error) {
        if (!present(name, error)) return false;
        const OscArgument& arg = message_.args[index_];
        if (const auto* blob = std::get_if<OscBlob>(&arg.value)) {
            out.assign(blob->begin(), blob->end());
            ++index_;
            return true;
        }
        if (std::holds_alternative<std::string>(arg.value)) return string(name, out, error);
        return wrong(name, "a string or a blob", arg.tag, error);
    }

    bool number(const char* name, float& out, std::string& error) {
        if (!present(name, error)) return false;
        const OscArgument& arg = message_.args[index_];
        double value = 0.0;
        if (const auto* f = std::get_if<float>(&arg.value)) {
            value = *f;
        } else if (const auto* i = std::get_if<std::int32_t>(&arg.value)) {
            value = *i;
        } else if (const auto* d = std::get_if<double>(&arg.value)) {
            value = *d;
        } else if (const auto* h = std::get_if<std::int64_t>(&arg.value)) {
            value = static_cast<double>(*h);
        } else {
            return wrong(name, "a number", arg.tag, error);
        }
        out = static_cast<float>(value);  // NaN/Inf pass through: the model refuses them by name
        ++index_;
        return true;
    }

    bool integer(const char* name, int& out, std::string& error) {
        float value = 0.0f;
        if (!number(name, value, error)) return false;
        if (!std::isfinite(value) || value != std::floor(value) || std::fabs(value) > 1e6f) {
            error = "argument " + std::string(name) + " must be a whole number";
            return false;
        }
        out = static_cast<int>(value);
        return true;
    }

    // MIN MAX, both or neither.
    bool optional_range(std::optional<float>& min, std::optional<float>& max, std::string& error) {
        if (!more()) return true;
        float low = 0.0f;
        float high = 0.0f;
        if (!number("MIN", low, error) || !number("MAX", high, error)) return false;
        min = low;
        max = high;
        return true;
    }

    bool flag(const char* name, bool& out, std::string& error) {
        if (!present(name, error)) return false;
        const OscArgument& arg = message_.args[index_];
        if (const auto* b = std::get_if<bool>(&arg.value)) {
            out = *b;
        } else if (const auto* i = std::get_if<std::int32_t>(&arg.value)) {
            out = *i != 0;
        } else if (const auto* s = std::get_if<std::string>(&arg.value);
                   s != nullptr && (*s == "on" || *s == "off")) {
            out = *s == "on";
        } else {
            return wrong(name, "T/F, an int or on/off", arg.tag, error);
        }
        ++index_;
        return true;
    }

    bool finish(std::string& error) const {
        if (!more()) return true;
        error = "too many arguments: " + std::string(address_.path) + " takes " +
                (address_.usage.empty() ? std::string("none") : std::string(address_.usage));
        return false;
    }

private:
    bool present(const char* name, std::string& error) const {
        if (more()) return true;
        error = "missing argument " + std::string(name) + ": " + std::string(address_.path) +
                " takes " + std::string(address_.usage);
        return false;
    }
    bool wrong(const char* name, const char* expected, char tag, std::string& error) const {
        error = "argument " + std::string(name) + " must be " + expected + ", got type '" +
                std::string(1, tag) + "'";
        return false;
    }

    const OscMessage& message_;
    std::size_t index_;
    const OscAddress& address_;
};

// "graph:X" is a graph port, "node:port" a node's port when the node exists;
// anything else with a colon is taken as an external JACK port.
// `added` holds nodes that earlier messages of the same transaction add.
bool is_external(const engine::Model& model, const std::set<std::string>& added,
                 const std::string& endpoint) {
    const std::size_t colon = endpoint.find(':');
    if (colon == std::string::npos) return false;
    const std::string owner = endpoint.substr(0, colon);
    return owner != engine::kGraphName && model.find_node(owner) == nullptr && !added.contains(owner);
}

std::string graph_port_of(const std::string& endpoint) {
    const std::string prefix = std::string(engine::kGraphName) + ":";
    return endpoint.rfind(prefix, 0) == 0 ? endpoint.substr(prefix.size()) : std::string();
}

}  // namespace

CommandRouter::CommandRouter(engine::Engine& engine, ControlHost& host, std::string daemon_version,
                             persist::SnapshotStore* snapshots)
    : engine_(engine), host_(host), daemon_version_(std::move(daemon_version)), snapshots_(snapshots) {}

OscMessage CommandRouter::done(const Request& request) const {
    return OscMessage{"/done", {int_arg(request.id), string_arg(request.message->address)}};
}

OscMessage CommandRouter::failure(const Request& request, const std::string& code,
                                  const std::string& text) const {
    return OscMessage{"/error", {int_arg(request.id), string_arg(request.message->address),
                                 string_arg(code), string_arg(text)}};
}

void CommandRouter::reject_malformed(const std::string& error, const OscPeer& peer,
                                     std::vector<Outgoing>& out) {
    ++stats_.malformed;
    ++stats_.errors;
    out.push_back({peer, OscMessage{"/error", {int_arg(0), string_arg(""), string_arg("malformed_packet"),
                                               string_arg(error)}}});
}

void CommandRouter::handle(const OscPacket& packet, const OscPeer& peer, std::vector<Outgoing>& out) {
    if (packet.bundle) ++stats_.bundles;
    std::vector<Request> changes;
    for (const OscMessage& message : packet.messages) {
        ++stats_.requests;
        Request request{0, &message, 0};
        if (!message.args.empty() && message.args[0].tag == 'i') {
            request.id = std::get<std::int32_t>(message.args[0].value);
            request.first_arg = 1;
        }
        if (find_address(message.address) == nullptr) {
            ++stats_.errors;
            out.push_back({peer, failure(request, "unknown_address",
                                         "no address " + message.address + "; send /api for the list")});
            if (packet.bundle) changes.push_back(request);  // refuses the whole transaction
            continue;
        }
        if (is_query(message.address)) {
            handle_query(request, peer, out);
        } else if (is_persist(message.address)) {
            handle_persist(request, peer, out);
        } else {
            changes.push_back(request);
        }
    }
    if (!changes.empty()) handle_transaction(changes, packet, peer, out);
}

bool CommandRouter::to_edits(const Request& request, const std::set<std::string>& added_nodes,
                             std::vector<Edit>& edits,
                             std::vector<std::pair<std::string, std::string>>& externals,
                             bool& disconnect, std::string& code, std::string& error) const {
    const OscMessage& message = *request.message;
    const OscAddress* address = find_address(message.address);
    if (address == nullptr) {
        code = "unknown_address";
        error = "no address " + message.address;
        return false;
    }
    ArgReader args(message, request.first_arg, *address);
    code = "bad_arguments";
    const std::string& path = message.address;
    std::string a, b;
    float value = 0.0f;
    if (path == "/node/add") {
        engine::AddNode add;
        if (!args.string("TYPE", add.type, error) || !args.string("NAME", add.name, error)) return false;
        while (args.more()) {
            std::string param;
            if (!args.string("PARAM", param, error) || !args.number("VALUE", value, error)) return false;
            add.params.emplace_back(param, value);
        }
        edits.push_back(std::move(add));
    } else if (path == "/node/remove") {
        if (!args.string("NAME", a, error) || !args.finish(error)) return false;
        edits.push_back(engine::RemoveNode{a});
    } else if (path == "/node/rename") {
        if (!args.string("NAME", a, error) || !args.string("NEW_NAME", b, error) || !args.finish(error)) {
            return false;
        }
        edits.push_back(engine::RenameNode{a, b});
    } else if (path == "/node/bypass") {
        bool on = true;
        if (!args.string("NAME", a, error) || !args.flag("ON", on, error) || !args.finish(error)) return false;
        edits.push_back(engine::BypassNode{a, on});
    } else if (path == "/connect" || path == "/disconnect" || path == "/edge/gain") {
        float gain = 1.0f;
        if (!args.string("SRC", a, error) || !args.string("DST", b, error)) return false;
        const bool gain_given = args.more();
        if (path == "/edge/gain" && !args.number("GAIN", gain, error)) return false;
        if (path == "/connect" && args.more() && !args.number("GAIN", gain, error)) return false;
        if (!args.finish(error)) return false;
        const engine::Model& model = engine_.model();
        const bool external_a = is_external(model, added_nodes, a);
        const bool external_b = is_external(model, added_nodes, b);
        if (external_a || external_b) {
            const std::string port = graph_port_of(external_a ? b : a);
            if (path == "/edge/gain" || gain_given || (external_a && external_b) || port.empty()) {
                code = "bad_endpoint";
                error = "an external JACK port (" + (external_a ? a : b) +
                        ") connects only to a graph port (graph:NAME), without a gain; or is '" +
                        (external_a ? a : b).substr(0, (external_a ? a : b).find(':')) +
                        "' a node that does not exist?";
                return false;
            }
            if (model.find_graph_port(port) == nullptr) {
                code = "unknown_port";
                error = "no graph port named '" + port + "'";
                return false;
            }
            disconnect = path == "/disconnect";
            // Checked before anything is applied, so a bad JACK port refuses
            // the whole transaction like any other bad edit.
            code = "jack_error";
            if (!host_.can_connect_external(port, external_a ? a : b, disconnect, error)) return false;
            externals.emplace_back(port, external_a ? a : b);
            return true;
        }
        if (path == "/connect") edits.push_back(engine::Connect{a, b, gain});
        if (path == "/disconnect") edits.push_back(engine::Disconnect{a, b});
        if (path == "/edge/gain") edits.push_back(engine::SetEdgeGain{a, b, gain});
    } else if (path == "/port/add") {
        std::string direction, kind = "audio";
        if (!args.string("NAME", a, error) || !args.string("DIRECTION", direction, error)) return false;
        if (args.more() && !args.string("KIND", kind, error)) return false;
        if (!args.finish(error)) return false;
        if ((direction != "in" && direction != "out") || (kind != "audio" && kind != "midi")) {
            error = "direction must be in or out, kind audio or midi";
            return false;
        }
        edits.push_back(engine::AddGraphPort{
            a, kind == "midi" ? engine::PortKind::kMidi : engine::PortKind::kAudio,
            direction == "in" ? engine::PortDirection::kInput : engine::PortDirection::kOutput});
    } else if (path == "/port/remove") {
        if (!args.string("NAME", a, error) || !args.finish(error)) return false;
        edits.push_back(engine::RemoveGraphPort{a});
    } else if (path == "/param/set") {
        engine::SetParam set;
        if (!args.string("NODE", set.node, error) || !args.string("PARAM", set.param, error) ||
            !args.number("VALUE", set.value, error)) {
            return false;
        }
        if (args.more()) {
            float ramp = 0.0f;
            if (!args.number("RAMP_MS", ramp, error)) return false;
            set.ramp_ms = ramp;
        }
        if (!args.finish(error)) return false;
        edits.push_back(std::move(set));
    } else if (path == "/graph/clear") {
        if (!args.finish(error)) return false;
        edits.push_back(engine::ClearGraph{});
    } else if (path == "/midi/map") {
        engine::MapMidi map;
        if (!args.integer("CHANNEL", map.channel, error) || !args.integer("CC", map.controller, error) ||
            !args.string("NODE", map.node, error) || !args.string("PARAM", map.param, error) ||
            !args.optional_range(map.min, map.max, error) || !args.finish(error)) {
            return false;
        }
        edits.push_back(std::move(map));
    } else if (path == "/midi/unmap") {
        engine::UnmapMidi unmap;
        if (!args.integer("CHANNEL", unmap.channel, error) ||
            !args.integer("CC", unmap.controller, error) || !args.finish(error)) {
            return false;
        }
        edits.push_back(unmap);
    }
    return true;
}

void CommandRouter::handle_transaction(const std::vector<Request>& requests, const OscPacket& packet,
                                       const OscPeer& peer, std::vector<Outgoing>& out) {
    std::vector<Edit> edits;
    std::vector<std::size_t> owner;  // edit index → request index
    std::vector<std::vector<std::pair<std::string, std::string>>> externals(requests.size());
    std::vector<bool> disconnects(requests.size(), false);
    std::optional<std::size_t> failed;
    std::string code, error;
    std::set<std::string> added_nodes;
    for (std::size_t r = 0; r < requests.size() && !failed; ++r) {
        if (find_address(requests[r].message->address) == nullptr) {  // already answered
            failed = r;
            code = "unknown_address";
            error = "no address " + requests[r].message->address;
            continue;
        }
        const std::size_t before = edits.size();
        bool disconnect = false;
        if (!to_edits(requests[r], added_nodes, edits, externals[r], disconnect, code, error)) {
            failed = r;
            out.push_back({peer, failure(requests[r], code, error)});
            ++stats_.errors;
            continue;
        }
        disconnects[r] = disconnect;
        for (std::size_t e = before; e < edits.size(); ++e) {
            owner.push_back(r);
            if (const auto* add = std::get_if<engine::AddNode>(&edits[e])) added_nodes.insert(add->name);
        }
    }

    ScheduledTime when;
    // Times within the first second of the NTP era (0 included: some clients
    // send it for "now") are taken as "immediately", like the spec's 1.
    const bool timed = packet.bundle && packet.time.ntp >= (std::uint64_t{1} << 32);
    if (!failed && timed) when = host_.schedule_for_time(packet.time);
    const std::int64_t late = when.late_frames;

    engine::ApplyResult result;
    if (!failed && !edits.empty()) {
        result = engine_.apply(edits, when.frame, when.clock_us);
        if (!result.ok()) {
            failed = owner[result.failed_index];
            code = engine::error_name(result.error.code);
            error = result.error.message;
            if (result.error.code == engine::ErrorCode::kBusy) ++stats_.busy;
            out.push_back({peer, failure(requests[*failed], code, error)});
            ++stats_.errors;
        }
    }
    if (failed) {
        // Everyone else in the transaction hears why nothing happened.
        for (std::size_t r = 0; r < requests.size(); ++r) {
            if (r == *failed || find_address(requests[r].message->address) == nullptr) continue;
            ++stats_.errors;
            out.push_back({peer, failure(requests[r], "transaction_refused",
                                         "nothing in this bundle was applied: " +
                                             requests[*failed].message->address + " failed: " + error)});
        }
        return;
    }

    bool ports_changed = false;
    for (const Edit& edit : edits) {
        ports_changed = ports_changed || std::holds_alternative<engine::AddGraphPort>(edit) ||
                        std::holds_alternative<engine::RemoveGraphPort>(edit) ||
                        std::holds_alternative<engine::ClearGraph>(edit);
    }
    if (ports_changed) host_.graph_ports_changed();
    // What must be on disk before the replies go: everything but values that
    // glide (parameters, connection gains), which a storm may change hundreds
    // of times a second and which are saved within the documented bound.
    bool structural = false, params = false;
    for (const Edit& edit : edits) {
        const bool value = std::holds_alternative<engine::SetParam>(edit) ||
                           std::holds_alternative<engine::SetEdgeGain>(edit);
        (value ? params : structural) = true;
    }

    for (std::size_t r = 0; r < requests.size(); ++r) {
        OscMessage reply = done(requests[r]);
        bool external_failed = false;
        for (const auto& [port, external] : externals[r]) {
            std::string jack_error;
            const bool ok = disconnects[r] ? host_.disconnect_external(port, external, jack_error)
                                           : host_.connect_external(port, external, jack_error);
            // A disconnect forgets the connection even when JACK had already
            // lost it, so either way the saved state changes.
            structural = structural || ok || disconnects[r];
            if (!ok) {
                ++stats_.errors;
                out.push_back({peer, failure(requests[r], "jack_error", jack_error)});
                external_failed = true;
            }
        }
        if (external_failed) continue;
        if (late > 0) {
            reply.args.push_back(string_arg("late"));
            reply.args.push_back(int_arg(static_cast<std::int32_t>(std::min<std::int64_t>(late, INT32_MAX))));
        }
        for (std::size_t n = 0; n < result.notes.size(); ++n) {
            if (owner[result.note_edits[n]] == r) reply.args.push_back(string_arg(result.notes[n]));
        }
        const bool touches_engine = std::find(owner.begin(), owner.end(), r) != owner.end();
        if (touches_engine) {
            pending_.push_back({peer, std::move(reply), result, ports_changed});
        } else {
            out.push_back({peer, std::move(reply)});
        }
        if (requests[r].message->address != "/param/set") {
            notify("graph", OscMessage{"/notify/graph", {string_arg(peer.describe()),
                                                         string_arg(requests[r].message->address)}},
                   out);
        } else {
            const auto* set = std::get_if<engine::SetParam>(&edits[static_cast<std::size_t>(
                std::find(owner.begin(), owner.end(), r) - owner.begin())]);
            const engine::ModelNode* node = set ? engine_.model().find_node(set->node) : nullptr;
            const auto index = node ? node->type->find_param(set->param) : std::nullopt;
            if (index) {
                notify("param", OscMessage{"/notify/param", {string_arg(set->node), string_arg(set->param),
                                                             float_arg(node->params[*index])}},
                       out);
            }
        }
    }
    if (structural || params) host_.graph_changed(structural);
}

void CommandRouter::handle_persist(const Request& request, const OscPeer& peer,
                                   std::vector<Outgoing>& out) {
    const OscMessage& message = *request.message;
    const OscAddress& address = *find_address(message.address);
    ArgReader args(message, request.first_arg, address);
    const std::string& path = message.address;
    std::string name, error, code = "bad_arguments";
    OscMessage reply = done(request);
    const auto fail = [&](const std::string& failure_code, const std::string& text) {
        ++stats_.errors;
        out.push_back({peer, failure(request, failure_code, text)});
    };
    const auto document = [&] {
        return persist::to_document(persist::capture(
            engine_.model(), host_.external_connections(), [this](engine::NodeId id) {
                const std::shared_ptr<engine::Node> node = engine_.instance(id);
                return node ? node->save_state() : std::nullopt;
            }));
    };

    if (path == "/graph/export") {
        if (!args.finish(error)) return fail(code, error);
        reply.args.push_back(string_arg(document()));
        out.push_back({peer, std::move(reply)});
        return;
    }
    if (path == "/graph/import") {
        std::string text;
        if (!args.text("JSON", text, error) || !args.finish(error)) return fail(code, error);
        persist::GraphState state;
        if (!persist::from_document(text, state, error)) return fail("bad_document", error);
        replace_graph(request, state, peer, out);
        return;
    }
    if (snapshots_ == nullptr) return fail("no_state_dir", "this rtgraphd keeps no state directory");
    if (path == "/snapshot/list") {
        if (!args.finish(error)) return fail(code, error);
        const std::vector<std::string> names = snapshots_->list(error);
        if (!error.empty()) return fail("io_error", error);
        for (const std::string& n : names) reply.args.push_back(string_arg(n));
        out.push_back({peer, std::move(reply)});
        return;
    }
    if (!args.string("NAME", name, error) || !args.finish(error)) return fail(code, error);
    // Checked here as well as in the store, so a bad name gets its own code.
    if (!persist::valid_snapshot_name(name, error)) return fail("bad_name", error);
    if (path == "/snapshot/save") {
        if (!snapshots_->save(name, document(), error)) return fail("io_error", error);
        out.push_back({peer, std::move(reply)});
    } else if (path == "/snapshot/delete") {
        if (!snapshots_->remove(name, error)) {
            return fail(error.rfind("no snapshot", 0) == 0 ? "unknown_snapshot" : "io_error", error);
        }
        out.push_back({peer, std::move(reply)});
    } else if (path == "/snapshot/load") {
        std::string text;
        if (!snapshots_->load(name, text, error)) {
            return fail(error.rfind("no snapshot", 0) == 0 ? "unknown_snapshot" : "io_error", error);
        }
        persist::GraphState state;
        if (!persist::from_document(text, state, error)) {
            return fail("bad_document", "snapshot '" + name + "': " + error);
        }
        replace_graph(request, state, peer, out);
    }
}

void CommandRouter::replace_graph(const Request& request, const persist::GraphState& state,
                                  const OscPeer& peer, std::vector<Outgoing>& out) {
    const std::vector<Edit> edits = persist::restore_edits(state, engine_.model());
    engine::ApplyResult result = engine_.apply(edits);
    if (!result.ok()) {
        if (result.error.code == engine::ErrorCode::kBusy) ++stats_.busy;
        ++stats_.errors;
        out.push_back({peer, failure(request, engine::error_name(result.error.code),
                                     "nothing was changed: " + result.error.message)});
        return;
    }
    host_.graph_ports_changed();
    host_.replace_external_connections(state.externals);
    host_.graph_changed(true);
    OscMessage reply = done(request);
    for (const std::string& note : result.notes) reply.args.push_back(string_arg(note));
    pending_.push_back({peer, std::move(reply), std::move(result), true});
    notify("graph", OscMessage{"/notify/graph", {string_arg(peer.describe()), string_arg(request.message->address)}},
           out);
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

bool CommandRouter::handle_query(const Request& request, const OscPeer& peer, std::vector<Outgoing>& out) {
    const OscMessage& message = *request.message;
    const OscAddress& address = *find_address(message.address);
    ArgReader args(message, request.first_arg, address);
    std::string error;
    OscMessage reply = done(request);
    const std::string& path = message.address;
    if (path == "/version") {
        if (!args.finish(error)) goto bad;
        reply.args.push_back(string_arg(std::string(kApiVersion)));
        reply.args.push_back(string_arg("rtgraphd " + daemon_version_));
    } else if (path == "/api") {
        if (!args.finish(error)) goto bad;
        for (const OscAddress& a : osc_addresses()) {
            reply.args.push_back(string_arg(std::string(a.path)));
            reply.args.push_back(string_arg(std::string(a.arguments)));
            reply.args.push_back(string_arg(std::string(a.usage)));
            reply.args.push_back(string_arg(std::string(a.description)));
        }
    } else if (path == "/param/get") {
        std::string node_name, param_name;
        if (!args.string("NODE", node_name, error) || !args.string("PARAM", param_name, error) ||
            !args.finish(error)) {
            goto bad;
        }
        const engine::ModelNode* node = engine_.model().find_node(node_name);
        if (node == nullptr) {
            ++stats_.errors;
            out.push_back({peer, failure(request, "unknown_node", "no node named '" + node_name + "'")});
            return false;
        }
        const auto index = node->type->find_param(param_name);
        if (!index) {
            ++stats_.errors;
            out.push_back({peer, failure(request, "unknown_param",
                                         "node '" + node_name + "' has no parameter '" + param_name + "'")});
            return false;
        }
        const engine::ParamDescriptor& d = node->type->params[*index];
        reply.args.push_back(float_arg(node->params[*index]));
        reply.args.push_back(float_arg(d.min));
        reply.args.push_back(float_arg(d.max));
        reply.args.push_back(float_arg(d.default_value));
        reply.args.push_back(string_arg(d.unit));
    } else if (path == "/graph/dump") {
        if (!args.finish(error)) goto bad;
        reply.args.push_back(string_arg(dump_json()));
    } else if (path == "/types") {
        std::string filter;
        if (args.more() && !args.string("FILTER", filter, error)) goto bad;
        if (!args.finish(error)) goto bad;
        std::string text = types_json(filter);
        if (text.size() > kMaxReplyText) {
            ++stats_.errors;
            out.push_back({peer, failure(request, "too_large",
                                         "the answer would not fit in one OSC packet; give a FILTER "
                                         "(a type name, 'builtin', 'lv2' or 'ladspa')")});
            return false;
        }
        reply.args.push_back(string_arg(std::move(text)));
    } else if (path == "/status") {
        if (!args.finish(error)) goto bad;
        reply.args.push_back(string_arg(status_json()));
    } else if (path == "/subscribe") {
        static const std::set<std::string> kTopics = {"xrun", "graph", "param", "meter", "status"};
        std::set<std::string> topics;
        while (args.more()) {
            std::string topic;
            if (!args.string("TOPIC", topic, error)) goto bad;
            if (!kTopics.contains(topic)) {
                error = "unknown topic '" + topic + "' (topics: xrun graph param meter status)";
                goto bad;
            }
            topics.insert(topic);
        }
        subscribers_[peer.describe()] = Subscriber{peer, topics.empty() ? kTopics : topics};
    } else if (path == "/unsubscribe") {
        if (!args.finish(error)) goto bad;
        subscribers_.erase(peer.describe());
    } else {
        return handle_plugin_query(request, peer, out);
    }
    out.push_back({peer, std::move(reply)});
    return true;
bad:
    ++stats_.errors;
    out.push_back({peer, failure(request, "bad_arguments", error)});
    return false;
}

void CommandRouter::notify(const std::string& topic, OscMessage message, std::vector<Outgoing>& out) {
    for (const auto& [key, subscriber] : subscribers_) {
        if (subscriber.topics.contains(topic)) out.push_back({subscriber.peer, message});
    }
}

void CommandRouter::forget_connection(std::uint64_t connection) {
    std::erase_if(subscribers_, [&](const auto& entry) {
        return entry.second.peer.connection == connection && connection != 0;
    });
    std::erase_if(pending_, [&](const Pending& p) { return p.peer.connection == connection && connection != 0; });
}

std::string CommandRouter::dump_json() const {
    const engine::Model& model = engine_.model();
    nlohmann::json graph;
    graph["api"] = std::string(kApiVersion);
    graph["ports"] = nlohmann::json::array();
    // By name, as in the state file: a restored graph dumps the same.
    std::vector<const engine::GraphPort*> ports;
    for (const engine::GraphPort& port : model.graph_ports()) ports.push_back(&port);
    std::sort(ports.begin(), ports.end(), [](auto* a, auto* b) { return a->name < b->name; });
    for (const engine::GraphPort* p : ports) {
        const engine::GraphPort& port = *p;
        graph["ports"].push_back({{"name", port.name},
                                  {"direction", port.direction == engine::PortDirection::kInput ? "in" : "out"},
                                  {"kind", engine::to_string(port.kind)}});
    }
    graph["nodes"] = nlohmann::json::array();
    for (const auto& [id, node] : model.nodes()) {
        nlohmann::json params = nlohmann::json::object();
        for (std::size_t i = 0; i < node.params.size(); ++i) params[node.type->params[i].name] = node.params[i];
        graph["nodes"].push_back({{"name", node.name}, {"type", node.type->name},
                                  {"bypassed", node.bypassed}, {"params", params}});
    }
    graph["connections"] = nlohmann::json::array();
    // Sorted by source, destination, as in the state file: the model's order
    // is the history of edits, and a restored graph must dump the same.
    std::vector<nlohmann::json> connections;
    for (const engine::ModelEdge& edge : model.edges()) {
        connections.push_back({{"source", model.describe(edge.source)},
                               {"destination", model.describe(edge.destination)},
                               {"gain", edge.gain}});
    }
    std::sort(connections.begin(), connections.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        return std::tie(a["source"].get_ref<const std::string&>(), a["destination"].get_ref<const std::string&>()) <
               std::tie(b["source"].get_ref<const std::string&>(), b["destination"].get_ref<const std::string&>());
    });
    for (nlohmann::json& c : connections) graph["connections"].push_back(std::move(c));
    graph["midi_maps"] = nlohmann::json::array();
    for (const engine::MidiMap& map : model.midi_maps()) {
        const engine::ModelNode* node = model.node(map.node);
        graph["midi_maps"].push_back({{"channel", map.channel + 1},
                                      {"controller", map.controller},
                                      {"node", node->name},
                                      {"param", node->type->params[map.param].name},
                                      {"min", map.min},
                                      {"max", map.max}});
    }
    return graph.dump();
}

// Plugins, control outputs, LV2 host messages and MIDI learn: answered at
// once, like queries, though /midi/learn binds later.
bool CommandRouter::handle_plugin_query(const Request& request, const OscPeer& peer,
                                        std::vector<Outgoing>& out) {
    const OscMessage& message = *request.message;
    ArgReader args(message, request.first_arg, *find_address(message.address));
    const std::string& path = message.address;
    std::string error;
    std::string code = "bad_arguments";
    OscMessage reply = done(request);
    if (path == "/plugins") {
        std::string filter;
        if (args.more() && !args.string("FILTER", filter, error)) goto bad;
        if (!args.finish(error)) goto bad;
        std::string text = plugins_json(filter);
        if (text.size() > kMaxReplyText) {
            code = "too_large";
            error = "the answer would not fit in one OSC packet; give a FILTER (part of a name, URI or class)";
            goto bad;
        }
        reply.args.push_back(string_arg(std::move(text)));
    } else if (path == "/plugins/rescan") {
        if (!args.finish(error)) goto bad;
        const std::vector<std::string> problems = host_.rescan_plugins();
        const plugins::PluginCatalog* catalog = host_.plugin_catalog();
        nlohmann::json summary = {{"plugins", catalog != nullptr ? catalog->entries().size() : 0},
                                  {"problems", problems}};
        reply.args.push_back(string_arg(summary.dump()));
    } else if (path == "/node/outputs" || path == "/node/path") {
        std::string name, property, file;
        if (!args.string("NODE", name, error)) goto bad;
        if (path == "/node/path" &&
            (!args.string("PROPERTY_URI", property, error) || !args.string("PATH", file, error))) {
            goto bad;
        }
        if (!args.finish(error)) goto bad;
        const engine::ModelNode* node = engine_.model().find_node(name);
        if (node == nullptr) {
            code = "unknown_node";
            error = "no node named '" + name + "'";
            goto bad;
        }
        const std::shared_ptr<engine::Node> instance = engine_.instance(node->id);
        if (path == "/node/outputs") {
            nlohmann::json outputs = nlohmann::json::object();
            for (std::uint32_t i = 0; i < node->type->control_outputs.size(); ++i) {
                outputs[node->type->control_outputs[i]] = instance ? instance->control_output(i) : 0.0f;
            }
            reply.args.push_back(string_arg(
                nlohmann::json{{"node", name},
                               {"latency_frames", instance ? instance->latency_frames() : 0},
                               {"outputs", outputs}}
                    .dump()));
        } else {
            auto* plugin = dynamic_cast<plugins::Lv2Node*>(instance.get());
            if (plugin == nullptr) {
                code = "bad_node";
                error = "node '" + name + "' is not an LV2 plugin";
                goto bad;
            }
            if (!plugin->send_path(property, file, error)) {
                code = "bad_node";
                goto bad;
            }
        }
    } else if (path == "/midi/learn") {
        engine::MapMidi map;
        if (!args.string("NODE", map.node, error) || !args.string("PARAM", map.param, error) ||
            !args.optional_range(map.min, map.max, error) || !args.finish(error)) {
            goto bad;
        }
        // Validate now with a stand-in controller, so a bad request fails at
        // once rather than when a controller arrives.
        engine::Model trial = engine_.model();
        engine::EditOutcome outcome;
        map.channel = 1;
        map.controller = 0;
        if (engine::Error refused = trial.apply(map, outcome)) {
            code = engine::error_name(refused.code);
            error = refused.message;
            goto bad;
        }
        learn_ = Learn{peer, request.id, std::move(map)};
        engine_.arm_midi_learn(true);
    }
    out.push_back({peer, std::move(reply)});
    return true;
bad:
    ++stats_.errors;
    out.push_back({peer, failure(request, code, error)});
    return false;
}

void CommandRouter::midi_learned(int channel, int controller, std::vector<Outgoing>& out) {
    if (!learn_) return;
    Learn learn = std::move(*learn_);
    learn_.reset();
    learn.map.channel = channel + 1;
    learn.map.controller = controller;
    const engine::ApplyResult result = engine_.apply(learn.map);
    if (!result.ok()) {
        // The node went away since the request, say.
        out.push_back({learn.peer, OscMessage{"/error", {int_arg(learn.id), string_arg("/midi/learn"),
                                                          string_arg(engine::error_name(result.error.code)),
                                                          string_arg(result.error.message)}}});
        return;
    }
    host_.graph_changed(true);  // on disk before the sender hears of it
    out.push_back({learn.peer, OscMessage{"/midi/learned",
                                          {int_arg(learn.map.channel), int_arg(learn.map.controller),
                                           string_arg(learn.map.node), string_arg(learn.map.param)}}});
}

std::string CommandRouter::plugins_json(const std::string& filter) {
    nlohmann::json list = nlohmann::json::array();
    const plugins::PluginCatalog* catalog = host_.plugin_catalog();
    if (catalog == nullptr) return list.dump();
    static constexpr const char* kKinds[] = {"audio", "control", "midi", "other"};
    for (const plugins::PluginInfo* info : catalog->filter(filter)) {
        if (filter.empty()) {
            // Unfiltered: a summary with port counts, so that the list fits.
            using K = plugins::PluginPortKind;
            list.push_back({{"type", info->type_name},
                            {"family", info->family},
                            {"name", info->name},
                            {"class", info->plugin_class},
                            {"usable", info->usable()},
                            {"audio_in", info->count(K::kAudio, true)},
                            {"audio_out", info->count(K::kAudio, false)},
                            {"midi_in", info->count(K::kMidi, true)},
                            {"midi_out", info->count(K::kMidi, false)},
                            {"control_in", info->count(K::kControl, true)},
                            {"control_out", info->count(K::kControl, false)}});
            continue;
        }
        nlohmann::json ports = nlohmann::json::array();
        for (const plugins::PluginPortInfo& port : info->ports) {
            nlohmann::json p = {{"symbol", port.symbol},
                                {"name", port.name},
                                {"kind", kKinds[static_cast<int>(port.kind)]},
                                {"direction", port.input ? "in" : "out"}};
            if (port.kind == plugins::PluginPortKind::kControl) {
                p["min"] = port.min;
                p["max"] = port.max;
                p["default"] = port.default_value;
                p["unit"] = port.unit;
                p["toggle"] = port.toggle;
                p["integer"] = port.integer;
                p["logarithmic"] = port.logarithmic;
            }
            ports.push_back(std::move(p));
        }
        nlohmann::json entry = {{"type", info->type_name},  {"family", info->family},
                                {"name", info->name},       {"class", info->plugin_class},
                                {"library", info->library}, {"reports_latency", info->reports_latency},
                                {"usable", info->usable()}, {"ports", ports}};
        if (!info->usable()) entry["missing_features"] = info->missing_features;
        list.push_back(std::move(entry));
    }
    return list.dump();
}

std::string CommandRouter::types_json(const std::string& filter) const {
    nlohmann::json types = nlohmann::json::array();
    for (const engine::NodeTypeInfo* type : engine_.registry().types()) {
        if (!filter.empty() && type->family != filter && !plugins::contains_ignoring_case(type->name, filter) &&
            !plugins::contains_ignoring_case(type->description, filter)) {
            continue;
        }
        // Unfiltered, plugin types are named only: their details would not
        // fit one packet on a system with many plugins.
        if (filter.empty() && type->family != "builtin") {
            types.push_back({{"name", type->name}, {"description", type->description},
                             {"family", type->family}});
            continue;
        }
        nlohmann::json ports = nlohmann::json::array(), params = nlohmann::json::array();
        for (const engine::PortInfo& port : type->ports) {
            ports.push_back({{"name", port.name}, {"kind", engine::to_string(port.kind)},
                             {"direction", port.direction == engine::PortDirection::kInput ? "in" : "out"}});
        }
        for (const engine::ParamDescriptor& p : type->params) {
            params.push_back({{"name", p.name}, {"min", p.min}, {"max", p.max}, {"default", p.default_value},
                              {"unit", p.unit}, {"smoothing_ms", p.smoothing_ms},
                              {"kind", p.kind == engine::ParamKind::kContinuous ? "continuous"
                                       : p.kind == engine::ParamKind::kToggle   ? "toggle"
                                                                                : "integer"},
                              {"creation_only", p.creation_only}});
        }
        types.push_back({{"name", type->name}, {"description", type->description}, {"ports", ports},
                         {"params", params}, {"family", type->family},
                         {"control_outputs", type->control_outputs}});
    }
    return types.dump();
}

std::string CommandRouter::status_json() {
    const engine::EngineStats s = engine_.stats();
    std::string members = host_.status_json_members();
    nlohmann::json engine_part = {
        {"frame", s.frame},
        {"nodes", s.node_count},
        {"connections", engine_.model().edges().size()},
        {"program_generation", s.live_generation},
        {"fading_nodes", s.fading_nodes},
        {"fading_connections", s.fading_edges},
        {"command_queue_high_water", s.command_queue_high_water},
        {"busy_rejections", s.busy_rejections},
        {"events_dropped", s.events_dropped},
        {"nonfinite_blocks", s.nonfinite_blocks},
        {"telemetry_dropped", s.telemetry_dropped},
        {"midi_dropped", s.midi_dropped},
        {"requests", stats_.requests},
        {"errors", stats_.errors},
        {"malformed_packets", stats_.malformed},
        {"pending_replies", pending_.size()},
    };
    std::string text = engine_part.dump();  // {...}
    if (!members.empty()) text = "{" + members + "," + text.substr(1);
    return text;
}

}  // namespace rtgraph::control
