// Offline checks of the unit files in systemd/ (systemd is not PID 1 on the
// build machines, so nothing is started):
//  - `systemd-analyze verify --man=no` accepts each unit without a word on
//    stderr (it exits 0 on unknown keys and bad values, so stderr is the test);
//  - `systemd-analyze security --offline=true --threshold=N` passes, N per unit;
//  - the settings the daemon's design relies on are there, and the units agree
//    with each other (server name, user, environment file).
// Needs systemd-analyze and systemd-sysusers (Debian package "systemd"); the
// tests skip only when they are missing. Single-threaded test code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

const fs::path kUnitDir = fs::path(RTGRAPH_SOURCE_DIR) / "systemd";

// ---------------------------------------------------------------- helpers --

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// An executable found on PATH (then /usr/bin, /bin), or an empty path.
fs::path find_program(const std::string& name) {
    std::string search = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
    search += ":/usr/bin:/bin";
    std::istringstream dirs(search);
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (dir.empty()) continue;
        const fs::path candidate = fs::path(dir) / name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

// A temporary directory, removed with everything in it.
class ScratchDir {
public:
    ScratchDir() {
        std::string pattern = (fs::temp_directory_path() / "rtgraph-units-XXXXXX").string();
        if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ignored;
        if (!path_.empty()) fs::remove_all(path_, ignored);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs argv (no shell) with the current environment plus extra_env
// ("NAME=value", overriding), capturing stdout and stderr through files.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env = {}) {
    CommandResult result;
    const ScratchDir scratch;
    const fs::path out_path = scratch.path() / "stdout";
    const fs::path err_path = scratch.path() / "stderr";

    std::vector<std::string> env_strings;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string assignment = *entry;
        const std::string name = assignment.substr(0, assignment.find('='));
        const bool overridden = std::any_of(extra_env.begin(), extra_env.end(), [&](const auto& e) {
            return e.substr(0, e.find('=')) == name;
        });
        if (!overridden) env_strings.push_back(assignment);
    }
    env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());

    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& assignment : env_strings) envp.push_back(assignment.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    pid_t pid = -1;
    const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        result.err = "cannot start " + argv[0];
        return result;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_text(out_path);
    result.err = read_text(err_path);
    return result;
}

// ------------------------------------------------------- unit file parsing --

// "Section.Key" -> every value assigned, in file order (systemd semantics:
// list settings accumulate, single-valued ones take the last).
using UnitSettings = std::multimap<std::string, std::string>;

std::string trim(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r");
    if (begin == std::string::npos) return "";
    return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

UnitSettings parse_unit(const std::string& text) {
    UnitSettings settings;
    std::istringstream lines(text);
    std::string section;
    for (std::string line; std::getline(lines, line);) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[' && line.back() == ']') {
            section = line.substr(1, line.size() - 2);
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string::npos) continue;
        settings.emplace(section + "." + trim(line.substr(0, equals)),
                         trim(line.substr(equals + 1)));
    }
    return settings;
}

std::vector<std::string> all_values(const UnitSettings& settings, const std::string& key) {
    std::vector<std::string> values;
    const auto [first, last] = settings.equal_range(key);
    for (auto it = first; it != last; ++it) values.push_back(it->second);
    return values;
}

// The effective value of a single-valued setting ("" when absent).
std::string value_of(const UnitSettings& settings, const std::string& key) {
    const std::vector<std::string> values = all_values(settings, key);
    return values.empty() ? "" : values.back();
}

// Words of every assignment to a list setting (After=a b, After=c -> a b c).
std::vector<std::string> words_of(const UnitSettings& settings, const std::string& key) {
    std::vector<std::string> words;
    for (const std::string& value : all_values(settings, key)) {
        std::istringstream split(value);
        for (std::string word; split >> word;) words.push_back(word);
    }
    return words;
}

bool contains(const std::vector<std::string>& words, const std::string& word) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

