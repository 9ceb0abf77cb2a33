// Names of the control plane's error codes (any thread).
#include "rtgraph/control/control_error.hpp"

namespace rtgraph::control {

const char* error_name(ControlError code) noexcept {
    switch (code) {
        case ControlError::kUnknownAddress:
            return "unknown_address";
        case ControlError::kBadArguments:
            return "bad_arguments";
        case ControlError::kBadEndpoint:
            return "bad_endpoint";
        case ControlError::kJackError:
            return "jack_error";
        case ControlError::kTransactionRefused:
            return "transaction_refused";
        case ControlError::kTooLarge:
            return "too_large";
        case ControlError::kMalformedPacket:
            return "malformed_packet";
        case ControlError::kNotReady:
            return "not_ready";
        case ControlError::kBadNode:
            return "bad_node";
        case ControlError::kBadDocument:
            return "bad_document";
        case ControlError::kBadName:
            return "bad_name";
        case ControlError::kUnknownSnapshot:
            return "unknown_snapshot";
        case ControlError::kNoStateDir:
            return "no_state_dir";
        case ControlError::kIoError:
            return "io_error";
    }
    return "unknown_error";
}

}  // namespace rtgraph::control
