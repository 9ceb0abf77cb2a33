// Loading rtgraphd's TOML config: parse with toml++, read each key through the
// field table (config_fields.hpp), report type and value errors with the key
// and line, warn about unknown keys. Also the message format, the config file
// search, reload comparison and writing a config back out as TOML.
//
// Threads: the control thread, at start and on SIGHUP. [nrt] may allocate.
#include "rtgraph/config/daemon_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "config_fields.hpp"

namespace rtgraph::config {
namespace {

using detail::Field;

template <typename... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

int line_of(const toml::node& node) {
    return static_cast<int>(node.source().begin.line);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// " (did you mean 'client_name'?)" for a near miss among the names valid in
// section ("" for the top level), else "".
std::string suggestion(std::string_view section, std::string_view name) {
    std::vector<std::string_view> candidates;
    for (const Field& field : detail::fields()) {
        if (field.section == section) candidates.push_back(field.name);
    }
    if (section.empty()) {
        for (std::string_view known : detail::sections()) candidates.push_back(known);
    }
    std::string_view best;
    std::size_t best_distance = 3;  // suggest only within two edits
    for (std::string_view candidate : candidates) {
        const std::size_t distance = edit_distance(name, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best.empty() ? std::string() : " (did you mean " + detail::quoted(best) + "?)";
}

// Reads a parsed document into a config. A value with the wrong type or a bad
// value is reported and leaves the config's value as it was.
class Loader {
  public:
    Loader(DaemonConfig& config, LoadResult& result) : config_(config), result_(result) {}

    void read(const toml::table& root) {
        for (const auto& [key, node] : root) {
            const std::string name(key.str());
            const auto is_section = [&](std::string_view s) { return s == name; };
            if (std::any_of(detail::sections().begin(), detail::sections().end(), is_section)) {
                read_section(name, node);
            } else if (const Field* field = detail::find_field(name)) {
                read_field(*field, name, node);
            } else {
                unknown("", name, node);
            }
        }
    }

    // Checks on the whole config after reading: values that came from the base
    // config (line 0) and relations between values.
    void check_whole() {
        std::vector<detail::Issue> issues;
        detail::check_values(config_, issues);
        detail::check_relations(config_, issues);
        for (detail::Issue& issue : issues) {
            const int line = line_for(issue.key, issue.index);
            auto& list = issue.warning ? result_.warnings : result_.errors;
            list.push_back({std::move(issue.key), line, std::move(issue.text), 0, result_.source});
        }
    }

  private:
    void read_section(const std::string& section, const toml::node& node) {
        const toml::table* table = node.as_table();
        if (table == nullptr) {
            error(section, line_of(node), "must be a table");
            return;
        }
        lines_[section] = line_of(node);
        for (const auto& [key, child] : *table) {
            const std::string name(key.str());
            const std::string dotted = section + "." + name;
            if (const Field* field = detail::find_field(dotted)) {
                read_field(*field, dotted, child);
            } else {
                unknown(section, name, child);
            }
        }
    }

    void unknown(std::string_view section, const std::string& name, const toml::node& node) {
        const std::string dotted = section.empty() ? name : std::string(section) + "." + name;
        const char* what = node.is_table() ? "unknown table, ignored" : "unknown key, ignored";
        result_.warnings.push_back(
            {dotted, line_of(node), what + suggestion(section, name), 0, result_.source});
    }

    void read_field(const Field& field, const std::string& key, const toml::node& node) {
        const int line = line_of(node);
        lines_[key] = line;
        std::visit(Overloaded{
                       [&](const detail::StringField& f) {
                           const auto* value = node.as_string();
                           if (value == nullptr) return error(key, line, "must be a string");
                           if (accept(key, line, f.check(value->get())))
                               f.ref(config_) = value->get();
                       },
                       [&](const detail::StringListField& f) {
                           std::vector<std::string> items;
                           if (!read_strings(key, node, f.check_item, items)) return;
                           if (items.size() > f.max_items) {
                               return error(key, line,
                                            "must have at most " + std::to_string(f.max_items) +
                                                " items (got " + std::to_string(items.size()) +
                                                ")");
                           }
                           f.ref(config_) = std::move(items);
                       },
                       [&](const detail::IntegerField& f) {
                           if (const auto* text = node.as_string(); text != nullptr && f.word != nullptr) {
                               if (text->get() == f.word) return f.set(config_, f.word_value);
                               return error(key, line,
                                            std::string("must be an integer or \"") + f.word + "\"");
                           }
                           const auto* value = node.as_integer();
                           if (value == nullptr) {
                               return error(key, line,
                                            f.word == nullptr ? std::string("must be an integer")
                                                              : std::string("must be an integer or \"") + f.word + "\"");
                           }
                           if (accept(key, line, f.check(value->get())))
                               f.set(config_, value->get());
                       },
                       [&](const detail::IntegerListField& f) { read_integers(key, node, f); },
                       [&](const detail::NumberField& f) {
                           double number = 0.0;
                           if (const auto* floating = node.as_floating_point()) {
                               number = floating->get();
                           } else if (const auto* integer = node.as_integer()) {
                               number = static_cast<double>(integer->get());
                           } else {
                               return error(key, line, "must be a number");
                           }
                           if (accept(key, line, detail::check_number(number, f.min, f.max))) {
                               f.ref(config_) = number;
                           }
                       },
                       [&](const detail::BoolField& f) {
                           const auto* value = node.as_boolean();
                           if (value == nullptr) return error(key, line, "must be true or false");
                           f.ref(config_) = value->get();
                       },
                       [&](const detail::PortMapField& f) { read_port_map(key, node, f); },
                   },
                   field.binding);
    }

    // An array of strings, each checked; false (and errors) when any is bad.
    bool read_strings(const std::string& key, const toml::node& node,
                      detail::Problem (*check_item)(const std::string&),
                      std::vector<std::string>& items) {
        const toml::array* array = node.as_array();
        if (array == nullptr) {
            error(key, line_of(node), "must be an array of strings");
            return false;
        }
        bool good = true;
        for (std::size_t i = 0; i < array->size(); ++i) {
            const toml::node& item = *array->get(i);
            const int line = line_of(item);
            lines_[item_key(key, static_cast<int>(i))] = line;
            const auto* value = item.as_string();
            if (value == nullptr) {
                error(key, line, "must be an array of strings");
                good = false;
            } else if (accept(key, line, check_item(value->get()))) {
                items.push_back(value->get());
            } else {
                good = false;
            }
        }
        return good;
    }

    void read_integers(const std::string& key, const toml::node& node,
                       const detail::IntegerListField& field) {
        const toml::array* array = node.as_array();
        if (array == nullptr) return error(key, line_of(node), "must be an array of integers");
        std::vector<int> items;
        bool good = true;
        for (std::size_t i = 0; i < array->size(); ++i) {
            const toml::node& item = *array->get(i);
            const int line = line_of(item);
            lines_[item_key(key, static_cast<int>(i))] = line;
            const auto* value = item.as_integer();
            if (value == nullptr) {
                error(key, line, "must be an array of integers");
                good = false;
            } else if (accept(key, line, field.check_item(value->get()))) {
                items.push_back(static_cast<int>(value->get()));
            } else {
                good = false;
            }
        }
        if (good) field.ref(config_) = std::move(items);
    }

    // [jack.autoconnect]: a port name = an array of external port names. The
    // table replaces the base config's whole map, as any array does.
    void read_port_map(const std::string& key, const toml::node& node,
                       const detail::PortMapField& field) {
        const toml::table* table = node.as_table();
        if (table == nullptr) return error(key, line_of(node), "must be a table");
        std::map<std::string, std::vector<std::string>> map;
        bool good = true;
        for (const auto& [port, targets] : *table) {
            const std::string port_key = key + "." + std::string(port.str());
            lines_[port_key] = line_of(targets);
            std::vector<std::string> items;
            if (read_strings(port_key, targets, detail::check_external_port, items)) {
                map.emplace(std::string(port.str()), std::move(items));
            } else {
                good = false;
            }
        }
        if (good) field.ref(config_) = std::move(map);
    }

    bool accept(const std::string& key, int line, detail::Problem problem) {
        if (!problem) return true;
        error(key, line, std::move(*problem));
        return false;
    }

    void error(const std::string& key, int line, std::string text) {
        result_.errors.push_back({key, line, std::move(text), 0, result_.source});
    }

    static std::string item_key(const std::string& key, int index) {
        return key + "#" + std::to_string(index);
    }

    int line_for(const std::string& key, int index) const {
        if (index >= 0) {
            if (auto it = lines_.find(item_key(key, index)); it != lines_.end()) return it->second;
        }
        auto it = lines_.find(key);
        return it == lines_.end() ? 0 : it->second;
    }

    DaemonConfig& config_;
    LoadResult& result_;
    std::map<std::string, int> lines_;  // "key" or "key#index" -> line in the file
};

// File order; messages without a line (from the base config) last.
void sort_by_line(std::vector<ConfigMessage>& messages) {
    const auto order = [](const ConfigMessage& m) {
        return std::pair(m.line == 0 ? std::numeric_limits<int>::max() : m.line, m.column);
    };
    std::stable_sort(
        messages.begin(), messages.end(),
        [&](const ConfigMessage& a, const ConfigMessage& b) { return order(a) < order(b); });
}

}  // namespace

LoadResult load_config_text(std::string_view toml_text, std::string_view source_name,
                            DaemonConfig base) {
    LoadResult result;
    result.config = std::move(base);
    result.source = std::string(source_name);
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name);
    } catch (const toml::parse_error& e) {
        result.errors.push_back({"", static_cast<int>(e.source().begin.line),
                                 std::string(e.description()),
                                 static_cast<int>(e.source().begin.column), result.source});
        return result;
    }
    Loader loader(result.config, result);
    loader.read(root);
    loader.check_whole();
    sort_by_line(result.errors);
    sort_by_line(result.warnings);
    return result;
}

LoadResult load_config_file(const std::string& path, DaemonConfig base) {
    const auto fail = [&](int error_number) {
        LoadResult result;
        result.config = std::move(base);
        result.source = path;
        result.errors.push_back(
            {"", 0, std::string("cannot read: ") + std::strerror(error_number), 0, path});
        return result;
    };
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                         &std::fclose);
    if (!file) return fail(errno);
    std::string text;
    char buffer[8192];
    std::size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0)
        text.append(buffer, count);
    if (std::ferror(file.get())) return fail(errno != 0 ? errno : EIO);
    return load_config_text(text, path, std::move(base));
}

