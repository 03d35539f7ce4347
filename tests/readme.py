"""The README's examples, read from the README itself so a test tries each one as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_ASK = re.compile(r'crosswire ask "([^"]+)"')


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def chat_examples() -> list[str]:
    """The lines of "What you can ask": typed in the sandbox or Slack."""
    return _indented(_subsection("Try it", "What you can ask"))


def action_examples() -> list[str]:
    """The lines of "Asking it to act": requests that wait for an approval."""
    return _indented(_subsection("Try it", "Asking it to act: approvals"))


def _subsection(section: str, title: str) -> str:
    text = _section(section)
    start = text.index(f"### {title}\n")
    end = text.find("\n### ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _indented(block: str) -> list[str]:
    return [line[4:] for line in block.splitlines() if line.startswith("    ") and line.strip()]


def ask_examples() -> list[str]:
    """The objectives of the ``crosswire ask`` commands in "Try it"."""
    return _ASK.findall(_section("Try it"))
