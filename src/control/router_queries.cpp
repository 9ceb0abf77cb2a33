// CommandRouter: queries, answered at once (control thread).
#include <nlohmann/json.hpp>

#include "arg_reader.hpp"
#include "catalog_json.hpp"
#include "osc_reply.hpp"
#include "rtgraph/control/command_router.hpp"

namespace rtgraph::control {

void CommandRouter::handle_query(const Request& request, const OscPeer& peer,
                                 std::vector<Outgoing>& out) {
    OscMessage reply = done(request);
    Refusal refusal;
    if (!answer_query(request, peer, reply, refusal)) return refuse(request, refusal, peer, out);
    out.push_back({peer, std::move(reply)});
}

bool CommandRouter::answer_query(const Request& request, const OscPeer& peer, OscMessage& reply,
                                 Refusal& refusal) {
    ArgReader args(*request.message, request.first_arg, *request.address);
    std::string error;
    const auto bad = [&] {
        refusal = Refusal(ControlError::kBadArguments, error);
        return false;
    };
    // /types and /plugins: a JSON answer that must fit one packet.
    const auto filtered = [&](std::string text, const char* hint) {
        if (text.size() > kMaxReplyText) {
            refusal =
                Refusal(ControlError::kTooLarge,
                        std::string("the answer would not fit in one OSC packet; give a FILTER (") +
                            hint + ")");
            return false;
        }
        reply.args.push_back(string_arg(std::move(text)));
        return true;
    };
    std::string filter;
    switch (request.address->command) {
        case OscCommand::kVersion:
            if (!args.finish(error)) return bad();
            reply.args.push_back(string_arg(std::string(kApiVersion)));
            reply.args.push_back(string_arg("rtgraphd " + daemon_version_));
            return true;
        case OscCommand::kApi:
            if (!args.finish(error)) return bad();
            for (const OscAddress& a : osc_addresses()) {
                reply.args.push_back(string_arg(std::string(a.path)));
                reply.args.push_back(string_arg(std::string(a.arguments)));
                reply.args.push_back(string_arg(std::string(a.usage)));
                reply.args.push_back(string_arg(std::string(a.description)));
            }
            return true;
        case OscCommand::kParamGet: {
            std::string node_name, param_name;
            if (!args.string("NODE", node_name, error) ||
                !args.string("PARAM", param_name, error) || !args.finish(error)) {
                return bad();
            }
            const engine::ModelNode* node = engine_.model().find_node(node_name);
            if (node == nullptr) {
                refusal = Refusal(engine_.model().no_node(node_name));
                return false;
            }
            const auto index = node->type->find_param(param_name);
            if (!index) {
                refusal = Refusal(engine_.model().no_param(*node->type, "node '" + node_name + "'", param_name));
                return false;
            }
            const engine::ParamDescriptor& d = node->type->params[*index];
            reply.args.push_back(float_arg(node->params[*index]));
            reply.args.push_back(float_arg(d.min));
            reply.args.push_back(float_arg(d.max));
            reply.args.push_back(float_arg(d.default_value));
            reply.args.push_back(string_arg(d.unit));
            return true;
        }
        case OscCommand::kGraphDump:
            if (!args.finish(error)) return bad();
            reply.args.push_back(string_arg(graph_dump()));
            return true;
        case OscCommand::kTypes:
            if (args.more() && !args.string("FILTER", filter, error)) return bad();
            if (!args.finish(error)) return bad();
            return filtered(types_json(engine_.registry(), filter),
                            "a type name, 'builtin', 'lv2' or 'ladspa'");
        case OscCommand::kPlugins:
            if (args.more() && !args.string("FILTER", filter, error)) return bad();
            if (!args.finish(error)) return bad();
            return filtered(plugins_json(host_.plugin_catalog(), filter),
                            "part of a name, URI or class");
        case OscCommand::kPluginsRescan: {
            if (!args.finish(error)) return bad();
            const std::vector<std::string> problems = host_.rescan_plugins();
            const plugins::PluginCatalog* catalog = host_.plugin_catalog();
            const nlohmann::json summary = {
                {"plugins", catalog != nullptr ? catalog->entries().size() : 0},
                {"problems", problems}};
            reply.args.push_back(string_arg(summary.dump()));
            return true;
        }
        case OscCommand::kStatus:
            if (!args.finish(error)) return bad();
            reply.args.push_back(string_arg(status_json()));
            return true;
        case OscCommand::kSubscribe: {
            std::vector<std::string> topics;
            while (args.more()) {
                if (!args.string("TOPIC", topics.emplace_back(), error)) return bad();
            }
            if (!subscriptions_.subscribe(peer, topics, error)) return bad();
            return true;
        }
        case OscCommand::kUnsubscribe:
            if (!args.finish(error)) return bad();
            subscriptions_.unsubscribe(peer);
            return true;
        case OscCommand::kNodeOutputs:
        case OscCommand::kNodePath:
            return answer_node_query(request, reply, refusal);
        case OscCommand::kMidiLearn:
            return arm_midi_learn(request, peer, refusal);
        default:
            refusal = Refusal(ControlError::kUnknownAddress,
                              "no query handler for " + request.message->address);
            return false;
    }
}

// /node/outputs and /node/path: a running instance's figures, or a file for it.
bool CommandRouter::answer_node_query(const Request& request, OscMessage& reply, Refusal& refusal) {
    ArgReader args(*request.message, request.first_arg, *request.address);
    const bool path = request.address->command == OscCommand::kNodePath;
    std::string name, property, file, error;
    if (!args.string("NODE", name, error) ||
        (path &&
         (!args.string("PROPERTY_URI", property, error) || !args.string("PATH", file, error))) ||
        !args.finish(error)) {
        refusal = Refusal(ControlError::kBadArguments, error);
        return false;
    }
    const engine::ModelNode* node = engine_.model().find_node(name);
    if (node == nullptr) {
        refusal = Refusal(engine_.model().no_node(name));
        return false;
    }
    const std::shared_ptr<engine::Node> instance = engine_.instance(node->id);
    if (path) {
        if (instance == nullptr) {
            refusal = Refusal(ControlError::kBadNode, "node '" + name + "': not running");
            return false;
        }
        if (engine::Error refused = instance->send_path(property, file)) {
            const std::string text = "node '" + name + "': " + refused.message;
            refusal = refused.code == engine::ErrorCode::kBadPath
                          ? Refusal(refused.code, text + "; nothing was opened")
                          : Refusal(ControlError::kBadNode, text);
            return false;
        }
        return true;
    }
    nlohmann::json outputs = nlohmann::json::object();
    for (std::uint32_t i = 0; i < node->type->control_outputs.size(); ++i) {
        outputs[node->type->control_outputs[i]] = instance ? instance->control_output(i) : 0.0f;
    }
    reply.args.push_back(string_arg(nlohmann::json{
        {"node", name},
        {"latency_frames", instance ? instance->latency_frames() : 0},
        {"outputs", outputs}}.dump()));
    return true;
}

bool CommandRouter::arm_midi_learn(const Request& request, const OscPeer& peer, Refusal& refusal) {
    ArgReader args(*request.message, request.first_arg, *request.address);
    engine::MapMidi map;
    std::string error;
    if (!args.string("NODE", map.node, error) || !args.string("PARAM", map.param, error) ||
        !args.optional_range(map.min, map.max, error) || !args.finish(error)) {
        refusal = Refusal(ControlError::kBadArguments, error);
        return false;
    }
    // Validated now with a stand-in controller, so that a bad request fails
    // at once rather than when a controller arrives.
    engine::Model trial = engine_.model();
    engine::EditOutcome outcome;
    map.channel = 1;
    map.controller = 0;
    if (engine::Error refused = trial.apply(map, outcome)) {
        refusal = Refusal(refused);
        return false;
    }
    learn_ = Learn{peer, request.id, std::move(map)};
    engine_.arm_midi_learn(true);
    return true;
}

std::string CommandRouter::status_json() {
    const engine::EngineStats s = engine_.stats();
    const std::string members = host_.status_json_members();
    const nlohmann::json engine_part = {
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
