#!/usr/bin/env python3
"""The Docker SDK for Python (package `docker`) against hulld: one flow per call.

usage: sdk_flows.py unix:///path/hull.sock FLOW [ARGS...]
Prints what the test checks; any exception fails the flow with a traceback.
"""
import socket
import struct
import sys

import docker


def read_frames(sock):
    """Everything a multiplexed hijacked stream carries until end of file, by stream."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    out = {1: b"", 2: b""}
    while len(data) >= 8:
        stream, length = struct.unpack(">BxxxL", data[:8])
        out[stream] = out.get(stream, b"") + data[8:8 + length]
        data = data[8 + length:]
    return out


def main():
    client = docker.DockerClient(base_url=sys.argv[1], version="1.41", timeout=60)
    flow, args = sys.argv[2], sys.argv[3:]
    if flow == "ping":
        print("ping", client.ping())
        print("version", client.version()["ApiVersion"])
    elif flow == "pull":
        image = client.images.pull(args[0])
        print("pulled", image.id.startswith("sha256:"), args[0] in image.tags)
        print("listed", any(args[0] in i.tags for i in client.images.list()))
    elif flow == "run-attached":
        out = client.containers.run("hull/busybox", ["sh", "-c", "echo sdk says hi"], remove=True)
        print("output", repr(out.decode()))
        try:
            client.containers.run("hull/busybox", ["sh", "-c", "exit 4"], remove=True)
            print("error none")
        except docker.errors.ContainerError as e:
            print("error", e.exit_status)
    elif flow == "run-detached":
        c = client.containers.run("hull/busybox", ["sh", "-c", "echo one; echo two >&2; exit 2"],
                                  detach=True, name="sdk")
        result = c.wait(timeout=30)
        print("wait", result["StatusCode"])
        print("stdout", repr(c.logs(stdout=True, stderr=False).decode()))
        print("stderr", repr(c.logs(stdout=False, stderr=True).decode()))
        c.reload()
        print("status", c.status)
        c.remove()
        print("left", len(client.containers.list(all=True)))
    elif flow == "errors":
        try:
            client.images.get("no/such:image")
        except docker.errors.ImageNotFound:
            print("image-not-found")
        try:
            client.containers.get("nothing")
        except docker.errors.NotFound:
            print("container-not-found")
    elif flow == "exec":
        c = client.containers.run("hull/busybox", ["sleep", "1000"], detach=True, name="sdk-exec")
        print("exit", c.exec_run(["sh", "-c", "exit 3"]).exit_code)
        r = c.exec_run(["sh", "-c", "echo out; echo err >&2"], demux=True)
        print("demux", r.output[0], r.output[1])
        r = c.exec_run(["sh", "-c", "echo $FOO $(pwd) $(id -un)"], environment={"FOO": "bar"},
                       workdir="/tmp", user="nobody")
        print("env", r.output)
        exec_id = client.api.exec_create(c.id, ["cat"], stdin=True)["Id"]
        sock = client.api.exec_start(exec_id, socket=True)
        raw = getattr(sock, "_sock", sock)
        raw.sendall(b"from the socket")
        raw.shutdown(socket.SHUT_WR)
        print("stdin", read_frames(raw)[1])
        c.remove(force=True)
    elif flow == "attach-stdin":
        c = client.containers.create("hull/busybox", ["sh", "-c", "read x; echo got $x"],
                                     stdin_open=True, name="sdk-stdin")
        c.start()
        sock = client.api.attach_socket(c.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        raw = getattr(sock, "_sock", sock)
        raw.sendall(b"hello sdk\n")
        raw.shutdown(socket.SHUT_WR)
        print("stdout", read_frames(raw)[1])
        print("exit", c.wait(timeout=30)["StatusCode"])
        c.remove(force=True)
    elif flow == "stats":
        s = client.containers.get(args[0]).stats(stream=False)
        print("name", s["name"])
        print("limit", s["memory_stats"]["limit"])
        print("usage", 0 < s["memory_stats"]["usage"] <= s["memory_stats"]["limit"])
        print("pids", s["pids_stats"]["current"] >= 1)
    elif flow == "events":
        for e in client.events(since=int(args[0]), until=int(args[1]), decode=True):
            attrs = e["Actor"]["Attributes"]
            print(" ".join(x for x in (e["Action"], attrs.get("name"), attrs.get("exitCode")) if x))
    else:
        raise SystemExit("unknown flow " + flow)


if __name__ == "__main__":
    main()
