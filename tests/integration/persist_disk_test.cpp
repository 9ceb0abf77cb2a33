// When the state file cannot be written, a structural change is refused
// (io_error) and nothing changes: not the graph, not JACK. Against a real
// rtgraphd whose state directory is a filesystem the test breaks and repairs:
// a small tmpfs filled to its last page, or a read-only bind mount. After the
// repair the same kind of change is accepted; after a kill -9 and a restart
// every acknowledged change is there and nothing refused is.
//
// Mounting needs root (as CI runs); elsewhere the tests are skipped, saying why.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "persist_fixture.hpp"

namespace rtgraph::integration {
namespace {

namespace fs = std::filesystem;

enum class Breakage { kDiskFull, kReadOnly };

// The state directory's filesystem: mounted by the test before rtgraphd
// starts, broken and repaired on demand, unmounted at the end.
class StateMount {
public:
    StateMount(fs::path dir, Breakage breakage) : dir_(std::move(dir)), breakage_(breakage) {}
    ~StateMount() {
        if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    }

    bool mount(std::string& error) {
        fs::create_directories(dir_);
        const int rc = breakage_ == Breakage::kDiskFull
                           ? ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=512k,mode=0750")
                           : ::mount(dir_.c_str(), dir_.c_str(), nullptr, MS_BIND, nullptr);
        if (rc != 0) error = "mount on " + dir_.string() + ": " + std::strerror(errno);
        mounted_ = rc == 0;
        return mounted_;
    }

    // Full: a file takes every page left. Read-only: remounted so.
    bool break_it(std::string& error) {
        if (breakage_ == Breakage::kReadOnly) return remount(MS_RDONLY, error);
        const int fd = ::open(filler().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            error = std::strerror(errno);
            return false;
        }
        const std::vector<char> page(4096, 'x');
        while (::write(fd, page.data(), page.size()) == static_cast<ssize_t>(page.size())) {
        }
        const int why = errno;
        ::close(fd);
        if (why != ENOSPC) error = std::string("filling the tmpfs: ") + std::strerror(why);
        return why == ENOSPC;
    }

    bool repair(std::string& error) {
        if (breakage_ == Breakage::kReadOnly) return remount(0, error);
        std::error_code ec;
        fs::remove(filler(), ec);
        if (ec) error = ec.message();
        return !ec;
    }

    // What the daemon's refusal says the disk said.
    const char* reason() const {
        return breakage_ == Breakage::kDiskFull ? "No space left on device" : "Read-only file system";
    }

private:
    fs::path filler() const { return dir_ / "filler"; }
    bool remount(unsigned long flags, std::string& error) {
        if (::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) == 0) return true;
        error = std::string("remount: ") + std::strerror(errno);
        return false;
    }

