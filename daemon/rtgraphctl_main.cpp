// rtgraphctl: the command-line client for rtgraphd's OSC API. One command,
// one request with a fresh request id, one reply printed; or watch
// (notifications until Ctrl-C) or batch (a patch script as one bundle).
// The command line is rtgraphctl_cli.hpp (the command words), the output
// formats rtgraphctl_render.hpp; this file is the sockets and the modes.
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>

#include "rtgraphctl_batch.hpp"
#include "rtgraphctl_cli.hpp"
#include "rtgraphctl_client.hpp"
#include "rtgraphctl_limits.hpp"
#include "rtgraph/persist/atomic_file.hpp"
#include "rtgraph/persist/state_file.hpp"

namespace rtgraph::ctl {
namespace {

int emit(const Output& output) {
    std::fputs(output.out.c_str(), stdout);
    std::fputs(output.err.c_str(), stderr);
    std::fflush(stdout);
    return output.exit_code;
}

// Request ids: random start, then consecutive, never 0 (0 is "no id").
std::int32_t first_request_id(std::size_t count) {
    std::random_device device;
    std::uniform_int_distribution<std::int32_t> pick(1, 0x3fffffff - static_cast<std::int32_t>(count));
    return pick(device);
}

Message with_id(const Message& message, std::int32_t id) {
    Message out{message.address, {id}};
    out.args.insert(out.args.end(), message.args.begin(), message.args.end());
    return out;
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string ms_text(int ms) { return std::to_string(ms) + " ms"; }

// The daemon answers a few requests with id 0 where it could not read the id
// (malformed packets) or did not look (not_ready while JACK is away): such an
// /error goes to the oldest request still waiting that it can be for.
bool id_zero_matches(const Reply& reply, const std::string& address) {
    return reply.id == 0 && !reply.ok && (reply.address.empty() || reply.address == address);
}

// One request and its reply, or why there is none (printable, exit 3).
struct Exchange {
    std::optional<Reply> reply;
    std::optional<Output> failure;  // unreachable, timeout, closed
};

Exchange exchange(Connection& connection, const Message& request, std::int32_t id, Clock::time_point deadline,
                  const Options& options, std::vector<Message>* notifications = nullptr) {
    Exchange result;
    std::string error;
    const std::vector<std::uint8_t> packet = encode_message(with_id(request, id));
    if (packet.empty()) {
        result.failure = render_unreachable("encode_failed", "liblo could not encode " + request.address, options.json);
        return result;
    }
    if (!connection.send(packet, deadline, error)) {
        result.failure = render_unreachable("send_failed", error, options.json);
        return result;
    }
    std::vector<std::uint8_t> bytes;
    for (;;) {
        switch (connection.receive(bytes, deadline, -1, error)) {
            case Connection::Wait::kPacket: break;
            case Connection::Wait::kTimeout:
                result.failure = render_unreachable(
                    "timeout",
                    "no reply from " + connection.describe() + " within " + ms_text(options.timeout_ms) + " (to " +
                        request.address + ", request id " + std::to_string(id) + ")",
                    options.json);
                return result;
            case Connection::Wait::kClosed:
                result.failure = render_unreachable(
                    "closed", "rtgraphd closed the connection (" + connection.describe() + ") before replying to " +
                                  request.address,
                    options.json);
                return result;
            case Connection::Wait::kSignal:
            case Connection::Wait::kError:
                result.failure = render_unreachable("receive_failed", error, options.json);
                return result;
        }
        std::vector<Message> messages;
        if (!decode_packet(bytes, messages, error)) {
            std::fprintf(stderr, "rtgraphctl: warning: ignoring a packet from %s: %s\n", connection.describe().c_str(),
                         error.c_str());
            continue;
        }
        for (const Message& message : messages) {
            if (const std::optional<Reply> reply = reply_from_message(message)) {
                if (reply->id == id || id_zero_matches(*reply, request.address)) {
                    result.reply = reply;
                    return result;
                }
            } else if (notifications != nullptr) {
                notifications->push_back(message);
            }
        }
    }
}

int run_request(const Invocation& invocation) {
    const Options& options = invocation.options;
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
    Connection connection;
    std::string error;
    if (!connection.open(options, deadline, error)) return emit(render_unreachable("unreachable", error, options.json));
    const Exchange result = exchange(connection, invocation.request, first_request_id(1), deadline, options);
    if (result.failure) return emit(*result.failure);
    return emit(render_reply(invocation.request, *result.reply, invocation.show, options.json));
}

// ---------------------------------------------------------------- export / import

bool read_source(const std::string& source, std::string& text) {
    if (source == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        return true;
    }
    std::ifstream file(source, std::ios::binary);
    if (!file) {
        std::fprintf(stderr, "rtgraphctl: cannot read '%s': %s\n", source.c_str(), std::strerror(errno));
        return false;
    }
    std::stringstream buffer;
    buffer << file.rdbuf();
    text = buffer.str();
    return true;
}

// The graph as a pretty-printed document: one line per field, so patch files
// diff well in version control. Written atomically: an interrupted export
// never leaves half a patch where a good one was.
int run_export(const Invocation& invocation) {
    const Options& options = invocation.options;
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
    Connection connection;
    std::string error;
    if (!connection.open(options, deadline, error)) return emit(render_unreachable("unreachable", error, options.json));
    const Exchange result = exchange(connection, invocation.request, first_request_id(1), deadline, options);
    if (result.failure) return emit(*result.failure);
    const Reply& reply = *result.reply;
    if (!reply.ok || reply.results.empty() || !std::holds_alternative<std::string>(reply.results[0])) {
        return emit(render_reply(invocation.request, reply, Show::kPlain, options.json));
    }
    rtgraph::persist::GraphState state;
    if (!rtgraph::persist::from_document(std::get<std::string>(reply.results[0]), state, error)) {
        std::fprintf(stderr, "rtgraphctl: the daemon's export does not parse: %s\n", error.c_str());
        return kExitError;
    }
    const std::string text = rtgraph::persist::to_document(state, true);
    const std::string& target = invocation.batch_source;
    if (target == "-") {
        std::fputs(text.c_str(), stdout);
        return kExitOk;
    }
    if (!rtgraph::persist::write_file_atomically(target, text, error)) {
        std::fprintf(stderr, "rtgraphctl: %s\n", error.c_str());
        return kExitError;
    }
    if (options.json) {
        std::printf("%s\n", nlohmann::json{{"ok", true}, {"address", "/graph/export"}, {"file", target}}.dump().c_str());
    } else {
        std::printf("ok: %zu node(s), %zu connection(s) written to %s\n", state.nodes.size(),
                    state.connections.size(), target.c_str());
    }
    return kExitOk;
}

int run_import(const Invocation& invocation) {
    std::string text;
    if (!read_source(invocation.batch_source, text)) return kExitUsage;
    // Checked here first, so a broken file is reported with its own name
    // before anything is sent.
    rtgraph::persist::GraphState state;
    std::string error;
    if (!rtgraph::persist::from_document(text, state, error)) {
        std::fprintf(stderr, "rtgraphctl: %s: %s\n", invocation.batch_source.c_str(), error.c_str());
        return kExitUsage;
    }
    Invocation request = invocation;
    // A blob: an OSC string is limited to 1 KiB at the daemon.
    request.request.args = {Blob{std::vector<std::uint8_t>(text.begin(), text.end())}};
    request.show = Show::kChange;
    return run_request(request);
}

// ---------------------------------------------------------------- watch

int run_watch(const Invocation& invocation) {
    const Options& options = invocation.options;
    // SIGINT/SIGTERM arrive through a signalfd, so the wait sees them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0) {
        std::perror("rtgraphctl: signalfd");
        return kExitUnreachable;
    }

    Connection connection;
    std::string error;
    Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
    if (!connection.open(options, deadline, error)) return emit(render_unreachable("unreachable", error, options.json));
    const std::int32_t id = first_request_id(2);
    std::vector<Message> early;  // notifications that came before the /done
    const Exchange subscribed = exchange(connection, invocation.request, id, deadline, options, &early);
    if (subscribed.failure) return emit(*subscribed.failure);
    if (!subscribed.reply->ok) return emit(render_reply(invocation.request, *subscribed.reply, Show::kPlain, options.json));

    if (!options.json) {
        std::string topics;
        for (const Value& topic : invocation.request.args) topics += " " + to_text(topic);
        std::fprintf(stderr, "watching%s on %s (Ctrl-C to stop)\n", topics.empty() ? " everything" : topics.c_str(),
                     connection.describe().c_str());
    }
    // False once stdout is gone (a closed pipe): time to stop, like on Ctrl-C.
    const auto print = [&](const Message& message) {
        const std::string line = render_notification(message, unix_now(), options.json);
        if (line.empty()) return true;
        std::fputs(line.c_str(), stdout);
        return std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
    };
    bool printing = true;
    for (const Message& message : early) printing = printing && print(message);

    std::vector<std::uint8_t> bytes;
    while (printing) {
        const Connection::Wait wait = connection.receive(bytes, Clock::time_point::max(), signal_fd, error);
        if (wait == Connection::Wait::kSignal) break;
        if (wait == Connection::Wait::kClosed) {
            return emit(render_unreachable("closed", "rtgraphd closed the connection (" + connection.describe() + ")",
                                           options.json));
        }
        if (wait != Connection::Wait::kPacket) return emit(render_unreachable("receive_failed", error, options.json));
        std::vector<Message> messages;
        if (!decode_packet(bytes, messages, error)) {
            std::fprintf(stderr, "rtgraphctl: warning: ignoring a packet: %s\n", error.c_str());
            continue;
        }
        for (const Message& message : messages) printing = printing && print(message);
    }

    // Stop the notifications (a UDP subscription would otherwise outlive us).
    deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
    std::vector<Message> late;
    const Exchange unsubscribed = exchange(connection, Message{"/unsubscribe", {}}, id + 1, deadline, options, &late);
    for (const Message& message : late) printing = printing && print(message);
    if (unsubscribed.failure) {
        std::fprintf(stderr, "rtgraphctl: warning: /unsubscribe got no answer: %s", unsubscribed.failure->err.c_str());
        return kExitUnreachable;
    }
    if (!unsubscribed.reply->ok) {
        return emit(render_reply(Message{"/unsubscribe", {}}, *unsubscribed.reply, Show::kPlain, options.json));
    }
    if (!options.json) std::fprintf(stderr, "unsubscribed\n");
    return kExitOk;
}

// ---------------------------------------------------------------- batch

int run_batch(const Invocation& invocation) {
    const Options& options = invocation.options;
    const std::string& source = invocation.batch_source;
    std::string text;
    if (source == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream file(source, std::ios::binary);
        if (!file) {
            std::fprintf(stderr, "rtgraphctl: cannot read '%s': %s\n", source.c_str(), std::strerror(errno));
            return kExitUsage;
        }
        std::stringstream buffer;
        buffer << file.rdbuf();
        text = buffer.str();
    }
    const std::string name = source == "-" ? "<stdin>" : source;
    const BatchParse script = parse_batch(text);
    if (!script.ok()) {
        std::fprintf(stderr, "rtgraphctl: %s:%d: %s\n", name.c_str(), script.error_line, script.error.c_str());
        return kExitUsage;
    }
    if (script.items.empty()) {
        if (options.json) {
            std::puts(R"({"ok":true,"commands":0,"replies":[]})");
        } else {
            std::puts("ok: nothing to do (no commands)");
        }
        return kExitOk;
    }
    const std::int32_t first_id = first_request_id(script.items.size());
    std::vector<Message> messages;
    for (std::size_t i = 0; i < script.items.size(); ++i) {
        messages.push_back(with_id(script.items[i].message, first_id + static_cast<std::int32_t>(i)));
    }
    const std::vector<std::uint8_t> bundle = encode_bundle(messages);
    if (bundle.empty()) {
        std::fprintf(stderr, "rtgraphctl: liblo could not encode the bundle\n");
        return kExitUsage;
    }
    if (const std::string problem = batch_size_problem(messages.size(), bundle.size(), options.udp);
        !problem.empty()) {
        std::fprintf(stderr, "rtgraphctl: %s: %s\n", name.c_str(), problem.c_str());
        return kExitUsage;
    }

    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
    Connection connection;
    std::string error;
    if (!connection.open(options, deadline, error)) return emit(render_unreachable("unreachable", error, options.json));
    if (!connection.send(bundle, deadline, error)) return emit(render_unreachable("send_failed", error, options.json));

    std::vector<std::optional<Reply>> replies(script.items.size());
    std::size_t waiting = replies.size();
    std::vector<std::uint8_t> bytes;
    while (waiting > 0) {
        const Connection::Wait wait = connection.receive(bytes, deadline, -1, error);
        if (wait == Connection::Wait::kPacket) {
            std::vector<Message> received;
            if (!decode_packet(bytes, received, error)) {
                std::fprintf(stderr, "rtgraphctl: warning: ignoring a packet: %s\n", error.c_str());
                continue;
            }
            for (const Message& message : received) {
                const std::optional<Reply> reply = reply_from_message(message);
                if (!reply) continue;
                if (reply->id == 0 && !reply->ok && reply->address.empty()) {
                    // About the whole bundle (malformed_packet, too_large): no
                    // other reply comes. The first command shows it, the rest
                    // are refused with it, as the daemon words a refusal.
                    Reply refused = *reply;
                    refused.code = "transaction_refused";
                    refused.message = "nothing in this bundle was applied: " + reply->code + ": " + reply->message;
                    bool first = true;
                    for (std::optional<Reply>& r : replies) {
                        if (r) continue;
                        r = first ? *reply : refused;
                        first = false;
                    }
                    waiting = 0;
                    continue;
                }
                std::optional<std::size_t> index;
                if (reply->id >= first_id && reply->id < first_id + static_cast<std::int32_t>(replies.size())) {
                    index = static_cast<std::size_t>(reply->id - first_id);
                } else {
                    for (std::size_t i = 0; i < replies.size() && !index; ++i) {
                        if (!replies[i] && id_zero_matches(*reply, script.items[i].message.address)) index = i;
                    }
                }
                if (!index || replies[*index]) continue;
                replies[*index] = reply;
                --waiting;
            }
            continue;
        }
        std::string why;
        if (wait == Connection::Wait::kTimeout) {
            why = "no reply from " + connection.describe() + " within " + ms_text(options.timeout_ms) + " to " +
                  std::to_string(waiting) + " of " + std::to_string(replies.size()) + " commands";
        } else if (wait == Connection::Wait::kClosed) {
            why = "rtgraphd closed the connection (" + connection.describe() + ") with " + std::to_string(waiting) +
                  " replies outstanding";
        } else {
            why = error;
        }
        for (std::size_t i = 0; i < replies.size(); ++i) {
            if (!replies[i]) {
                why += "; first without a reply: line " + std::to_string(script.items[i].line) + ": " +
                       script.items[i].text;
                break;
            }
        }
        return emit(render_unreachable(wait == Connection::Wait::kTimeout ? "timeout" : "closed", why, options.json));
    }
    return emit(render_batch(script.items, replies, options.json));
}

}  // namespace
}  // namespace rtgraph::ctl

int main(int argc, char** argv) {
    using namespace rtgraph::ctl;
    std::signal(SIGPIPE, SIG_IGN);
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const Invocation invocation = parse_invocation(args);
    if (!invocation.ok()) {
        std::fprintf(stderr, "rtgraphctl: %s\n", invocation.error.c_str());
        return kExitUsage;
    }
    switch (invocation.mode) {
        case Mode::kHelp: std::fputs(usage_text().c_str(), stdout); return kExitOk;
        case Mode::kClientVersion: std::printf("rtgraphctl %s\n", RTGRAPH_VERSION); return kExitOk;
        case Mode::kRequest: return run_request(invocation);
        case Mode::kWatch: return run_watch(invocation);
        case Mode::kBatch: return run_batch(invocation);
        case Mode::kExport: return run_export(invocation);
        case Mode::kImport: return run_import(invocation);
    }
    return kExitUsage;
}
