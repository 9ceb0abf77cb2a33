// "Did you mean": close names are offered, far ones never.
#include "rtgraph/engine/suggest.hpp"

#include <gtest/gtest.h>

namespace rtgraph::engine {
namespace {

using Names = std::vector<std::string>;

const std::vector<std::string_view> kTypes = {
    "sine", "noise", "gain", "mixer", "biquad", "delay", "adsr", "meter",
    "http://lv2plug.in/plugins/eg-amp", "http://lv2plug.in/plugins/eg-sampler",
    "http://plugin.org.uk/swh-plugins/plate", "http://plugin.org.uk/swh-plugins/gverb",
    "ladspa:amp_mono", "ladspa:amp_stereo"};

TEST(Suggest, OffersTheClosestNamesFirst) {
    EXPECT_EQ(closest_names("sinus", kTypes), Names{"sine"});
    EXPECT_EQ(closest_names("biqaud", kTypes), Names{"biquad"}) << "a swap is one edit";
    EXPECT_EQ(closest_names("GAIN", kTypes), Names{"gain"}) << "case is ignored";
    // An LV2 URI or LADSPA type matches by its last segment too.
    EXPECT_EQ(closest_names("eg-amp", kTypes), Names{"http://lv2plug.in/plugins/eg-amp"});
    EXPECT_EQ(closest_names("plate", kTypes), Names{"http://plugin.org.uk/swh-plugins/plate"});
    EXPECT_EQ(closest_names("amp", kTypes),
              (Names{"http://lv2plug.in/plugins/eg-amp", "ladspa:amp_mono", "ladspa:amp_stereo"}))
        << "a word that begins with it, not any substring (eg-sampler)";
}

TEST(Suggest, NeverOffersAFarName) {
    EXPECT_TRUE(closest_names("chorus", kTypes).empty());
    EXPECT_EQ(closest_names("reverb", kTypes), Names{"http://plugin.org.uk/swh-plugins/gverb"});
    EXPECT_TRUE(closest_names("x", {"freq", "amp"}).empty());
    EXPECT_TRUE(closest_names("", kTypes).empty());
    EXPECT_TRUE(closest_names("freq", {}).empty());
}

TEST(Suggest, SaysItInOneSentence) {
    EXPECT_EQ(did_you_mean("fq", {"freq", "amp"}, "its parameters are: freq, amp"),
              "; did you mean 'freq'?; its parameters are: freq, amp");
    EXPECT_EQ(did_you_mean("amp", {"amp_l", "amp_r", "ampx", "gain"}, ""),
              "; did you mean 'ampx', 'amp_l' or 'amp_r'?");
    EXPECT_EQ(did_you_mean("zzz", {"freq"}, "see /types"), "; see /types");
}

}  // namespace
}  // namespace rtgraph::engine
