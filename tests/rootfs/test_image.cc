#include "tests/rootfs/test_image.h"

#include <dirent.h>

namespace hull::rootfs::testing {

ImageSpec TestImage(const std::string& architecture) {
  ImageSpec spec;
  spec.architecture = architecture;
  spec.layers.push_back(BusyboxLayer());
  TarEntry owned = File("data/owned", "by 1000", 0640);
  owned.uid = 1000;
  owned.gid = 1000;
  TarEntry null;
  null.type = TarEntry::kCharDev;
  null.path = "dev/null";
  null.major = 1;
  null.minor = 3;
  null.mode = 0666;
  LayerSpec two;
  two.entries = {Dir("data"), File("data/a", "first a"), File("data/b", "bee " + architecture),
                 Hardlink("data/b-link", "data/b"), Symlink("data/passwd", "/etc/passwd"),
                 Symlink("data/rel", "../bin/busybox"), owned, File("data/suid", "x", 04755),
                 Dir("opq"), File("opq/old1", "1"), Dir("opq/oldsub"), File("opq/oldsub/2", "2"),
                 File("gone.txt", "to be whited out"), Dir("dev"), null, Dir("empty", 0700)};
  LayerSpec three;
  three.compression = Compression::kZstd;
  three.entries = {File(".wh.gone.txt", ""), Dir("opq"), File("opq/.wh..wh..opq", ""),
                   File("opq/new", "new in layer 3"), Dir("data"), File("data/a", "second a")};
  spec.layers.push_back(std::move(two));
  spec.layers.push_back(std::move(three));
  spec.config_json = R"({"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hello"],
    "Env":["PATH=/bin","GREETING=hi"],"WorkingDir":"/data","User":"1000:1000",
    "ExposedPorts":{"8080/tcp":{}},"Volumes":{"/data":{}},"StopSignal":"SIGINT",
    "Labels":{"org.hull.test":"yes"}})";
  return spec;
}

hull::testing::ProcessResult Hull(const std::string& root, std::vector<std::string> args,
                                  double timeout) {
  args.insert(args.begin(), {HULL_CLI_PATH, "--root", root});
  return hull::testing::RunProcess(args, timeout);
}

std::vector<std::string> Leftovers(const std::string& store_root) {
  std::vector<std::string> names;
  DIR* d = opendir((store_root + "/tmp").c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  closedir(d);
  return names;
}

}  // namespace hull::rootfs::testing
