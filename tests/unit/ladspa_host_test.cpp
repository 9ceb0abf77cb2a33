// LADSPA hosting: the scan turns the libraries Debian's ladspa-sdk installs in
// /usr/lib/ladspa into node types with the ranges their hints declare; the
// nodes process audio the way the plugins' own maths says (amp gain, one-pole
// filter response, exact delay); parameter changes are ramped host-side in
// 16-frame runs; broken libraries and bad types are refused without harm.
//
// A "probe" plugin written here (a LADSPA descriptor in this binary) checks
// what the SDK plugins cannot show: hint rules, name sanitising, toggles,
// integers, control outputs, failing instantiation, the instance lifecycle.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <ladspa.h>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "rtgraph/control/patch_script.hpp"
#include "rtgraph/engine/node_registry.hpp"
#include "rtgraph/plugins/ladspa_host.hpp"
#include "rtgraph/plugins/ladspa_node.hpp"
#include "support/engine_rig.hpp"
#include "support/signal_analysis.hpp"

namespace rtgraph::test_support {
namespace {

using namespace engine;
using plugins::PluginInfo;
using plugins::PluginPortKind;
using plugins::ScanReport;

constexpr double kRate = 48000.0;
const char* const kSdkDir = "/usr/lib/ladspa";

bool sdk_installed() { return std::filesystem::exists(std::string(kSdkDir) + "/amp.so"); }

#define REQUIRE_SDK()                                                              \
    if (!sdk_installed()) GTEST_SKIP() << "ladspa-sdk plugins not in " << kSdkDir

std::vector<PluginInfo> scan_sdk(NodeRegistry& registry, ScanReport& report) {
    return plugins::scan_ladspa({kSdkDir}, kRate, registry, report);
}

const PluginInfo* find_info(const std::vector<PluginInfo>& infos, const std::string& type) {
    const auto it = std::find_if(infos.begin(), infos.end(),
                                 [&](const PluginInfo& i) { return i.type_name == type; });
    return it == infos.end() ? nullptr : &*it;
}

// Descriptors every library in `dir` declares, counted independently of the host.
std::size_t declared_plugins(const std::string& dir) {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".so") continue;
        void* handle = dlopen(entry.path().c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) continue;
        if (void* symbol = dlsym(handle, "ladspa_descriptor")) {
            const auto fn = std::bit_cast<LADSPA_Descriptor_Function>(symbol);
            for (unsigned long i = 0; fn(i) != nullptr; ++i) ++count;
        }
        // Not closed: the host under test holds the same libraries.
    }
    return count;
}

// A scanned registry inside an engine rig, the way the daemon wires them.
struct SdkRig {
    explicit SdkRig(std::uint32_t outputs = 1, std::uint32_t inputs = 0)
        : rig(EngineConfig{}, outputs, inputs) {
        infos = scan_sdk(rig.registry, report);
    }
    EngineRig rig;
    ScanReport report;
    std::vector<PluginInfo> infos;
};

// ---------------------------------------------------------------- probe plugin

enum ProbePort : unsigned long {
    kIn, kLevel, kMode, kEnable, kFreq, kGainA, kGainB, kOutLevel, kOutMode, kLatency, kLastRun,
    kProbePorts
};

struct ProbeCounters {
    int instances = 0;
    int activations = 0;
    int deactivations = 0;
    int cleanups = 0;
};
ProbeCounters g_probe;

struct Probe {
    LADSPA_Data* ports[kProbePorts] = {};
};

LADSPA_Handle probe_instantiate(const LADSPA_Descriptor*, unsigned long) {
    ++g_probe.instances;
    return new Probe;
}
LADSPA_Handle probe_instantiate_fails(const LADSPA_Descriptor*, unsigned long) { return nullptr; }
void probe_connect(LADSPA_Handle h, unsigned long port, LADSPA_Data* where) {
    static_cast<Probe*>(h)->ports[port] = where;
}
void probe_activate(LADSPA_Handle) { ++g_probe.activations; }
void probe_deactivate(LADSPA_Handle) { ++g_probe.deactivations; }
void probe_cleanup(LADSPA_Handle h) {
    ++g_probe.cleanups;
    delete static_cast<Probe*>(h);
}
// out_level = level + in; out_mode = mode while enabled, -1 when not; the
// control outputs report 64 frames of latency and the length of this run.
void probe_run(LADSPA_Handle h, unsigned long n) {
    LADSPA_Data** p = static_cast<Probe*>(h)->ports;
    for (unsigned long i = 0; i < n; ++i) {
        p[kOutLevel][i] = *p[kLevel] + p[kIn][i];
        p[kOutMode][i] = *p[kEnable] > 0.0f ? *p[kMode] : -1.0f;
    }
    *p[kLatency] = 64.0f;
    *p[kLastRun] = static_cast<LADSPA_Data>(n);
}

