"""Moving through a workout: next, back, repeat, start over, pause, resume, pace, skip.

A workout is a flat plan of steps (see :mod:`skill.coach.catalog`), so moving is index
arithmetic; what needs care is saying truthfully where the user is, and not running a
counted set again that the user already did.

Whether a counted set was finished or interrupted. On Alexa a paced step is one long
SSML response, and Alexa tells a skill neither when its speech ended nor where a barge-in
cut it: speech has no playback offset. What a skill gets is each request's timestamp and
its meaning. So when a paced step is spoken, the state keeps when its counted part is due
to end (``State.set_ends``: the request's time plus the speech's estimated length up to
the last beat, pauses exact, words estimated as the screen's countdown estimates them),
and the first request after it decides, once (``Turn.mid_set``):

- Any request that arrives before that moment (less
  :data:`~skill.coach.turn.SET_END_SLACK_S`), or without a timestamp we can read, came
  while the set was being counted: Alexa stops its speech for a barge-in, so the set was
  cut short (``State.set_cut``), whether the user said "pause", asked how many reps or
  asked for a slower count. "Resume" starts the set again from its beginning and says so.
- A request after that moment finds the set done: "resume" after a question, "slower"
  or a pause then says where we are, and that "repeat" does the set again and "next"
  goes on; it does not count the set again.
- A new level for the exercise on the step ("make it easier") changes its set
  (``State.set_changed``): "resume" counts the new set, without calling it cut short.
- "repeat" always runs the step again: that is what it asks for.
- Stopping (stop, a timeout) keeps the step as the resume point; a later resume runs it.

The local runner gets the same answers: a runner playing the speech sends the next turn
after it, with its real time, and a muted or scripted one stamps each turn as though the
last response had been heard to its end; a command said over the coach (barge-in) comes
at once, as on an Echo.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ask_sdk_model import Response

from skill.coach import pacing, progress, screen
from skill.coach.language import language_of, slot_value_id
from skill.coach.state import Offer, State
from skill.coach.turn import Turn, echo


def speak_step(
    turn: Turn,
    state: State,
    notice: str | None = None,
    *,
    restart: bool = False,
    name_exercise: bool = False,
    skipped: Any = None,
    run_set: bool = True,
) -> Response:
    """Coach the state's current step: cue, paced set if any, and the hint to go on.

    ``name_exercise`` says which exercise of a routine this is even mid-exercise (after a
    resume, or going back into the previous exercise); ``restart`` says the set was cut
    short and starts again.
    """
    plan = turn.catalog.plan(state.workout or "", state.levels)
    state = replace(
        state, paused=False, finished=False, offer=None, set_ends=0, set_cut=False,
        set_changed=False, heard=state.heard + 1,
    )  # fmt: skip
    step = plan.steps[state.step]
    beats = pacing.script(step, state.pace, state.sounds) if run_set else ()
    response = turn.reply(
        "step",
        state,
        plan=plan,
        step=step,
        index=state.step + 1,
        count=len(plan.steps),
        beats=beats,
        pace=state.pace,
        notice=notice,
        heard=state.heard - 1,
        restart=restart,
        name_exercise=name_exercise,
        skipped=skipped,
    )
    if beats and turn.now_s is not None:
        speech = getattr(response.output_speech, "ssml", "") or ""
        paced_ms = screen.paced_end_ms(speech, beats, turn.renderer.beat_times(turn.locale))
        turn.next_state = replace(turn.next_state, set_ends=turn.now_s + paced_ms // 1000 + 1)
    return response


def set_done(turn: Turn, state: State, notice: str) -> Response:
    """Back on a step whose counted set already ran to its end: say where, don't recount."""
    plan = turn.catalog.plan(state.workout or "", state.levels)
    state = replace(
        state, paused=False, finished=False, offer=None, set_cut=False, set_changed=False
    )
    return turn.reply(
        "set_done",
        state,
        plan=plan,
        step=plan.steps[state.step],
        index=state.step + 1,
        count=len(plan.steps),
        notice=notice,
        pace=state.pace,
    )


def start_workout(
    turn: Turn, workout_id: str, step: int = 0, notice: str | None = None
) -> Response:
    return speak_step(
        turn, turn.state.at(workout_id, step), notice, name_exercise=notice == "resumed"
    )


def finish_workout(turn: Turn) -> Response:
    plan = turn.plan
    assert plan is not None
    if not turn.state.finished:
        now = turn.clock()
        turn.update(lambda raw: progress.record_completion(raw, plan.kind, plan.id, now))
    offer = Offer(plan.next_offer) if plan.next_offer else None
    state = replace(turn.state, finished=True, paused=False, offer=offer)
    return turn.reply(
        "finished",
        state,
        plan=plan,
        sounds=state.sounds,
        offer_name=turn.catalog.workout_name(offer.workout) if offer else None,
    )


def default_offer(turn: Turn) -> Offer | None:
    """What the coach offers when no workout is going, as the content says."""
    offer = turn.catalog.default_offer
    return Offer(offer) if offer else None


def menu(turn: Turn, key: str = "menu", **data: Any) -> Response:
    state = replace(turn.state.home(), offer=default_offer(turn))
    return turn.reply(key, state, **data)


def _exercise_of(turn: Turn, index: int) -> int:
    plan = turn.plan
    assert plan is not None
    return plan.steps[index].item_number


def _set_was_done(turn: Turn) -> bool:
    """The current step has a counted set, and it ran to its end (see the module doc)."""
    plan = turn.plan
    assert plan is not None
    state = turn.state
    return plan.steps[state.step].step.paced and not (state.set_cut or state.set_changed)


