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

from skill.coach.catalog import default_catalog
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

    def __init__(
        self, skill: StepCoach, user_id: str = alexa.USER_ID, person_id: str | None = None
    ) -> None:
        self.skill = skill
        self.user_id = user_id
        self.person_id = person_id  # a voice Alexa recognised in the household
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
            person_id=self.person_id,
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

    def finish(self, exercise: str = "forearm plank") -> None:
        self.launch()
        self.say("StartWorkoutIntent", exercise=exercise)
        for _ in default_catalog().plan(default_catalog().find_workout(exercise)).steps:
            self.say("AMAZON.NextIntent")


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
    assert "step 2 of 3 of glute bridges, exercise 1 of 5" in user.launch()
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


# --- a household on one account: a coach per recognised voice --------------------------------
ANN, BEN = "amzn1.ask.person.ANN", "amzn1.ask.person.BEN"


def test_two_persons_on_one_account_keep_their_own_streak_and_place(skill, clock) -> None:
    ann, ben = User(skill, person_id=ANN), User(skill, person_id=BEN)
    for day in range(2):
        clock.now = datetime(2026, 11, 23, 7, 30, tzinfo=UTC) + timedelta(days=day)
        ann.finish()
    ben.say("StartWorkoutIntent", exercise="russian push ups")
    ben.say("AMAZON.NextIntent")
    ben.say("AMAZON.StopIntent")
    assert "2 day streak" in ann.say("ProgressIntent")
    assert "haven't finished a workout" in ben.say("ProgressIntent")
    assert "Last time" not in ann.launch()
    assert "step 2 of 5 of Russian push-ups" in ben.launch()
    # Whoever speaks without a voice profile is the account, as before: neither of them.
    account = User(skill)
    assert "Last time" not in account.launch()
    assert "haven't finished a workout" in account.say("ProgressIntent")


def test_a_new_person_starts_with_the_accounts_preferences_not_its_history(skill) -> None:
    account = User(skill)
    account.say("SetPaceIntent", pace="slower")
    account.say("SetSoundsIntent", setting="no beeps")
    account.say("StartWorkoutIntent", exercise="clamshells")
    account.say("AMAZON.StopIntent")
    newcomer = User(skill, person_id=ANN)
    assert "Last time" not in newcomer.launch()
    assert newcomer.attributes["pace"] == "slow" and newcomer.attributes["sounds"] is False
    newcomer.say("SetPaceIntent", pace="faster")
    assert User(skill).launch() and account.launch()
    assert account.attributes["pace"] == "slow"  # the person's choice stays theirs


def test_skill_disabled_forgets_every_person_of_the_account(skill, store) -> None:
    users = [User(skill), User(skill, person_id=ANN), User(skill, person_id=BEN)]
    for user in users:
        user.say("StartWorkoutIntent", exercise="fire hydrants")
        user.say("AMAZON.StopIntent")
    neighbour = User(skill, "amzn1.ask.account.NEIGHBOUR", person_id=ANN)
    neighbour.say("StartWorkoutIntent", exercise="donkey kicks")
    neighbour.say("AMAZON.StopIntent")
    users[0].event("AlexaSkillEvent.SkillDisabled")
    for user in users:
        assert "Last time" not in user.launch()
    envelope = skill.serializer.deserialize(json.dumps(alexa.envelope()), RequestEnvelope)
    assert store.get_attributes(envelope) == {}  # the account's one row, every person in it
    assert "Last time" in neighbour.launch()  # another account is untouched


# --- conversation polish: returning users, a new request at "Continue?" -----------------------
def test_a_returning_user_hears_a_short_greeting_and_a_short_reminder(skill) -> None:
    user = User(skill)
    first = user.launch()
    assert "I'll coach you through your workout" in first and "not medical advice" in first
    user.finish()
    again = user.launch()
    assert "I'll coach you through your workout" not in again
    assert "not medical advice" not in again
    assert "Remember: stop if anything hurts." in again
    assert len(again) < len(first) / 2


def test_a_new_request_at_continue_is_taken_as_that_request(skill) -> None:
    user = User(skill)
    user.say("StartWorkoutIntent", exercise="russian push ups")
    user.say("AMAZON.NextIntent")
    user.say("AMAZON.StopIntent")
    assert "Continue?" in user.launch()
    # "let's do clamshells instead" (a StartWorkoutIntent sample of the model)
    speech = user.say("StartWorkoutIntent", exercise="clamshells")
    assert "Let's do clamshells" in speech and "Step 1 of 3" in speech
    assert user.attributes["workout"]["id"] == "clamshell"


