"""``python -m inspect_warmth.finetune``: the ``finetune`` commands, for ``accelerate launch -m``."""

from inspect_warmth.finetune.cli import finetune

if __name__ == "__main__":
    finetune()
