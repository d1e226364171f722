// `hull pull` against a real docker-registry on 127.0.0.1: anonymous, basic-auth and
// token-auth registries, images pushed with skopeo, trees compared with umoci's, ext4
// images checked with e2fsck and debugfs, and registries that misbehave.
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "rootfs-builder/http_client.h"
#include "rootfs-builder/safe_path.h"
#include "tests/rootfs/local_registry.h"
#include "tests/rootfs/test_image.h"
#include "tests/rootfs/tree_compare.h"

namespace hull::rootfs::testing {
namespace {

using Auth = LocalRegistry::Auth;

class RegistryPullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    missing_ = MissingTools({"docker-registry", "skopeo", "umoci", "htpasswd", "openssl",
                             "python3", "e2fsck", "debugfs", "mkfs.ext4", "script"});
    if (!missing_.empty()) return;
    layouts_ = MakeTempDir("hull-layouts");
    WriteOciLayout(layouts_ + "/oci", "test", {TestImage()});
    WriteOciLayout(layouts_ + "/oci", "multi", {TestImage("amd64"), TestImage("arm64")});
  }
  static void TearDownTestSuite() {
    if (!layouts_.empty()) (void)RemoveTree(layouts_);
  }
  void SetUp() override {
    if (!missing_.empty()) GTEST_SKIP() << missing_;
    store_ = MakeTempDir("hull-store");
  }
  void TearDown() override {
    if (!store_.empty()) (void)RemoveTree(store_);
  }
  std::unique_ptr<LocalRegistry> StartWithImages(Auth auth) {
    std::string error;
    auto r = LocalRegistry::Start(auth, &error);
    EXPECT_TRUE(r) << error;
    if (!r) return r;
    for (const char* tag : {"test", "multi"}) {
      auto p = r->Push(layouts_ + "/oci", tag, std::string("hull/") + tag + ":v1");
      EXPECT_EQ(p.exit_status, 0) << p.err;
    }
    return r;
  }
  std::string TreeOf(const std::string& ref) {
    auto p = Hull(store_, {"image", "inspect", ref});
    auto at = p.out.find("\"Tree\": \"");
    if (p.exit_status != 0 || at == std::string::npos) return "";
    at += 9;
    return p.out.substr(at, p.out.find('"', at) - at);
  }

  static inline std::string missing_;
  static inline std::string layouts_;
  std::string store_;
};

TEST_F(RegistryPullTest, AnonymousPullMatchesUmociAndBuildsCheckedExt4) {
  auto registry = StartWithImages(Auth::kNone);
  ASSERT_TRUE(registry);
  std::string ref = registry->host() + "/hull/test:v1";
  auto pull = Hull(store_, {"pull", ref});
  ASSERT_EQ(pull.exit_status, 0) << pull.err;
  EXPECT_NE(pull.err.find("layer 3/3"), std::string::npos) << "plain progress lines: " << pull.err;
  std::string error;
  std::string umoci = registry->UmociUnpack("hull/test:v1", &error);
  ASSERT_FALSE(umoci.empty()) << error;
  std::string tree = TreeOf(ref);
  ASSERT_FALSE(tree.empty());
  auto want = DescribeTree(umoci);
  EXPECT_EQ(DiffTrees(want, DescribeTree(tree)), "");
  EXPECT_FALSE(want.count("/gone.txt")) << "umoci saw the whiteout too";
  EXPECT_TRUE(want.count("/opq/new") && !want.count("/opq/old1"));

  std::string ext4 = store_ + "/out.ext4";
  auto out = Hull(store_, {"image", "rootfs", ref, "--format", "ext4", "-o", ext4});
  ASSERT_EQ(out.exit_status, 0) << out.err;
  auto fsck = RunTool({"e2fsck", "-fn", ext4});
  EXPECT_EQ(fsck.exit_status, 0) << fsck.out << fsck.err;
  auto cat = RunTool({"debugfs", "-R", "cat /data/a", ext4});
  EXPECT_EQ(cat.out, "second a");
  auto stat = RunTool({"debugfs", "-R", "stat /data/owned", ext4});
  EXPECT_NE(stat.out.find("User:  1000"), std::string::npos) << stat.out;
  auto ls = RunTool({"debugfs", "-R", "ls -l /dev", ext4});
  EXPECT_NE(ls.out.find("20666"), std::string::npos) << "char device 0666: " << ls.out;

  auto inspect = Hull(store_, {"image", "inspect", ref});
  for (const char* field : {"\"/bin/sh\"", "\"echo hello\"", "GREETING=hi", "\"/data\"",
                            "\"1000:1000\"", "8080/tcp", "SIGINT", "org.hull.test"}) {
    EXPECT_NE(inspect.out.find(field), std::string::npos) << field;
  }
  EXPECT_TRUE(Leftovers(store_).empty());
}

