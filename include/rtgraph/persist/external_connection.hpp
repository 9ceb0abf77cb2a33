// A connection between one of our graph ports and a port of another JACK
// client, as the backend remembers it and the state document keeps it. On its
// own so that the control side can name it without the state file's API.
#pragma once

#include <compare>
#include <string>

namespace rtgraph::persist {

// One of our graph ports (short name) ↔ a JACK port of another client.
struct ExternalConnection {
    std::string port;
    std::string peer;
    friend auto operator<=>(const ExternalConnection&, const ExternalConnection&) = default;
};

}  // namespace rtgraph::persist
