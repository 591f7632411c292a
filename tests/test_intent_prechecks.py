"""The cheap checks intent.py makes before it compiles or runs a pattern (a word the pattern cannot
match without, a digit, a mark that splits clauses) never skip a comment the pattern reads.

Each comment below holds, for one pattern, only the word its check looks for (the label after or
before a number, a conclusion's word, an equals sign after a product, a sequence-length word, a
commented-out config line, a clause mark, a digit that is not ASCII); the values are what the
patterns read from it without any check.
"""

from __future__ import annotations

import pytest

from batchlint.intent import parse_comment
from batchlint.loading.nodes import Comment, Span

Stated = tuple[int | None, int | None, int | None, int | None, int | None]


def _stated(text: str) -> list[Stated]:
    """(gpus, nodes, per device, accumulation, total) of each statement of `# text`."""
    comment = Comment(1, 1, "# " + text, Span("f.yaml", 1, 1, 1, 1, 0, 0))
    return [(i.gpus, i.nodes, i.per_device, i.grad_accum, i.total) for i in parse_comment(comment)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # after-labels, per_device
        ("16卡*2累积*7单卡 = 224", [(16, None, 7, 2, 224)]),
        ("8 per device, 4 accumulation, 2 nodes", [(None, 2, None, None, None)]),
        ("4/gpu on 8 gpus", [(8, None, 4, None, None)]),
        ("2 per card on 8 cards", [(8, None, 2, None, None)]),
        ("8 micro batch, 16 gpus", [(16, None, None, None, None)]),
        ("4 bs on 8 gpus", [(8, None, 4, None, None)]),
        ("8 per device 2 nodes", [(None, 2, 8, None, None)]),
        ("8 micro batch 2 nodes", []),
        ("4 bs 2 nodes", []),
        ("8 batch-size 2 nodes", [(None, 2, 8, None, None)]),
        ("4 bs x 2 nodes", [(None, 2, 4, None, None)]),
        # after grad_accum
        ("8 gpus, 2 accum", [(8, None, None, None, None)]),
        ("8 gpus 4 ga", [(4, None, None, None, None)]),
        ("4 ga 2 nodes", [(None, 2, None, 4, None)]),
        ("8卡 4累积", [(8, None, None, 4, None)]),
        # after nodes
        ("2 nodes 8 gpus", [(8, 2, None, None, None)]),
        ("2 machines, 8 gpus each", [(None, 2, None, None, None), (8, None, None, None, None)]),
        ("2台机器 8卡", [(8, 2, None, None, None)]),
        ("2机器 8卡", [(8, 2, None, None, None)]),
        ("2台 8卡", [(8, 2, None, None, None)]),
        # after gpus
        ("8卡 batch 2", [(8, None, None, None, None)]),
        ("8 gpus bs 2", [(8, None, 2, None, None)]),
        ("8 cards bs 2", [(8, None, 2, None, None)]),
        ("8 devices bs 2", [(8, None, 2, None, None)]),
        ("8 ranks bs 2", [(8, None, 2, None, None)]),
        ("8 processes bs 2", [(8, None, 2, None, None)]),
        ("8 procs bs 2", [(8, None, 2, None, None)]),
        ("8x a100 bs 2", [(8, None, 2, None, None)]),
        ("8×h100 bs 2", [(8, None, 2, None, None)]),
        ("4 40gb a100 gpus bs 2", [(4, None, 2, None, None)]),
        # before total / gpus / grad_accum / per_device
        ("gbs 256", [(None, None, None, None, 256)]),
        ("global batch 256", [(None, None, None, None, 256)]),
        ("total batch size: 128", [(None, None, None, None, 128)]),
        ("total_batch 128", [(None, None, None, None, 128)]),
        ("effective batch 64", [(None, None, None, None, 64)]),
        ("总batch_size 224", [(None, None, None, None, 224)]),
        ("world size 4 bs 2", [(4, None, 2, None, None)]),
        ("num gpus 8 bs 2", [(8, None, 2, None, None)]),
        ("n_gpus 8 bs 2", [(8, None, 2, None, None)]),
        ("gpu num 8 bs 2", [(8, None, 2, None, None)]),
        ("gpus: 8 bs 2", [(8, None, 2, None, None)]),
        ("world size 8, grad accum 4", [(8, None, None, None, None)]),
        ("gradient accumulation steps 4 gpus 8", [(8, None, None, 4, None)]),
        ("accumulation 4 gpus 8", [(8, None, None, 4, None)]),
        ("batch size 8, world size 4", [(4, None, None, None, None)]),
        ("bs 8 world size 4", [(4, None, 8, None, None)]),
        ("micro batch 8 world size 4", [(4, None, 8, None, None)]),
        ("per device batch 8 world size 4", [(4, None, 8, None, None)]),
        # conclusions
        ("8 gpus so batch size 128", [(8, None, None, None, 128)]),
        ("8 gpus thus batch 64", [(8, None, None, None, 64)]),
        ("8 gpus hence batch 64", [(8, None, None, None, 64)]),
        ("8 gpus therefore batch 64", [(8, None, None, None, 64)]),
        ("8 gpus i.e. batch 64", [(8, None, None, None, 64)]),
        ("8 gpus => batch 64", [(8, None, None, None, 64)]),
        ("8 gpus -> batch 64", [(8, None, None, None, 64)]),
        ("8 gpus → batch 64", [(8, None, None, None, 64)]),
        ("8 gpus giving batch 64", [(8, None, None, None, 64)]),
        ("8 gpus gives batch 64", [(8, None, None, None, 64)]),
        ("8 gpus totally batch 64", [(8, None, None, None, 64)]),
        # equals after a product
        ("4 * 8 gpus = 32", [(8, None, None, None, 32)]),
        ("4 x 8 gpus → 32", [(8, None, None, None, 32)]),
        ("4*8 gpus -> 32", [(8, None, None, None, 32)]),
        ("2 × 8 gpus = 16", [(8, None, None, None, 16)]),
        ("2 x 8 = 16 gpus", [(None, None, None, None, 16)]),
        # a product over a sequence length
        ("12 batch size * 1024 block size * 5 gradaccum * 8 GPUs = 491,520", [(8, None, 12, 5, None)]),
        ("8 bs * 2048 seq len * 8 gpus = 131072", [(8, None, 8, None, None)]),
        ("8 bs * 4096 context * 8 gpus = 262144", [(8, None, 8, None, 262144)]),
        ("8 bs * 4096 context len * 8 gpus = 262144", [(8, None, 8, None, None)]),
        ("8 bs * 512 max len * 8 gpus = 32768", [(8, None, 8, None, None)]),
        ("8 bs * 512 tokens * 8 gpus = 32768", [(8, None, 8, None, None)]),
        ("2 gpus * 4 bs = 1,024", [(2, None, 4, None, 1024)]),
        # commented-out config lines
        ("--train_batch_size 8", []),
        ("- --per_device 8 gpus", [(8, None, None, None, None)]),
        ("per_device_train_batch_size: 8", []),
        ("bs=8", []),
        ("world_size = 4", []),
        ("num_gpus: 8", []),
        ("--num_gpus 8", []),
        ("trainer.num_gpus: 8", []),
        ("num-gpus: 8", []),
        ("gpus[0]: 8", []),
        ("nodes[0].gpus: 8", []),
        ("_: 8gpus", []),
        ("num_gpus : 8", []),
        ("num_gpus= 8", []),
        ("单卡数量: 8卡", []),
        ("8 gpus: total 64", [(8, None, None, None, None)]),
        # clause marks
        ("8 gpus，2 accum", [(8, None, None, None, None)]),
        ("8 gpus, 2 accum", [(8, None, None, None, None)]),
        ("8 gpus; 2 accum", [(8, None, None, None, None)]),
        ("8 gpus；2 accum", [(8, None, None, None, None)]),
        ("8 gpus。2 accum", [(8, None, None, None, None)]),
        ("8 gpus - 2 accum", [(8, None, None, None, None)]),
        ("8 gpus\t-\t2 accum", [(8, None, None, None, None)]),
        ("8 gpus -2 accum, bs 4", [(8, None, None, 2, None)]),
        ("8 gpus -\t2 accum", [(8, None, None, None, None)]),
        ("8 - 2 accum", []),
        ("8 gpus\xa0-\u20032 accum", [(8, None, None, None, None)]),
        # non-ASCII digits
        ("８ gpus bs ２", [(8, None, 2, None, None)]),
        ("8 gpus bs ٢", [(8, None, 2, None, None)]),
    ],
)
def test_a_pre_check_never_skips_what_its_pattern_reads(text: str, expected: list[Stated]) -> None:
    assert _stated(text) == expected
