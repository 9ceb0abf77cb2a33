// read_change: change requests to edits (control thread).
#include "change_request.hpp"

#include "arg_reader.hpp"

namespace rtgraph::control {

namespace {

// "graph:X" is a graph port, "node:port" a node's port when the node exists
// (or the transaction adds it); anything else with a colon is taken as an
// external JACK port.
bool is_external(const engine::Model& model, const std::set<std::string>& added,
                 const std::string& endpoint) {
    const std::size_t colon = endpoint.find(':');
    if (colon == std::string::npos) return false;
    const std::string owner = endpoint.substr(0, colon);
    return owner != engine::kGraphName && model.find_node(owner) == nullptr &&
           !added.contains(owner);
}

std::string graph_port_of(const std::string& endpoint) {
    const std::string prefix = std::string(engine::kGraphName) + ":";
    return endpoint.rfind(prefix, 0) == 0 ? endpoint.substr(prefix.size()) : std::string();
}

// /connect, /disconnect, /edge/gain: between two graph endpoints an engine
// edit; with an external JACK port on one side a JACK (dis)connection.
bool read_connection(OscCommand command, ArgReader& args, const engine::Model& model,
                     const std::set<std::string>& added_nodes, ControlHost& host,
                     ChangeRequest& out, Refusal& refusal) {
    std::string src, dst, error;
    float gain = 1.0f;
    const auto bad = [&] {
        refusal = Refusal(ControlError::kBadArguments, error);
        return false;
    };
    if (!args.string("SRC", src, error) || !args.string("DST", dst, error)) return bad();
    const bool gain_given = args.more();
    if (command == OscCommand::kEdgeGain && !args.number("GAIN", gain, error)) return bad();
    if (command == OscCommand::kConnect && args.more() && !args.number("GAIN", gain, error))
        return bad();
    if (!args.finish(error)) return bad();

    const bool external_src = is_external(model, added_nodes, src);
    const bool external_dst = is_external(model, added_nodes, dst);
    if (!external_src && !external_dst) {
        if (command == OscCommand::kConnect) out.edits.push_back(engine::Connect{src, dst, gain});
        if (command == OscCommand::kDisconnect) out.edits.push_back(engine::Disconnect{src, dst});
        if (command == OscCommand::kEdgeGain)
            out.edits.push_back(engine::SetEdgeGain{src, dst, gain});
        return true;
    }
    const std::string& external = external_src ? src : dst;
    const std::string port = graph_port_of(external_src ? dst : src);
    if (command == OscCommand::kEdgeGain || gain_given || (external_src && external_dst) ||
        port.empty()) {
        refusal =
            Refusal(ControlError::kBadEndpoint,
                    "an external JACK port (" + external +
                        ") connects only to a graph port (graph:NAME), without a gain; or is '" +
                        external.substr(0, external.find(':')) + "' a node that does not exist?");
        return false;
    }
    if (model.find_graph_port(port) == nullptr) {
        refusal = Refusal(model.no_graph_port(port));
        return false;
    }
    out.disconnect = command == OscCommand::kDisconnect;
    if (!host.can_connect_external(port, external, out.disconnect, error)) {
        refusal = Refusal(ControlError::kJackError, error);
        return false;
    }
    out.externals.emplace_back(port, external);
    return true;
}

// The rest: one edit each, from the arguments alone.
bool read_edit(OscCommand command, ArgReader& args, std::vector<engine::Edit>& edits,
               std::string& error) {
    std::string a, b;
    switch (command) {
        case OscCommand::kNodeAdd: {
            engine::AddNode add;
            if (!args.string("TYPE", add.type, error) || !args.string("NAME", add.name, error))
                return false;
            while (args.more()) {
                std::string param;
                float value = 0.0f;
                if (!args.string("PARAM", param, error) || !args.number("VALUE", value, error))
                    return false;
                add.params.emplace_back(param, value);
            }
            edits.push_back(std::move(add));
            return true;
        }
        case OscCommand::kNodeRemove:
            if (!args.string("NAME", a, error) || !args.finish(error)) return false;
            edits.push_back(engine::RemoveNode{a});
            return true;
        case OscCommand::kNodeRename:
            if (!args.string("NAME", a, error) || !args.string("NEW_NAME", b, error) ||
                !args.finish(error)) {
                return false;
            }
            edits.push_back(engine::RenameNode{a, b});
            return true;
        case OscCommand::kNodeBypass: {
            bool on = true;
            if (!args.string("NAME", a, error) || !args.flag("ON", on, error) ||
                !args.finish(error))
                return false;
            edits.push_back(engine::BypassNode{a, on});
            return true;
        }
        case OscCommand::kPortAdd: {
            std::string direction, kind = "audio";
            if (!args.string("NAME", a, error) || !args.string("DIRECTION", direction, error))
                return false;
            if (args.more() && !args.string("KIND", kind, error)) return false;
            if (!args.finish(error)) return false;
            if ((direction != "in" && direction != "out") || (kind != "audio" && kind != "midi")) {
                error = "direction must be in or out, kind audio or midi";
                return false;
            }
            edits.push_back(engine::AddGraphPort{
                a, kind == "midi" ? engine::PortKind::kMidi : engine::PortKind::kAudio,
                direction == "in" ? engine::PortDirection::kInput
                                  : engine::PortDirection::kOutput});
            return true;
        }
        case OscCommand::kPortRemove:
            if (!args.string("NAME", a, error) || !args.finish(error)) return false;
            edits.push_back(engine::RemoveGraphPort{a});
            return true;
        case OscCommand::kParamSet: {
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
            return true;
        }
        case OscCommand::kGraphClear:
            if (!args.finish(error)) return false;
            edits.push_back(engine::ClearGraph{});
            return true;
        case OscCommand::kMidiMap: {
            engine::MapMidi map;
            if (!args.integer("CHANNEL", map.channel, error) ||
                !args.integer("CC", map.controller, error) ||
                !args.string("NODE", map.node, error) || !args.string("PARAM", map.param, error) ||
                !args.optional_range(map.min, map.max, error) || !args.finish(error)) {
                return false;
            }
            edits.push_back(std::move(map));
            return true;
        }
        case OscCommand::kMidiUnmap: {
            engine::UnmapMidi unmap;
            if (!args.integer("CHANNEL", unmap.channel, error) ||
                !args.integer("CC", unmap.controller, error) || !args.finish(error)) {
                return false;
            }
            edits.push_back(unmap);
            return true;
        }
        default:
            error = "no change handler for this address";  // the table and this switch disagree
            return false;
    }
}

}  // namespace

bool read_change(const OscAddress& address, const OscMessage& message, std::size_t first_arg,
                 const engine::Model& model, const std::set<std::string>& added_nodes,
                 ControlHost& host, ChangeRequest& out, Refusal& refusal) {
    ArgReader args(message, first_arg, address);
    switch (address.command) {
        case OscCommand::kConnect:
        case OscCommand::kDisconnect:
        case OscCommand::kEdgeGain:
            return read_connection(address.command, args, model, added_nodes, host, out, refusal);
        default: {
            std::string error;
            if (read_edit(address.command, args, out.edits, error)) return true;
            refusal = Refusal(ControlError::kBadArguments, error);
            return false;
        }
    }
}

}  // namespace rtgraph::control