def test_the_finished_screen_shows_the_week_and_the_streak(skill, clock) -> None:
    user = User(skill)
    for day in range(2):
        clock.now = datetime(2026, 11, 23, 7, 30, tzinfo=UTC) + timedelta(days=day)
        user.finish()
    attributes = {**user.attributes, "workout": {"id": "forearm_plank", "step": 1}}
    clock.now += timedelta(hours=2)
    response = skill.handle(
        alexa.envelope(intent="AMAZON.NextIntent", attributes=attributes, screen=True)
    )
    properties = response["response"]["directives"][0]["datasources"]["screen"]["properties"]
    assert properties["stats"] == "3 workouts this week, a 2-day streak"


def test_an_easier_way_is_remembered_for_that_person_only(skill) -> None:
    ann = User(skill, person_id="amzn1.ask.person.ANN")
    ann.say("StartWorkoutIntent", exercise="clamshells")
    assert "the easier way" in ann.say("EasierIntent")
    ann.say("AMAZON.StopIntent")
    ann.launch()
    ann.say("AMAZON.NoIntent")
    ann.say("ProtectKneesIntent")  # in the routine too, the next session counts 8
    for _ in range(4):
        ann.say("AMAZON.NextIntent")
    assert "Eight clamshells on this side" in ann.say("AMAZON.NextIntent")
    bob = User(skill, person_id="amzn1.ask.person.BOB")
    bob.say("StartWorkoutIntent", exercise="clamshells")
    bob.say("AMAZON.NextIntent")
    assert "Twelve clamshells on this side" in bob.say("AMAZON.NextIntent")
    one_shot = User(skill, person_id="amzn1.ask.person.ANN")  # no launch: a one-shot
    one_shot.say("StartWorkoutIntent", exercise="clamshells")
    one_shot.say("AMAZON.NextIntent")
    assert "Eight clamshells" in one_shot.say("AMAZON.NextIntent")


class CountingStore:
    """The store, counting the writes the skill makes through it."""

    def __init__(self, store) -> None:
        self.store = store
        self.writes = 0

    def update_attributes(self, envelope, mutate):
        self.writes += 1
        return self.store.update_attributes(envelope, mutate)

    def __getattr__(self, name: str):
        return getattr(self.store, name)


def test_a_session_that_just_stops_answering_loses_nothing(skill) -> None:
    """No stop, no SessionEndedRequest: the place was saved when it changed."""
    user = User(skill)
    user.say("ProtectKneesIntent")
    user.say("AMAZON.NextIntent")
    user.say("AMAZON.NextIntent")
    speech = user.launch()
    assert speech.startswith(("Welcome back", "Good to hear from you again", "Hello again"))
    assert "Last time you were on step 3 of 3 of glute bridges, exercise 1 of 5" in speech
    resumed = user.say("AMAZON.YesIntent")
    assert "Picking up the knee protection routine" in resumed
    assert "Exercise 1 of 5: glute bridges. Step 3 of 3." in resumed


def test_one_write_per_change_of_place_and_none_without_one(store, clock) -> None:
    counting = CountingStore(store)
    skill = StepCoach(
        renderer=SpeechRenderer(rng=random.Random(1)), persistence_adapter=counting, clock=clock
    )
    user = User(skill)
    user.launch()
    assert counting.writes == 0
    user.say("StartWorkoutIntent", exercise="clamshells")
    assert counting.writes == 1
    for intent in ("AMAZON.RepeatIntent", "AMAZON.PauseIntent", "AMAZON.HelpIntent"):
        user.say(intent)
    assert counting.writes == 1  # the same place: nothing to write
    user.say("AMAZON.NextIntent")
    user.say("AMAZON.PreviousIntent")
    assert counting.writes == 3
    user.say("AMAZON.StopIntent")
    user.event("SessionEndedRequest")
    assert counting.writes == 3
    assert "step 1 of 3 of clamshells" in user.launch()


def test_skipping_within_a_routine_still_records_the_routine(skill) -> None:
    user = User(skill)
    user.say("ProtectKneesIntent")
    assert "Exercise 2 of 5: clamshells" in user.say("SkipIntent")
    assert "Exercise 5 of 5: donkey kicks" in user.say("SkipIntent", exercise="donkey kicks")
    assert "You finished the knee protection routine" in user.say("SkipIntent")
    assert "the knee protection routine" in user.say("ProgressIntent")
    assert "Last time" not in user.launch()
