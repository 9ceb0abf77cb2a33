// A graph edit as its OSC request (rtgraphctl; see rtgraphctl_message.hpp).
#include "rtgraphctl_message.hpp"

#include <cstdint>
#include <string>
#include <variant>

namespace rtgraph::ctl {

Message message_from_edit(const engine::Edit& edit) {
    using namespace engine;
    struct Visitor {
        Message operator()(const AddNode& e) const {
            Message m{"/node/add", {e.type, e.name}};
            for (const auto& [param, value] : e.params) {
                m.args.emplace_back(param);
                m.args.emplace_back(value);
            }
            return m;
        }
        Message operator()(const RemoveNode& e) const { return {"/node/remove", {e.name}}; }
        Message operator()(const RenameNode& e) const { return {"/node/rename", {e.name, e.new_name}}; }
        Message operator()(const Connect& e) const {
            Message m{"/connect", {e.source, e.destination}};
            if (e.gain != 1.0f) m.args.emplace_back(e.gain);  // 1 is the default
            return m;
        }
        Message operator()(const Disconnect& e) const { return {"/disconnect", {e.source, e.destination}}; }
        Message operator()(const SetEdgeGain& e) const {
            return {"/edge/gain", {e.source, e.destination, e.gain}};
        }
        Message operator()(const SetParam& e) const {
            Message m{"/param/set", {e.node, e.param, e.value}};
            if (e.ramp_ms) m.args.emplace_back(*e.ramp_ms);
            return m;
        }
        Message operator()(const AddGraphPort& e) const {
            return {"/port/add",
                    {e.name, std::string(e.direction == PortDirection::kInput ? "in" : "out"),
                     std::string(e.kind == PortKind::kMidi ? "midi" : "audio")}};
        }
        Message operator()(const RemoveGraphPort& e) const { return {"/port/remove", {e.name}}; }
        Message operator()(const BypassNode& e) const { return {"/node/bypass", {e.name, e.bypassed}}; }
        Message operator()(const ClearGraph&) const { return {"/graph/clear", {}}; }
        Message operator()(const MapMidi& e) const {
            Message m{"/midi/map", {std::int32_t{e.channel}, std::int32_t{e.controller}, e.node, e.param}};
            if (e.min && e.max) {
                m.args.emplace_back(*e.min);
                m.args.emplace_back(*e.max);
            }
            return m;
        }
        Message operator()(const UnmapMidi& e) const {
            return {"/midi/unmap", {std::int32_t{e.channel}, std::int32_t{e.controller}}};
        }
    };
    return std::visit(Visitor{}, edit);
}

}  // namespace rtgraph::ctl
