#!/usr/bin/env python3
"""The Docker SDK for Python (package `docker`) against hulld: one flow per call.

usage: sdk_flows.py unix:///path/hull.sock FLOW [ARGS...]
Prints what the test checks; any exception fails the flow with a traceback.
"""
import sys

import docker


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
    else:
        raise SystemExit("unknown flow " + flow)


if __name__ == "__main__":
    main()
