// rtgraph-render: renders a patch script offline into a WAV file and says what
// it rendered. No audio server needed; the engine runs exactly as it would on
// the JACK process thread, block by block.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "rtgraph/control/patch_script.hpp"
#include "rtgraph/engine/engine.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/io/wav_writer.hpp"
#include "rtgraph/offline/offline_driver.hpp"

namespace {

struct Options {
    std::string patch = "config/patches/demo.patch";
    std::string out = "rtgraph-demo.wav";
    double seconds = 4.0;
    double rate = 48000.0;
    std::uint32_t block = 64;
    std::uint32_t channels = 2;
};

void usage() {
    std::puts(
        "usage: rtgraph-render [--patch FILE] [--out FILE.wav] [--seconds S] [--rate HZ]\n"
        "                      [--block FRAMES] [--channels N]\n"
        "Renders a patch script (graph edits in the command words of rtgraphctl --help, and\n"
        "'at SECONDS' lines) offline. Graph outputs out_1..out_N become the WAV's channels.");
}

bool parse_options(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* v = nullptr;
        if (arg == "--help" || arg == "-h") {
            usage();
            std::exit(0);
        } else if (arg == "--patch" && (v = value())) {
            options.patch = v;
        } else if (arg == "--out" && (v = value())) {
            options.out = v;
        } else if (arg == "--seconds" && (v = value())) {
            options.seconds = std::atof(v);
        } else if (arg == "--rate" && (v = value())) {
            options.rate = std::atof(v);
        } else if (arg == "--block" && (v = value())) {
            options.block = static_cast<std::uint32_t>(std::atoi(v));
        } else if (arg == "--channels" && (v = value())) {
            options.channels = static_cast<std::uint32_t>(std::atoi(v));
        } else {
            std::fprintf(stderr, "rtgraph-render: bad or incomplete option '%s'\n", arg.c_str());
            return false;
        }
    }
    if (!(options.seconds > 0 && options.seconds <= 3600) || !(options.rate >= 8000) ||
        options.block == 0 || options.block > 8192 || options.channels == 0 ||
        options.channels > 64) {
        std::fprintf(stderr, "rtgraph-render: an option is out of range\n");
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace rtgraph;
    Options options;
    if (!parse_options(argc, argv, options)) return 2;

    std::ifstream file(options.patch);
    if (!file) {
        std::fprintf(stderr, "rtgraph-render: cannot read patch '%s'\n", options.patch.c_str());
        return 1;
    }
    std::stringstream text;
    text << file.rdbuf();
    const control::ScriptParse script = control::parse_patch_script(text.str());
    if (!script.ok()) {
        std::fprintf(stderr, "rtgraph-render: %s:%d: %s\n", options.patch.c_str(),
                     script.error_line, script.error.c_str());
        return 1;
    }

    engine::NodeRegistry registry;
    engine::register_builtin_nodes(registry);
    engine::EngineConfig config;
    config.sample_rate = options.rate;
    config.max_block = options.block;
    engine::Engine engine(config, registry);

    // Graph outputs out_1..out_N become the WAV's channels, as the daemon's
    // configured ports become JACK ports.
    std::vector<engine::Edit> ports;
    for (std::uint32_t c = 1; c <= options.channels; ++c) {
        ports.push_back(engine::AddGraphPort{"out_" + std::to_string(c), engine::PortKind::kAudio,
                                             engine::PortDirection::kOutput});
    }
    if (const engine::ApplyResult result = engine.apply(ports); !result.ok()) {
        std::fprintf(stderr, "rtgraph-render: %s\n", result.error.message.c_str());
        return 1;
    }

    for (const control::ScriptTransaction& transaction : script.transactions) {
        if (transaction.edits.empty()) continue;
        const auto frame = static_cast<std::uint64_t>(std::llround(transaction.at_seconds * options.rate));
        const engine::ApplyResult result = engine.apply(transaction.edits, frame);
        if (!result.ok()) {
            std::fprintf(stderr, "rtgraph-render: %s: transaction at line %d, edit %zu: %s: %s\n",
                         options.patch.c_str(), transaction.line, result.failed_index + 1,
                         engine::error_name(result.error.code), result.error.message.c_str());
            return 1;
        }
        for (const std::string& note : result.notes) {
            std::fprintf(stderr, "rtgraph-render: note: %s\n", note.c_str());
        }
    }

    offline::OfflineDriver driver(engine, 0, options.channels);
    const auto frames = static_cast<std::uint64_t>(std::llround(options.seconds * options.rate));
    driver.render(frames, options.block);

    std::vector<std::vector<float>> channels;
    for (std::uint32_t c = 0; c < options.channels; ++c) channels.push_back(driver.output(c));
    if (const std::string error = io::write_wav(options.out, channels, static_cast<int>(options.rate));
        !error.empty()) {
        std::fprintf(stderr, "rtgraph-render: %s\n", error.c_str());
        return 1;
    }

    const engine::EngineStats stats = engine.stats();
    std::printf("rendered %s: %.2f s, %u channel(s), %.0f Hz, %llu frames in %u-frame blocks\n",
                options.out.c_str(), options.seconds, options.channels, options.rate,
                static_cast<unsigned long long>(frames), options.block);
    std::printf("patch %s: %zu node(s), %zu connection(s), %llu program swap(s)\n",
                options.patch.c_str(), engine.model().nodes().size(), engine.model().edges().size(),
                static_cast<unsigned long long>(stats.live_generation));
    for (std::uint32_t c = 0; c < options.channels; ++c) {
        double peak = 0.0, sum = 0.0;
        for (float x : channels[c]) {
            peak = std::max(peak, std::fabs(static_cast<double>(x)));
            sum += static_cast<double>(x) * x;
        }
        const double rms = channels[c].empty() ? 0.0 : std::sqrt(sum / channels[c].size());
        std::printf("  channel %u: peak %.3f (%.1f dBFS), rms %.3f (%.1f dBFS)\n", c + 1, peak,
                    20.0 * std::log10(std::max(peak, 1e-9)), rms, 20.0 * std::log10(std::max(rms, 1e-9)));
    }
    if (stats.nonfinite_blocks > 0) {
        std::printf("  warning: %llu block(s) silenced for NaN/Inf output\n",
                    static_cast<unsigned long long>(stats.nonfinite_blocks));
    }
    return 0;
}
