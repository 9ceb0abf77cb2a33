// io::MediaDirs: what a client may name. Each refused case says why, and the
// accepted ones come back resolved.
#include "rtgraph/io/media_dirs.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace rtgraph::io {
namespace {

namespace fs = std::filesystem;

class MediaDirsTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("rtgraph-media-" + std::to_string(::getpid()));
        fs::remove_all(root_);
        fs::create_directories(root_ / "media" / "sub");
        fs::create_directories(root_ / "media2");
        touch(root_ / "media" / "a.wav");
        touch(root_ / "media" / "sub" / "b.wav");
        touch(root_ / "media2" / "c.wav");
        touch(root_ / "outside.wav");
        fs::create_symlink(root_ / "outside.wav", root_ / "media" / "out-link.wav");
        fs::create_symlink(root_ / "media" / "sub" / "b.wav", root_ / "media" / "in-link.wav");
        ASSERT_EQ(::mkfifo((root_ / "media" / "fifo.wav").c_str(), 0600), 0);
        std::vector<std::string> problems;
        dirs_ = MediaDirs::resolve({(root_ / "media").string()}, problems);
        ASSERT_TRUE(problems.empty());
    }
    void TearDown() override { fs::remove_all(root_); }

    static void touch(const fs::path& path) { std::ofstream(path) << "RIFF"; }

    // The refusal's text, or "" when accepted.
    std::string refusal(const std::string& path) const {
        std::string resolved;
        const engine::Error error = dirs_.check_readable(path, resolved);
        if (!error) return "";
        EXPECT_EQ(error.code, engine::ErrorCode::kBadPath);
        EXPECT_TRUE(resolved.empty());
        return error.message;
    }
    std::string media(const std::string& name) const { return (root_ / "media" / name).string(); }

    fs::path root_;
    MediaDirs dirs_;
};

TEST_F(MediaDirsTest, AcceptsRegularFilesInsideAndResolvesThem) {
    std::string resolved;
    EXPECT_FALSE(dirs_.check_readable(media("a.wav"), resolved));
    EXPECT_EQ(resolved, fs::canonical(root_ / "media" / "a.wav").string());
    EXPECT_FALSE(dirs_.check_readable(media("sub/../sub/b.wav"), resolved));
    EXPECT_EQ(resolved, fs::canonical(root_ / "media" / "sub" / "b.wav").string());
    // A symlink that stays inside is followed; the plugin gets its target.
    EXPECT_FALSE(dirs_.check_readable(media("in-link.wav"), resolved));
    EXPECT_EQ(resolved, fs::canonical(root_ / "media" / "sub" / "b.wav").string());
}

TEST_F(MediaDirsTest, RefusesWhatLiesOutsideOrIsNoRegularFile) {
    EXPECT_NE(refusal((root_ / "outside.wav").string()).find("outside the media directories"),
              std::string::npos);
    EXPECT_NE(refusal(media("../outside.wav")).find("outside the media directories"), std::string::npos);
    EXPECT_NE(refusal(media("out-link.wav")).find("resolves to '" + fs::canonical(root_ / "outside.wav").string()),
              std::string::npos);
    EXPECT_NE(refusal(media("../../../../../../etc/shadow")).find("outside"), std::string::npos);
    EXPECT_NE(refusal("/etc/shadow").find("outside the media directories"), std::string::npos);
    EXPECT_NE(refusal("/dev/zero").find("outside the media directories"), std::string::npos);
    // A directory whose name starts like the media directory's is not inside it.
    EXPECT_NE(refusal((root_ / "media2" / "c.wav").string()).find("outside"), std::string::npos);
    EXPECT_NE(refusal(media("fifo.wav")).find("not a regular file"), std::string::npos);
    EXPECT_NE(refusal(media("sub")).find("not a regular file"), std::string::npos);
    EXPECT_NE(refusal(media("")).find("outside"), std::string::npos) << "the directory itself";
    EXPECT_NE(refusal(media("missing.wav")).find("cannot be resolved: No such file or directory"),
              std::string::npos);
    EXPECT_NE(refusal("media/a.wav").find("not an absolute path"), std::string::npos);
    EXPECT_NE(refusal("").find("not an absolute path"), std::string::npos);
}

TEST_F(MediaDirsTest, DevicesAreRefusedEvenInsideAMediaDirectory) {
    std::vector<std::string> problems;
    const MediaDirs dev = MediaDirs::resolve({"/dev"}, problems);
    std::string resolved;
    const engine::Error error = dev.check_readable("/dev/zero", resolved);
    EXPECT_EQ(error.code, engine::ErrorCode::kBadPath);
    EXPECT_NE(error.message.find("not a regular file"), std::string::npos) << error.message;
}

TEST_F(MediaDirsTest, NoDirectoriesRefuseEverythingAndBadOnesAreSaid) {
    std::string resolved;
    const engine::Error error = MediaDirs().check_readable(media("a.wav"), resolved);
    EXPECT_EQ(error.code, engine::ErrorCode::kBadPath);
    EXPECT_NE(error.message.find("no media directory is configured"), std::string::npos);

    std::vector<std::string> problems;
    const MediaDirs dirs = MediaDirs::resolve(
        {media("a.wav"), (root_ / "nowhere").string(), (root_ / "media2").string()}, problems);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_NE(problems[0].find("is not a directory"), std::string::npos) << problems[0];
    EXPECT_NE(problems[1].find("No such file or directory"), std::string::npos) << problems[1];
    ASSERT_EQ(dirs.directories().size(), 1u);
    EXPECT_FALSE(dirs.check_readable((root_ / "media2" / "c.wav").string(), resolved));
}

}  // namespace
}  // namespace rtgraph::io