const LADSPA_PortDescriptor kProbeDescriptors[kProbePorts] = {
    LADSPA_PORT_INPUT | LADSPA_PORT_AUDIO,    LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL,
    LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL,  LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL,
    LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL,  LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL,
    LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL,  LADSPA_PORT_OUTPUT | LADSPA_PORT_AUDIO,
    LADSPA_PORT_OUTPUT | LADSPA_PORT_AUDIO,   LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL,
    LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL};
const char* const kProbeNames[kProbePorts] = {
    "Input", "Level", "Mode", "Enable", "Freq", "Gain (dB)", "Gain (dB)",
    "Out: Level", "Out Mode", "Latency", "Last run"};
const LADSPA_PortRangeHint kProbeHints[kProbePorts] = {
    {0, 0.0f, 0.0f},
    {LADSPA_HINT_BOUNDED_BELOW | LADSPA_HINT_BOUNDED_ABOVE | LADSPA_HINT_DEFAULT_MIDDLE, 0.0f, 10.0f},
    {LADSPA_HINT_BOUNDED_BELOW | LADSPA_HINT_BOUNDED_ABOVE | LADSPA_HINT_INTEGER |
         LADSPA_HINT_DEFAULT_MAXIMUM, -0.1f, 3.1f},
    {LADSPA_HINT_TOGGLED | LADSPA_HINT_DEFAULT_1, 0.0f, 0.0f},
    {LADSPA_HINT_BOUNDED_BELOW | LADSPA_HINT_BOUNDED_ABOVE | LADSPA_HINT_SAMPLE_RATE |
         LADSPA_HINT_LOGARITHMIC | LADSPA_HINT_DEFAULT_LOW, 0.001f, 0.5f},
    {0, 0.0f, 0.0f},
    {LADSPA_HINT_BOUNDED_BELOW, 20.0f, 0.0f},
    {0, 0.0f, 0.0f},
    {0, 0.0f, 0.0f},
    {0, 0.0f, 0.0f},
    {0, 0.0f, 0.0f}};

LADSPA_Descriptor probe_descriptor(const char* label, unsigned long id) {
    LADSPA_Descriptor d{};
    d.UniqueID = id;
    d.Label = label;
    d.Properties = LADSPA_PROPERTY_HARD_RT_CAPABLE;
    d.Name = "Probe";
    d.Maker = "rtgraph tests";
    d.Copyright = "None";
    d.PortCount = kProbePorts;
    d.PortDescriptors = kProbeDescriptors;
    d.PortNames = kProbeNames;
    d.PortRangeHints = kProbeHints;
    d.instantiate = probe_instantiate;
    d.connect_port = probe_connect;
    d.activate = probe_activate;
    d.run = probe_run;
    d.deactivate = probe_deactivate;
    d.cleanup = probe_cleanup;
    return d;
}

const LADSPA_Descriptor kProbe = probe_descriptor("probe", 9001);

std::vector<float> defaults_of(const NodeTypeInfo& type) {
    std::vector<float> values;
    for (const ParamDescriptor& p : type.params) values.push_back(p.default_value);
    return values;
}

// Runs `node` directly over `blocks` blocks of `frames`, input silent;
// returns out_level and out_mode concatenated per port.
struct ProbeOut {
    std::vector<float> level;
    std::vector<float> mode;
};
void run_probe(Node& node, std::uint32_t blocks, std::uint32_t frames, ProbeOut& out) {
    std::vector<float> in(frames, 0.0f), level(frames), mode(frames);
    const float* inputs[] = {in.data()};
    float* outputs[] = {level.data(), mode.data()};
    for (std::uint32_t b = 0; b < blocks; ++b) {
        node.process(ProcessBlock{inputs, outputs, frames, 0, nullptr});
        out.level.insert(out.level.end(), level.begin(), level.end());
        out.mode.insert(out.mode.end(), mode.begin(), mode.end());
    }
}

