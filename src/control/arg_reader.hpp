// ArgReader: a request's OSC arguments read in order, with errors that name
// the argument, what it must be and what the address takes.
//
// Threads: control thread (any thread: it only reads the message).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "rtgraph/control/osc_api.hpp"
#include "rtgraph/control/osc_packet.hpp"

namespace rtgraph::control {

class ArgReader {
  public:
    ArgReader(const OscMessage& message, std::size_t first, const OscAddress& address)
        : message_(message), index_(first), address_(address) {}

    bool more() const { return index_ < message_.args.size(); }

    bool string(const char* name, std::string& out, std::string& error);
    // A string, or a blob read as text (documents too long for an OSC string).
    bool text(const char* name, std::string& out, std::string& error);
    // i, f, h or d. NaN and Inf pass: the model refuses them by name.
    bool number(const char* name, float& out, std::string& error);
    // A number that is whole and within ±1e6.
    bool integer(const char* name, int& out, std::string& error);
    // MIN MAX, both or neither.
    bool optional_range(std::optional<float>& min, std::optional<float>& max, std::string& error);
    // T/F, an int or on/off.
    bool flag(const char* name, bool& out, std::string& error);
    // False, with the usage, when arguments are left over.
    bool finish(std::string& error) const;

  private:
    bool present(const char* name, std::string& error) const;
    bool wrong(const char* name, const char* expected, char tag, std::string& error) const;

    const OscMessage& message_;
    std::size_t index_;
    const OscAddress& address_;
};

}  // namespace rtgraph::control
