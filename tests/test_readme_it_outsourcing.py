"""The README's IT outsourcing report is what the command shown above it prints: the command
is read from the README and run in a shell, with this environment's ``accord`` first on PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_shows_what_the_it_outsourcing_command_prints() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(
        r"```sh\n(accord report examples/agreements/it-outsourcing\.yaml.*?)\n```\n\n"
        r"```markdown\n(.*?)\n```",
        readme,
        re.DOTALL,
    )
    assert found is not None, "the README's IT outsourcing example is gone"
    command, shown = found.groups()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    printed = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=ROOT,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed.rstrip("\n") == shown
    # what the README then says in words is in it
    assert "(the cap bound in 2026-06)" in shown
    assert "2026-02 credit for erp (4800.00 EUR) earned back in 2026-05" in shown
    assert "2026-11 credit for hosting (2400.00 EUR) pending" in shown
