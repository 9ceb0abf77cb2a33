// WAV file output through libsndfile (non-RT: file I/O; never on the audio thread).
#pragma once

#include <string>
#include <vector>

namespace rtgraph::io {

// [nrt] Writes channels (equal lengths) as 32-bit float WAV. Returns an empty
// string on success, otherwise what went wrong.
std::string write_wav(const std::string& path, const std::vector<std::vector<float>>& channels,
                      int sample_rate);

}  // namespace rtgraph::io