// Environment= assignments with systemd's quotes removed: NAME -> value.
std::map<std::string, std::string> environment_of(const UnitSettings& settings) {
    std::map<std::string, std::string> environment;
    for (std::string value : all_values(settings, "Service.Environment")) {
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        const auto equals = value.find('=');
        if (equals != std::string::npos) {
            environment[value.substr(0, equals)] = value.substr(equals + 1);
        }
    }
    return environment;
}

// The argument after `option` on a command line, or "".
std::string argument_after(const std::string& command_line, const std::string& option) {
    std::istringstream split(command_line);
    for (std::string word; split >> word;) {
        if (word == option && split >> word) return word;
    }
    return "";
}

// The same unit text with every Exec*= program that does not exist on this
// machine (rtgraphd is not installed where tests run) replaced by `true`:
// verify insists that the program is executable. Arguments, prefixes and
// everything else stay as they are. Replaced programs go to *replaced.
std::string with_runnable_programs(const std::string& text, const fs::path& stand_in,
                                   std::vector<std::string>* replaced) {
    static const std::regex kExecLine(R"(^(\s*Exec[A-Za-z]*\s*=\s*[-@:+!|]*)(/\S+)(.*)$)");
    std::istringstream lines(text);
    std::string rewritten;
    for (std::string line; std::getline(lines, line);) {
        std::smatch match;
        if (std::regex_match(line, match, kExecLine) && access(match[2].str().c_str(), X_OK) != 0) {
            replaced->push_back(match[2].str());
            line = match[1].str() + stand_in.string() + match[3].str();
        }
        rewritten += line + "\n";
    }
    return rewritten;
}

// ------------------------------------------------------------- the units --

struct UnitCase {
    const char* name;      // test name
    const char* path;      // relative to systemd/
    bool user;             // a `systemctl --user` unit
    int threshold_tenths;  // systemd-analyze security --threshold (exposure x 10)
};

void PrintTo(const UnitCase& unit, std::ostream* out) {
    *out << unit.path;
}

// Exposure scores measured with systemd 252 (Debian 12): 1.5, 0.8, 1.9, 1.9.
// Each threshold leaves about half a point for a deliberate trade-off; losing
// a big piece of the sandbox fails it (from rtgraphd.service: dropping
// NoNewPrivileges= and SystemCallFilter= scores 3.1; dropping ProtectSystem=,
// ProtectHome=, PrivateTmp= and PrivateDevices= scores 2.3). The settings that must
// never go are checked one by one below, independent of the score. The user
// units pay 0.4 the offline analyzer charges every user unit ("runs as root").
const UnitCase kUnits[] = {
    {"SystemDaemon", "rtgraphd.service", false, 20},
    {"SystemJackd", "rtgraph-jackd.service", false, 15},
    {"UserDaemon", "user/rtgraphd.service", true, 25},
    {"UserJackd", "user/rtgraph-jackd.service", true, 25},
};

class SystemdUnitTest : public ::testing::TestWithParam<UnitCase> {
protected:
    void SetUp() override {
        unit_path_ = kUnitDir / GetParam().path;
        ASSERT_TRUE(fs::is_regular_file(unit_path_)) << unit_path_;
        settings_ = parse_unit(read_text(unit_path_));
    }

    // --user needs a runtime directory to start its (offline) manager.
    std::vector<std::string> mode_arguments(std::vector<std::string>* env) {
        if (!GetParam().user) return {};
        const fs::path runtime = scratch_.path() / "runtime";
        fs::create_directories(runtime);
        fs::permissions(runtime, fs::perms::owner_all, fs::perm_options::replace);
        env->push_back("XDG_RUNTIME_DIR=" + runtime.string());
        return {"--user"};
    }

    fs::path unit_path_;
    UnitSettings settings_;
    ScratchDir scratch_;
};

