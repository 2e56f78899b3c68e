#!/usr/bin/env python3
"""Create the Frappe bench inside the image build, from the apps_json BuildKit secret.

Runs in the builder stage of images/Containerfile as user frappe:

1. bench init at FRAPPE_BRANCH from FRAPPE_PATH (no apps, no assets yet);
2. bench get-app for every entry, in order, from its credential-free URL, checking that the app
   it installed has the name sites will list (the entry's "name", else its repository's name in
   lower case with "-" read as "_"; components/config/appsJson.ts `appNameOf` is the same rule);
3. for entries with a "commit": fetch that commit, check it out, verify `git rev-parse HEAD`, and
   reinstall the app's Python and Node requirements (they may differ from the branch tip's);
4. one `bench build --production --force` for all apps, so assets match the checked-out code;
5. the image layout frappe_docker established: empty common_site_config.json, built assets moved
   from sites/assets to ./assets (the entrypoint links them back), no .git directories;
6. a build manifest with the commit of every app, and a scan proving no git credential was left in
   the bench.

Credentials: entries may carry `https://user:token@host/...` (the Pulumi program injects the token
for private apps). They are stripped from the URL and handed to git through a credential helper
(this script, `git-credential get`) configured in the environment of the git/bench processes only,
so they never appear on a command line, in .git/config, in the build log or in a layer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from typing import Optional
from urllib.parse import quote, unquote, urlsplit, urlunsplit

ENTRY_KEYS = {"url", "branch", "commit", "private", "name"}
APP_NAME = re.compile(r"[a-z][a-z0-9_]*")
CREDENTIALS_ENV = "FRAPPE_BUILD_GIT_CREDENTIALS"
MANIFEST_NAME = "build-manifest.json"
SCAN_CHUNK = 1 << 20


class BuildError(Exception):
    pass


def log(message: str) -> None:
    print(f"[build-bench] {message}", flush=True)


def is_commit(value: object) -> bool:
    return isinstance(value, str) and len(value) == 40 and all(c in "0123456789abcdef" for c in value)


def split_credentials(url: str) -> tuple[str, Optional[dict]]:
    """Returns the URL without user info, and the credential it carried (if any)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    if not parts.hostname:
        raise BuildError("an app URL carries credentials but no host")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, {
        "protocol": parts.scheme,
        "host": host,
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
    }


def derived_app_name(url: str) -> str:
    """The app name guessed from the repository: what bench clones into, lower case, "-" read as "_"."""
    repo = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if repo.lower().endswith(".git"):
        repo = repo[: -len(".git")]
    return repo.lower().replace("-", "_")


def load_apps(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise BuildError(f"{path} is missing: pass apps.json as the BuildKit secret 'apps_json'") from None
    except json.JSONDecodeError as err:
        raise BuildError(f"apps.json is not valid JSON (line {err.lineno}, column {err.colno})") from None
    if not isinstance(data, list):
        raise BuildError("apps.json must be a JSON array")
    apps = []
    for i, entry in enumerate(data):
        where = f"apps.json[{i}]"
        if not isinstance(entry, dict):
            raise BuildError(f"{where} must be an object")
        unknown = sorted(set(entry) - ENTRY_KEYS)
        if unknown:
            raise BuildError(f"{where} has unknown keys {unknown}")
        url, branch, commit = entry.get("url"), entry.get("branch"), entry.get("commit")
        if not isinstance(url, str) or not url:
            raise BuildError(f"{where}.url must be a non-empty string")
        if not isinstance(branch, str) or not branch or branch.startswith("-"):
            raise BuildError(f"{where}.branch must be a tag or branch name")
        if commit is not None and not is_commit(commit):
            raise BuildError(f"{where}.commit must be a full 40-character lower-case hex SHA")
        name = entry.get("name")
        if name is not None and not (isinstance(name, str) and APP_NAME.fullmatch(name)):
            raise BuildError(f"{where}.name must be an app name (a-z, 0-9, _)")
        clean, credential = split_credentials(url)
        apps.append(
            {
                "where": where,
                "url": clean,
                "branch": branch,
                "commit": commit,
                "credential": credential,
                "name": name or derived_app_name(clean),
                "declared": name is not None,
            }
        )
    return apps


def collect_credentials(apps: list[dict]) -> dict:
    credentials: dict = {}
    for app in apps:
        cred = app["credential"]
        if cred is None:
            continue
        key = f"{cred['protocol']}://{cred['host']}"
        value = {"username": cred["username"], "password": cred["password"]}
        if credentials.get(key, value) != value:
            raise BuildError(f"apps.json holds two different credentials for {key}")
        credentials[key] = value
    return credentials


def secret_values(credentials: dict) -> list[str]:
    """What must never end up in the bench: passwords, or the user part when it is the token."""
    values = set()
    for cred in credentials.values():
        token = cred["password"] or cred["username"]
        if len(token) >= 4:
            values.add(token)
    return sorted(values)


def git_env(credentials: dict) -> dict:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    if credentials:
        helper = f"!{shlex.quote(sys.executable)} {shlex.quote(os.path.abspath(__file__))} git-credential"
        env[CREDENTIALS_ENV] = json.dumps(credentials)
        # The empty value first clears helpers configured elsewhere, so nothing stores the token.
        env["GIT_CONFIG_COUNT"] = "2"
        env["GIT_CONFIG_KEY_0"] = "credential.helper"
        env["GIT_CONFIG_VALUE_0"] = ""
        env["GIT_CONFIG_KEY_1"] = "credential.helper"
        env["GIT_CONFIG_VALUE_1"] = helper
    return env


def credential_helper(args: list[str]) -> int:
    """git credential helper protocol: answer `get` for hosts we hold a credential for."""
    if not args or args[0] != "get":
        return 0
    request = {}
    for line in sys.stdin.read().splitlines():
        if not line:
            break
        key, _, value = line.partition("=")
        request[key] = value
    credentials = json.loads(os.environ.get(CREDENTIALS_ENV, "{}"))
    match = credentials.get(f"{request.get('protocol')}://{request.get('host')}")
    if match:
        sys.stdout.write(f"username={match['username']}\npassword={match['password']}\n")
    return 0


def run(cmd: list[str], cwd: str, env: Optional[dict] = None) -> None:
    log("$ " + " ".join(shlex.quote(part) for part in cmd))
    result = subprocess.run(cmd, cwd=cwd, env=env)
    if result.returncode != 0:
        raise BuildError(f"`{' '.join(cmd[:3])}` failed with exit code {result.returncode}")


def head(repo_dir: str) -> str:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo_dir, capture_output=True, text=True, env=git_env({})
    )
    if result.returncode != 0:
        raise BuildError(f"cannot read the checked-out commit of {repo_dir}: {result.stderr.strip()}")
    return result.stdout.strip()


