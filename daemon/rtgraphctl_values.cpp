// rtgraphctl's values as text and JSON (see rtgraphctl_values.hpp).
#include "rtgraphctl_values.hpp"

#include <charconv>
#include <cstdint>
#include <variant>

namespace rtgraph::ctl {

std::string format_float(float value) {
    char text[48];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return ec == std::errc() ? std::string(text, end) : std::string("nan");
}

std::string format_double(double value) {
    char text[48];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return ec == std::errc() ? std::string(text, end) : std::string("nan");
}

void tidy_floats(nlohmann::json& value) {
    if (value.is_structured()) {
        for (auto& item : value) tidy_floats(item);
        return;
    }
    if (!value.is_number_float()) return;
    const double d = value.get<double>();
    const auto f = static_cast<float>(d);
    if (static_cast<double>(f) != d) return;
    const std::string shortest = format_float(f);
    double tidy = d;
    std::from_chars(shortest.data(), shortest.data() + shortest.size(), tidy);
    value = tidy;
}

nlohmann::json to_json(const Value& value) {
    struct Visitor {
        nlohmann::json operator()(std::int32_t v) const { return v; }
        nlohmann::json operator()(std::int64_t v) const { return v; }
        nlohmann::json operator()(float v) const {
            nlohmann::json j = static_cast<double>(v);
            tidy_floats(j);
            return j;
        }
        nlohmann::json operator()(double v) const { return v; }
        nlohmann::json operator()(const std::string& v) const { return v; }
        nlohmann::json operator()(bool v) const { return v; }
        nlohmann::json operator()(const Blob& v) const { return std::string(v.bytes.begin(), v.bytes.end()); }
    };
    return std::visit(Visitor{}, value);
}

std::string to_text(const Value& value) {
    struct Visitor {
        std::string operator()(std::int32_t v) const { return std::to_string(v); }
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(float v) const { return format_float(v); }
        std::string operator()(double v) const { return format_double(v); }
        std::string operator()(const std::string& v) const { return v; }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
        std::string operator()(const Blob& v) const { return "<blob of " + std::to_string(v.bytes.size()) + " bytes>"; }
    };
    return std::visit(Visitor{}, value);
}

}  // namespace rtgraph::ctl
