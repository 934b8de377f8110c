#!/usr/bin/env bash
# GPU check of issue 15 (finetune throughput + SocioT workload), run ONCE, unattended, from the repo root of a lent
# H100/H200. Carry the ignored folder out/bench (wheels/, tokenizer/, hh_rlhf_600.tokens.jsonl; ~7 MB), e.g.
#   run(command="bash benchmarks/device_check.sh finetune", carry=["out/bench"], timeout_s=560)
#   run(command="bash benchmarks/device_check.sh socio_t", carry=["out/bench"], timeout_s=400)
# Two calls on one warm machine (the per-call limit is 10 minutes): `finetune` <= 480 s (reference, fast, fast under
# torch.compile, and a profiled step), `socio_t` <= 330 s (the workload twice: rng=global, then rng=private, each
# after a tenth of it, then 1/60 of it profiled per rng). Without an argument both run (SMOKE=1: a CPU check).
# SMOKE=1 runs the same sequence on a CPU with tiny shapes (how it was checked before the GPU run).
set -x
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export TQDM_DISABLE=1 HF_DATASETS_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_PROGRESS_BARS=1

# trl, datasets (+ dill, multiprocess) and liger-kernel are not in the device image: unpack the carried pure-Python
# wheels (benchmarks/device_wheels.txt) into /tmp/site; no pip, no network.
mkdir -p /tmp/site
for wheel in "${WHEELS:-out/bench/wheels}"/*.whl; do python3 -m zipfile -e "$wheel" /tmp/site; done
export PYTHONPATH="/tmp/site:$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
# datasets 5.2 wants pyarrow >= 24; unpack a carried pyarrow wheel (out/bench/pyarrow/) only where the image's is older.
python3 -c 'import sys, pyarrow; sys.exit(int(pyarrow.__version__.split(".")[0]) < 24)' \
  || for wheel in out/bench/pyarrow/*.whl; do [ -f "$wheel" ] && python3 -m zipfile -e "$wheel" /tmp/site; done

nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv || true
python3 - <<'EOF'
import importlib, sys
for name in ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "liger_kernel"):
    try:
        module = importlib.import_module(name)
        print(name, getattr(module, "__version__", "?"))
    except Exception as err:  # noqa: BLE001 - report and go on: the benchmarks say what they could not use
        print(name, "NOT IMPORTABLE:", type(err).__name__, err)
import torch
print("cuda", torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else "")
import inspect_warmth.finetune.train, inspect_warmth.warmth.socio_t  # noqa: E401,F401
print("inspect_ai imported:", any(m.startswith("inspect_ai") for m in sys.modules))
EOF

ROWS=out/bench/hh_rlhf_600.tokens.jsonl
ROWS_ARG=()
[ -f "$ROWS" ] && ROWS_ARG=(--rows "$ROWS")   # else: synthetic conversations of HH-RLHF-like lengths
if [ "${SMOKE:-0}" = 1 ]; then
  FINETUNE=(--model tiny --device cpu --steps 1 --eval-rows 2 --profile --compile)
  SOCIO_T=(--device cpu --lm tiny-gpt2 --texts 6 --samples 1 --workload --workload-texts 60 --workload-samples 2 --profile)
else
  FINETUNE=(--device cuda --random-llama-8b --steps 5 --profile --compile)
  SOCIO_T=(--device cuda --lm random-gpt2-small --tokenizer out/bench/tokenizer --texts 100 --samples 2 --workload --profile)
fi

PART=${1:-all}
if [ "$PART" = all ] || [ "$PART" = finetune ]; then
  timeout 480 python3 benchmarks/finetune.py "${FINETUNE[@]}" "${ROWS_ARG[@]}"
  echo "finetune benchmark exit: $?"
fi
if [ "$PART" = all ] || [ "$PART" = socio_t ]; then
  timeout 330 python3 benchmarks/socio_t.py "${SOCIO_T[@]}"
  echo "socio_t benchmark exit: $?"
fi
