// "Did you mean": the existing names closest to one that was not found, for
// the errors that name an unknown type, node, port or parameter.
//
// Closeness is the optimal-string-alignment edit distance (insert, delete,
// substitute, swap two neighbours), ignoring case, to the whole name or to
// its last segment (an LV2 URI's "eg-amp", a LADSPA type's "amp_mono"); a
// name with a word in its last segment that begins with what was typed (3
// characters or more: "amp" for "amp_mono") counts as close too. Only names within a third of the typed length (at
// least 2 edits) are offered, so a suggestion is never a random name.
//
// Threads: [nrt] pure functions; any thread but the audio thread (allocates).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rtgraph::engine {

// Up to `count` of `candidates`, closest first (ties in name order).
std::vector<std::string> closest_names(std::string_view wanted,
                                       const std::vector<std::string_view>& candidates,
                                       std::size_t count = 3);

// "; did you mean 'a', 'b' or 'c'?" for the closest names, or "" when none is
// close; then "; " + `listing` (what lists them all) when it is not empty.
std::string did_you_mean(std::string_view wanted, const std::vector<std::string_view>& candidates,
                         std::string_view listing);

}  // namespace rtgraph::engine
