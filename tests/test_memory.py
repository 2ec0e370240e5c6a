"""Remembering each user, through the skill: resume, history, streaks, pace, forgetting.

The same conversations run against SQLite and against a real DynamoDB-protocol server
(dynalite on loopback). Time is injected, never read from the wall clock.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from ask_sdk_model import RequestEnvelope

from skill.coach.speech import SpeechRenderer
from skill.coach.step_coach import StepCoach
from skill.storage.dynamodb import DynamoDBPersistenceAdapter
from skill.storage.sqlite import SQLitePersistenceAdapter
from tests.support import alexa, servers


class Clock:
    """A settable clock, so day and week boundaries are tested on purpose."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))  # a Wednesday


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request, tmp_path):
    if request.param == "sqlite":
        adapter = SQLitePersistenceAdapter(tmp_path / "users.sqlite3")
    else:
        endpoint = request.getfixturevalue("dynalite")
        table = f"memory_{random.randrange(10**9)}"
        adapter = DynamoDBPersistenceAdapter(
            table_name=table,
            region="us-east-1",
            endpoint_url=endpoint,
            create_table=True,
            credentials=servers.FAKE_AWS_CREDENTIALS,
        )
    yield adapter
    adapter.close()


@pytest.fixture
def skill(store, clock) -> StepCoach:
    return StepCoach(
        renderer=SpeechRenderer(rng=random.Random(1)), persistence_adapter=store, clock=clock
    )


class User:
    """One Alexa user talking to the skill, session by session."""

    def __init__(self, skill: StepCoach, user_id: str = alexa.USER_ID) -> None:
        self.skill = skill
        self.user_id = user_id
        self.attributes: dict = {}
        self.new = True

    def say(self, intent: str | None = None, request: str = "IntentRequest", **slots) -> str:
        envelope = alexa.envelope(
            request,
            intent=intent,
            slots={name: alexa.slot(name, value) for name, value in slots.items()},
            attributes=self.attributes,
            new=self.new,
            user_id=self.user_id,
        )
        response = self.skill.handle(envelope)
        self.new = False
        self.attributes = response.get("sessionAttributes") or {}
        if response["response"].get("shouldEndSession", True):
            self.attributes, self.new = {}, True
        return alexa.plain(alexa.speech_of(response))

    def launch(self) -> str:
        self.attributes, self.new = {}, True
        return self.say(request="LaunchRequest")

    def event(self, request_type: str) -> None:
        self.skill.handle(alexa.envelope(request_type, user_id=self.user_id))


def test_stop_mid_exercise_then_continue(skill) -> None:
    user = User(skill)
    user.say("StartWorkoutIntent", exercise="russian push ups")
    user.say("AMAZON.NextIntent")
    assert "Step 3 of 5" in user.say("AMAZON.NextIntent")
    user.say("AMAZON.StopIntent")
    speech = user.launch()
    assert "Last time you were on step 3 of 5 of Russian push-ups. Continue?" in speech
    assert "Step 3 of 5" in user.say("AMAZON.YesIntent")
    assert "Step 4 of 5" in user.say("AMAZON.NextIntent")


def test_no_starts_fresh_and_forgets_the_place(skill) -> None:
    user = User(skill)
    user.say("ProtectKneesIntent")
    user.say("AMAZON.NextIntent")
    user.say("AMAZON.CancelIntent")
    assert "step 2 of 15" in user.launch()
    assert "start fresh" in user.say("AMAZON.NoIntent")
    assert "Last time" not in user.launch()


def test_a_session_timeout_keeps_the_place(skill) -> None:
    user = User(skill)
    user.say("StartWorkoutIntent", exercise="clamshells")
    user.say("AMAZON.NextIntent")
    user.say(request="SessionEndedRequest")
    assert "step 2 of 3 of clamshells" in user.launch()


def test_one_shot_resume(skill) -> None:
    user = User(skill)
    user.say("StartWorkoutIntent", exercise="glute bridges")
    user.say("AMAZON.NextIntent")
    user.say("AMAZON.PauseIntent")
    user.say(request="SessionEndedRequest")
    assert "Picking up glute bridges where you left off" in user.say("AMAZON.ResumeIntent")


def test_history_and_streak_across_days(skill, clock) -> None:
    user = User(skill)
    assert "haven't finished a workout" in user.say("ProgressIntent")
    for day in range(3):  # Monday, Tuesday, Wednesday: one ISO week
        clock.now = datetime(2026, 11, 23, 7, 30, tzinfo=UTC) + timedelta(days=day)
        user.launch()
        user.say("StartWorkoutIntent", exercise="forearm plank")
        user.say("AMAZON.NextIntent")
        assert "You finished forearm planks" in user.say("AMAZON.NextIntent")
    speech = user.say("ProgressIntent")
    assert "Your last workout was forearm planks, today" in speech
    assert "This week you've finished 3 workouts" in speech
    assert "3 day streak" in speech
    clock.now += timedelta(days=5)  # the next Monday: a new week, the streak is broken
    speech = user.say("ProgressIntent")
    assert "forearm planks, 5 days ago" in speech
    assert "finished 0 workouts" in speech
    assert "streak" not in speech


def test_the_pace_is_remembered(skill) -> None:
    user = User(skill)
    user.say("ProtectKneesIntent")
    user.say("SetPaceIntent", pace="slower")
    user.say("AMAZON.StopIntent")
    user.launch()
    assert user.attributes["pace"] == "slow"
    user.say("AMAZON.NoIntent")
    user.say("ProtectKneesIntent")
    user.say("AMAZON.NextIntent")
    speech_ssml = skill.handle(
        alexa.envelope(intent="AMAZON.NextIntent", attributes=user.attributes)
    )["response"]["outputSpeech"]["ssml"]
    assert '<break time="4500ms"/>' in speech_ssml  # 3 s per bridge, 1.5 times slower


def test_users_never_see_each_other(skill) -> None:
    alice, bob = User(skill, "amzn1.ask.account.ALICE"), User(skill, "amzn1.ask.account.BOB")
    alice.say("StartWorkoutIntent", exercise="donkey kicks")
    alice.say("AMAZON.StopIntent")
    assert "Last time" not in bob.launch()
    assert "Last time" in alice.launch()


def test_skill_disabled_forgets_the_user(skill, store) -> None:
    user = User(skill)
    user.say("StartWorkoutIntent", exercise="fire hydrants")
    user.say("AMAZON.StopIntent")
    user.event("AlexaSkillEvent.SkillDisabled")
    assert "Last time" not in user.launch()
    envelope = skill.serializer.deserialize(json.dumps(alexa.envelope()), RequestEnvelope)
    assert store.get_attributes(envelope) == {}


def test_an_unreachable_store_is_said_and_the_workout_goes_on(clock) -> None:
    dead = DynamoDBPersistenceAdapter(
        table_name="nowhere",
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        credentials=servers.FAKE_AWS_CREDENTIALS,
    )
    user = User(StepCoach(persistence_adapter=dead, clock=clock))
    assert "Step Coach" in user.launch()
    user.say("StartWorkoutIntent", exercise="forearm plank")
    user.say("AMAZON.NextIntent")
    speech = user.say("AMAZON.NextIntent")
    assert "I couldn't save your progress this time" in speech
    assert "You finished forearm planks" in speech
    assert "Starting over" in user.say("AMAZON.StartOverIntent")