TEST_P(SystemdUnitTest, VerifiesWithoutAnyComplaint) {
    const fs::path analyze = find_program("systemd-analyze");
    if (analyze.empty()) GTEST_SKIP() << "systemd-analyze not installed (Debian package: systemd)";
    const fs::path stand_in = find_program("true");
    ASSERT_FALSE(stand_in.empty());

    // Copy the unit and its siblings (Wants=/After= resolve in the same
    // directory) with missing programs swapped for `true`.
    const fs::path copy_dir = scratch_.path() / "units";
    fs::create_directories(copy_dir);
    std::vector<std::string> replaced;
    for (const auto& entry : fs::directory_iterator(unit_path_.parent_path())) {
        if (entry.path().extension() != ".service") continue;
        std::vector<std::string>* log = entry.path() == unit_path_ ? &replaced : nullptr;
        std::vector<std::string> ignored;
        std::ofstream(copy_dir / entry.path().filename())
            << with_runnable_programs(read_text(entry.path()), stand_in, log ? log : &ignored);
    }
    for (const std::string& program : replaced) {
        // Only the daemon itself may be missing; jackd and jack_wait come
        // from Debian's jackd2 and must be where the units say.
        EXPECT_EQ(program, "/usr/local/bin/rtgraphd") << "not installed here: " << program;
    }

    std::vector<std::string> env;
    std::vector<std::string> argv = {analyze.string()};
    for (std::string& argument : mode_arguments(&env)) argv.push_back(argument);
    argv.insert(argv.end(), {"verify", "--man=no", (copy_dir / unit_path_.filename()).string()});
    const CommandResult result = run_command(argv, env);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "") << "systemd-analyze verify complained about " << GetParam().path;
}

TEST_P(SystemdUnitTest, SecurityExposureIsUnderThreshold) {
    const fs::path analyze = find_program("systemd-analyze");
    if (analyze.empty()) GTEST_SKIP() << "systemd-analyze not installed (Debian package: systemd)";

    std::vector<std::string> env;
    std::vector<std::string> argv = {analyze.string()};
    for (std::string& argument : mode_arguments(&env)) argv.push_back(argument);
    argv.insert(argv.end(), {"security", "--offline=true", "--no-pager",
                             "--threshold=" + std::to_string(GetParam().threshold_tenths),
                             unit_path_.string()});
    const CommandResult result = run_command(argv, env);

    std::smatch score;
    static const std::regex kOverall(R"(Overall exposure level for \S+: ([0-9.]+))");
    const bool scored = std::regex_search(result.out, score, kOverall);
    ASSERT_TRUE(scored) << result.out << result.err;
    RecordProperty("exposure", score[1].str());
    EXPECT_EQ(result.exit_code, 0) << GetParam().path << " exposure " << score[1].str()
                                   << " is over " << GetParam().threshold_tenths / 10.0 << "\n"
                                   << result.out;
    EXPECT_EQ(result.err, "");
}

TEST_P(SystemdUnitTest, RunsRealtimeAndRestartsOnFailure) {
    EXPECT_EQ(value_of(settings_, "Service.Restart"), "on-failure");
    const std::string rtprio = value_of(settings_, "Service.LimitRTPRIO");
    ASSERT_FALSE(rtprio.empty()) << "LimitRTPRIO= missing";
    EXPECT_GE(std::stoi(rtprio), 70);  // at least jackd's -P 70
    EXPECT_LE(std::stoi(rtprio), 99);
    EXPECT_EQ(value_of(settings_, "Service.LimitMEMLOCK"), "infinity");
    // RestrictRealtime=yes would forbid SCHED_FIFO, i.e. JACK.
    EXPECT_NE(value_of(settings_, "Service.RestrictRealtime"), "yes");
    // Nothing may hide /dev/shm or IPC from the other side of JACK.
    EXPECT_NE(value_of(settings_, "Service.PrivateIPC"), "yes");
    EXPECT_EQ(environment_of(settings_)["JACK_NO_START_SERVER"], "1");
}

