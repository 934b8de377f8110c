"""A key/value cache layer with fixed row slots, written in place, for continuous batching.

transformers' ``DynamicLayer`` appends each decode step's keys and values with ``torch.cat``, which copies the
whole cache of every layer on every step (at 32 rows × 400 columns, a fifth of a CPU decode step), and dropping
or adding rows copies it again. A :class:`SlabLayer` keeps each layer's keys and values in one zero-initialised
slab ``[row slots, heads, columns, dim]``:

- a decode step writes its column in place; attention sees a view of the used rows and columns
  ``[:rows, :, start:end]``, holding exactly the values ``DynamicLayer`` would (outputs are bit-identical);
- a finished row is removed by copying the last row into its slot (:meth:`SlabLayer.remove_rows`), so only one
  row moves;
- a freshly prefilled batch is appended into free slots, right-aligned with the running rows
  (:meth:`SlabLayer.append`);
- columns that are padding in every row are forgotten by moving ``start`` (:meth:`SlabLayer.drop_leading`).

Columns outside a row's own tokens are left with whatever finite values they held (zeros or an earlier row's);
the attention mask hides them, and because every value stays finite a masked column contributes exactly zero.
The slab is reallocated only when it runs out of columns or row slots (which it then doubles, up to the batch
size), so its memory follows the batch actually running.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicLayer

# Free columns added when the slab must grow and no more was asked for.
_MIN_GROWTH = 64


class SlabLayer(DynamicLayer):
    """One layer's keys and values in a slab of row slots (see the module docstring).

    The slab starts with as many row slots as the first update has rows and doubles them when rows are appended
    beyond, up to ``max_rows`` (the engine's batch size); ``spare`` is the free columns kept beyond the used ones
    when it is (re)allocated, which the engine raises to the longest reply still possible.
    """

    def __init__(self, max_rows: int = 1, spare: int = 0) -> None:
        super().__init__()
        self.max_rows = max(1, max_rows)
        self.spare = max(0, spare)
        self._keys: torch.Tensor | None = None
        self._values: torch.Tensor | None = None
        self.rows = 0
        self.start = 0
        self.end = 0

    # transformers' layer interface ------------------------------------------------------------------------------
    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        self.is_initialized = True
        self.rows = key_states.shape[0]
        slots, columns = self.rows, key_states.shape[2] + self.spare
        self._keys = key_states.new_zeros((slots, key_states.shape[1], columns, key_states.shape[3]))
        self._values = value_states.new_zeros((slots, value_states.shape[1], columns, value_states.shape[3]))
        self.start = self.end = 0

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        assert self._keys is not None and self._values is not None
        if key_states.shape[0] != self.rows:
            raise ValueError(f"cache holds {self.rows} rows, update has {key_states.shape[0]}")
        new = key_states.shape[-2]
        if self.end + new > self._keys.shape[2]:
            self._reallocate(slots=self._keys.shape[0], left=0, extra=new)
        self._keys[: self.rows, :, self.end : self.end + new] = key_states
        self._values[: self.rows, :, self.end : self.end + new] = value_states
        self.end += new
        self._refresh()
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.end - self.start if self.is_initialized else 0

    def reset(self) -> None:
        self._keys = self._values = None
        self.rows = self.start = self.end = 0
        super().reset()

    def crop(self, tokens_to_remove: int) -> None:
        if tokens_to_remove > 0:
            raise ValueError(f"crop takes a negative number of tokens to remove, got {tokens_to_remove}")
        if self.is_initialized and tokens_to_remove:
            self.end = max(self.start, self.end + tokens_to_remove)
            self._refresh()

    def batch_repeat_interleave(self, repeats: int) -> None:
        self.batch_select_indices(torch.arange(self.rows, device=self.device).repeat_interleave(repeats))

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if not self.is_initialized:
            return
        keys, values = self.keys.index_select(0, indices), self.values.index_select(0, indices)
        self.rows = keys.shape[0]
        self._allocate(keys, values, slots=self.rows, columns=self.spare, left=0)

    # engine operations ------------------------------------------------------------------------------------------
    def remove_rows(self, moves: list[tuple[int, int]], rows: int) -> None:
        """Copy row ``src`` into slot ``dst`` for each ``(src, dst)`` in order, then keep the first ``rows``."""
        assert self._keys is not None and self._values is not None
        columns = slice(self.start, self.end)
        for src, dst in moves:
            self._keys[dst, :, columns] = self._keys[src, :, columns]
            self._values[dst, :, columns] = self._values[src, :, columns]
        self.rows = rows
        self._refresh()

    def append(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        """Add rows below the running ones; both are right-aligned to the wider of the two."""
        assert self._keys is not None and self._values is not None
        new_rows, width = key_states.shape[0], key_states.shape[2]
        rows = self.rows + new_rows
        slots = self._keys.shape[0]
        if rows > slots or width > self.end:
            # out of slots, or too few columns to the left of ``end`` for the new rows: move the running rows
            if rows > slots:
                slots = max(rows, min(self.max_rows, 2 * slots))
            self._reallocate(slots=slots, left=max(0, width - (self.end - self.start)), extra=0)
        self._keys[self.rows : rows, :, self.end - width : self.end] = key_states
        self._values[self.rows : rows, :, self.end - width : self.end] = value_states
        self.rows = rows
        self.start = min(self.start, self.end - width)
        self._refresh()

    def drop_leading(self, columns: int) -> None:
        """Forget the first ``columns`` used columns (padding in every row); no data moves."""
        if not 0 <= columns <= self.end - self.start:
            raise ValueError(f"cannot drop {columns} of {self.end - self.start} columns")
        self.start += columns
        self._refresh()

    # internals --------------------------------------------------------------------------------------------------
    def _allocate(self, keys: torch.Tensor, values: torch.Tensor, *, slots: int, columns: int, left: int) -> None:
        """A fresh zeroed slab holding ``keys``/``values`` (all rows) at column ``left``, ``columns`` free after."""
        used = keys.shape[2]
        self._keys = keys.new_zeros((slots, keys.shape[1], left + used + columns, keys.shape[3]))
        self._values = values.new_zeros((slots, values.shape[1], left + used + columns, values.shape[3]))
        self._keys[: keys.shape[0], :, left : left + used] = keys
        self._values[: values.shape[0], :, left : left + used] = values
        self.start, self.end = left, left + used
        self._refresh()

    def _reallocate(self, *, slots: int, left: int, extra: int) -> None:
        """Move the used rows and columns to a new slab, ``left`` free columns before them and at least
        ``extra`` (and ``spare``) after."""
        used = self.end - self.start
        free = max(extra, self.spare, _MIN_GROWTH, used // 2)
        self._allocate(self.keys, self.values, slots=slots, columns=free, left=left)

    def _refresh(self) -> None:
        assert self._keys is not None and self._values is not None
        self.keys = self._keys[: self.rows, :, self.start : self.end]
        self.values = self._values[: self.rows, :, self.start : self.end]


def swap_remove(rows: int, dead: list[int]) -> tuple[list[tuple[int, int]], list[int]]:
    """Remove ``dead`` rows by moving the last live rows into their slots.

    Returns the ``(src, dst)`` row copies, to apply in order (:meth:`SlabLayer.remove_rows`), and the original
    index of the row that then sits in each remaining slot, for reordering anything else indexed by row.
    """
    moves: list[tuple[int, int]] = []
    order = list(range(rows))
    for slot in sorted(set(dead), reverse=True):
        rows -= 1
        if slot != rows:
            moves.append((rows, slot))
            order[slot] = order[rows]
    return moves, order[:rows]


def to_slabs(cache: Any, max_rows: int, spare: int) -> bool:
    """Move a prefilled cache's layers into :class:`SlabLayer` ones, in place; False (cache untouched) when any
    layer is not plain full attention (sliding-window, linear or hybrid models keep transformers' own layers)."""
    layers = getattr(cache, "layers", None)
    if not layers or any(type(layer) is not DynamicLayer or not layer.is_initialized for layer in layers):
        return False
    slabs = [SlabLayer(max_rows, spare) for _ in layers]
    for slab, layer in zip(slabs, layers, strict=True):
        slab.update(layer.keys, layer.values)
    cache.layers = slabs
    return True
