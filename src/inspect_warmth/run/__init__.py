"""Everything that generates or evaluates: the vLLM engine (``vllm_engine``), the grid of tasks × conditions ×
variants (``grid``), the frontier's evaluation of saved epochs (``frontier``), the offline demo (``demo`` and its
output directory, ``demo_outdir``) and their commands (``cli``). The statistics they report come from
:mod:`inspect_warmth.analysis`."""
