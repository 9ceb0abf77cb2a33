// PersistTest: an OscDaemonTest that restarts and kills rtgraphd on the same
// state directory and reads back what it kept, over OSC and from the file.
// Shared by the persistence tests (persist_test.cpp, persist_disk_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "osc_client.hpp"
#include "rtgraph/persist/state_file.hpp"
#include "rtgraph/persist/state_saver.hpp"

namespace rtgraph::integration {

class PersistTest : public OscDaemonTest {
protected:
    std::filesystem::path state_dir() const { return dir_.path() / "state"; }
    std::filesystem::path state_file() const { return state_dir() / persist::kStateFileName; }

    // Starts rtgraphd again on the same jackd, port and state directory (the
    // previous one must have exited or been killed).
    void start_daemon_again() {
        tcp_.reset();
        udp_.reset();
        if (daemon_->running()) daemon_->wait_exit(5s);
        std::string error;
        ASSERT_TRUE(daemon_->start(settings_, error)) << error;
        const std::optional<std::string> line =
            daemon_->wait_for_log("rtgraphd ready|cannot open the OSC control port", 10s);
        ASSERT_TRUE(line && line->find("ready") != std::string::npos) << daemon_->log();
        tcp_ = connect(OscClient::Kind::kTcp);
        udp_ = connect(OscClient::Kind::kUdp);
        ASSERT_TRUE(tcp_->ok()) << tcp_->error();
    }

    void kill_daemon() {
        ASSERT_TRUE(daemon_->signal(SIGKILL));
        ASSERT_TRUE(daemon_->wait_exit(5s));
    }

    nlohmann::json exported() {
        const OscReply reply = ok("/graph/export");
        nlohmann::json parsed = nlohmann::json::parse(reply.str(0), nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << reply.describe();
        return parsed;
    }

    // The state file, parsed; fails the test when it does not parse.
    persist::GraphState state_on_disk() {
        const std::string text = read_file(state_file());
        persist::GraphState state;
        std::string error;
        EXPECT_TRUE(persist::from_document(text, state, error)) << error << "\n" << text;
        const nlohmann::json raw = nlohmann::json::parse(text, nullptr, false);
        EXPECT_EQ(raw.value("schema", 0), persist::kSchemaVersion) << text;
        return state;
    }

    std::vector<std::string> externals_of(const nlohmann::json& document, const std::string& port) {
        std::vector<std::string> peers;
        for (const nlohmann::json& e : document["graph"]["external_connections"]) {
            if (e.value("port", "") == port) peers.push_back(e.value("peer", ""));
        }
        return peers;
    }

    // A graph with something of every kind: nodes, parameters, bypass,
    // connections with gains, graph ports, external connections.
    void build_sample() {
        ok("/node/add", {osc_s("sine"), osc_s("osc"), osc_s("freq"), osc_f(330.0f), osc_s("amp"), osc_f(0.2f)});
        ok("/node/add", {osc_s("gain"), osc_s("g"), osc_s("gain"), osc_f(0.5f)});
        ok("/node/add", {osc_s("delay"), osc_s("d")});
        ok("/connect", {osc_s("osc:out"), osc_s("g:in"), osc_f(0.8f)});
        ok("/connect", {osc_s("g:out"), osc_s("d:in")});
        ok("/connect", {osc_s("d:out"), osc_s("graph:out_1")});
        ok("/connect", {osc_s("graph:in_1"), osc_s("graph:out_2"), osc_f(0.25f)});
        ok("/node/bypass", {osc_s("d"), osc_T()});
        ok("/port/add", {osc_s("aux"), osc_s("out")});
        ok("/param/set", {osc_s("g"), osc_s("gain"), osc_f(0.75f)});
        ok("/connect", {osc_s("graph:out_1"), osc_s("system:playback_1")});
    }
};

}  // namespace rtgraph::integration
