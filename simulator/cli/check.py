"""`mensetsu check`: the microphone, the speaker and the voice, tried once."""

from __future__ import annotations

from simulator.cli.common import EXIT_FAIL, EXIT_OK, UserError, find_speaker, tts_option


def add_parser(sub) -> None:
    ck = sub.add_parser("check", help="マイク・スピーカー・音声合成を確認する",
                        description="デバイスを一覧し、テスト音声を再生し、3 秒録音して音量を確かめます。")
    ck.add_argument("--input-device", metavar="NAME|INDEX", help="確認するマイク")
    tts_option(ck, "確認する面接官の声（既定: auto）")
    ck.set_defaults(run=run)


def run(args) -> int:
    from simulator.practice.terminal import TerminalUI
    from simulator.present.summary import label
    from simulator.speech import audio
    from simulator.speech.capture import list_devices, record_seconds
    from simulator.speech.tts import finish, make_engine

    ui = TerminalUI()
    devices = list_devices()
    ui.say("[bold]オーディオデバイス[/bold]" + ("" if devices else "（見つかりません）"))
    for d in devices:
        kinds = "/".join(k for k, n in (("入力", d["max_input_channels"]), ("出力", d["max_output_channels"])) if n)
        ui.say(f"  {d['index']}: {d['name']}（{kinds}、{d['default_samplerate']:.0f} Hz）")
    if not any(d["max_input_channels"] for d in devices):
        raise UserError("マイク（入力デバイス）が見つかりません。接続を確認するか、"
                        "practice --answers-from DIR で録音済みの音声を使ってください")
    engine = make_engine(args.tts)
    samples, rate = engine.synthesize("面接練習を始めます。聞こえますか。")
    speaks = engine.name != "none" and samples.size > rate * 0.5
    ui.say(f"音声合成: {engine.name} — {'日本語を話せます' if speaks else '日本語の音声がありません（質問は表示のみ）'}")
    speaker = find_speaker(engine.name, ui.console)
    if speaks and speaker:
        finish(speaker.start(samples, rate))
    ui.say("3 秒間、何か話してください…")
    recorded = record_seconds(args.input_device, 3.0)
    lvl = audio.level(recorded, audio.speech_regions(recorded))
    verdict = ("silent" if lvl.silent else "clipping" if lvl.clipping else "too_quiet" if lvl.too_quiet else None)
    if lvl.silent:  # no sound at all: a level in dBFS would only say "-200"
        ui.say("録音: 音が届いていません — " + label("level", "silent"))
    else:
        ui.say(f"録音: ピーク {lvl.peak_dbfs:.1f} dBFS、声の大きさ {lvl.speech_rms_dbfs:.1f} dBFS — "
               + (label("level", verdict) if verdict else "問題ありません"))
    return EXIT_OK if verdict is None else EXIT_FAIL
