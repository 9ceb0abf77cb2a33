// Files confined, end to end: every file a client names for a plugin (with
// /node/path, or inside a plugin state it imports) is refused with bad_path
// unless it is a regular file inside [paths] media_dirs, and a refused file is
// never opened. What the daemon opens is seen from outside: strace attached
// to the running rtgraphd, every thread, tracing the open calls.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "osc_client.hpp"
#include "support/sine_wav.hpp"

namespace rtgraph::integration {
namespace {

namespace fs = std::filesystem;
constexpr const char* kSampler = "http://lv2plug.in/plugins/eg-sampler";

// True when every thread of `pid` is traced by `tracer` (strace is attached).
bool traced_by(pid_t pid, pid_t tracer) {
    std::error_code ec;
    std::size_t tasks = 0;
    for (const fs::directory_entry& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream status(task.path() / "status");
        std::string line;
        bool ours = false;
        while (std::getline(status, line)) {
            if (line.rfind("TracerPid:", 0) == 0) ours = std::stol(line.substr(10)) == tracer;
        }
        if (!ours) return false;
        ++tasks;
    }
    return !ec && tasks > 0;
}

class MediaConfineTest : public OscDaemonTest {
protected:
    std::string sample_property() const { return std::string(kSampler) + "#sample"; }
    void send_ok(const std::string& path) {
        ok("/node/path", {osc_s("sampler"), osc_s(sample_property()), osc_s(path)});
    }
    OscReply send_refused(const std::string& path) {
        return fails("/node/path", {osc_s("sampler"), osc_s(sample_property()), osc_s(path)}, "bad_path");
    }
    // Waits for eg-sampler's own log line for `path` (its worker opened it).
    bool loaded(const fs::path& path) {
        return daemon_->wait_for_log("Loading " + std::regex_replace(path.string(), std::regex(R"([.^$|()\[\]*+?{}\\])"), R"(\$&)"), 10s)
            .has_value();
    }
    nlohmann::json exported() {
        const OscReply reply = ok("/graph/export");
        return nlohmann::json::parse(reply.str(0), nullptr, false);
    }
};

TEST_F(MediaConfineTest, RefusedPathsGetBadPathAndAreNeverOpened) {
    const fs::path media = fs::canonical(dir_.path()) / "media";
    const fs::path outside = fs::canonical(dir_.path()) / "outside.wav";
    fs::create_directories(media);
    ASSERT_TRUE(test_support::write_sine_wav((media / "probe.wav").string(), 440.0, 0.5));
    ASSERT_TRUE(test_support::write_sine_wav((media / "last.wav").string(), 220.0, 0.5));
    ASSERT_TRUE(test_support::write_sine_wav(outside.string(), 330.0, 0.5));
    fs::create_symlink(outside, media / "link.wav");
    ASSERT_EQ(::mkfifo((media / "fifo.wav").c_str(), 0600), 0);

    settings_.media_dirs = {media.string()};
    ASSERT_NO_FATAL_FAILURE(start_all());
    ok("/node/add", {osc_s(kSampler), osc_s("sampler")});
    ok("/connect", {osc_s("graph:keys"), osc_s("sampler:control")});

    // strace on every thread of the running daemon, open calls only.
    const fs::path trace = dir_.path() / "opens.trace";
    ChildProcess strace;
    std::string error;
    ASSERT_TRUE(strace.start({{"strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", trace.string(),
                               "-p", std::to_string(daemon_->pid())},
                              {}, {}, dir_.path() / "strace.log"},
                             error))
        << error;
    ASSERT_TRUE(wait_until([&] { return traced_by(daemon_->pid(), strace.pid()); }, 10s))
        << read_file(dir_.path() / "strace.log");

    // A good file first: the trace sees what the plugin opens.
    send_ok((media / "probe.wav").string());
    ASSERT_TRUE(loaded(media / "probe.wav")) << daemon_->log();
    const nlohmann::json before = exported();

    struct Case { std::string path, says; };
    const std::vector<Case> cases = {
        {outside.string(), "outside the media directories"},
        {(media / ".." / "outside.wav").string(), "outside the media directories"},
        {(media / "link.wav").string(), "resolves to '" + outside.string() + "'"},
        {(media / "fifo.wav").string(), "not a regular file"},
        {"media/probe.wav", "not an absolute path"},
        {(media / "missing.wav").string(), "cannot be resolved"},
        {media.string(), "outside the media directories"},
        {"/etc/shadow", "outside the media directories"},
        {"/dev/zero", "outside the media directories"},
        {(media / ".." / ".." / ".." / ".." / ".." / "etc" / "shadow").string(), "outside"},
    };
    for (const Case& c : cases) {
        const OscReply reply = send_refused(c.path);
        EXPECT_NE(reply.text.find(c.says), std::string::npos) << c.path << ": " << reply.describe();
        EXPECT_NE(reply.text.find("nothing was opened"), std::string::npos) << reply.describe();
    }

    // A plugin state that names a file outside: the import is refused whole.
    nlohmann::json doc = before;
    for (nlohmann::json& node : doc["graph"]["nodes"]) {
        if (node["name"] != "sampler") continue;
        std::string state = node["plugin_state"].get<std::string>();
        const std::string probe = (media / "probe.wav").string();
        ASSERT_NE(state.find(probe), std::string::npos) << state;
        state.replace(state.find(probe), probe.size(), outside.string());
        node["plugin_state"] = state;
    }
    const OscReply imported = fails("/graph/import", {osc_s(doc.dump())}, "bad_path");
    EXPECT_NE(imported.text.find("node 'sampler': its plugin state names '" + outside.string() + "'"),
              std::string::npos) << imported.describe();
    EXPECT_EQ(exported(), before) << "a refused import changed the graph";

    // A good file last: once it is opened, everything before it has been seen.
    send_ok((media / "last.wav").string());
    ASSERT_TRUE(loaded(media / "last.wav")) << daemon_->log();
    strace.stop();
    const std::string opens = read_file(trace);
    EXPECT_NE(opens.find((media / "probe.wav").string()), std::string::npos) << opens;
    EXPECT_NE(opens.find((media / "last.wav").string()), std::string::npos) << opens;
    for (const std::string& never :
         {outside.string(), (media / "link.wav").string(), (media / "fifo.wav").string(),
          std::string("/etc/shadow"), std::string("/dev/zero"), (media / "missing.wav").string()}) {
        EXPECT_EQ(opens.find(never), std::string::npos) << never << " was opened:\n" << opens;
    }
    EXPECT_EQ(daemon_->log().find("Loading " + outside.string()), std::string::npos);
}

}  // namespace
}  // namespace rtgraph::integration
