"""Commands that validate the GitHub Actions workflows (run by `invoke lint`)."""

from __future__ import annotations

WORKFLOW_DIR = ".github/workflows"
DEPENDABOT_CONFIG = ".github/dependabot.yml"


def workflow_lint_commands(
    workflow_dir: str = WORKFLOW_DIR,
    *,
    dependabot: str = DEPENDABOT_CONFIG,
    check_jsonschema: str = "check-jsonschema",
    zizmor: str = "zizmor",
) -> list[str]:
    """Schema check of every workflow and of the Dependabot config, then zizmor's offline security audits.

    The `*.yaml` glob is left to the shell; `tests/test_workflows.py` holds every workflow
    to that extension so none escapes it. `check_jsonschema` and `zizmor` name the programs.
    """
    return [
        f"{check_jsonschema} --builtin-schema vendor.github-workflows {workflow_dir}/*.yaml",
        f"{check_jsonschema} --builtin-schema vendor.dependabot {dependabot}",
        f"{zizmor} --offline --no-progress {workflow_dir}",
    ]
