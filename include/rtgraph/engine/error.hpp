// Error codes for everything the engine can refuse, grouped by subsystem.
//
// Threads: codes may cross any thread (the audio thread reports codes, never
// text); the message strings are made on the control thread only.
#pragma once

#include <cstdint>
#include <string>

namespace rtgraph::engine {

enum class ErrorCode : std::uint16_t {
    kOk = 0,

    // Model validation (100..199): the edit is refused, the model unchanged.
    kUnknownType = 100,
    kUnknownNode,
    kUnknownPort,
    kUnknownParam,
    kDuplicateName,
    kInvalidName,
    kPortKindMismatch,
    kPortDirection,
    kWouldCreateCycle,
    kNotFinite,
    kAlreadyConnected,
    kNotConnected,
    kCreationOnlyParam,
    kTooManyGraphPorts,
    kBadMidiMap,        // channel or controller out of range, or no such binding

    // Engine (200..299).
    kBusy = 200,            // the queue to the audio thread is full; nothing changed
    kInstantiationFailed,   // a node's constructor failed
    kNotKept,               // the change could not be written to the state file (CommitGuard)

    // Files (300..399).
    kBadPath = 300,  // a file outside [paths] media_dirs, or not a regular file; nothing opened
};

// A stable machine-readable name ("unknown_node"), for replies and logs.
const char* error_name(ErrorCode code) noexcept;

struct Error {
    ErrorCode code = ErrorCode::kOk;
    std::string message;  // says what was wrong and what to do, for a person

    explicit operator bool() const noexcept { return code != ErrorCode::kOk; }
};

}  // namespace rtgraph::engine
