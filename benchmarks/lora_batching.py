"""Base-model replies on a vLLM server that also serves a LoRA adapter: equal to a server without LoRA?

Greedy base replies (``--prompts`` prompts, 30 tokens) on a plain server are the baseline; on a server with the
adapter loaded they are asked alone, then in the same batches as the adapter's own requests. On a CPU, vLLM's LoRA
ops gave a base request decoded beside an adapter's requests that adapter's product (index -1 read as the last
slot); :mod:`inspect_warmth.run.vllm_cpu_lora` leaves such rows alone. Prints how many replies equal the
baseline; the last line reads ``alone=<equal>/<n> mixed=<equal>/<n>``. Two vLLM start-ups (about 50 s each on
two cores).

    python benchmarks/lora_batching.py ADAPTER_DIR          # e.g. warmth-demo/warm-smollm2
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures

import openai

from inspect_warmth.models.bundled import resolve_model
from inspect_warmth.run.vllm_engine import VLLMServer


def replies(server: VLLMServer, model: str, prompts: list[str]) -> list[str]:
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)

    def one(prompt: str) -> str:
        response = client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}],
                                                  max_tokens=30, temperature=0)
        return response.choices[0].message.content or ""

    with futures.ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, prompts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("adapter", help="A LoRA adapter directory of the base (finetune train's --out).")
    parser.add_argument("--base", default="smollm2-135m")
    parser.add_argument("--prompts", type=int, default=12)
    args = parser.parse_args()
    base = resolve_model(args.base)
    prompts = [f"Name a famous person born in the year {1800 + 7 * i}." for i in range(args.prompts)]

    plain = VLLMServer(base=base).start()
    try:
        baseline = replies(plain, base, prompts)
    finally:
        plain.stop()
    server = VLLMServer(base=base, max_lora_rank=16, adapters=(args.adapter,)).start()
    try:
        replies(server, args.adapter, prompts[:2])  # the adapter now sits in its slot
        alone = replies(server, base, prompts)
        with futures.ThreadPoolExecutor(2) as pool:
            mixed_future = pool.submit(replies, server, base, prompts)
            pool.submit(replies, server, args.adapter, prompts)
            mixed = mixed_future.result()
    finally:
        server.stop()
    n = len(prompts)
    equal_alone = sum(a == b for a, b in zip(alone, baseline, strict=True))
    equal_mixed = sum(a == b for a, b in zip(mixed, baseline, strict=True))
    print(f"base replies equal to a server without LoRA: asked alone {equal_alone}/{n}, "
          f"beside the adapter's requests {equal_mixed}/{n}")
    print(f"alone={equal_alone}/{n} mixed={equal_mixed}/{n}")


if __name__ == "__main__":
    main()
