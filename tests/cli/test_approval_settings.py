"""The approval settings as a user meets them: a bad TTL, policy file or approvals channel is
one line naming the variable and what is wrong, exit 2; good values are taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.processes import crosswire


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"CROSSWIRE_APPROVAL_TTL": "tomorrow"},
            "CROSSWIRE_APPROVAL_TTL: 'tomorrow' is not a duration: use a number and a unit "
            "(s, m, h or d), e.g. 90s, 45m, 24h or 1d",
        ),
        (
            {"CROSSWIRE_APPROVAL_TTL": "0m"},
            "CROSSWIRE_APPROVAL_TTL: '0m' is no time at all: it must be longer than 0s",
        ),
        (
            {"CROSSWIRE_APPROVALS_CHANNEL": "#approvals"},
            "CROSSWIRE_APPROVALS_CHANNEL: should be a Slack channel id such as C0123ABCDEF",
        ),
        (
            {"CROSSWIRE_POLICY_FILE": "absent.toml"},
            "CROSSWIRE_POLICY_FILE: policy file absent.toml: cannot be read "
            "(No such file or directory)",
        ),
        (
            {"CROSSWIRE_POLICY_FILE": "policy.toml"},
            "CROSSWIRE_POLICY_FILE: policy file policy.toml: rule 1 (emails): "
            "approval: Field required",
        ),
    ],
)
def test_a_bad_approval_setting_is_one_line(tmp_path: Path, env: dict[str, str], line: str) -> None:
    (tmp_path / "policy.toml").write_text('[[rule]]\nname = "emails"\nwhy = "because"\n')
    done = crosswire(tmp_path / "state", "audit", "list", env=env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [said] = done.stderr.splitlines()
    assert said.startswith(f"crosswire: {line}"), said


def test_good_approval_settings_are_taken(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(
        '[[rule]]\nname = "all"\napproval = false\nwhy = "Trust everyone"\n'
    )
    env = {
        "CROSSWIRE_APPROVAL_TTL": "1h30m",
        "CROSSWIRE_POLICY_FILE": "policy.toml",
        "CROSSWIRE_APPROVALS_CHANNEL": "C0APPROVALS",
    }
    done = crosswire(tmp_path / "state", "audit", "list", env=env)
    assert done.returncode == 0, done.stderr
