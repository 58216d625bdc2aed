"""A user profile for the tests that add an arch through --profile-dir."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def toyarch_profile(folder: Path) -> Path:
    """A profile named toyarch: amd64's facts under another name."""
    text = (REPO / "profiles" / "amd64.toml").read_text()
    text = text.replace('arch = "amd64"', 'arch = "toyarch"').replace(
        'aliases = ["x86_64", "x86-64"]', 'aliases = ["toy"]'
    )
    folder.mkdir(exist_ok=True)
    (folder / "toyarch.toml").write_text(text)
    return folder
