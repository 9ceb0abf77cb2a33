// rtgraphctl batch: patch-script text to OSC requests, one per command line.
#include "rtgraphctl_batch.hpp"

#include "rtgraph/control/patch_script.hpp"

namespace rtgraph::ctl {

namespace {

std::string_view trim(std::string_view text) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!text.empty() && space(text.front())) text.remove_prefix(1);
    while (!text.empty() && space(text.back())) text.remove_suffix(1);
    return text;
}

}  // namespace

BatchParse parse_batch(std::string_view text) {
    BatchParse result;
    const control::ScriptParse script = control::parse_patch_script(text);
    if (!script.ok()) {
        result.error_line = script.error_line;
        result.error = script.error;
        return result;
    }
    for (const control::ScriptTransaction& transaction : script.transactions) {
        if (transaction.at_seconds != 0.0) {
            result.error_line = transaction.line;
            result.error = "a batch is one immediate transaction: 'at' times are for timed scripts "
                           "(rtgraph-render, rtgraphd --patch); send each part as its own batch";
            return result;
        }
    }
    // The script is valid: map it line by line, keeping line numbers for messages.
    int line_number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty() || line == "at" || line.starts_with("at ") || line.starts_with("at\t")) continue;
        engine::Edit edit;
        std::string error;
        if (!control::parse_command(line, edit, error)) {  // cannot happen after the check above
            result.items.clear();
            result.error_line = line_number;
            result.error = error;
            return result;
        }
        result.items.push_back(BatchItem{line_number, std::string(line), message_from_edit(edit)});
    }
    return result;
}

}  // namespace rtgraph::ctl
