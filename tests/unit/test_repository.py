"""The repository stands on its own: nothing refers to files a person who clones it does not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\.\./shared|shared/reference|CONTRACT\.md|ANALYTICS\.md")


def tracked_files() -> list[Path]:
    command = ["git", "ls-files", "-co", "--exclude-standard"]
    listed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()  # noqa: S607
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_nothing_refers_to_documents_outside_the_repository():
    offenders = []
    for path in tracked_files():
        if path.suffix not in (".py", ".md", ".ipynb", ".toml", ".txt", ".cfg") or path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == []


def test_the_documents_the_readme_links_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)\)", readme):
        assert (ROOT / target).exists(), target


PRIVATE_CLIENT = re.compile(r"\bceox_api\._|\.(_request|_twin|_credential|_http|_secret)\b")


def test_only_the_client_uses_its_private_parts():
    """Everything the dashboard, the benchmarks and the notebook need from `ceox_api` is public API."""
    offenders = []
    for path in tracked_files():
        relative = path.relative_to(ROOT).as_posix()
        if path.suffix not in (".py", ".ipynb") or relative.startswith(("ceox_api/", "tests/")):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.replace("self._", "self.")  # a class's own private attributes are its business
            if PRIVATE_CLIENT.search(code):
                offenders.append(f"{relative}:{number}: {line.strip()[:100]}")
    assert offenders == []


NAMES = {
    "a page by its file path (use dashboard.navigation)": (re.compile(r"[\"']app_pages/\w+\.py[\"']"),
                                                          {"dashboard/navigation.py"}),
    "a capability by its text (use dashboard.capabilities.Capability)": (
        re.compile(r"[\"'](chats\.send|inbox\.view_all|analytics\.view|(users|roles|inboxes|contacts|webhooks)\.manage)"
                   r"[\"']"), {"dashboard/capabilities.py"}),
}


def test_pages_and_capabilities_are_named_by_their_constants():
    """The dashboard's code names a page and a capability in one place each."""
    offenders = []
    for path in tracked_files():
        relative = path.relative_to(ROOT).as_posix()
        ours = relative.startswith(("app_pages/", "ui/", "dashboard/")) or relative == "app.py"
        if path.suffix != ".py" or not ours:
            continue
        text = path.read_text(encoding="utf-8")
        for what, (pattern, home) in NAMES.items():
            if relative not in home:
                offenders += [f"{relative}: {what}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []
