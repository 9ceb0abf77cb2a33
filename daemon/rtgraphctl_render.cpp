// rtgraphctl's output: replies, batches and notifications (see
// rtgraphctl_render.hpp).
#include "rtgraphctl_render.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <variant>

namespace rtgraph::ctl {

Show show_for(std::string_view address) {
    if (address == "/param/get") return Show::kParam;
    if (address == "/version") return Show::kVersion;
    if (address == "/api") return Show::kApi;
    if (address == "/snapshot/list") return Show::kList;
    if (address == "/graph/dump" || address == "/status" || address == "/types" || address == "/plugins" ||
        address == "/plugins/rescan" || address == "/node/outputs") {
        return Show::kJson;
    }
    return Show::kChange;
}

// A /done or /error message as a Reply; nullopt for anything else (notifications).
std::optional<Reply> reply_from_message(const Message& message) {
    const bool done = message.address == "/done", failed = message.address == "/error";
    if (!done && !failed) return std::nullopt;
    const auto& a = message.args;
    if (a.empty() || !std::holds_alternative<std::int32_t>(a[0])) return std::nullopt;
    Reply reply;
    reply.ok = done;
    reply.id = std::get<std::int32_t>(a[0]);
    const auto string_at = [&](std::size_t i) {
        return i < a.size() && std::holds_alternative<std::string>(a[i]) ? std::get<std::string>(a[i])
                                                                        : std::string();
    };
    reply.address = string_at(1);
    if (done) {
        if (a.size() > 2) reply.results.assign(a.begin() + 2, a.end());
    } else {
        reply.code = string_at(2);
        reply.message = string_at(3);
    }
    return reply;
}

namespace {

std::optional<nlohmann::json> parse_json(const std::vector<Value>& results) {
    if (results.size() != 1 || !std::holds_alternative<std::string>(results[0])) return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(std::get<std::string>(results[0]), nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    tidy_floats(j);
    return j;
}

std::string note_lines(const std::vector<Value>& results, const std::string& prefix) {
    std::string text;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const bool late = std::holds_alternative<std::string>(results[i]) &&
                          std::get<std::string>(results[i]) == "late" && i + 1 < results.size();
        if (late) {
            text += prefix + "note: applied late by " + to_text(results[++i]) + " frames\n";
        } else {
            text += prefix + "note: " + to_text(results[i]) + "\n";
        }
    }
    return text;
}

std::string api_table(const std::vector<Value>& results) {
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i + 3 < results.size(); i += 4) {
        rows.push_back({to_text(results[i]), to_text(results[i + 1]), to_text(results[i + 2]),
                        to_text(results[i + 3])});
    }
    std::size_t width[3] = {4, 5, 5};
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < 3; ++c) width[c] = std::max(width[c], row[c].size());
    }
    const auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - s.size() + 2, ' '); };
    std::string text = pad("PATH", width[0]) + pad("TYPES", width[1]) + pad("USAGE", width[2]) + "DESCRIPTION\n";
    for (const auto& row : rows) {
        text += pad(row[0], width[0]) + pad(row[1], width[1]) + pad(row[2], width[2]) + row[3] + "\n";
    }
    return text;
}

nlohmann::json api_objects(const std::vector<Value>& results) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i + 3 < results.size(); i += 4) {
        list.push_back({{"path", to_text(results[i])}, {"types", to_text(results[i + 1])},
                        {"usage", to_text(results[i + 2])}, {"description", to_text(results[i + 3])}});
    }
    return list;
}

std::string param_line(const Message& request, const std::vector<Value>& r) {
    const bool shaped = r.size() == 5 && std::holds_alternative<std::string>(r[4]);
    if (!shaped) {
        std::string text;
        for (const Value& v : r) text += (text.empty() ? "" : " ") + to_text(v);
        return text + "\n";
    }
    std::string name;
    if (request.args.size() >= 2) name = to_text(request.args[0]) + "." + to_text(request.args[1]);
    const std::string unit = std::get<std::string>(r[4]);
    const std::string u = unit.empty() ? "" : " " + unit;
    return name + " = " + to_text(r[0]) + u + " (range " + to_text(r[1]) + ".." + to_text(r[2]) + u +
           ", default " + to_text(r[3]) + u + ")\n";
}

}  // namespace

nlohmann::json reply_json(const Reply& reply, Show show) {
    if (!reply.ok) {
        return {{"ok", false}, {"address", reply.address}, {"code", reply.code}, {"message", reply.message}};
    }
    nlohmann::json results = nlohmann::json::array();
    if (show == Show::kJson) {
        if (auto parsed = parse_json(reply.results)) results.push_back(std::move(*parsed));
    } else if (show == Show::kApi) {
        results = api_objects(reply.results);
    }
    if (results.empty()) {
        for (const Value& v : reply.results) results.push_back(to_json(v));
    }
    return {{"ok", true}, {"address", reply.address}, {"results", results}};
}

