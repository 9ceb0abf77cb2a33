// Why the control plane refused a request: the codes of /error replies that
// are not the engine's own (those come from engine::error_name: unknown_node,
// unknown_param, unknown_port and the rest, whoever finds the problem).
//
// Threads: constant data and pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "rtgraph/engine/error.hpp"

namespace rtgraph::control {

enum class ControlError : std::uint8_t {
    kUnknownAddress,      // no such address in kOscAddresses
    kBadArguments,        // missing, extra or mistyped arguments, bad words
    kBadEndpoint,         // an external JACK port used where only a graph port may be
    kJackError,           // JACK refused an external (dis)connection
    kTransactionRefused,  // another message of the bundle failed; nothing was applied
    kTooLarge,            // the packet, or the answer, exceeds what one packet may carry
    kMalformedPacket,     // the bytes are not OSC 1.0; no request could be read
    kNotReady,            // no engine yet (the daemon waits for its audio server)
    kBadNode,             // the node cannot do that (a file path sent to a sine)
    kBadDocument,         // a state document that does not parse or check
    kBadName,             // a snapshot name that is not allowed
    kUnknownSnapshot,     // no snapshot of that name
    kNoStateDir,          // the daemon keeps no state directory
    kIoError,             // reading or writing a file failed
};

// A stable machine-readable name ("bad_arguments"), for replies and logs.
const char* error_name(ControlError code) noexcept;

// A refusal on its way to an /error reply: a code from either list, and a
// message that says what was wrong and what to do.
struct Refusal {
    std::string_view code;
    std::string text;

    Refusal() = default;
    Refusal(ControlError c, std::string t) : code(error_name(c)), text(std::move(t)) {}
    Refusal(engine::ErrorCode c, std::string t) : code(engine::error_name(c)), text(std::move(t)) {}
    explicit Refusal(const engine::Error& error) : Refusal(error.code, error.message) {}
};

}  // namespace rtgraph::control