def not_under_way(turn: Turn) -> Response:
    """The answer to a step control with no workout under way, or a finished one."""
    if turn.plan is None:
        return menu(turn, "no_workout")
    return turn.reply("already_finished", turn.state, plan=turn.plan)


def on_next(turn: Turn) -> Response:
    plan = turn.plan
    if plan is None or turn.state.finished:
        return not_under_way(turn)
    if turn.state.step + 1 >= len(plan.steps):
        return finish_workout(turn)
    return speak_step(turn, replace(turn.state, step=turn.state.step + 1))


def on_previous(turn: Turn) -> Response:
    if turn.plan is None:
        return menu(turn, "no_workout")
    if turn.state.finished:
        return speak_step(turn, turn.state, notice="back")
    if turn.state.step == 0:
        return speak_step(turn, turn.state, notice="first")
    back = turn.state.step - 1
    crossed = _exercise_of(turn, back) != _exercise_of(turn, turn.state.step)
    return speak_step(turn, replace(turn.state, step=back), notice="back", name_exercise=crossed)


def on_repeat(turn: Turn) -> Response:
    if turn.plan is None:
        return menu(turn, "no_workout")
    if turn.state.finished:
        return finish_workout(turn)
    return speak_step(turn, turn.state, notice="repeat")


def on_start_over(turn: Turn) -> Response:
    if turn.plan is None:
        return menu(turn, "no_workout")
    return speak_step(turn, replace(turn.state, step=0), notice="start_over")


def on_pause(turn: Turn) -> Response:
    plan = turn.plan
    if plan is None or turn.state.finished:
        return not_under_way(turn)
    state = replace(turn.state, paused=True)
    return turn.reply("paused", state, plan=plan, index=state.step + 1, count=len(plan.steps))


def on_resume(turn: Turn) -> Response:
    if turn.plan is None or turn.state.finished:
        offer = turn.state.offer if turn.state.offer and turn.state.offer.resume else None
        offer = offer or stored_resume(turn)
        if offer is not None:
            return start_workout(turn, offer.workout, offer.step, "resumed")
        return menu(turn, "no_workout")
    return carry_on(turn, turn.state, "resumed")


def carry_on(turn: Turn, state: State, notice: str) -> Response:
    """Back to the step we were on: its set again only if it was cut short."""
    if _set_was_done(turn):
        return set_done(turn, state, notice)
    return speak_step(turn, state, notice, restart=state.set_cut, name_exercise=True)


def stored_resume(turn: Turn) -> Offer | None:
    """The stored resume point as an offer, if it still names a step of a known workout."""
    point = progress.resume_point(turn.record())
    if point is None or not turn.catalog.is_workout(point.id):
        return None
    plan = turn.catalog.plan(point.id)
    if plan.kind != point.kind or point.step >= len(plan.steps):
        return None
    return Offer(point.id, point.step, resume=True)


def on_set_pace(turn: Turn) -> Response:
    pace_id, spoken = turn.slot("pace")
    if pace_id is None and spoken:
        pace_id = slot_value_id("PACE", spoken, language_of(turn.locale))
    if pace_id not in pacing.PACES:
        return turn.reply("unknown_pace", turn.state, value=echo(spoken or ""))
    state = replace(turn.state, pace=pace_id)
    turn.update(lambda raw: progress.set_pace(raw, pace_id))
    if state.workout and not state.finished:
        if _set_was_done(turn):
            return set_done(turn, state, "pace")
        return speak_step(turn, state, notice="pace", restart=state.set_cut)
    return turn.reply("pace_set", state, pace=pace_id)


def on_skip(turn: Turn) -> Response:
    """ "Skip this exercise", "skip to donkey kicks": within a routine, the routine stays
    (its numbering, and its completion when it ends).

    An exercise the routine lacks gets told how to do it instead; with a single exercise
    under way, "skip this exercise" leaves it; with no workout, "skip to X" starts X.
    """
    plan = turn.plan
    target, spoken = turn.slot("exercise")
    if target is None and spoken:
        target = turn.catalog.find_workout(spoken)
    in_workout = plan is not None and not turn.state.finished
    if spoken and not turn.catalog.is_workout(target):
        return menu(turn, "unknown_workout", value=echo(spoken), catalog=turn.catalog)
    if plan is None or not in_workout:
        if target is not None:
            return start_workout(turn, target)
        if plan is not None:
            return turn.reply("already_finished", turn.state, plan=plan)
        return menu(turn, "no_workout")
    here = plan.steps[turn.state.step]
    if target == plan.id:
        return speak_step(turn, turn.state, notice="repeat")
    if target in turn.catalog.routines:
        return start_workout(turn, target)
    if plan.kind == "routine":
        firsts = {s.exercise.id: i for i, s in enumerate(plan.steps) if s.first_of_exercise}
        if target is None:
            later = [i for i in firsts.values() if i > turn.state.step]
            if not later:
                return finish_workout(turn)
            index = later[0]
        elif target in firsts:
            index = firsts[target]
        else:
            return turn.reply(
                "skip_elsewhere",
                replace(turn.state, paused=True),
                plan=plan,
                index=turn.state.step + 1,
                name=turn.catalog.workout_name(target),
            )
        return speak_step(turn, replace(turn.state, step=index), "skip", skipped=here)
    if target is not None:
        return start_workout(turn, target)
    turn.update(progress.clear_resume_point)
    offer = Offer(plan.next_offer) if plan.next_offer else default_offer(turn)
    state = replace(turn.state.home(), offer=offer)
    name = turn.catalog.workout_name(offer.workout) if offer else None
    return turn.reply("skip_out", state, plan=plan, offer_name=name)
