// WAV file output through libsndfile (non-RT).
#include "rtgraph/io/wav_writer.hpp"

#include <sndfile.h>

#include <algorithm>

namespace rtgraph::io {

std::string write_wav(const std::string& path, const std::vector<std::vector<float>>& channels,
                      int sample_rate) {
    if (channels.empty()) return "no channels to write";
    const std::size_t frames = channels.front().size();
    SF_INFO info{};
    info.samplerate = sample_rate;
    info.channels = static_cast<int>(channels.size());
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
    if (file == nullptr) return std::string("cannot open ") + path + ": " + sf_strerror(nullptr);
    std::vector<float> interleaved(frames * channels.size());
    for (std::size_t f = 0; f < frames; ++f) {
        for (std::size_t c = 0; c < channels.size(); ++c) {
            interleaved[f * channels.size() + c] = f < channels[c].size() ? channels[c][f] : 0.0f;
        }
    }
    const sf_count_t written = sf_writef_float(file, interleaved.data(), static_cast<sf_count_t>(frames));
    std::string error;
    if (written != static_cast<sf_count_t>(frames)) error = std::string("short write: ") + sf_strerror(file);
    if (sf_close(file) != 0 && error.empty()) error = "cannot close " + path;
    return error;
}

}  // namespace rtgraph::io