TEST_P(SystemdUnitTest, IsSandboxed) {
    EXPECT_EQ(value_of(settings_, "Service.NoNewPrivileges"), "yes");
    EXPECT_EQ(value_of(settings_, "Service.ProtectSystem"), "strict");
    EXPECT_EQ(value_of(settings_, "Service.PrivateTmp"), "yes");
    EXPECT_NE(value_of(settings_, "Service.ProtectHome"), "");
    EXPECT_EQ(value_of(settings_, "Service.UMask"), "0077");
    EXPECT_EQ(value_of(settings_, "Service.SystemCallArchitectures"), "native");
    EXPECT_FALSE(all_values(settings_, "Service.SystemCallFilter").empty());
    EXPECT_TRUE(all_values(settings_, "Service.CapabilityBoundingSet") ==
                std::vector<std::string>{""})
        << "the services need no capability at all";
    if (GetParam().user) {
        // systemd 252 grants mount namespacing to user units only with this.
        EXPECT_EQ(value_of(settings_, "Service.PrivateUsers"), "yes");
        EXPECT_EQ(value_of(settings_, "Service.User"), "") << "a user unit cannot switch users";
    } else {
        EXPECT_EQ(value_of(settings_, "Service.User"), "rtgraph");
        EXPECT_NE(value_of(settings_, "Service.DynamicUser"), "yes");
    }
}

INSTANTIATE_TEST_SUITE_P(Units, SystemdUnitTest, ::testing::ValuesIn(kUnits),
                         [](const ::testing::TestParamInfo<UnitCase>& param_info) {
                             return std::string(param_info.param.name);
                         });

// -------------------------------------------- settings of each unit kind --

class UnitPair : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        const fs::path dir = GetParam() ? kUnitDir / "user" : kUnitDir;
        daemon_ = parse_unit(read_text(dir / "rtgraphd.service"));
        jackd_ = parse_unit(read_text(dir / "rtgraph-jackd.service"));
    }
    UnitSettings daemon_;
    UnitSettings jackd_;
};

TEST_P(UnitPair, DaemonNotifiesReadinessAndIsWatched) {
    EXPECT_EQ(value_of(daemon_, "Service.Type"), "notify");
    EXPECT_EQ(value_of(daemon_, "Service.NotifyAccess"), "main");
    const std::string watchdog = value_of(daemon_, "Service.WatchdogSec");
    EXPECT_FALSE(watchdog.empty() || watchdog == "0" || watchdog == "infinity") << watchdog;
    EXPECT_EQ(value_of(daemon_, "Service.StateDirectory"), "rtgraph");
    const std::string exec_start = value_of(daemon_, "Service.ExecStart");
    EXPECT_EQ(exec_start.rfind("/usr/local/bin/rtgraphd ", 0), 0u) << exec_start;
    EXPECT_EQ(argument_after(exec_start, "--config"), "%E/rtgraph/rtgraph.toml");
    EXPECT_EQ(argument_after(exec_start, "--state-dir"), "%S/rtgraph");  // = StateDirectory=
}

TEST_P(UnitPair, DaemonOutlivesAJackdRestart) {
    const std::string jackd = "rtgraph-jackd.service";
    EXPECT_TRUE(contains(words_of(daemon_, "Unit.Wants"), jackd));
    EXPECT_TRUE(contains(words_of(daemon_, "Unit.After"), jackd));
    // Requires/BindsTo/PartOf/Requisite would stop or restart rtgraphd with jackd.
    for (const char* key : {"Unit.Requires", "Unit.BindsTo", "Unit.PartOf", "Unit.Requisite"}) {
        EXPECT_FALSE(contains(words_of(daemon_, key), jackd)) << key;
    }
    EXPECT_TRUE(contains(words_of(daemon_, "Install.Also"), jackd));
}