    fs::path dir_;
    Breakage breakage_;
    bool mounted_ = false;
};

class PersistDiskTest : public PersistTest, public ::testing::WithParamInterface<Breakage> {
protected:
    void TearDown() override {
        PersistTest::TearDown();  // rtgraphd gone before its directory is unmounted
        mount_.reset();
    }
    std::unique_ptr<StateMount> mount_;
};

TEST_P(PersistDiskTest, AChangeThatCannotBeWrittenIsRefusedAndNothingAcknowledgedIsLost) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting the state directory needs root";
    mount_ = std::make_unique<StateMount>(state_dir(), GetParam());
    std::string error;
    ASSERT_TRUE(mount_->mount(error)) << error;
    ASSERT_NO_FATAL_FAILURE(start_all());
    std::unique_ptr<OscClient> listener = connect(OscClient::Kind::kTcp);
    const std::optional<OscReply> subscribed = listener->request("/subscribe", {osc_s("status")});
    ASSERT_TRUE(subscribed && subscribed->done);
    ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(330.0f)});
    ok("/node/add", {osc_s("gain"), osc_s("g")});
    ok("/connect", {osc_s("osc:out"), osc_s("g:in")});
    ok("/connect", {osc_s("g:out"), osc_s("graph:out_1")});

    ASSERT_TRUE(mount_->break_it(error)) << error;
    const nlohmann::json before = dump();
    const std::vector<std::string> ports_before = observer_->ports("^rtgt:");
    const auto refused = [&](const std::string& address, std::vector<OscArgument> args) {
        const OscReply reply = fails(address, std::move(args), "io_error");
        EXPECT_NE(reply.text.find("nothing was changed: the state file could not be written"), std::string::npos)
            << reply.describe();
        EXPECT_NE(reply.text.find(mount_->reason()), std::string::npos) << reply.describe();
    };
    refused("/node/add", {osc_s("sine"), osc_s("r1")});
    refused("/node/remove", {osc_s("g")});
    refused("/connect", {osc_s("osc:out"), osc_s("graph:out_2")});
    refused("/port/add", {osc_s("aux"), osc_s("out")});
    refused("/connect", {osc_s("graph:out_1"), osc_s("system:playback_1")});
    refused("/graph/clear", {});
    EXPECT_EQ(dump(), before);
    EXPECT_EQ(observer_->ports("^rtgt:"), ports_before) << "a refused /port/add reached JACK";
    EXPECT_TRUE(observer_->connections(full_port("out_1")).empty()) << "a refused external connection was made";

    // A value is taken and waits in memory; the state is degraded and says so.
    ok("/param/set", {osc_s("osc"), osc_s("freq"), osc_f(550.0f)});
    const auto status_note = [&](const std::string& word) {
        return listener->wait_message(
            [&](const OscMessage& m) {
                return m.address == "/notify/status" && m.args.size() == 1 &&
                       std::get<std::string>(m.args[0].value) == word;
            },
            3s);
    };
    EXPECT_TRUE(status_note("state_write_failed")) << "no /notify/status state_write_failed";
    nlohmann::json degraded = status();
    EXPECT_TRUE(degraded.value("state_degraded", false)) << degraded.dump();
    EXPECT_NE(degraded.value("state_last_error", "").find(mount_->reason()), std::string::npos) << degraded.dump();
    EXPECT_GE(degraded.value("state_write_failures", 0), 6) << degraded.dump();

    ASSERT_TRUE(mount_->repair(error)) << error;
    ok("/node/add", {osc_s("gain"), osc_s("a1")});
    ok("/connect", {osc_s("osc:out"), osc_s("a1:in")});
    EXPECT_TRUE(status_note("state_write_ok")) << "no /notify/status state_write_ok";
    EXPECT_FALSE(status().value("state_degraded", true));

    kill_daemon();
    ASSERT_NO_FATAL_FAILURE(start_daemon_again());
    const nlohmann::json after = dump();
    for (const char* name : {"osc", "g", "a1"}) EXPECT_FALSE(node_in(after, name).is_null()) << name << " lost";
    EXPECT_EQ(node_in(after, "osc")["params"].value("freq", 0.0), 550.0) << after.dump();
    EXPECT_TRUE(node_in(after, "r1").is_null()) << "a refused node came back";
    EXPECT_FALSE(connection_in(after, "osc:out", "g:in").is_null());
    EXPECT_FALSE(connection_in(after, "g:out", "graph:out_1").is_null());
    EXPECT_FALSE(connection_in(after, "osc:out", "a1:in").is_null());
    EXPECT_TRUE(connection_in(after, "osc:out", "graph:out_2").is_null()) << "a refused connection came back";
    EXPECT_EQ(observer_->ports("^rtgt:aux"), std::vector<std::string>{}) << "a refused port came back";
    EXPECT_TRUE(externals_of(exported(), "out_1").empty()) << "a refused external connection came back";
}

INSTANTIATE_TEST_SUITE_P(Breakages, PersistDiskTest, ::testing::Values(Breakage::kDiskFull, Breakage::kReadOnly),
                         [](const ::testing::TestParamInfo<Breakage>& param) {
                             return param.param == Breakage::kDiskFull ? std::string("DiskFull")
                                                                      : std::string("ReadOnly");
                         });

}  // namespace
}  // namespace rtgraph::integration
