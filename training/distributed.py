"""torch.distributed for `torchrun`: which rank this is, and the few collectives training needs.

A plain `python -m training` is world size 1 and never touches torch.distributed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class World:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def shard(self, length: int) -> slice:
        """This rank's part of `length` items: every world_size-th one, so parts are disjoint and complete."""
        return slice(self.rank, length, self.world_size)

    def sum(self, *values: float) -> list[float]:
        """Element-wise sum of `values` over all ranks."""
        if not self.distributed:
            return list(values)
        import torch.distributed as dist

        total = torch.tensor(values, dtype=torch.float64)
        dist.all_reduce(total)
        return total.tolist()

    def unshard(self, part: torch.Tensor, length: int) -> torch.Tensor:
        """Reassemble a tensor of `length` items from every rank's `shard(length)` part."""
        if not self.distributed:
            return part
        import torch.distributed as dist

        parts: list[torch.Tensor | None] = [None] * self.world_size
        dist.all_gather_object(parts, part.cpu())
        whole = torch.empty(length, dtype=part.dtype)
        for rank, rank_part in enumerate(parts):
            whole[rank : length : self.world_size] = rank_part
        return whole


SINGLE = World()


def join_world(device_type: str) -> World:
    """Join the process group torchrun describes in the environment; world size 1 without torchrun."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return SINGLE
    import torch.distributed as dist

    backend = "nccl" if device_type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    return World(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        backend=backend,
    )


def leave_world(world: World) -> None:
    """Wait for every rank, then tear the process group down (without the barrier a rank can abort)."""
    if world.distributed:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