def version_matches(actual: str, wanted: str) -> bool:
    return actual.split(".")[: len(wanted.split("."))] == wanted.split(".")


def check_versions(python_version: str, node_version: str) -> None:
    if python_version:
        actual = platform.python_version()
        if not version_matches(actual, python_version):
            raise BuildError(
                f"PYTHON_VERSION is {python_version} but the build image has Python {actual}; "
                "pick base images of the matching frappe release or fix pythonVersion"
            )
    if node_version:
        result = subprocess.run(["node", "--version"], capture_output=True, text=True)
        actual = result.stdout.strip().lstrip("v")
        if result.returncode != 0 or not version_matches(actual, node_version):
            raise BuildError(f"NODE_VERSION is {node_version} but the build image has Node.js {actual or 'none'}")


def check_app_name(app: dict, actual: str) -> None:
    """bench names the app after its Python package; sites list the name apps.json gives or implies."""
    expected = app["name"]
    if actual == expected:
        return
    if not APP_NAME.fullmatch(actual):
        raise BuildError(
            f"{app['where']} ({app['url']}): bench get-app installed the app as apps/{actual}, which is not an app "
            "name a site can list (a-z, 0-9, _); bench reads it from pyproject.toml [project] name, else setup.cfg, "
            "else the first name=\"...\" line of setup.py, so fix the app's package metadata"
        )
    source = "its \"name\"" if app["declared"] else "derived from the repository's name"
    raise BuildError(
        f"{app['where']} ({app['url']}) should install the app {expected} ({source}), but bench get-app "
        f"installed it as apps/{actual} (bench names an app after its Python package: pyproject.toml "
        f"[project] name, else setup.cfg or setup.py); set \"name\": \"{actual}\" on this entry of apps.json "
        f"and list {actual} in the sites' apps"
    )


