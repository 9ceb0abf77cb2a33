// read_change: one change request (kind kChange in kOscAddresses) turned into
// the engine edits, or the external JACK (dis)connections, it asks for.
//
// Threads: control thread.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rtgraph/control/control_error.hpp"
#include "rtgraph/control/control_host.hpp"
#include "rtgraph/control/osc_api.hpp"
#include "rtgraph/control/osc_packet.hpp"
#include "rtgraph/engine/edit.hpp"
#include "rtgraph/engine/model.hpp"

namespace rtgraph::control {

struct ChangeRequest {
    std::vector<engine::Edit> edits;
    // A graph port and an external JACK port to connect, or to disconnect.
    std::vector<std::pair<std::string, std::string>> externals;
    bool disconnect = false;
};

// [nrt] Reads `message` (its arguments from `first_arg`) as `address` asks.
// `added_nodes`: the nodes earlier messages of the same transaction add, so
// "node:port" names them rather than an external port. An external
// (dis)connection is checked with the host before anything is applied, so a
// bad JACK port refuses the transaction like any other bad edit.
bool read_change(const OscAddress& address, const OscMessage& message, std::size_t first_arg,
                 const engine::Model& model, const std::set<std::string>& added_nodes,
                 ControlHost& host, ChangeRequest& out, Refusal& refusal);

}  // namespace rtgraph::control
