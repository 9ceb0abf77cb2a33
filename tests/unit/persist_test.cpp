// persist: the state document, durable writes, snapshot names, restore edits.
// No daemon and no JACK: files go to a private temporary directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "rtgraph/engine/model.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/persist/atomic_file.hpp"
#include "rtgraph/persist/snapshot_store.hpp"
#include "rtgraph/persist/state_file.hpp"
#include "rtgraph/persist/state_saver.hpp"

namespace rtgraph::persist {
namespace {

namespace fs = std::filesystem;

class TempDirectory {
public:
    TempDirectory() {
        std::random_device device;
        path_ = fs::temp_directory_path() / ("rtgraph-persist-" + std::to_string(device()));
        fs::create_directories(path_);
    }
    ~TempDirectory() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::string slurp(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

mode_t mode_of(const fs::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
}

class PersistModel : public ::testing::Test {
protected:
    void SetUp() override { engine::register_builtin_nodes(registry_); }

    void apply(engine::Model& model, const std::vector<engine::Edit>& edits) {
        for (const engine::Edit& edit : edits) {
            engine::EditOutcome outcome;
            const engine::Error error = model.apply(edit, outcome);
            ASSERT_FALSE(error) << error.message;
        }
    }

    // A graph with something of every kind the document holds.
    engine::Model sample() {
        engine::Model model(registry_);
        apply(model, {engine::AddGraphPort{"out_b", engine::PortKind::kAudio, engine::PortDirection::kOutput},
                      engine::AddGraphPort{"in_a", engine::PortKind::kAudio, engine::PortDirection::kInput},
                      engine::AddGraphPort{"keys", engine::PortKind::kMidi, engine::PortDirection::kInput},
                      engine::AddNode{"sine", "osc", {{"freq", 220.5f}, {"amp", 0.1f}}},
                      engine::AddNode{"gain", "g", {{"gain", 0.3f}}},
                      engine::BypassNode{"g", true},
                      engine::Connect{"osc:out", "g:in", 0.7f},
                      engine::Connect{"g:out", "graph:out_b", 1.0f},
                      engine::Connect{"graph:in_a", "graph:out_b", 0.25f},
                      engine::MapMidi{3, 74, "osc", "freq", 100.0f, 2000.0f}});
        return model;
    }

    engine::NodeRegistry registry_;
};

TEST(SnapshotName, AcceptsTheDocumentedCharacters) {
    std::string error;
    for (const char* name : {"a", "live-set_2.v1", "A.b-c_9", "x..y"}) {
        EXPECT_TRUE(valid_snapshot_name(name, error)) << name << ": " << error;
    }
    EXPECT_TRUE(valid_snapshot_name(std::string(64, 'z'), error)) << error;
}

TEST(SnapshotName, RefusesEscapesControlCharactersAndLongNames) {
    const std::vector<std::string> bad = {"",          ".",        "..",          "../x",       "a/b",
                                          "/etc/passwd", ".hidden", "a\nb",      std::string("a\0b", 3),
                                          "a\x01",     "a b",      "caf\xc3\xa9", "a\\b",       "*",
                                          std::string(65, 'z')};
    for (const std::string& name : bad) {
        std::string error;
        EXPECT_FALSE(valid_snapshot_name(name, error)) << "accepted '" << name << "'";
        EXPECT_NE(error.find(kSnapshotNameRule), std::string::npos) << error;
        EXPECT_EQ(error.find('\n'), std::string::npos) << "control character echoed: " << error;
    }
}

TEST(AtomicFile, WritesReplacesWithModesAndLeavesNoTemporary) {
    TempDirectory temp;
    const fs::path dir = temp.path() / "a" / "b";
    std::string error;
    ASSERT_TRUE(ensure_directory(dir, error)) << error;
    const mode_t umask_now = ::umask(0);
    ::umask(umask_now);
    EXPECT_EQ(mode_of(dir), kDirectoryMode & ~umask_now);
    const fs::path file = dir / "state.json";
    ASSERT_TRUE(write_file_atomically(file, "first", error)) << error;
    ASSERT_TRUE(write_file_atomically(file, "second", error)) << error;
    EXPECT_EQ(slurp(file), "second");
    EXPECT_EQ(mode_of(file), kFileMode & ~umask_now);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1)
        << "a temporary file was left behind";
    // A directory that cannot be written: the old file stays as it was.
    EXPECT_FALSE(write_file_atomically(temp.path() / "missing" / "x.json", "y", error));
    EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST_F(PersistModel, DocumentRoundTripsEveryField) {
    const engine::Model model = sample();
    GraphState state = capture(model, {{"out_b", "system:playback_1"}, {"in_a", "app:out"},
                                       {"out_b", "system:playback_1"}});
    state.nodes[0].plugin_state = "opaque \"bytes\"\n";
    EXPECT_EQ(state.midi_maps_json,
              R"([{"channel":3,"controller":74,"node":"osc","param":"freq","min":100.0,"max":2000.0}])");
    ASSERT_EQ(state.externals.size(), 2u) << "duplicates are dropped";
    const std::string text = to_document(state);
    GraphState back;
    std::string error;
    ASSERT_TRUE(from_document(text, back, error)) << error;
    EXPECT_EQ(back, state);
    ASSERT_TRUE(from_document(to_document(state, true), back, error)) << error;
    EXPECT_EQ(back, state) << "the pretty form reads the same";
    // Ports by name, whatever order they were added in.
    ASSERT_EQ(state.ports.size(), 3u);
    EXPECT_EQ(state.ports[0].name, "in_a");
    EXPECT_EQ(state.ports[2].name, "out_b");
    // Floats are written in their shortest form.
    EXPECT_NE(text.find("\"amp\":0.1}"), std::string::npos) << text;
    EXPECT_NE(text.find("\"schema\":1"), std::string::npos) << text;
    EXPECT_EQ(to_document(capture(model, {})).find("plugin_state"), std::string::npos)
        << "plugin_state is omitted when absent";
}

TEST_F(PersistModel, RestoreEditsRebuildTheSameGraphInOneTransaction) {
    const engine::Model original = sample();
    const GraphState saved = capture(original, {});
    // A different graph to restore over: an extra port, one port gone, other nodes.
    engine::Model other(registry_);
    apply(other, {engine::AddGraphPort{"in_a", engine::PortKind::kAudio, engine::PortDirection::kInput},
                  engine::AddGraphPort{"spare", engine::PortKind::kAudio, engine::PortDirection::kOutput},
                  engine::AddGraphPort{"keys", engine::PortKind::kAudio, engine::PortDirection::kInput},
                  engine::AddNode{"noise", "n", {}},
                  engine::AddNode{"gain", "g", {{"gain", 5.0f}}},
                  engine::Connect{"n:out", "graph:spare", 1.0f},
                  engine::Connect{"graph:in_a", "graph:spare", 1.0f}});
    const std::vector<engine::Edit> edits = restore_edits(saved, other);
    ASSERT_NO_FATAL_FAILURE(apply(other, edits));
    EXPECT_EQ(capture(other, {}), saved);  // MIDI maps included
    EXPECT_EQ(other.midi_maps().size(), 1u);
    // A node's plugin state travels in its AddNode, for the engine to restore.
    GraphState with_state = saved;
    with_state.nodes[0].plugin_state = "state text";
    bool carried = false;
    for (const engine::Edit& edit : restore_edits(with_state, other)) {
        if (const auto* add = std::get_if<engine::AddNode>(&edit); add != nullptr && add->state) {
            carried = *add->state == "state text" && add->name == with_state.nodes[0].name;
        }
    }
    EXPECT_TRUE(carried);
    // The kept port kept its identity (same id): its JACK port is not re-registered.
    EXPECT_EQ(other.find_graph_port("in_a")->id, 1u);
    // "keys" changed kind (audio → midi), so it was replaced.
    EXPECT_EQ(other.find_graph_port("keys")->kind, engine::PortKind::kMidi);
}

TEST(StateDocument, ReportsWhatIsWrongAndWhere) {
    GraphState state;
    std::string error;
    EXPECT_FALSE(from_document("{\"schema\":1,\"graph\":{\"nodes\":[{\"name\":\"a\"}]}}", state, error));
    EXPECT_EQ(error, "graph.nodes[0].type: must be a string");
    EXPECT_FALSE(from_document("{\"schema\":99,\"graph\":{}}", state, error));
    EXPECT_NE(error.find("schema 99 is not supported"), std::string::npos) << error;
    EXPECT_FALSE(from_document("{\"schema\":1,\"graph\":{\"nodes\":[{\"name\":\"a\",\"type\":\"gain\","
                               "\"params\":{\"gain\":\"loud\"}}]}}",
                               state, error));
    EXPECT_EQ(error, "graph.nodes[0].params.gain: must be a number");
    EXPECT_FALSE(from_document("{\"schema\":1,\"gra", state, error));
    EXPECT_EQ(error.rfind("not valid JSON", 0), 0u) << error;
    EXPECT_FALSE(from_document("[]", state, error));
    // A /graph/dump (no schema) is read as a graph.
    EXPECT_TRUE(from_document("{\"api\":\"1\",\"ports\":[],\"nodes\":[],\"connections\":[]}", state, error))
        << error;
}

TEST(StateSaverTest, CorruptFileIsKeptAsideNotDeleted) {
    TempDirectory temp;
    StateSaver saver(temp.path() / "state");
    std::string error;
    ASSERT_TRUE(saver.prepare(error)) << error;
    EXPECT_EQ(saver.load_at_start().status, StartupState::Status::kMissing);
    std::ofstream(saver.file()) << "{\"schema\":1,\"graph\":{\"nodes\":[tr";
    const StartupState startup = saver.load_at_start();
    EXPECT_EQ(startup.status, StartupState::Status::kCorrupt);
    EXPECT_NE(startup.error.find("not valid JSON"), std::string::npos) << startup.error;
    EXPECT_FALSE(fs::exists(saver.file()));
    ASSERT_FALSE(startup.kept_aside.empty());
    EXPECT_EQ(slurp(startup.kept_aside), "{\"schema\":1,\"graph\":{\"nodes\":[tr");
    EXPECT_NE(startup.kept_aside.filename().string().find("state.json.corrupt-"), std::string::npos);
}

TEST(StateSaverTest, StructuralIsDueAtOnceParametersAfterTheFlushDelay) {
    TempDirectory temp;
    StateSaver saver(temp.path());
    const auto t0 = StateSaver::Clock::now();
    EXPECT_FALSE(saver.due(t0));
    saver.mark_params(t0);
    saver.mark_params(t0 + std::chrono::milliseconds(150));  // does not postpone the flush
    EXPECT_FALSE(saver.due(t0 + std::chrono::milliseconds(100)));
    EXPECT_TRUE(saver.due(t0 + kParamFlushDelay));
    std::string error;
    ASSERT_TRUE(saver.save("{}", error)) << error;
    EXPECT_FALSE(saver.dirty());
    saver.mark_structural();
    EXPECT_TRUE(saver.due(t0));
    static_assert(kParamFlushDelay < kParamDurabilityBound);
}

TEST(SnapshotStoreTest, SaveListLoadDelete) {
    TempDirectory temp;
    SnapshotStore store(temp.path());
    std::string error, text;
    EXPECT_TRUE(store.list(error).empty());
    ASSERT_TRUE(store.save("b", "{\"b\":1}", error)) << error;
    ASSERT_TRUE(store.save("a", "{\"a\":1}", error)) << error;
    std::ofstream(store.directory() / "stray.json.tmp") << "x";  // not a snapshot
    EXPECT_EQ(store.list(error), (std::vector<std::string>{"a", "b"}));
    ASSERT_TRUE(store.load("a", text, error)) << error;
    EXPECT_EQ(text, "{\"a\":1}");
    ASSERT_TRUE(store.remove("a", error)) << error;
    EXPECT_FALSE(store.load("a", text, error));
    EXPECT_EQ(error, "no snapshot named 'a'");
    EXPECT_FALSE(store.remove("a", error));
    EXPECT_FALSE(store.save("../a", "{}", error));
    EXPECT_FALSE(fs::exists(temp.path() / "a.json"));
}

}  // namespace
}  // namespace rtgraph::persist
