"""The errors genqemu raises for user mistakes; only the CLI prints them."""

from __future__ import annotations


class GenqemuError(Exception):
    """A user mistake: the CLI prints `str(error)` and exits with status 2."""

    exit_code = 2


class ConfigError(GenqemuError):
    """A document (config or profile) with one or more problems."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(
            "\n".join(
                f"{source}: {path}: {message}" if path else f"{source}: {message}"
                for path, message in problems
            )
        )


class UsageError(GenqemuError):
    """A bad command-line argument, such as an unknown architecture."""

    def __str__(self) -> str:
        return f"genqemu: {super().__str__()}"


def unreadable(name: str, error: OSError, what: str = "") -> GenqemuError:
    """Why the file `name` could not be read, from the OSError reading it raised;
    `what` is what it should have been ("a TOML file"), said of a directory."""
    if isinstance(error, FileNotFoundError):
        return GenqemuError(f"{name}: no such file")
    if isinstance(error, IsADirectoryError):
        return GenqemuError(f"{name}: is a directory" + (f", not {what}" if what else ""))
    return GenqemuError(f"{name}: cannot read: {error.strerror}")