std::vector<ConfigMessage> validate_config(const DaemonConfig& config,
                                           std::vector<ConfigMessage>* warnings) {
    std::vector<detail::Issue> issues;
    detail::check_values(config, issues);
    detail::check_relations(config, issues);
    std::vector<ConfigMessage> errors;
    for (detail::Issue& issue : issues) {
        ConfigMessage message{std::move(issue.key), 0, std::move(issue.text), 0, ""};
        if (!issue.warning) {
            errors.push_back(std::move(message));
        } else if (warnings != nullptr) {
            warnings->push_back(std::move(message));
        }
    }
    return errors;
}

std::string format_message(const ConfigMessage& message, std::string_view source) {
    std::string text(source.empty() ? std::string_view(message.source) : source);
    if (message.line > 0) {
        text += ":" + std::to_string(message.line);
        if (message.column > 0) text += ":" + std::to_string(message.column);
    }
    if (!text.empty()) text += ": ";
    if (!message.key.empty()) text += message.key + ": ";
    return text + message.text;
}

std::optional<std::string> choose_config_path(const char* env_value,
                                              const std::string& system_path) {
    if (env_value != nullptr && *env_value != '\0') return std::string(env_value);
    std::error_code error;
    if (std::filesystem::exists(system_path, error)) return system_path;
    return std::nullopt;
}

