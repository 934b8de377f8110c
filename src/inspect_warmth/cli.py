"""``inspect-warmth``: one command per step of the study. Thin: parse, call the library, print.

Subcommands live beside the code they drive and are imported only when called, so ``inspect-warmth --help``
stays fast.
"""

from __future__ import annotations

import importlib

import click

#: subcommand -> "module:attribute" of its click command.
SUBCOMMANDS: dict[str, str] = {
    "demo": "inspect_warmth.run.demo:demo",
    "model": "inspect_warmth.models.cli:model",
    "warmth": "inspect_warmth.warmth.cli:warmth",
    "finetune": "inspect_warmth.finetune.cli:finetune",
    "agreement": "inspect_warmth.analysis.cli:agreement",
    "grid": "inspect_warmth.run.cli:grid",
    "analyze": "inspect_warmth.analysis.cli:analyze",
    "gate": "inspect_warmth.analysis.cli:gate",
    "frontier": "inspect_warmth.run.cli:frontier",
    "study": "inspect_warmth.run.cli:study",
    "controls": "inspect_warmth.run.cli:controls",
}

#: group -> {subcommand: "module:attribute"} added to a group from elsewhere: ``finetune trajectory`` generates on
#: the engine, so it lives in run/ (finetune/ never imports run/).
GROUP_COMMANDS: dict[str, dict[str, str]] = {
    "finetune": {"trajectory": "inspect_warmth.run.cli:trajectory"},
}


def _load(target: str) -> click.Command:
    module, attr = target.split(":")
    command = getattr(importlib.import_module(module), attr)
    # (help text imports each subcommand; they keep their heavy imports inside their functions)
    assert isinstance(command, click.Command)
    return command


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        command = _load(target)
        if isinstance(command, click.Group):
            for name, extra in GROUP_COMMANDS.get(cmd_name, {}).items():
                command.add_command(_load(extra), name)
        return command


@click.group(cls=_LazyGroup)
@click.version_option(package_name="inspect-warmth")
def main() -> None:
    """Measure what warm-persona training costs a language model in accuracy and sycophancy."""
