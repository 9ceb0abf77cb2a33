// The state file's housekeeping thread and the reply gate that waits on it:
// a client whose change is being written waits for the write, and nobody
// else does. Single-threaded test code, apart from the writer's own thread.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "reply_gate.hpp"
#include "state_write_thread.hpp"

namespace {

using rtgraph::control::OscMessage;
using rtgraph::control::OscPeer;
using rtgraph::control::Outgoing;
using rtgraph::daemon::ReplyGate;
using rtgraph::daemon::StateWriteThread;

OscPeer udp_peer(std::uint16_t port) {
    OscPeer peer;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::memcpy(&peer.address, &address, sizeof address);
    peer.address_length = sizeof address;
    return peer;
}

Outgoing reply(const OscPeer& peer, std::int32_t id) { return {peer, OscMessage{"/done", {{'i', id}}}}; }

// "peer:id" for each reply sent, in order.
struct Sent {
    std::vector<std::string> lines;
    ReplyGate::Send sender() {
        return [this](const Outgoing& item) {
            lines.push_back(item.peer.describe() + ":" +
                            std::to_string(std::get<std::int32_t>(item.message.args[0].value)));
        };
    }
};

TEST(ReplyGate, OnlyTheClientWhoseChangeIsUnsavedWaitsAndItsRepliesKeepTheirOrder) {
    const OscPeer a = udp_peer(5001), b = udp_peer(5002);
    const std::string A = a.describe(), B = b.describe();
    ReplyGate gate;
    Sent sent;
    gate.changed_by(a, 1);  // a's request made structural change 1

    std::vector<Outgoing> out{reply(a, 1), reply(b, 10)};
    gate.release(out, 0, sent.sender());
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(sent.lines, (std::vector<std::string>{B + ":10"}));
    EXPECT_EQ(gate.held(), 1u);

    // Still unsaved: a's later reply (a /param/set, no change of its own)
    // queues behind its first; b's goes at once.
    out = {reply(a, 2), reply(b, 11)};
    gate.release(out, 0, sent.sender());
    EXPECT_EQ(sent.lines, (std::vector<std::string>{B + ":10", B + ":11"}));
    EXPECT_EQ(gate.held(), 2u);

    // Change 1 written: a's replies leave, oldest first, before anything newer.
    out = {reply(a, 3)};
    gate.release(out, 1, sent.sender());
    EXPECT_EQ(sent.lines, (std::vector<std::string>{B + ":10", B + ":11", A + ":1", A + ":2", A + ":3"}));
    EXPECT_EQ(gate.held(), 0u);
}

TEST(ReplyGate, AClientWaitsForItsNewestChangeNotAnEarlierOne) {
    const OscPeer a = udp_peer(5001);
    ReplyGate gate;
    Sent sent;
    gate.changed_by(a, 3);
    gate.changed_by(a, 2);  // an older count never shortens the wait
    std::vector<Outgoing> out{reply(a, 1)};
    gate.release(out, 2, sent.sender());
    EXPECT_TRUE(sent.lines.empty());
    out.clear();
    gate.release(out, 3, sent.sender());
    EXPECT_EQ(sent.lines, (std::vector<std::string>{a.describe() + ":1"}));
}

class StateWriteThreadTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "rtgraph-write-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // The finished write, once the thread says so through its eventfd.
    static StateWriteThread::Finished wait_for(StateWriteThread& thread) {
        pollfd fd{thread.wake_fd(), POLLIN, 0};
        // A liveness bound (a write of a few bytes), not a timing claim.
        EXPECT_EQ(::poll(&fd, 1, 20'000), 1) << "the write never finished";
        auto finished = thread.collect();
        EXPECT_TRUE(finished.has_value());
        return finished.value_or(StateWriteThread::Finished{});
    }
    static std::string read(const std::filesystem::path& path) {
        std::ifstream file(path);
        std::stringstream text;
        text << file.rdbuf();
        return text.str();
    }

    std::filesystem::path dir_;
};

TEST_F(StateWriteThreadTest, WritesOnItsThreadAndTellsWhichGenerationFinished) {
    rtgraph::persist::StateFileWriter writer(dir_ / "state.json");
    StateWriteThread thread(writer);
    EXPECT_FALSE(thread.busy());
    EXPECT_FALSE(thread.collect().has_value()) << "nothing was submitted";

    thread.submit(R"({"graph":1})", 7);
    EXPECT_TRUE(thread.busy());
    StateWriteThread::Finished first = wait_for(thread);
    EXPECT_TRUE(first.ok) << first.error;
    EXPECT_EQ(first.generation, 7u);
    EXPECT_EQ(first.stats.writes, 1u);
    EXPECT_FALSE(thread.busy());
    EXPECT_EQ(read(dir_ / "state.json"), R"({"graph":1})");

    // The same document again is not written again.
    thread.submit(R"({"graph":1})", 8);
    StateWriteThread::Finished same = wait_for(thread);
    EXPECT_TRUE(same.ok);
    EXPECT_EQ(same.generation, 8u);
    EXPECT_EQ(same.stats.writes, 1u);
    EXPECT_EQ(same.stats.skipped_unchanged, 1u);
}

TEST_F(StateWriteThreadTest, AFailedWriteSaysWhyAndLeavesNoFile) {
    rtgraph::persist::StateFileWriter writer(dir_ / "gone" / "state.json");
    StateWriteThread thread(writer);
    thread.submit("{}", 1);
    StateWriteThread::Finished failed = wait_for(thread);
    EXPECT_FALSE(failed.ok);
    EXPECT_EQ(failed.generation, 1u) << "a failed write settles its generation too: nobody waits for ever";
    EXPECT_NE(failed.error.find("gone"), std::string::npos) << failed.error;
    EXPECT_EQ(failed.stats.failures, 1u);
    EXPECT_FALSE(std::filesystem::exists(dir_ / "gone"));
}

TEST_F(StateWriteThreadTest, DestroyingItFinishesTheWriteInProgress) {
    rtgraph::persist::StateFileWriter writer(dir_ / "state.json");
    {
        StateWriteThread thread(writer);
        thread.submit(std::string(1 << 20, 'x'), 1);
    }
    EXPECT_EQ(std::filesystem::file_size(dir_ / "state.json"), 1u << 20);
}

}  // namespace