// ---------------------------------------------------------------- search path

TEST(LadspaSearchPath, EnvironmentThenConfigWithoutDuplicates) {
    const char* saved = std::getenv("LADSPA_PATH");
    const std::optional<std::string> restore = saved ? std::optional<std::string>(saved) : std::nullopt;

    setenv("LADSPA_PATH", "/a:/b/::/a", 1);
    EXPECT_EQ(plugins::ladspa_search_path({"/c", "/b"}),
              (std::vector<std::string>{"/a", "/b", "/c"}));
    unsetenv("LADSPA_PATH");
    EXPECT_EQ(plugins::ladspa_search_path({"/opt/ladspa", "/usr/lib/ladspa/"}),
              (std::vector<std::string>{"/usr/local/lib/ladspa", "/usr/lib/ladspa", "/opt/ladspa"}));

    if (restore) setenv("LADSPA_PATH", restore->c_str(), 1);
}

TEST(LadspaSymbols, SanitisedToLowercaseIdentifiers) {
    EXPECT_EQ(plugins::sanitize_ladspa_symbol("Gain (dB)"), "gain_db");
    EXPECT_EQ(plugins::sanitize_ladspa_symbol("  Dry/Wet  Balance "), "dry_wet_balance");
    EXPECT_EQ(plugins::sanitize_ladspa_symbol("Cutoff Frequency (Hz)"), "cutoff_frequency_hz");
    EXPECT_EQ(plugins::sanitize_ladspa_symbol("2nd Osc"), "p2nd_osc");
    EXPECT_EQ(plugins::sanitize_ladspa_symbol("(+)"), "port");
}

// ---------------------------------------------------------------- catalog

TEST(LadspaCatalog, SdkAmpMonoAndPluginCount) {
    REQUIRE_SDK();
    NodeRegistry registry;
    ScanReport report;
    const std::vector<PluginInfo> infos = scan_sdk(registry, report);
    EXPECT_TRUE(report.problems.empty()) << report.problems.front();
    // Every plugin every library declares, and each one registered.
    const std::size_t declared = declared_plugins(kSdkDir);
    EXPECT_EQ(infos.size(), declared);
    EXPECT_EQ(registry.types().size(), declared);
    std::printf("LADSPA plugins declared in %s: %zu, found: %zu\n", kSdkDir, declared, infos.size());

    const NodeTypeInfo* amp = registry.find("ladspa:amp_mono");
    ASSERT_NE(amp, nullptr);
    EXPECT_EQ(amp->family, "ladspa");
    EXPECT_NE(amp->description.find("Mono Amplifier"), std::string::npos) << amp->description;
    EXPECT_NE(amp->description.find("Richard Furse"), std::string::npos) << amp->description;
    EXPECT_EQ(amp->audio_count(PortDirection::kInput), 1u);
    EXPECT_EQ(amp->audio_count(PortDirection::kOutput), 1u);
    ASSERT_TRUE(amp->find_port("input"));
    ASSERT_TRUE(amp->find_port("output"));
    ASSERT_EQ(amp->params.size(), 1u);
    const ParamDescriptor& gain = amp->params[0];
    // amp.so: "Gain", BOUNDED_BELOW 0, DEFAULT_1, LOGARITHMIC, open above.
    EXPECT_EQ(gain.name, "gain");
    EXPECT_EQ(gain.min, 0.0f);
    EXPECT_EQ(gain.max, 1.0e6f);
    EXPECT_EQ(gain.default_value, 1.0f);
    EXPECT_EQ(gain.kind, ParamKind::kContinuous);
    EXPECT_EQ(gain.smoothing_ms, 20.0f);

    const PluginInfo* info = find_info(infos, "ladspa:amp_mono");
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->family, "ladspa");
    EXPECT_EQ(info->plugin_class, "Plugin");
    EXPECT_EQ(info->name, "Mono Amplifier");
    EXPECT_EQ(info->library, "/usr/lib/ladspa/amp.so");
    EXPECT_EQ(info->count(PluginPortKind::kAudio, true), 1u);
    EXPECT_EQ(info->count(PluginPortKind::kAudio, false), 1u);
    EXPECT_EQ(info->count(PluginPortKind::kControl, true), 1u);
    EXPECT_TRUE(info->usable());

    // filter.so lpf: "0 to 0.5*srate, default 440" resolves at 48 kHz.
    const NodeTypeInfo* lpf = registry.find("ladspa:lpf");
    ASSERT_NE(lpf, nullptr);
    ASSERT_EQ(lpf->params.size(), 1u);
    EXPECT_EQ(lpf->params[0].name, "cutoff_frequency_hz");
    EXPECT_EQ(lpf->params[0].unit, "Hz");
    EXPECT_EQ(lpf->params[0].min, 0.0f);
    EXPECT_EQ(lpf->params[0].max, 24000.0f);
    EXPECT_EQ(lpf->params[0].default_value, 440.0f);
}

