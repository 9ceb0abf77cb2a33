// Names of error codes (any thread: returns string literals only).
#include "rtgraph/engine/error.hpp"

namespace rtgraph::engine {

const char* error_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::kOk: return "ok";
        case ErrorCode::kUnknownType: return "unknown_type";
        case ErrorCode::kUnknownNode: return "unknown_node";
        case ErrorCode::kUnknownPort: return "unknown_port";
        case ErrorCode::kUnknownParam: return "unknown_param";
        case ErrorCode::kDuplicateName: return "duplicate_name";
        case ErrorCode::kInvalidName: return "invalid_name";
        case ErrorCode::kPortKindMismatch: return "port_kind_mismatch";
        case ErrorCode::kPortDirection: return "port_direction";
        case ErrorCode::kWouldCreateCycle: return "would_create_cycle";
        case ErrorCode::kNotFinite: return "not_finite";
        case ErrorCode::kAlreadyConnected: return "already_connected";
        case ErrorCode::kNotConnected: return "not_connected";
        case ErrorCode::kCreationOnlyParam: return "creation_only_param";
        case ErrorCode::kTooManyGraphPorts: return "too_many_graph_ports";
        case ErrorCode::kBusy: return "busy";
        case ErrorCode::kInstantiationFailed: return "instantiation_failed";
        case ErrorCode::kNotKept: return "io_error";
        case ErrorCode::kBadMidiMap: return "bad_midi_map";
        case ErrorCode::kBadPath: return "bad_path";
    }
    return "unknown_error";
}

}  // namespace rtgraph::engine
