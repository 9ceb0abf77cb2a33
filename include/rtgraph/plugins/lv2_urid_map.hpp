// URID map/unmap for LV2 plugins: URIs to small integers and back.
//
// Threads: any thread may map or unmap (plugins map at instantiation; the
// spec does not require these calls to be real-time safe, and a mutex guards
// the table). The audio-thread code of rtgraph itself only uses URIDs it
// mapped beforehand.
#pragma once

#include <lv2/urid/urid.h>

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rtgraph::plugins {

class UridMap {
public:
    UridMap();
    UridMap(const UridMap&) = delete;
    UridMap& operator=(const UridMap&) = delete;

    LV2_URID map(std::string_view uri);
    const char* unmap(LV2_URID urid) const;  // null for an unknown URID

    // The feature data handed to plugins; they point back at this object.
    LV2_URID_Map* map_feature() { return &map_; }
    LV2_URID_Unmap* unmap_feature() { return &unmap_; }

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, LV2_URID> ids_;
    std::deque<std::string> uris_;  // uris_[id - 1]; a deque keeps c_str() stable
    LV2_URID_Map map_;
    LV2_URID_Unmap unmap_;
};

}  // namespace rtgraph::plugins