TEST(LadspaCatalog, RescanRegistersNothingNewAndTakenLabelFallsBackToUniqueId) {
    REQUIRE_SDK();
    NodeRegistry registry;
    // Someone else already owns "ladspa:amp_mono".
    ASSERT_TRUE(registry.add(NodeTypeInfo{"ladspa:amp_mono", "impostor", {}, {}},
                             [](const NodeTypeInfo&, const PrepareSpec&, std::span<const float>)
                                 -> std::unique_ptr<Node> { return nullptr; }));
    ScanReport report;
    const std::vector<PluginInfo> first = scan_sdk(registry, report);
    const std::size_t types_after_first = registry.types().size();
    ASSERT_NE(find_info(first, "ladspa:1048"), nullptr);
    EXPECT_EQ(registry.find("ladspa:1048")->params[0].name, "gain");
    EXPECT_EQ(registry.find("ladspa:amp_mono")->description, "impostor");

    ScanReport again;
    const std::vector<PluginInfo> second = scan_sdk(registry, again);
    EXPECT_TRUE(again.problems.empty());
    EXPECT_EQ(second.size(), first.size());
    EXPECT_EQ(registry.types().size(), types_after_first);
    EXPECT_NE(find_info(second, "ladspa:1048"), nullptr);

    // The same directory twice is one scan's worth.
    ScanReport twice;
    EXPECT_EQ(plugins::scan_ladspa({kSdkDir, std::string(kSdkDir) + "/"}, kRate, registry, twice)
                  .size(),
              first.size());
}

// ---------------------------------------------------------------- audio

TEST(LadspaAudio, AmpMonoScalesBySetGainAndFollowsChanges) {
    REQUIRE_SDK();
    SdkRig r(2);
    r.rig.script(R"(
port out dry
port out wet
add sine s freq=1000 amp=0.5
add ladspa:amp_mono a gain=0.25
connect s:out graph:dry
connect s:out a:input
connect a:output graph:wet
at 1.0
set a gain 2
)");
    r.rig.driver.render(72000, 256);
    const auto dry = r.rig.out(0);
    const auto wet = r.rig.out(1);
    // 0.1 .. 1.0 s: after the 5 ms edge fade, before the change.
    const double before = rms(wet.subspan(4800, 43200)) / rms(dry.subspan(4800, 43200));
    // 1.05 .. 1.5 s: the 20 ms ramp has landed.
    const double after = rms(wet.subspan(50400, 21600)) / rms(dry.subspan(50400, 21600));
    std::printf("amp_mono: gain 0.25 -> ratio %.7f; gain 2 -> ratio %.7f\n", before, after);
    EXPECT_NEAR(before / 0.25, 1.0, 1e-4);
    EXPECT_NEAR(after / 2.0, 1.0, 1e-4);
    EXPECT_GT(rms(dry.subspan(4800, 43200)), 0.35);  // the sine really played (0.5 / sqrt 2)
}

