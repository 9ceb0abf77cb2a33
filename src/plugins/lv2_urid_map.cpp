// URID map/unmap (any non-audio thread; see the header).
#include "rtgraph/plugins/lv2_urid_map.hpp"

namespace rtgraph::plugins {

UridMap::UridMap() {
    map_.handle = this;
    map_.map = [](LV2_URID_Map_Handle handle, const char* uri) -> LV2_URID {
        return uri == nullptr ? 0 : static_cast<UridMap*>(handle)->map(uri);
    };
    unmap_.handle = this;
    unmap_.unmap = [](LV2_URID_Unmap_Handle handle, LV2_URID urid) -> const char* {
        return static_cast<UridMap*>(handle)->unmap(urid);
    };
}

LV2_URID UridMap::map(std::string_view uri) {
    std::lock_guard lock(mutex_);
    const auto it = ids_.find(std::string(uri));
    if (it != ids_.end()) return it->second;
    uris_.emplace_back(uri);
    const auto id = static_cast<LV2_URID>(uris_.size());  // 0 is reserved
    ids_.emplace(uris_.back(), id);
    return id;
}

const char* UridMap::unmap(LV2_URID urid) const {
    std::lock_guard lock(mutex_);
    if (urid == 0 || urid > uris_.size()) return nullptr;
    return uris_[urid - 1].c_str();
}

}  // namespace rtgraph::plugins
