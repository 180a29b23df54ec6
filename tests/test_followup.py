"""Follow-up choice on answers where a second-round interviewer's next question is clear.

Expected: the rung the ladder asks (dig_<rung>, prompts/interviewer.toml), or a stock
probe (fu_…), and a phrase of the answer the question must quote (None: none)."""

import pytest

from simulator.analysis.analyze import review
from simulator.rules import bank

Q = bank.questions()


@pytest.mark.parametrize("qid, answer, expected, quote", [
    # a result with no process: "how did you do it?"
    ("jisseki", "御社で活かせる実績は、担当エリアの売上を前年の1.5倍に伸ばしたことです。"
                "その結果、二年連続で社内の営業表彰を受けました。お客様からの紹介も増え、担当する取引先は40社になりました。"
                "御社でもこの経験を活かしたいです。", "dig_action", "前年の1.5倍"),
    # a strength with no numbers: "in numbers?"
    ("jiko_pr", "私の強みは、周りを巻き込む提案力です。ゼミでは発表の準備が遅れていたので、私が作業を分担する表を作り、"
                "毎週の進み具合を共有する仕組みを提案しました。その提案をきっかけに、チームの雰囲気が変わりました。"
                "この経験から、仕組みで人を動かす大切さを学びました。", "dig_why_method", None),   # a strength word is not "a method"
    # a failure mentioned: "how did you cope?"
    ("gakuchika", "学生時代に力を入れたのは、英語サークルの運営です。最初の半年は参加者が伸び悩み、イベントがうまくいかない時期が"
                  "続きました。そこで参加者の声をアンケートで集め、内容を初心者向けに作り直しました。その結果、参加者は3倍になりました。"
                  "この経験から、相手の声を聞く大切さを学びました。", "dig_action", "3倍"),
    # a team story with no own role: "what was your role?"
    ("team_role", "チームでは、みんなで協力して目標を達成することを大切にしています。前職では営業部の全員で声を掛け合い、"
                  "半期の目標を120%達成しました。一丸となって取り組むことで大きな成果が出せると学びました。", "dig_action", "120%"),
    # generic motivation: "why us, not a competitor?"
    ("shibou_douki", "御社を志望した理由は、御社の事業に興味を持ち、成長できる環境だと感じたからです。社員の方も優しそうで、"
                     "雰囲気の良い職場だと思いました。入社後は、いろいろな仕事に挑戦して成長していきたいと考えています。", "dig_why_us", None),
    # too short: "tell me more"
    ("tansho", "短所は心配性なところです。", "fu_more_detail", None),
    # blaming: "what did you do about it?"
    ("tenshoku_riyuu", "転職を考えた理由は、上司が悪くて評価も低く、このままでは成長できないと感じたからです。"
                       "給料も安く、残業が多すぎる環境で、将来が見えませんでした。次の職場では、もっと自分の力を試したいと考えています。",
     "dig_tried_inside", "このままでは成長できないと感じたから"),
    # a weakness with no remedy: how it is being fixed
    ("tansho", "私の短所は、心配性なところです。資料を作る時に確認に時間をかけすぎてしまうことがありました。"
               "締め切りの前に慌ててしまい、チームのメンバーを待たせたこともあります。"
               "周りに迷惑をかけないよう、気をつけています。", "dig_remedy", None),
])
def test_clear_followups(qid, answer, expected, quote):
    r = review(answer, Q[qid])
    assert r.followup is not None and r.followup.question.id == expected, (r.followup, r.content.findings)
    assert r.followup.reason  # explainable
    if quote:
        assert quote in r.followup.question.text, r.followup.question.text


def test_never_the_same_followup_twice_in_a_session():
    answer = "短所は心配性なところです。"
    first = review(answer, Q["tansho"]).followup
    second = review(answer, Q["tansho"], frozenset({first.question.id})).followup
    assert first.question.id == "fu_more_detail"
    assert second is not None and second.question.id != first.question.id


def test_the_reverse_question_ends_the_interview():
    assert review("特にありません。", Q["gyaku_shitsumon"]).followup is None


def test_every_question_can_be_followed_up_and_triggers_exist():
    triggers = {q.trigger for q in Q.values() if q.trigger}
    # a content finding or, for the take-back of a rambling answer, the turn's own
    assert triggers == set(bank.load("content")["followup_triggers"]["order"]) | {"rambling"}
    assert Q[bank.load("turn")["rambling"]["followup"]].trigger == "rambling"
    mains = [q for q in Q.values() if q.type != "followup"]
    assert len(mains) >= 40 and len([q for q in Q.values() if q.type == "followup"]) >= 40
    assert {"shinsotsu", "tenshoku", "manager", "specialist", "career-change"} <= {t for q in mains for t in q.tracks}
    assert all(q.followups for q in mains if q.type != "gyaku")