// A DC input through amp_mono shows the gain as the output itself.
std::vector<float> amp_step(const std::string& set_line) {
    SdkRig r(1, 1);
    r.rig.driver.set_input(0, std::vector<float>(24000, 1.0f));
    r.rig.script("port in dc\nport out o\nadd ladspa:amp_mono a gain=1\n"
                 "connect graph:dc a:input\nconnect a:output graph:o\nat 0.25\n" + set_line + "\n");
    r.rig.driver.render(24000, 256);
    return std::vector<float>(r.rig.out().begin() + 9600, r.rig.out().end());  // from 0.2 s
}

TEST(LadspaAudio, GainJumpIsRampedHostSideInSixteenFrameRuns) {
    REQUIRE_SDK();
    const std::vector<float> ramped = amp_step("set a gain 3 20");  // 960 frames
    const std::vector<float> jumped = amp_step("set a gain 3 0");
    const double ramp_jump = max_jump(ramped);
    const double step_jump = max_jump(jumped);
    // The ramp moves 2 over 960 frames; the plugin sees a new value every 16.
    const double allowed = 2.0 * 16.0 / 960.0;
    std::vector<float> levels(ramped);
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    std::printf("gain 1->3: max step ramped %.6f (allowed %.6f), unramped %.6f, %zu levels\n",
                ramp_jump, allowed, step_jump, levels.size());
    EXPECT_LE(ramp_jump, allowed + 1e-5);
    EXPECT_GT(ramp_jump, allowed - 1e-5);
    EXPECT_EQ(step_jump, 2.0);
    EXPECT_EQ(levels.size(), 61u);  // 1, then 60 sub-block values ending on 3
    EXPECT_EQ(ramped.back(), 3.0f);
    EXPECT_EQ(jumped.back(), 3.0f);
}

// One-pole low-pass whose coefficient puts -3 dB exactly at the cutoff:
// y[n] = (1 - a) x[n] + a y[n-1] with |H(wc)|^2 = 1/2 gives
// a^2 - 2 (2 - cos wc) a + 1 = 0, a = c - sqrt(c^2 - 1), c = 2 - cos wc;
// then |H(w)| = (1 - a) / sqrt(1 - 2 a cos w + a^2).
double one_pole_gain(double cutoff, double frequency) {
    const double wc = 2.0 * std::numbers::pi * cutoff / kRate;
    const double c = 2.0 - std::cos(wc);
    const double a = c - std::sqrt(c * c - 1.0);
    const double w = 2.0 * std::numbers::pi * frequency / kRate;
    return (1.0 - a) / std::sqrt(1.0 - 2.0 * a * std::cos(w) + a * a);
}

TEST(LadspaAudio, LowPassAttenuatesLikeAOnePole) {
    REQUIRE_SDK();
    SdkRig r(4);
    r.rig.script(R"(
port out low_dry
port out low_wet
port out high_dry
port out high_wet
add sine low freq=200 amp=0.5
add sine high freq=8000 amp=0.5
add ladspa:lpf f1 cutoff_frequency_hz=1000
add ladspa:lpf f2 cutoff_frequency_hz=1000
connect low:out graph:low_dry
connect low:out f1:input
connect f1:output graph:low_wet
connect high:out graph:high_dry
connect high:out f2:input
connect f2:output graph:high_wet
)");
    r.rig.driver.render(48000, 256);
    const auto amplitude = [&](std::uint32_t ch, double f) {
        return fit_sine(r.rig.out(ch).subspan(24000, 24000), kRate, f).amplitude;
    };
    const double low = amplitude(1, 200.0) / amplitude(0, 200.0);
    const double high = amplitude(3, 8000.0) / amplitude(2, 8000.0);
    std::printf("lpf 1 kHz: 200 Hz gain %.6f (theory %.6f), 8 kHz gain %.6f (theory %.6f)\n",
                low, one_pole_gain(1000.0, 200.0), high, one_pole_gain(1000.0, 8000.0));
    // 0.2 %: float arithmetic in the plugin and the sine, nothing else.
    EXPECT_NEAR(low / one_pole_gain(1000.0, 200.0), 1.0, 2e-3);
    EXPECT_NEAR(high / one_pole_gain(1000.0, 8000.0), 1.0, 2e-3);
    EXPECT_GT(ratio_db(low, high), 17.0);  // 8 kHz is ~17.6 dB further down
}

