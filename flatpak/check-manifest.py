#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the Flatpak manifest against the meson build it wraps, since it cannot be built
here: the app id, the command, the sandbox holes a chat app needs and none it must not have,
and pinned sources."""
import json
import sys

manifest_path, app_id, command = sys.argv[1:4]
with open(manifest_path, encoding="utf-8") as f:
    manifest = json.load(f)

errors = []
def expect(ok, what):
    if not ok:
        errors.append(what)

expect(manifest.get("id") == app_id, f"id is {manifest.get('id')!r}, meson says {app_id!r}")
expect(manifest.get("command") == command, f"command is {manifest.get('command')!r}, not {command!r}")
expect(manifest.get("runtime") == "org.gnome.Platform", "runtime is not org.gnome.Platform")
expect(int(str(manifest.get("runtime-version", "0")).split(".")[0]) >= 45, "runtime older than GNOME 45")

args = set(manifest.get("finish-args", []))
for needed in ("--share=network", "--share=ipc", "--socket=wayland", "--socket=fallback-x11",
               "--device=dri", "--socket=pulseaudio", "--talk-name=org.freedesktop.secrets"):
    expect(needed in args, f"finish-args lacks {needed}")
# The camera comes through the portal; notifications too.
for refused in ("--device=all", "--socket=x11", "--filesystem=host", "--filesystem=home",
                "--talk-name=org.freedesktop.Notifications"):
    expect(refused not in args, f"finish-args must not have {refused}")

modules = manifest.get("modules", [])
expect(modules and modules[-1].get("name") == "globichat", "the last module is not globichat")
for module in modules:
    for source in module.get("sources", []):
        if source.get("type") in ("archive", "file"):
            expect(source.get("url", "").startswith("https://"), f"{module['name']}: url not https")
            expect(len(source.get("sha256", "")) == 64, f"{module['name']}: no sha256")
if modules:
    expect("-Dui_tests=false" in modules[-1].get("config-opts", []),
           "globichat module must configure -Dui_tests=false")

for e in errors:
    print(e)
sys.exit(1 if errors else 0)