def pin_commit(app_dir: str, name: str, url: str, commit: str, env: dict) -> None:
    # Hosts serve any reachable commit by SHA (git protocol v2), so the shallow clone stays shallow.
    run(["git", "fetch", "--quiet", "--depth", "1", url, commit], cwd=app_dir, env=env)
    run(["git", "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit], cwd=app_dir)
    actual = head(app_dir)
    if actual != commit:
        raise BuildError(f"{name}: expected commit {commit} checked out, found {actual}")
    log(f"{name} pinned at {commit}")


def record_pins(bench_dir: str, pins: dict) -> None:
    """bench recorded the branch tip it cloned in sites/apps.json; correct it for pinned apps."""
    path = os.path.join(bench_dir, "sites", "apps.json")
    if not pins or not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as handle:
        states = json.load(handle)
    for name, commit in pins.items():
        resolution = states.get(name, {}).get("resolution") if isinstance(states, dict) else None
        if isinstance(resolution, dict):
            resolution["commit_hash"] = commit
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(states, handle, indent=4)


def remove_git_dirs(apps_dir: str) -> None:
    # Without .git nobody can `bench update` inside a container; the image is replaced, not patched.
    for root, dirs, files in os.walk(apps_dir):
        if ".git" in dirs:
            shutil.rmtree(os.path.join(root, ".git"))
            dirs.remove(".git")
        if ".git" in files:
            os.remove(os.path.join(root, ".git"))


def scan_for_secrets(bench_dir: str, secrets: list[str]) -> None:
    needles = sorted({s.encode() for s in secrets} | {quote(s, safe="").encode() for s in secrets}, key=len)
    if not needles:
        return
    overlap = max(len(n) for n in needles) - 1
    for root, dirs, files in os.walk(bench_dir):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                tail = b""
                while True:
                    chunk = handle.read(SCAN_CHUNK)
                    if not chunk:
                        break
                    window = tail + chunk
                    if any(n in window for n in needles):
                        raise BuildError(
                            f"a git credential was found in {os.path.relpath(path, bench_dir)}; "
                            "refusing to produce an image that contains it"
                        )
                    tail = window[-overlap:] if overlap > 0 else b""


def build(apps_path: str, bench_dir: str) -> dict:
    frappe_path = os.environ.get("FRAPPE_PATH", "https://github.com/frappe/frappe")
    frappe_branch = os.environ.get("FRAPPE_BRANCH", "")
    if not frappe_branch:
        raise BuildError("FRAPPE_BRANCH is not set")

    apps = load_apps(apps_path)
    credentials = collect_credentials(apps)
    check_versions(os.environ.get("PYTHON_VERSION", ""), os.environ.get("NODE_VERSION", ""))

    parent = os.path.dirname(os.path.abspath(bench_dir))
    run(
        [
            "bench",
            "init",
            "--frappe-branch",
            frappe_branch,
            "--frappe-path",
            frappe_path,
            "--no-procfile",
            "--no-backups",
            "--skip-redis-config-generation",
            "--skip-assets",
            "--verbose",
            bench_dir,
        ],
        cwd=parent,
        env=git_env({}),
    )
    apps_dir = os.path.join(bench_dir, "apps")
    manifest = {
        "frappe": {"url": frappe_path, "branch": frappe_branch, "commit": head(os.path.join(apps_dir, "frappe"))},
        "apps": [],
    }

    env = git_env(credentials)
    pins = {}
    for app in apps:
        before = set(os.listdir(apps_dir))
        run(["bench", "get-app", "--skip-assets", "--branch", app["branch"], app["url"]], cwd=bench_dir, env=env)
        added = sorted(set(os.listdir(apps_dir)) - before)
        if len(added) != 1:
            raise BuildError(f"bench get-app {app['url']} should add one directory under apps/, added {added}")
        name = added[0]
        check_app_name(app, name)
        app_dir = os.path.join(apps_dir, name)
        if app["commit"]:
            pin_commit(app_dir, name, app["url"], app["commit"], env)
            run(["bench", "setup", "requirements", name], cwd=bench_dir, env=git_env({}))
            pins[name] = app["commit"]
        manifest["apps"].append(
            {"name": name, "url": app["url"], "branch": app["branch"], "commit": head(app_dir)}
        )
    record_pins(bench_dir, pins)

    # --force builds every app from the checked-out source instead of downloading frappe's
    # published assets, which would not match a fork or a pinned commit.
    run(["bench", "build", "--production", "--force"], cwd=bench_dir, env=git_env({}))

    sites = os.path.join(bench_dir, "sites")
    with open(os.path.join(sites, "common_site_config.json"), "w", encoding="utf-8") as handle:
        handle.write("{}\n")
    built_assets = os.path.join(sites, "assets")
    if not os.path.isdir(built_assets):
        raise BuildError("bench build left no sites/assets directory")
    os.rename(built_assets, os.path.join(bench_dir, "assets"))

    remove_git_dirs(apps_dir)
    with open(os.path.join(bench_dir, MANIFEST_NAME), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2)
        handle.write("\n")
    scan_for_secrets(bench_dir, secret_values(credentials))
    return manifest


def main(argv: list[str]) -> int:
    if argv[:1] == ["git-credential"]:
        return credential_helper(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", required=True, help="path of the apps.json secret")
    parser.add_argument("--bench", required=True, help="bench directory to create")
    args = parser.parse_args(argv)
    try:
        manifest = build(args.apps, args.bench)
    except BuildError as err:
        log(f"ERROR: {err}")
        return 1
    log("built " + json.dumps(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