TEST(LadspaAudio, DelayMovesAClickByExactlyTheDelayTime) {
    REQUIRE_SDK();
    SdkRig r(1, 1);
    std::vector<float> click(8000, 0.0f);
    click[2000] = 1.0f;
    r.rig.driver.set_input(0, click);
    // 2^-6 s is exact in binary: 750 frames at 48 kHz.
    r.rig.script(R"(
port in i
port out o
add ladspa:delay_5s d delay_seconds=0.015625 dry_wet_balance=1
connect graph:i d:input
connect d:output graph:o
)");
    r.rig.driver.render(8000, 256);
    const auto out = r.rig.out();
    const auto loudest = std::max_element(out.begin(), out.end(),
                                          [](float a, float b) { return std::abs(a) < std::abs(b); });
    const auto at = static_cast<std::size_t>(loudest - out.begin());
    std::printf("delay_5s 0.015625 s: click in at 2000, out at %zu (%.6f)\n", at, *loudest);
    EXPECT_EQ(at, 2750u);
    EXPECT_FLOAT_EQ(*loudest, 1.0f);
    EXPECT_FLOAT_EQ(static_cast<float>(peak(out.subspan(0, 2750))), 0.0f);
    EXPECT_FLOAT_EQ(static_cast<float>(peak(out.subspan(2751))), 0.0f);
}

// ---------------------------------------------------------------- probe plugin

TEST(LadspaProbe, HintsBecomeRangesDefaultsAndKinds) {
    NodeRegistry registry;
    std::vector<std::string> problems;
    const std::optional<PluginInfo> info =
        plugins::register_ladspa_plugin(kProbe, "/test/probe.so", kRate, registry, problems);
    ASSERT_TRUE(info) << (problems.empty() ? std::string() : problems.front());
    const NodeTypeInfo* type = registry.find("ladspa:probe");
    ASSERT_NE(type, nullptr);
    ASSERT_EQ(type->params.size(), 6u);
    struct Want {
        const char* name;
        float min, max, def;
        ParamKind kind;
        float smoothing;
    };
    const float log_low = static_cast<float>(std::exp(0.75 * std::log(48.0) + 0.25 * std::log(24000.0)));
    const Want want[] = {
        {"level", 0.0f, 10.0f, 5.0f, ParamKind::kContinuous, 20.0f},  // DEFAULT_MIDDLE, linear
        {"mode", -0.1f, 3.1f, 3.0f, ParamKind::kInteger, 0.0f},       // MAXIMUM, rounded
        {"enable", 0.0f, 1.0f, 1.0f, ParamKind::kToggle, 0.0f},        // DEFAULT_1
        {"freq", 48.0f, 24000.0f, log_low, ParamKind::kContinuous, 20.0f},  // LOW, geometric
        {"gain_db", -1.0e6f, 1.0e6f, 0.0f, ParamKind::kContinuous, 20.0f},  // no hints
        {"gain_db_2", 20.0f, 1.0e6f, 20.0f, ParamKind::kContinuous, 20.0f}, // no default: 0 -> min
    };
    for (std::size_t i = 0; i < 6; ++i) {
        const ParamDescriptor& p = type->params[i];
        SCOPED_TRACE(p.name);
        EXPECT_EQ(p.name, want[i].name);
        EXPECT_FLOAT_EQ(p.min, want[i].min);
        EXPECT_FLOAT_EQ(p.max, want[i].max);
        EXPECT_FLOAT_EQ(p.default_value, want[i].def);
        EXPECT_EQ(p.kind, want[i].kind);
        EXPECT_EQ(p.smoothing_ms, want[i].smoothing);
    }
    EXPECT_NEAR(log_low, 226.98, 0.01);  // 48^0.75 * 24000^0.25
    EXPECT_EQ(type->params[4].unit, "dB");
    ASSERT_EQ(type->ports.size(), 3u);
    EXPECT_EQ(type->ports[0].name, "input");
    EXPECT_EQ(type->ports[1].name, "out_level");
    EXPECT_EQ(type->ports[2].name, "out_mode");
    EXPECT_EQ(type->control_outputs, (std::vector<std::string>{"latency", "last_run"}));
    EXPECT_EQ(info->count(PluginPortKind::kControl, false), 2u);
    EXPECT_TRUE(info->reports_latency);
    EXPECT_EQ(info->ports.size(), static_cast<std::size_t>(kProbePorts));
}

