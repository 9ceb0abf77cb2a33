// rtgraphd: the rtgraph audio daemon. Reads the configuration, sets up
// logging, and hands over to Daemon::run (the control loop).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "daemon.hpp"
#include "rtgraph/config/daemon_config.hpp"

namespace {

void set_up_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("rtgraphd");
    // Under systemd the journal stamps each line itself.
    if (std::getenv("JOURNAL_STREAM") != nullptr) {
        logger->set_pattern("%l: %v");
    } else {
        logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
    }
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int main(int argc, char** argv) {
    using namespace rtgraph;
    const config::CommandLine command_line = config::parse_command_line(argc, argv);
    if (!command_line.errors.empty()) {
        for (const std::string& error : command_line.errors) std::fprintf(stderr, "rtgraphd: %s\n", error.c_str());
        std::fprintf(stderr, "%s", config::usage_text().c_str());
        return daemon::kExitUsage;
    }
    if (command_line.help) {
        std::printf("%s", config::usage_text().c_str());
        return daemon::kExitOk;
    }
    if (command_line.version) {
        std::printf("rtgraphd %s\n", RTGRAPH_VERSION);
        return daemon::kExitOk;
    }
    const config::LoadResult loaded = config::load_effective_config(command_line);
    for (const config::ConfigMessage& warning : loaded.warnings) {
        std::fprintf(stderr, "rtgraphd: warning: %s\n", config::format_message(warning, loaded.source).c_str());
    }
    if (!loaded.ok()) {
        for (const config::ConfigMessage& error : loaded.errors) {
            std::fprintf(stderr, "rtgraphd: error: %s\n", config::format_message(error, loaded.source).c_str());
        }
        return daemon::kExitConfig;
    }
    if (command_line.check_config) {
        std::printf("configuration OK (%s)\n", loaded.source.empty() ? "built-in defaults" : loaded.source.c_str());
        return daemon::kExitOk;
    }
    set_up_logging(loaded.config.log_level);
    daemon::Daemon daemon(loaded.config, command_line);
    return daemon.run();
}
