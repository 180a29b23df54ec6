"""The parts of faster-whisper below its public API that mensetsu relies on.

pyproject.toml pins the minor release these were tested with (>=1.2,<1.3). When that pin
is moved, these tests say which edge changed, before a practice session finds it out.
"""

import numpy as np
import pytest


def test_the_model_names_table_maps_short_names_to_hub_repositories():
    from faster_whisper.utils import _MODELS  # models.py: a name typed by the user

    assert {"base", "small", "large-v3"} <= _MODELS.keys()
    assert all("/" in repo for repo in _MODELS.values())


def test_pad_or_trim_sets_the_number_of_frames():
    from faster_whisper.audio import pad_or_trim  # asr.py: the short encoder window

    features = np.ones((80, 120), dtype=np.float32)
    assert pad_or_trim(features, 300).shape == (80, 300)
    assert pad_or_trim(features, 50).shape == (80, 50)


def test_silero_session_takes_windows_with_their_context_and_state():
    from faster_whisper.vad import (
        get_vad_model,  # capture.py: the streaming voice detector
    )

    session = get_vad_model().session
    windows = np.zeros((3, 64 + 512), dtype=np.float32)
    state = np.zeros((1, 1, 128), dtype=np.float32)
    probs, h, c = session.run(None, {"input": windows, "h": state, "c": state})
    assert np.asarray(probs).size == 3 and h.shape == c.shape == state.shape


def test_the_silero_model_gives_one_probability_per_window_of_a_whole_file():
    from faster_whisper.vad import get_vad_model  # audio.py: the whole-file speech regions

    probs = np.asarray(get_vad_model()(np.zeros(512 * 5, dtype=np.float32))).reshape(-1)
    assert probs.shape == (5,) and ((0 <= probs) & (probs <= 1)).all()


@pytest.mark.slow
def test_the_glance_decodes_a_short_window_with_the_models_own_tokenizer(model_bundle):
    """asr.Transcriber.glance: Tokenizer, get_suppressed_tokens, get_prompt, encode and
    generate on a window shorter than 30 s."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    model, _ = model_bundle
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="ja")
    suppressed = get_suppressed_tokens(tokenizer, [-1])
    assert suppressed and all(isinstance(t, int) for t in suppressed)
    prompt = model.get_prompt(tokenizer, tokenizer.encode(" はい"), without_timestamps=True)
    features = model.feature_extractor(np.zeros(16000 * 3, dtype=np.float32))
    encoded = model.encode(pad_or_trim(features, 1000))
    result = model.model.generate(encoded, [prompt], beam_size=1, max_length=len(prompt) + 10,
                                  suppress_blank=True, suppress_tokens=suppressed)[0]
    assert isinstance(tokenizer.decode([t for t in result.sequences_ids[0] if t < tokenizer.eot]), str)