TEST(LadspaProbe, RampsInSixteenFrameRunsIntegersAndTogglesJumpControlOutputsMirror) {
    NodeRegistry registry;
    std::vector<std::string> problems;
    ASSERT_TRUE(plugins::register_ladspa_plugin(kProbe, "/test/probe.so", kRate, registry, problems));
    const NodeTypeInfo& type = *registry.find("ladspa:probe");
    const std::vector<float> initial = defaults_of(type);
    const ProbeCounters start = g_probe;
    {
        std::unique_ptr<Node> node = registry.create(type, PrepareSpec{kRate, 256}, initial);
        ASSERT_NE(node, nullptr);
        auto* ladspa = dynamic_cast<plugins::LadspaNode*>(node.get());
        ASSERT_NE(ladspa, nullptr);
        EXPECT_EQ(g_probe.instances - start.instances, 1);
        EXPECT_EQ(g_probe.activations - start.activations, 1);
        EXPECT_EQ(node->control_output(0), 0.0f);  // before the first run

        node->set_param(0, 7.0f, 960);  // level 5 -> 7 over 20 ms
        node->set_param(1, 1.0f, 960);  // mode 3 -> 1: an integer jumps anyway
        ProbeOut out;
        run_probe(*node, 4, 256, out);
        double worst = 0.0;
        for (std::size_t k = 0; k < 960; ++k) {
            // Each 16-frame run carries the value the ramp reaches at its end.
            const double expected = 5.0 + 2.0 * static_cast<double>((k / 16 + 1) * 16) / 960.0;
            worst = std::max(worst, std::abs(out.level[k] - expected));
        }
        EXPECT_LT(worst, 1e-5);
        EXPECT_NEAR(max_jump(std::span<const float>(out.level).subspan(0, 961)), 2.0 * 16 / 960, 1e-5);
        for (std::size_t k = 960; k < out.level.size(); ++k) ASSERT_EQ(out.level[k], 7.0f) << k;
        for (const float m : out.mode) ASSERT_EQ(m, 1.0f);  // from the first sample
        // The ramp ended 192 frames into block 4: 12 short runs, then one of 64.
        EXPECT_EQ(node->control_output(1), 64.0f);
        EXPECT_EQ(node->control_output(0), 64.0f);
        EXPECT_EQ(node->latency_frames(), 64u);
        EXPECT_EQ(ladspa->control_output_count(), 2u);

        node->set_param(0, 2.0f, 0);  // no ramp: one run per block
        node->set_param(2, 0.0f, 0);  // toggle off
        ProbeOut settled;
        run_probe(*node, 1, 256, settled);
        EXPECT_EQ(node->control_output(1), 256.0f);
        for (const float x : settled.level) ASSERT_EQ(x, 2.0f);
        for (const float m : settled.mode) ASSERT_EQ(m, -1.0f);
    }
    // Destruction deactivates and cleans up the instance it made.
    EXPECT_EQ(g_probe.deactivations - start.deactivations, 1);
    EXPECT_EQ(g_probe.cleanups - start.cleanups, 1);
}

TEST(LadspaProbe, BadPortLayoutIsReportedAndNotRegistered) {
    LADSPA_PortDescriptor both[kProbePorts];
    std::copy(std::begin(kProbeDescriptors), std::end(kProbeDescriptors), both);
    both[kLevel] = LADSPA_PORT_INPUT | LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL;
    LADSPA_Descriptor bad = probe_descriptor("probe_bad", 9002);
    bad.PortDescriptors = both;
    LADSPA_Descriptor norun = probe_descriptor("probe_norun", 9003);
    norun.run = nullptr;

    NodeRegistry registry;
    std::vector<std::string> problems;
    EXPECT_FALSE(plugins::register_ladspa_plugin(bad, "/test/bad.so", kRate, registry, problems));
    EXPECT_FALSE(plugins::register_ladspa_plugin(norun, "/test/bad.so", kRate, registry, problems));
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_NE(problems[0].find("probe_bad (9002): port 1 is not exactly one of"), std::string::npos)
        << problems[0];
    EXPECT_NE(problems[1].find("probe_norun"), std::string::npos) << problems[1];
    EXPECT_TRUE(registry.types().empty());
}