TEST_F(RegistryPullTest, SecondPullUsesCacheAndConcurrentPullsAgree) {
  auto registry = StartWithImages(Auth::kNone);
  ASSERT_TRUE(registry);
  std::string ref = registry->host() + "/hull/test:v1";
  hull::testing::ProcessResult a, b;
  std::thread t1([&] { a = Hull(store_, {"pull", ref}); });
  std::thread t2([&] { b = Hull(store_, {"pull", ref}); });
  t1.join();
  t2.join();
  EXPECT_EQ(a.exit_status, 0) << a.err;
  EXPECT_EQ(b.exit_status, 0) << b.err;
  auto again = Hull(store_, {"pull", ref});
  ASSERT_EQ(again.exit_status, 0);
  EXPECT_NE(again.err.find("already present"), std::string::npos) << again.err;
  auto images = Hull(store_, {"images"});
  EXPECT_NE(images.out.find(registry->host() + "/hull/test"), std::string::npos) << images.out;
  // On a terminal (script(1) provides one) the same pull draws progress bars.
  auto tty = RunTool({"script", "-qec",
                      std::string(HULL_CLI_PATH) + " --root " + store_ + " pull " +
                          registry->host() + "/hull/multi:v1",
                      "/dev/null"});
  EXPECT_EQ(tty.exit_status, 0) << tty.out;
  EXPECT_NE(tty.out.find("\r"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("=] "), std::string::npos) << tty.out;
  EXPECT_TRUE(Leftovers(store_).empty());
}

TEST_F(RegistryPullTest, InterruptedPullRestartsCleanly) {
  auto registry = StartWithImages(Auth::kNone);
  ASSERT_TRUE(registry);
  std::string ref = registry->host() + "/hull/test:v1";
  // What a pull killed mid-way leaves: a partial blob and a half-unpacked tree.
  ASSERT_EQ(Hull(store_, {"images"}).exit_status, 0);  // creates the store
  std::ofstream(store_ + "/tmp/blob-999999-1-0") << "partial";
  ASSERT_EQ(::mkdir((store_ + "/tmp/unpack-999999-1-1").c_str(), 0700), 0);
  auto killed = hull::testing::RunProcessAndSignal(
      {HULL_CLI_PATH, "--root", store_, "pull", ref}, SIGKILL, 0.05);
  auto again = Hull(store_, {"pull", ref});
  ASSERT_EQ(again.exit_status, 0) << again.err;
  EXPECT_TRUE(Leftovers(store_).empty());
  EXPECT_EQ(*base::ReadFileToString(TreeOf(ref) + "/data/a"), "second a");
}

TEST_F(RegistryPullTest, BasicAuthNeedsCredentials) {
  auto registry = StartWithImages(Auth::kBasic);
  ASSERT_TRUE(registry);
  std::string ref = registry->host() + "/hull/test:v1";
  auto denied = Hull(store_, {"pull", ref});
  EXPECT_NE(denied.exit_status, 0);
  EXPECT_NE(denied.err.find("user name and password"), std::string::npos) << denied.err;
  auto wrong = Hull(store_, {"pull", "--creds", "hulluser:wrong", ref});
  EXPECT_NE(wrong.exit_status, 0);
  EXPECT_NE(wrong.err.find("access denied"), std::string::npos) << wrong.err;
  auto ok = Hull(store_, {"pull", "--creds", "hulluser:hullpass", ref});
  EXPECT_EQ(ok.exit_status, 0) << ok.err;
}

TEST_F(RegistryPullTest, TokenAuthFollowsTheChallenge) {
  auto registry = StartWithImages(Auth::kToken);
  ASSERT_TRUE(registry);
  std::string ref = registry->host() + "/hull/test:v1";
  auto denied = Hull(store_, {"pull", ref});
  EXPECT_NE(denied.exit_status, 0);
  EXPECT_NE(denied.err.find("refused a token"), std::string::npos) << denied.err;
  auto ok = Hull(store_, {"pull", "--creds", "hulluser:hullpass", ref});
  ASSERT_EQ(ok.exit_status, 0) << ok.err;
  std::string error;
  std::string umoci = registry->UmociUnpack("hull/test:v1", &error);
  ASSERT_FALSE(umoci.empty()) << error;
  EXPECT_EQ(DiffTrees(DescribeTree(umoci), DescribeTree(TreeOf(ref))), "");
}

TEST_F(RegistryPullTest, IndexResolvesToPlatformAndDigestReferencesWork) {
  auto registry = StartWithImages(Auth::kNone);
  ASSERT_TRUE(registry);
  std::string ref = registry->host() + "/hull/multi:v1";
  ASSERT_EQ(Hull(store_, {"pull", ref}).exit_status, 0);
  auto tree = TreeOf(ref);
  EXPECT_EQ(*base::ReadFileToString(tree + "/data/b"), "bee amd64");
  auto arm = Hull(store_, {"pull", "--platform", "linux/arm64", ref});
  ASSERT_EQ(arm.exit_status, 0) << arm.err;
  EXPECT_EQ(*base::ReadFileToString(TreeOf(ref) + "/data/b"), "bee arm64");
  auto none = Hull(store_, {"pull", "--platform", "linux/s390x", ref});
  EXPECT_NE(none.exit_status, 0);
  EXPECT_NE(none.err.find("no image for platform linux/s390x"), std::string::npos) << none.err;
  auto digest_line = arm.err.substr(arm.err.find("digest: ") + 8, 71);
  auto by_digest = Hull(store_, {"pull", registry->host() + "/hull/multi@" + digest_line});
  EXPECT_EQ(by_digest.exit_status, 0) << by_digest.err;
}

TEST_F(RegistryPullTest, MissingImagesAndTamperedBlobsFailCleanly) {
  auto registry = StartWithImages(Auth::kNone);
  ASSERT_TRUE(registry);
  auto missing = Hull(store_, {"pull", registry->host() + "/hull/nothing:v1"});
  EXPECT_NE(missing.exit_status, 0);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
  // Corrupt every stored blob's data in the registry: digests no longer match.
  auto corrupt = RunTool({"/bin/sh", "-c",
                             "for f in $(find " + registry->dir() +
                                 "/data -path '*blobs*' -name data -size +1k); do "
                                 "printf 'XXXX' | dd of=$f bs=1 seek=100 conv=notrunc 2>/dev/null; done"});
  ASSERT_EQ(corrupt.exit_status, 0);
  auto bad = Hull(store_, {"pull", registry->host() + "/hull/test:v1"});
  EXPECT_NE(bad.exit_status, 0);
  EXPECT_NE(bad.err.find("digest mismatch"), std::string::npos) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n') >= 1, true);
  EXPECT_EQ(Hull(store_, {"images", "-q"}).out, "");
  EXPECT_TRUE(Leftovers(store_).empty());
}

TEST_F(RegistryPullTest, ManifestsThatLieAboutSizesAreRejected) {
  auto registry = StartWithImages(Auth::kNone);
  ASSERT_TRUE(registry);
  // Re-publish the test image under new tags with a layer size off by 10 either way
  // (distribution checks that blobs exist, not their sizes).
  std::string script =
      "import json,sys,urllib.request as u\n"
      "base='http://'+sys.argv[1]+'/v2/hull/'\n"
      "mt='application/vnd.oci.image.manifest.v1+json'\n"
      "m=json.load(u.urlopen(u.Request(base+'test/manifests/v1',headers={'Accept':mt})))\n"
      "for tag,delta in (('smaller',-10),('larger',10)):\n"
      "  m2=json.loads(json.dumps(m)); m2['layers'][1]['size']+=delta\n"
      "  u.urlopen(u.Request(base+'test/manifests/'+tag,data=json.dumps(m2).encode(),"
      "method='PUT',headers={'Content-Type':mt}))\n";
  auto put = RunTool({"python3", "-c", script, registry->host()});
  ASSERT_EQ(put.exit_status, 0) << put.err;
  auto smaller = Hull(store_, {"pull", registry->host() + "/hull/test:smaller"});
  EXPECT_NE(smaller.exit_status, 0);
  EXPECT_NE(smaller.err.find("more than"), std::string::npos) << smaller.err;
  auto larger = Hull(store_, {"pull", registry->host() + "/hull/test:larger"});
  EXPECT_NE(larger.exit_status, 0);
  EXPECT_NE(larger.err.find("size mismatch"), std::string::npos) << larger.err;
  EXPECT_EQ(Hull(store_, {"images", "-q"}).out, "");
  EXPECT_TRUE(Leftovers(store_).empty());
}

TEST_F(RegistryPullTest, ServerErrorsAndSilentServersAreClearErrors) {
  int port = FreePort();
  std::string script = store_ + "/bad_server.py";
  std::ofstream(script) << "import http.server,time,sys\n"
                           "class H(http.server.BaseHTTPRequestHandler):\n"
                           "  def do_GET(self):\n"
                           "    if 'silent' in self.path: time.sleep(60)\n"
                           "    self.send_response(500); self.end_headers(); self.wfile.write(b'oops')\n"
                           "  def log_message(self,*a): pass\n"
                           "http.server.ThreadingHTTPServer(('127.0.0.1'," << port
                        << "),H).serve_forever()\n";
  Background server({"python3", script}, store_ + "/bad_server.log");
  std::string host = "127.0.0.1:" + std::to_string(port);
  HttpClient probe(HttpOptions{1, 1, false});
  for (int i = 0; i < 100 && !probe.Fetch({"http://" + host + "/", {}, false}).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto e500 = Hull(store_, {"pull", host + "/x/y:z"});
  EXPECT_NE(e500.exit_status, 0);
  EXPECT_NE(e500.err.find("HTTP 500"), std::string::npos) << e500.err;
  auto silent = Hull(store_, {"pull", "--timeout", "2", host + "/silent/y:z"}, 30);
  EXPECT_NE(silent.exit_status, 0);
  EXPECT_FALSE(silent.timed_out);
  EXPECT_NE(silent.err.find("hull: "), std::string::npos) << silent.err;
  auto refused = Hull(store_, {"pull", "127.0.0.1:" + std::to_string(FreePort()) + "/x/y:z"});
  EXPECT_NE(refused.exit_status, 0);
  EXPECT_TRUE(Leftovers(store_).empty());
}

}  // namespace
}  // namespace hull::rootfs::testing
