// lv2_state_files: every file a plugin state could hand a plugin is found,
// whichever way the Turtle spells it.
#include "../../src/plugins/lv2_state_files.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rtgraph::plugins {
namespace {

using Paths = std::vector<std::string>;

TEST(Lv2StateFiles, FindsFileUrisAndAtomPathLiteralsHoweverWritten) {
    const std::string turtle = R"(@prefix atom: <http://lv2plug.in/ns/ext/atom#> .
@prefix eg: <http://lv2plug.in/plugins/eg-sampler#> .
@prefix f: <file:///etc/> .
<urn:rtgraph:state> eg:sample <file:///srv/media/a%20b.wav> ;
    eg:other f:shadow ;
    eg:literal "/dev/zero"^^atom:Path ;
    eg:typed "/x"^^<http://lv2plug.in/ns/ext/atom#Path> ;
    eg:plain "/not/a/path/just/text" ;
    eg:web <http://example.org/a.wav> .
@base <file:///var/lib/> .
<urn:rtgraph:state> eg:relative <secret.wav> .
)";
    const StateFiles files = lv2_state_files(turtle);
    ASSERT_TRUE(files.parsed) << files.error;
    EXPECT_EQ(files.paths, (Paths{"/srv/media/a b.wav", "/etc/shadow", "/dev/zero", "/x",
                                  "/var/lib/secret.wav"}));
}

TEST(Lv2StateFiles, AStateWithoutFilesNamesNone) {
    const StateFiles files = lv2_state_files(
        "@prefix eg: <http://lv2plug.in/plugins/eg-params#> .\n<urn:rtgraph:state> eg:int 3 .\n");
    ASSERT_TRUE(files.parsed) << files.error;
    EXPECT_TRUE(files.paths.empty());
}

TEST(Lv2StateFiles, TextThatIsNotTurtleIsSaidToBeSo) {
    const StateFiles files = lv2_state_files("<urn:a> <urn:b> \"unterminated");
    EXPECT_FALSE(files.parsed);
    EXPECT_NE(files.error.find("line 1"), std::string::npos) << files.error;
}

}  // namespace
}  // namespace rtgraph::plugins
