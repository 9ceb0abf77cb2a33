// The command words: rtgraph's one text grammar for graph edits and requests.
// Patch scripts (rtgraphd --patch, rtgraph-render), rtgraphctl's command line
// and rtgraphctl batch all read words through this table, so one command
// means one OSC request wherever it is written.
//
//   add TYPE NAME [PARAM=VALUE ...]          connect SRC DST [GAIN]
//   set NODE PARAM VALUE [--ramp MS]         edge-gain SRC DST GAIN
//   port add NAME in|out [audio|midi]        midi map CHANNEL CC NODE PARAM [MIN MAX]
//   ... (command_verbs() has every verb; rtgraphctl --help and the README
//   list them from it)
//
// Each verb has one documented spelling. The spellings the two grammars had
// before they were one (gain, unport, port in|out NAME, map, unmap, set's
// RAMP_MS as a fourth word) are still read, as `old spelling` entries that
// name the documented one; they are not listed in --help.
//
// Threads: control thread, and rtgraphctl's only thread. Everything here may
// allocate; the table itself is constant data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rtgraph/engine/edit.hpp"

namespace rtgraph::control {

// An OSC blob as a client sends it (a document too long for an OSC string).
struct ClientBlob {
    std::vector<std::uint8_t> bytes;
    bool operator==(const ClientBlob&) const = default;
};

// One OSC argument as a client writes it; the C++ type is the wire type:
// i h f d s T/F b.
using ClientValue = std::variant<std::int32_t, std::int64_t, float, double, std::string, bool, ClientBlob>;

// An OSC message as a client sends or receives it, without the request id.
struct ClientMessage {
    std::string address;
    std::vector<ClientValue> args;

    bool operator==(const ClientMessage&) const = default;
};

// Where words are read. Scripts (and rtgraphctl batch) hold graph edits only;
// the command line has every verb. Usage errors on the command line name the
// program ("usage: rtgraphctl add ...").
enum class WordsContext { kScript, kCommandLine };

enum class VerbKind {
    kEdit,         // a graph edit: scripts, batch and the command line
    kRequest,      // a query or stand-alone request: the command line only
    kOldSpelling,  // read everywhere its documented verb is; not listed
};

struct Command;

// One verb: its words, its arguments and the request it makes.
struct CommandVerb {
    std::string_view words;      // "connect", or two words: "port add"
    std::string_view usage;      // the arguments, as --help shows them: "SRC DST [GAIN]"
    std::string_view summary;    // what it does, for --help
    std::string_view address;    // the OSC address of its request
    VerbKind kind = VerbKind::kEdit;
    std::string_view spelled;    // kOldSpelling: the documented words ("edge-gain")
    std::size_t min_args = 0;    // arguments after the verb's words
    std::size_t max_args = 0;
    // Arguments (count already checked) to command.request and, for edits,
    // command.edit. False with `error` set.
    bool (*parse)(std::span<const std::string_view> args, Command& command, std::string& error) = nullptr;
};

// What one command's words mean.
struct Command {
    const CommandVerb* verb = nullptr;  // the entry the words matched
    ClientMessage request;              // the OSC request, optional arguments as written
    std::optional<engine::Edit> edit;   // the same command as a graph edit (kEdit verbs)
};

// [nrt] Every verb, documented ones first in the order --help lists them.
std::span<const CommandVerb> command_verbs();

// [nrt] The words of one command (the verb and its arguments, no comment) to
// what they mean. False with `error` set: the usage, or which word is wrong
// and why; nothing else is filled in then.
bool parse_command_words(std::span<const std::string_view> words, WordsContext context, Command& command,
                         std::string& error);

// [nrt] A line split at blanks (space, tab, CR).
std::vector<std::string_view> split_words(std::string_view line);

// [nrt] A verb's usage as one line: "connect SRC DST [GAIN]".
std::string usage_line(const CommandVerb& verb);

// [nrt] A whole-text number ("440", "-6", "1e3", "+2"); nullopt otherwise.
std::optional<float> parse_float(std::string_view text);
std::optional<int> parse_int(std::string_view text);

}  // namespace rtgraph::control