TEST_P(UnitPair, BothTalkToTheSameJackServer) {
    const std::string exec_start = value_of(jackd_, "Service.ExecStart");
    EXPECT_EQ(exec_start.rfind("/usr/bin/jackd ", 0), 0u) << exec_start;
    const std::string server = argument_after(exec_start, "-n");
    EXPECT_EQ(server, "rtgraph");
    EXPECT_EQ(environment_of(daemon_)["JACK_DEFAULT_SERVER"], server);
    const std::string wait = value_of(jackd_, "Service.ExecStartPost");
    EXPECT_EQ(wait.rfind("/usr/bin/jack_wait ", 0), 0u) << wait;
    EXPECT_EQ(argument_after(wait, "--server"), server);
    EXPECT_NE(wait.find("--wait"), std::string::npos);
    // The backend comes from the environment, dummy unless overridden.
    EXPECT_EQ(argument_after(exec_start, "-d"), "$JACKD_DRIVER");
    EXPECT_EQ(environment_of(jackd_)["JACKD_DRIVER"], "dummy");
    EXPECT_EQ(environment_of(jackd_)["JACKD_DRIVER_OPTIONS"], "-r 48000 -p 128");
    EXPECT_EQ(value_of(jackd_, "Service.Type"), "exec");
    // The ALSA backend needs /dev/snd.
    EXPECT_NE(value_of(jackd_, "Service.PrivateDevices"), "yes");
}

INSTANTIATE_TEST_SUITE_P(SystemAndUser, UnitPair, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                             return param_info.param ? std::string("User") : std::string("System");
                         });

// User units run as the session's user, with the devices logind gives it.
TEST(SystemUnits, ShareOneUserAndTheSoundDevices) {
    const UnitSettings daemon = parse_unit(read_text(kUnitDir / "rtgraphd.service"));
    const UnitSettings jackd = parse_unit(read_text(kUnitDir / "rtgraph-jackd.service"));
    EXPECT_EQ(value_of(jackd, "Service.User"), value_of(daemon, "Service.User"));
    EXPECT_TRUE(contains(words_of(jackd, "Service.SupplementaryGroups"), "audio"));
    EXPECT_TRUE(contains(all_values(jackd, "Service.DeviceAllow"), "char-alsa rw"));
    EXPECT_EQ(environment_of(jackd)["JACK_NO_AUDIO_RESERVATION"], "1");
    EXPECT_EQ(value_of(jackd, "Service.EnvironmentFile"), "-/etc/default/rtgraph-jackd");
    EXPECT_EQ(value_of(daemon, "Install.WantedBy"), "multi-user.target");
    // rtgraphd needs no device: a private /dev (which keeps the host's /dev/shm).
    EXPECT_EQ(value_of(daemon, "Service.PrivateDevices"), "yes");
}

// ----------------------------------------------------- the other files --

TEST(SystemdFiles, JackdDefaultsFileNamesOnlyVariablesTheUnitsUse) {
    const std::string text = read_text(kUnitDir / "rtgraph-jackd.default");
    ASSERT_FALSE(text.empty());
    const UnitSettings system_jackd = parse_unit(read_text(kUnitDir / "rtgraph-jackd.service"));
    const UnitSettings user_jackd = parse_unit(read_text(kUnitDir / "user/rtgraph-jackd.service"));
    static const std::regex kAssignment(R"(^#?([A-Z_]+)=(.*)$)");
    std::istringstream lines(text);
    int assignments = 0;
    for (std::string line; std::getline(lines, line);) {
        std::smatch match;
        if (!std::regex_match(line, match, kAssignment)) continue;
        ++assignments;
        const std::string name = match[1].str();
        for (const UnitSettings* unit : {&system_jackd, &user_jackd}) {
            EXPECT_NE(value_of(*unit, "Service.ExecStart").find("$" + name), std::string::npos)
                << name << " is not used by jackd's command line";
            EXPECT_EQ(environment_of(*unit).count(name), 1u) << name << " has no default";
        }
    }
    EXPECT_GE(assignments, 3);
}

TEST(SystemdFiles, SysusersCreatesTheServiceUser) {
    const fs::path sysusers = find_program("systemd-sysusers");
    if (sysusers.empty())
        GTEST_SKIP() << "systemd-sysusers not installed (Debian package: systemd)";
    const ScratchDir root;
    const fs::path config = kUnitDir / "rtgraph.sysusers.conf";
    const CommandResult result = run_command(
        {sysusers.string(), "--dry-run", "--root=" + root.path().string(), config.string()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE((result.out + result.err).find("Creating user 'rtgraph'"), std::string::npos)
        << result.out << result.err;
    EXPECT_EQ(result.err.find("ignoring"), std::string::npos) << result.err;
}

}  // namespace