TEST(LadspaProbe, FailedInstantiationIsRefusedAndTheGraphIsUnchanged) {
    EngineRig rig;
    LADSPA_Descriptor failing = probe_descriptor("probe_fail", 9004);
    failing.instantiate = probe_instantiate_fails;
    std::vector<std::string> problems;
    ASSERT_TRUE(plugins::register_ladspa_plugin(failing, "/test/fail.so", kRate, rig.registry,
                                                problems));
    rig.script("port out o\nadd sine s\nconnect s:out graph:o\n");
    const std::string before = control::write_patch_script(rig.engine->model());
    const ApplyResult result = rig.engine->apply(AddNode{"ladspa:probe_fail", "p", {}});
    EXPECT_EQ(result.error.code, ErrorCode::kInstantiationFailed);
    EXPECT_NE(result.error.message.find("Probe"), std::string::npos) << result.error.message;
    EXPECT_EQ(control::write_patch_script(rig.engine->model()), before);
}

// ---------------------------------------------------------------- refusals

TEST(LadspaBroken, BadLibrariesAreReportedNothingRegisteredNoCrash) {
    char pattern[] = "/tmp/rtgraph_ladspa_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    const std::filesystem::path dir(pattern);
    std::ofstream(dir / "broken.so") << "this is not a shared object\n";
    std::ofstream(dir / "empty.so");                                   // zero bytes
    std::ofstream(dir / "truncated.so") << "\x7f" "ELF\x02\x01\x01" << std::string(200, 'x');  // ELF magic, junk header
    std::ofstream(dir / "readme.txt") << "not a library at all";       // not *.so: ignored
    // A real shared object that is not a LADSPA library (no ladspa_descriptor).
    const std::filesystem::path zlib = "/usr/lib/x86_64-linux-gnu/libz.so.1";
    const bool have_zlib = std::filesystem::exists(zlib);
    if (have_zlib) std::filesystem::copy_file(zlib, dir / "nodesc.so");

    NodeRegistry registry;
    register_builtin_nodes(registry);
    const std::size_t types_before = registry.types().size();
    ScanReport report;
    const std::vector<PluginInfo> infos =
        plugins::scan_ladspa({dir.string()}, kRate, registry, report);
    for (const std::string& line : report.problems) std::printf("problem: %s\n", line.c_str());
    EXPECT_TRUE(infos.empty());
    EXPECT_EQ(registry.types().size(), types_before);
    ASSERT_EQ(report.problems.size(), have_zlib ? 4u : 3u);
    const auto mentions = [&](const std::string& file, const std::string& what) {
        return std::any_of(report.problems.begin(), report.problems.end(), [&](const std::string& p) {
            return p.find(file) != std::string::npos && p.find(what) != std::string::npos;
        });
    };
    EXPECT_TRUE(mentions("broken.so", "cannot load"));
    EXPECT_TRUE(mentions("empty.so", "cannot load"));
    EXPECT_TRUE(mentions("truncated.so", "cannot load"));
    if (have_zlib) {
        EXPECT_TRUE(mentions("nodesc.so", "not a LADSPA library"));
    }
    std::filesystem::remove_all(dir);
}

TEST(LadspaBroken, UnknownTypeIsRefusedAndTheGraphIsUnchanged) {
    REQUIRE_SDK();
    SdkRig r;
    r.rig.script("port out o\nadd ladspa:amp_mono a gain=0.5\nadd sine s\n"
                 "connect s:out a:input\nconnect a:output graph:o\n");
    const std::string before = control::write_patch_script(r.rig.engine->model());
    const ApplyResult result = r.rig.engine->apply(AddNode{"ladspa:no_such_plugin", "x", {}});
    EXPECT_EQ(result.error.code, ErrorCode::kUnknownType);
    EXPECT_STREQ(error_name(result.error.code), "unknown_type");
    EXPECT_EQ(control::write_patch_script(r.rig.engine->model()), before);
    EXPECT_NE(before.find("ladspa:amp_mono"), std::string::npos) << before;
}

}  // namespace
}  // namespace rtgraph::test_support
