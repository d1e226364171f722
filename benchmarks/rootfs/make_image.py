#!/usr/bin/env python3
"""Writes the benchmark image as an OCI layout: busybox-static plus five gzip layers of
about 10 MB each (many small files and six large ones, half of the bytes random and
half text-like, so decompression and hashing both cost something), ~50 MB unpacked.
Deterministic: the same seed gives the same image. Usage: make_image.py DIR TAG"""
import gzip, hashlib, io, json, os, random, sys, tarfile

out, tag = sys.argv[1], sys.argv[2]
rng = random.Random(4)
os.makedirs(f"{out}/blobs/sha256", exist_ok=True)

def blob(data, media_type):
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

def content(size):
    half = size // 2
    words = b"container image layer benchmark hull micro vm rootfs ext4 "
    text = (words * (half // len(words) + 1))[:half]
    return rng.randbytes(size - half) + text

def layer(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data, kind in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            elif kind == "sym":
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, data, 0o777
                t.addfile(info)
            else:
                info.size, info.mode = len(data), 0o755 if kind == "exe" else 0o644
                t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    return tar, gzip.compress(tar, compresslevel=6, mtime=0)

with open("/bin/busybox", "rb") as f:
    busybox = f.read()
layers = [[("bin", None, "dir"), ("bin/busybox", busybox, "exe")] +
          [(f"bin/{a}", "busybox", "sym") for a in ("sh", "ls", "cat", "cp", "mv", "rm")]]
for n in range(5):
    entries = [(f"layer{n}", None, "dir"), (f"layer{n}/small", None, "dir")]
    for i in range(600):  # ~600 small files, 1-12 KB
        entries.append((f"layer{n}/small/f{i}", content(rng.randint(1024, 12288)), "file"))
    for i in range(6):   # and six large ones
        entries.append((f"layer{n}/large{i}", content(1_000_000), "file"))
    layers.append(entries)

descs, diff_ids = [], []
for entries in layers:
    tar, gz = layer(entries)
    diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    descs.append(blob(gz, "application/vnd.oci.image.layer.v1.tar+gzip"))
config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
          "config": {"Cmd": ["/bin/sh"]}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json"),
            "layers": descs}
top = blob(json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
top["annotations"] = {"org.opencontainers.image.ref.name": tag}
with open(f"{out}/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(f"{out}/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [top]}, f)