// The reply to `request` as rtgraphctl prints it.
Output render_reply(const Message& request, const Reply& reply, Show show, bool json) {
    Output output;
    output.exit_code = reply.ok ? kExitOk : kExitError;
    if (json) {
        output.out = reply_json(reply, show).dump() + "\n";
        return output;
    }
    if (!reply.ok) {
        output.err = "error: " + reply.code + ": " + reply.message + "\n";
        return output;
    }
    switch (show) {
        case Show::kChange:
            output.out = "ok\n" + note_lines(reply.results, "");
            break;
        case Show::kPlain:
            output.out = "ok\n";
            break;
        case Show::kList:
            for (const Value& v : reply.results) output.out += to_text(v) + "\n";
            break;
        case Show::kParam:
            output.out = param_line(request, reply.results);
            break;
        case Show::kVersion:
            if (reply.results.size() == 2) {
                output.out = to_text(reply.results[1]) + " (OSC API " + to_text(reply.results[0]) + ")\n";
            } else {
                output.out = "ok\n" + note_lines(reply.results, "");
            }
            break;
        case Show::kApi:
            output.out = api_table(reply.results);
            break;
        case Show::kJson:
            if (auto parsed = parse_json(reply.results)) {
                output.out = parsed->dump(2) + "\n";
            } else {
                for (const Value& v : reply.results) output.out += to_text(v) + "\n";
            }
            break;
    }
    return output;
}

// Failure to reach the daemon or to hear back in time (exit 3).
Output render_unreachable(const std::string& code, const std::string& message, bool json) {
    Output output;
    output.exit_code = kExitUnreachable;
    if (json) {
        output.out = nlohmann::json{{"ok", false}, {"code", code}, {"message", message}}.dump() + "\n";
    } else {
        output.err = "rtgraphctl: " + message + "\n";
    }
    return output;
}

// The replies to a batch (one per item, in item order; nullopt: none came).
Output render_batch(const std::vector<BatchItem>& items, const std::vector<std::optional<Reply>>& replies,
                    bool json) {
    Output output;
    std::size_t done = 0, refused = 0, failed = 0;
    nlohmann::json list = nlohmann::json::array();
    std::optional<std::size_t> root;  // the first failure that is not "transaction_refused"
    std::vector<Value> notes;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::optional<Reply>& r = i < replies.size() ? replies[i] : std::nullopt;
        nlohmann::json entry;
        if (!r) {
            entry = {{"ok", false}, {"address", items[i].message.address}, {"code", "no_reply"},
                     {"message", "no reply came"}};
            ++failed;
            if (!root) root = i;
        } else {
            entry = reply_json(*r, Show::kChange);
            if (r->ok) {
                ++done;
                // The daemon gives every reply in a transaction all of its notes: show each once.
                for (const Value& v : r->results) {
                    if (std::find(notes.begin(), notes.end(), v) == notes.end()) notes.push_back(v);
                }
            } else if (r->code == "transaction_refused") {
                ++refused;
            } else {
                ++failed;
                if (!root) root = i;
                output.err += "error: line " + std::to_string(items[i].line) + ": " + items[i].text + ": " +
                              r->code + ": " + r->message + "\n";
            }
        }
        nlohmann::json head = {{"line", items[i].line}, {"command", items[i].text}};
        head.update(entry);
        list.push_back(std::move(head));
    }
    const bool ok = failed == 0 && refused == 0;
    output.exit_code = ok ? kExitOk : kExitError;
    if (json) {
        nlohmann::json result = {{"ok", ok}, {"commands", items.size()}, {"replies", list}};
        if (root) {
            result["line"] = items[*root].line;
            result["code"] = list[*root]["code"];
            result["message"] = list[*root]["message"];
        }
        output.out = result.dump() + "\n";
        output.err.clear();
        return output;
    }
    if (ok) {
        output.out = "ok: " + std::to_string(done) + " command" + (done == 1 ? "" : "s") +
                     " applied as one transaction\n" + note_lines(notes, "");
    } else if (refused > 0) {
        output.err += "error: the transaction was refused: nothing in it was applied (" +
                      std::to_string(items.size()) + " commands)\n";
    } else {
        output.err += "error: " + std::to_string(failed) + " of " + std::to_string(items.size()) +
                      " commands failed\n";
    }
    return output;
}

// ---------------------------------------------------------------- notifications

// A /notify/... message as one line: "12:00:01.250 param osc freq 440" (text,
// local time first) or a JSON
// object {"time":..,"topic":..,"address":..,"args":[..]}. Empty for others.
std::string render_notification(const Message& message, double unix_time, bool json) {
    constexpr std::string_view kPrefix = "/notify/";
    if (!message.address.starts_with(kPrefix)) return {};
    const std::string topic = message.address.substr(kPrefix.size());
    if (json) {
        nlohmann::json args = nlohmann::json::array();
        for (const Value& v : message.args) args.push_back(to_json(v));
        return nlohmann::json{{"time", unix_time}, {"topic", topic}, {"address", message.address},
                              {"args", args}}
                   .dump() +
               "\n";
    }
    char stamp[32] = "";
    const auto seconds = static_cast<std::time_t>(unix_time);
    std::tm local{};
    if (localtime_r(&seconds, &local) != nullptr) {
        const int ms = static_cast<int>((unix_time - static_cast<double>(seconds)) * 1000.0);
        std::snprintf(stamp, sizeof stamp, "%02d:%02d:%02d.%03d ", local.tm_hour, local.tm_min, local.tm_sec,
                      std::clamp(ms, 0, 999));
    }
    std::string line = stamp + topic;
    for (const Value& v : message.args) {
        std::string text = to_text(v);
        if (text.empty() || text.find(' ') != std::string::npos) text = "\"" + text + "\"";
        line += " " + text;
    }
    return line + "\n";
}

}  // namespace rtgraph::ctl
