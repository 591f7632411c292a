"""Differential: the schema rule's conversion of a file where its schema looks (shaped_instance, whose
scalar values are read in place) holds, at every key it converts, the value the whole conversion
(instance_of, every scalar through scalar_value and the resolver) holds there; on generated MuseV
configs whose values are quoted, plain, timestamps, OmegaConf floats, interpolations and includes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from batchlint.engine import analyse
from batchlint.options import Options
from batchlint.rules.schema import instance_of, shaped_instance
from batchlint.schema_check import SCHEMA_FOR_DIALECT, load_schema
from batchlint.session import Session

VALUES = ["4", "'4'", '"4"', "1e-5", "'1e-5'", "2001-12-14", "'2001-12-14'", "fp16", "'fp16'", "true", "~", "${train.seed}", "${.seed}", "'${train.seed}'"]
VALUES += ["${include:part.yaml}", "x_${train.seed}", "|\n    multi", ".nan", "1_000", "[1, 2]"]
TRAIN_KEYS = ["gradient_accumulation_steps", "mixed_precision", "learning_rate", "seed", "max_train_steps", "other"]


@st.composite
def musev(draw: st.DrawFn) -> str:
    keys = draw(st.lists(st.sampled_from(TRAIN_KEYS), min_size=2, max_size=6, unique=True))
    train = "".join(f"  {key}: {draw(st.sampled_from(VALUES))}\n" for key in keys)
    extra = "".join(f"  {key}: {draw(st.sampled_from(VALUES))}\n" for key in ("width", "height", "n_sample_frames"))
    batch = draw(st.sampled_from(["7", "'7'", "${train.seed}", "1e-5", "2001-12-14"]))
    return (
        f"output_dir:\n  exp_dir: ./run\nmodel:\n  pretrained_model_path: ./sd\ntrain:\n  seed: 3\n  train_batch_size: {batch}\n{train}"
        f"validation_data:\n{extra}dataset:\n{extra}diffusion:\n  num_inference_steps: 10\n"
    )


def _same_where_shaped(shaped: object, whole: object, where: str) -> None:
    if isinstance(shaped, dict):
        assert isinstance(whole, dict) and shaped.keys() == whole.keys(), where
        for key, value in shaped.items():
            if value is not None:  # (None: a key the schema never looks at, left out)
                _same_where_shaped(value, whole[key], f"{where}.{key}")
    else:
        assert type(shaped) is type(whole) and repr(shaped) == repr(whole), where


@settings(max_examples=60, deadline=None)
@given(musev())
def test_the_shaped_conversion_reads_scalars_as_the_whole_one(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "part.yaml").write_text("a: 1\nb: '2001-12-14'\n", encoding="utf-8")
        path = Path(tmp) / "train.yaml"
        path.write_text(text, encoding="utf-8")
        view = analyse(str(path), Session(), Options()).view
        assert view.dialect in SCHEMA_FOR_DIALECT and view.loaded, text
        schema = load_schema(SCHEMA_FOR_DIALECT[view.dialect])
        _same_where_shaped(shaped_instance(view, schema), instance_of(view), "")
