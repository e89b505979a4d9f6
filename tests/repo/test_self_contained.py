"""The repository stands on its own: no tracked file names a path that exists only on
the machine it was developed on.

A clone on somebody else's machine has neither the team's workspace beside it (a
sibling "shared" folder) nor the development machine's own directories, so a script,
doc or build file that names one of them breaks (or misleads) there. This test lists the
tracked files with `git ls-files` and greps every text file for such paths.

What is forbidden, and why (PATTERNS below):
  - a sibling "shared" folder reached by a relative path: the team's workspace;
  - the development machine's work and home directories, and the prebuilt binaries
    left in its temporary directory.
System paths every Debian machine has (the system python3, /etc, /usr/share, /proc)
stay allowed, and so does /tmp itself (scripts make their scratch directories there).

Skipped when the source tree is not a git checkout of its own (a tarball), or git is
missing.
Run: python3 -m pytest -q tests/repo/test_self_contained.py (ctest: repo.self_contained).
"""
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The forbidden strings are assembled from pieces so that this file does not match itself.
DOTDOT = ".."
SLASH = "/"
# A path starts a word: not preceded by a letter, digit, '.', '~' or '-' (so a URL's
# path, or a folder whose name merely ends in "work", never counts).
START = r"(?<![\w.~-])"
PATTERNS = [
    ("the team workspace beside the repository",
     re.compile(re.escape(DOTDOT + SLASH + "shared") + r"\b")),
    ("a directory of the development machine",
     re.compile(START + re.escape(SLASH + "work" + SLASH))),
    ("root's home directory on the development machine",
     re.compile(START + re.escape(SLASH + "root" + SLASH))),
    ("a prebuilt binary in the development machine's /tmp",
     re.compile(START + re.escape(SLASH + "tmp" + SLASH) + r"(?:vellumd|null_server)")),
]


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False)


def tracked_files():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0:
        pytest.skip("not a git checkout: " + top.stderr.decode(errors="replace").strip())
    toplevel = top.stdout.decode().strip()
    if not os.path.samefile(toplevel, ROOT):
        pytest.skip(f"the source tree is not the root of a git checkout (that is {toplevel})")
    listed = git("ls-files", "-z")
    assert listed.returncode == 0, listed.stderr.decode(errors="replace")
    return [p for p in listed.stdout.decode().split("\0") if p]


def text_of(path):
    """The file's text, or None for binary files, symlinks and files not checked out."""
    full = os.path.join(ROOT, path)
    if os.path.islink(full) or not os.path.isfile(full):
        return None
    with open(full, "rb") as f:
        data = f.read()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def find_hits(files):
    hits = []
    for path in files:
        text = text_of(path)
        if text is None:
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            for why, pattern in PATTERNS:
                m = pattern.search(line)
                if m:
                    hits.append(f"{path}:{lineno}: '{m.group(0)}' ({why}): {line.strip()[:120]}")
    return hits


def test_patterns_catch_what_they_should():
    # Guards the regular expressions themselves, on made-up lines.
    bad = [
        "see " + DOTDOT + SLASH + "shared" + SLASH + "DESIGN.md",
        "COMPARE=" + DOTDOT + SLASH + DOTDOT + SLASH + "shared/bench/compare.sh",
        "cd " + SLASH + "work" + SLASH + "main && make",
        "PATH=" + SLASH + "root" + SLASH + ".local/bin",
        "VELLUMD=" + SLASH + "tmp" + SLASH + "vellumd-base",
    ]
    fine = [
        "/usr/bin/python3 -m pytest",
        "/etc/vellum/vellum.toml",
        "mktemp -d /tmp/vellum-bench.XXXXXX",
        "std::shared_ptr<ClientState>",
        "a framework" + SLASH + " folder, https://example.com" + SLASH + "work" + SLASH + "x",
        DOTDOT + SLASH + "sharedlib is not the workspace",
    ]
    for line in bad:
        assert any(p.search(line) for _, p in PATTERNS), line
    for line in fine:
        assert not any(p.search(line) for _, p in PATTERNS), line


def test_no_tracked_file_refers_outside_the_repository():
    files = tracked_files()
    assert files, "git ls-files listed nothing"
    hits = find_hits(files)
    assert not hits, (
        "tracked files refer to paths that exist only on the development machine;\n"
        "use paths inside the repository instead:\n  " + "\n  ".join(hits))
