// Private to rtgraph_config: the table of every config key (its section, name,
// type, check, and whether a SIGHUP reload can apply it), and the checks on
// values. The file loader, validate_config, apply_overrides, changed_keys and
// to_toml all walk this one table, so a key added here is read, checked,
// compared and written everywhere at once.
//
// Threads: the control thread (start and SIGHUP). [nrt] may allocate.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rtgraph/config/daemon_config.hpp"

namespace rtgraph::config::detail {

// A check returns the problem as text ("must be between 1 and 99 (got 0)"),
// or nullopt when the value is fine.
using Problem = std::optional<std::string>;

struct StringField {
    std::string& (*ref)(DaemonConfig&);
    Problem (*check)(const std::string&);
};
struct StringListField {
    std::vector<std::string>& (*ref)(DaemonConfig&);
    Problem (*check_item)(const std::string&);
    std::size_t max_items;
};
// int and unsigned members go through int64, so the range is checked before
// the value is narrowed.
// `word`, when set, is a string the field also takes ("auto"), read as
// `word_value` and written back as the word; it is not range-checked.
struct IntegerField {
    std::int64_t (*get)(const DaemonConfig&);
    void (*set)(DaemonConfig&, std::int64_t);
    Problem (*check)(std::int64_t);
    const char* word = nullptr;
    std::int64_t word_value = 0;

    bool holds_word(const DaemonConfig& c) const { return word != nullptr && get(c) == word_value; }
};
struct IntegerListField {
    std::vector<int>& (*ref)(DaemonConfig&);
    Problem (*check_item)(std::int64_t);
};
struct NumberField {
    double& (*ref)(DaemonConfig&);
    double min;
    double max;
};
struct BoolField {
    bool& (*ref)(DaemonConfig&);
};
// jack.autoconnect: a table of our port name -> array of external port names.
struct PortMapField {
    std::map<std::string, std::vector<std::string>>& (*ref)(DaemonConfig&);
};

using Binding = std::variant<StringField, StringListField, IntegerField, IntegerListField,
                             NumberField, BoolField, PortMapField>;

struct Field {
    std::string_view section;  // "jack"; empty for a top-level key
    std::string_view name;     // "client_name"
    bool live;                 // a SIGHUP reload applies it without a restart
    Binding binding;

    std::string key() const;  // "jack.client_name"
};

// Every key, in the order of config/rtgraph.toml.
std::span<const Field> fields();
// The sections, in file order: "jack", "osc", "engine", "realtime", "paths".
std::span<const std::string_view> sections();
const Field* find_field(std::string_view key);

// A problem found on a whole config. index >= 0 names an array item (or, for
// jack.autoconnect.PORT, a target of that port).
struct Issue {
    std::string key;
    int index = -1;
    std::string text;
    bool warning = false;
};

// The per-value checks of every field, on a whole config.
void check_values(const DaemonConfig& config, std::vector<Issue>& issues);
// Checks that involve more than one value: duplicate port names, autoconnect
// entries for ports we do not have, repeated CPUs, no OSC transport at all.
void check_relations(const DaemonConfig& config, std::vector<Issue>& issues);

// Checks the file loader runs as it reads values that have no check of their own.
Problem check_external_port(const std::string& name);
Problem check_number(double value, double min, double max);

// Helpers for message text.
std::string quoted(std::string_view text);  // 'text'
std::string number_text(double value);      // shortest round-trip form

}  // namespace rtgraph::config::detail
