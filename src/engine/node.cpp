// Node base: parameter storage and the parameter-setting path.
#include "rtgraph/engine/node.hpp"

#include <cmath>

namespace rtgraph::engine {

Node::Node(const NodeTypeInfo& type, const PrepareSpec& spec, std::span<const float> initial)
    : type_(&type), spec_(spec) {
    params_.reserve(type.params.size());
    for (std::size_t i = 0; i < type.params.size(); ++i) {
        const float value = i < initial.size() ? initial[i] : type.params[i].default_value;
        params_.emplace_back(value);
    }
}

void Node::set_param(std::uint32_t index, float value, std::uint32_t ramp_frames) noexcept {
    if (index >= params_.size()) return;
    const ParamDescriptor& descriptor = type_->params[index];
    if (descriptor.kind == ParamKind::kInteger) {
        value = std::nearbyint(value);
        ramp_frames = 0;
    } else if (descriptor.kind == ParamKind::kToggle) {
        value = value >= 0.5f ? 1.0f : 0.0f;
        ramp_frames = 0;
    }
    params_[index].set_target(value, ramp_frames);
    on_param_changed(index);
}

}  // namespace rtgraph::engine
