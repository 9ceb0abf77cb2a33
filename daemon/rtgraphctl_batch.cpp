// rtgraphctl batch: patch-script text to OSC requests, one per command line
// (see rtgraphctl_batch.hpp).
#include "rtgraphctl_batch.hpp"

#include "rtgraph/control/patch_script.hpp"

namespace rtgraph::ctl {

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
    // The parser kept each command's line, text and request.
    for (const control::ScriptTransaction& transaction : script.transactions) {
        for (std::size_t i = 0; i < transaction.edits.size(); ++i) {
            const control::ScriptSource& source = transaction.sources[i];
            result.items.push_back(BatchItem{source.line, source.text, transaction.requests[i]});
        }
    }
    return result;
}

}  // namespace rtgraph::ctl
