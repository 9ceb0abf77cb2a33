#include "rtgraph/engine/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

namespace rtgraph::engine {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// What follows the last '/', '#' or ':' ("http://x/plugins/eg-amp" -> "eg-amp").
std::string_view last_segment(std::string_view name) {
    const std::size_t cut = name.find_last_of("/#:");
    return cut == std::string_view::npos ? name : name.substr(cut + 1);
}

// True when `typed` begins `segment` or one of its words (after '-', '_',
// '.' or a space): "amp" in "amp_mono" and "eg-amp", not in "eg-sampler".
bool starts_a_word(const std::string& segment, const std::string& typed) {
    for (std::size_t at = segment.find(typed); at != std::string::npos; at = segment.find(typed, at + 1)) {
        if (at == 0 || std::string_view("-_. ").find(segment[at - 1]) != std::string_view::npos) return true;
    }
    return false;
}

// Optimal string alignment distance.
std::size_t edit_distance(const std::string& a, const std::string& b) {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[n][m];
}

}  // namespace

std::vector<std::string> closest_names(std::string_view wanted,
                                       const std::vector<std::string_view>& candidates,
                                       std::size_t count) {
    const std::string typed = lower(wanted);
    if (typed.empty()) return {};
    const std::size_t allowed = std::max<std::size_t>(2, typed.size() / 3);
    // Scores in halves: a contained match ranks between 0 and 1 edit.
    std::vector<std::pair<std::size_t, std::string_view>> scored;
    for (const std::string_view candidate : candidates) {
        const std::string whole = lower(candidate);
        const std::string segment = lower(last_segment(candidate));
        std::size_t score = 2 * std::min(edit_distance(typed, whole), edit_distance(typed, segment));
        if (score > 2 * allowed && typed.size() >= 3 && starts_a_word(segment, typed)) score = 1;
        if (score <= 2 * allowed) scored.emplace_back(score, candidate);
    }
    std::sort(scored.begin(), scored.end());
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && out.size() < count; ++i) {
        out.emplace_back(scored[i].second);
    }
    return out;
}

std::string did_you_mean(std::string_view wanted, const std::vector<std::string_view>& candidates,
                         std::string_view listing) {
    const std::vector<std::string> close = closest_names(wanted, candidates);
    std::string text;
    for (std::size_t i = 0; i < close.size(); ++i) {
        text += i == 0 ? "; did you mean " : (i + 1 == close.size() ? " or " : ", ");
        text += "'" + close[i] + "'";
    }
    if (!close.empty()) text += "?";
    if (!listing.empty()) text += "; " + std::string(listing);
    return text;
}

}  // namespace rtgraph::engine
