// ArgReader: typed reading of a request's arguments (control thread).
#include "arg_reader.hpp"

#include <cmath>
#include <variant>

namespace rtgraph::control {

bool ArgReader::string(const char* name, std::string& out, std::string& error) {
    if (!present(name, error)) return false;
    const OscArgument& arg = message_.args[index_];
    if (const auto* text = std::get_if<std::string>(&arg.value)) {
        out = *text;
        ++index_;
        return true;
    }
    return wrong(name, "a string", arg.tag, error);
}

bool ArgReader::text(const char* name, std::string& out, std::string& error) {
    if (!present(name, error)) return false;
    const OscArgument& arg = message_.args[index_];
    if (const auto* blob = std::get_if<OscBlob>(&arg.value)) {
        out.assign(blob->begin(), blob->end());
        ++index_;
        return true;
    }
    if (std::holds_alternative<std::string>(arg.value)) return string(name, out, error);
    return wrong(name, "a string or a blob", arg.tag, error);
}

bool ArgReader::number(const char* name, float& out, std::string& error) {
    if (!present(name, error)) return false;
    const OscArgument& arg = message_.args[index_];
    double value = 0.0;
    if (const auto* f = std::get_if<float>(&arg.value)) {
        value = *f;
    } else if (const auto* i = std::get_if<std::int32_t>(&arg.value)) {
        value = *i;
    } else if (const auto* d = std::get_if<double>(&arg.value)) {
        value = *d;
    } else if (const auto* h = std::get_if<std::int64_t>(&arg.value)) {
        value = static_cast<double>(*h);
    } else {
        return wrong(name, "a number", arg.tag, error);
    }
    out = static_cast<float>(value);  // NaN/Inf pass through: the model refuses them by name
    ++index_;
    return true;
}

bool ArgReader::integer(const char* name, int& out, std::string& error) {
    float value = 0.0f;
    if (!number(name, value, error)) return false;
    if (!std::isfinite(value) || value != std::floor(value) || std::fabs(value) > 1e6f) {
        error = "argument " + std::string(name) + " must be a whole number";
        return false;
    }
    out = static_cast<int>(value);
    return true;
}

bool ArgReader::optional_range(std::optional<float>& min, std::optional<float>& max,
                               std::string& error) {
    if (!more()) return true;
    float low = 0.0f;
    float high = 0.0f;
    if (!number("MIN", low, error) || !number("MAX", high, error)) return false;
    min = low;
    max = high;
    return true;
}

bool ArgReader::flag(const char* name, bool& out, std::string& error) {
    if (!present(name, error)) return false;
    const OscArgument& arg = message_.args[index_];
    if (const auto* b = std::get_if<bool>(&arg.value)) {
        out = *b;
    } else if (const auto* i = std::get_if<std::int32_t>(&arg.value)) {
        out = *i != 0;
    } else if (const auto* s = std::get_if<std::string>(&arg.value);
               s != nullptr && (*s == "on" || *s == "off")) {
        out = *s == "on";
    } else {
        return wrong(name, "T/F, an int or on/off", arg.tag, error);
    }
    ++index_;
    return true;
}

bool ArgReader::finish(std::string& error) const {
    if (!more()) return true;
    error = "too many arguments: " + std::string(address_.path) + " takes " +
            (address_.usage.empty() ? std::string("none") : std::string(address_.usage));
    return false;
}

bool ArgReader::present(const char* name, std::string& error) const {
    if (more()) return true;
    error = "missing argument " + std::string(name) + ": " + std::string(address_.path) +
            " takes " + std::string(address_.usage);
    return false;
}

bool ArgReader::wrong(const char* name, const char* expected, char tag, std::string& error) const {
    error = "argument " + std::string(name) + " must be " + expected + ", got type '" +
            std::string(1, tag) + "'";
    return false;
}

}  // namespace rtgraph::control
