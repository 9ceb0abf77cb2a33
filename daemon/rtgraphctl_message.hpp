// rtgraphctl's messages: the OSC message type it sends and receives (the
// command words' ClientMessage), and a graph edit as the request that makes it.
//
// Threads: rtgraphctl's only thread; allocates.
#pragma once

#include "rtgraph/control/command_words.hpp"
#include "rtgraph/engine/edit.hpp"

namespace rtgraph::ctl {

using Blob = control::ClientBlob;
using Value = control::ClientValue;
using Message = control::ClientMessage;

// [nrt] An edit as the OSC request that makes it, every optional argument
// written out except a connection gain of 1 (for edits that were not typed:
// typed commands keep their own request, control::Command::request).
Message message_from_edit(const engine::Edit& edit);

}  // namespace rtgraph::ctl