std::optional<std::string> default_config_path() {
    return choose_config_path(std::getenv(kConfigEnvVar), kSystemConfigPath);
}

LoadResult load_effective_config(const CommandLine& command_line) {
    const std::optional<std::string> path =
        command_line.config_path ? command_line.config_path : default_config_path();
    LoadResult result;
    if (path) result = load_config_file(*path);
    apply_overrides(command_line, result.config, result.errors);
    return result;
}

std::vector<std::string> changed_keys(const DaemonConfig& before, const DaemonConfig& after) {
    // The table's accessors take a mutable config; they are only read here.
    auto& a = const_cast<DaemonConfig&>(before);
    auto& b = const_cast<DaemonConfig&>(after);
    std::vector<std::string> keys;
    for (const Field& field : detail::fields()) {
        const bool same =
            std::visit(Overloaded{
                           [&](const detail::IntegerField& f) { return f.get(a) == f.get(b); },
                           [&](const auto& f) { return f.ref(a) == f.ref(b); },
                       },
                       field.binding);
        if (!same) keys.push_back(field.key());
    }
    return keys;
}

std::vector<std::string> restart_required(const DaemonConfig& before, const DaemonConfig& after) {
    std::vector<std::string> keys;
    for (std::string& key : changed_keys(before, after)) {
        if (!detail::find_field(key)->live) keys.push_back(std::move(key));
    }
    return keys;
}

std::string to_toml(const DaemonConfig& config) {
    auto& c = const_cast<DaemonConfig&>(config);  // read through the table only
    const auto strings = [](const std::vector<std::string>& items) {
        toml::array array;
        for (const std::string& item : items) array.push_back(item);
        return array;
    };
    toml::table root;
    for (const Field& field : detail::fields()) {
        toml::table* table = &root;
        if (!field.section.empty()) {
            auto [it, inserted] = root.insert(field.section, toml::table{});
            table = it->second.as_table();
        }
        std::visit(Overloaded{
                       [&](const detail::StringField& f) { table->insert(field.name, f.ref(c)); },
                       [&](const detail::StringListField& f) {
                           table->insert(field.name, strings(f.ref(c)));
                       },
                       [&](const detail::IntegerField& f) {
                           if (f.holds_word(c)) {
                               table->insert(field.name, std::string(f.word));
                           } else {
                               table->insert(field.name, f.get(c));
                           }
                       },
                       [&](const detail::IntegerListField& f) {
                           toml::array array;
                           for (int item : f.ref(c))
                               array.push_back(static_cast<std::int64_t>(item));
                           table->insert(field.name, std::move(array));
                       },
                       [&](const detail::NumberField& f) { table->insert(field.name, f.ref(c)); },
                       [&](const detail::BoolField& f) { table->insert(field.name, f.ref(c)); },
                       [&](const detail::PortMapField& f) {
                           toml::table map;
                           for (const auto& [port, targets] : f.ref(c))
                               map.insert(port, strings(targets));
                           table->insert(field.name, std::move(map));
                       },
                   },
                   field.binding);
    }
    std::ostringstream out;
    out << root << '\n';
    return out.str();
}

unsigned resolve_worker_threads(unsigned configured, unsigned cpus) {
    if (configured != kAutoWorkerThreads) return configured;
    return cpus <= 1 ? 0 : std::min(cpus - 1, kMaxWorkerThreads);
}

}  // namespace rtgraph::config
