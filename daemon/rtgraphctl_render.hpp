// rtgraphctl's output: replies, batches and notifications as the text or the
// JSON it prints, and the exit status that goes with them.
//
// Threads: rtgraphctl's only thread; allocates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rtgraphctl_batch.hpp"
#include "rtgraphctl_message.hpp"
#include "rtgraphctl_values.hpp"

namespace rtgraph::ctl {

// Exit codes (documented in the usage text).
inline constexpr int kExitOk = 0;           // /done
inline constexpr int kExitError = 1;        // /error (the daemon refused)
inline constexpr int kExitUsage = 2;        // bad command line or batch script
inline constexpr int kExitUnreachable = 3;  // no connection, or no reply in time

// How a successful reply is shown.
enum class Show {
    kChange,   // "ok" and any notes
    kParam,    // /param/get: value, range, default, unit
    kVersion,  // /version
    kApi,      // /api: a table
    kJson,     // /graph/dump, /status, /types: one JSON string, pretty-printed
    kPlain,    // "ok"
    kList,     // /snapshot/list: one result per line
};

// How the reply to a request to `address` is shown.
Show show_for(std::string_view address);

struct Reply {
    bool ok = false;
    std::int32_t id = 0;
    std::string address;          // the request's address, as the daemon echoes it
    std::vector<Value> results;   // /done: after ID ADDRESS
    std::string code, message;    // /error
};

// A /done or /error message as a Reply; nullopt for anything else (notifications).
std::optional<Reply> reply_from_message(const Message& message);

// What to print and the exit status.
struct Output {
    std::string out;  // stdout
    std::string err;  // stderr
    int exit_code = kExitOk;
};

nlohmann::json reply_json(const Reply& reply, Show show);

// The reply to `request` as rtgraphctl prints it.
Output render_reply(const Message& request, const Reply& reply, Show show, bool json);

// Failure to reach the daemon or to hear back in time (exit 3).
Output render_unreachable(const std::string& code, const std::string& message, bool json);

// The replies to a batch (one per item, in item order; nullopt: none came).
Output render_batch(const std::vector<BatchItem>& items, const std::vector<std::optional<Reply>>& replies,
                    bool json);

// A /notify/... message as one line: "12:00:01.250 param osc freq 440" (text,
// local time first) or a JSON
// object {"time":..,"topic":..,"address":..,"args":[..]}. Empty for others.
std::string render_notification(const Message& message, double unix_time, bool json);

}  // namespace rtgraph::ctl
