"""Content files: TOML in the checkout, a JSON twin in the Lambda package."""

from __future__ import annotations

from skill import content_files


def test_content_is_read_from_its_json_twin_where_one_was_written(tmp_path) -> None:
    source = tmp_path / "words.toml"
    source.write_text('name = "plank"\nsteps = [{ reps = 3, tempo = 2.5 }]\n', encoding="utf-8")
    assert content_files.load(source) == {"name": "plank", "steps": [{"reps": 3, "tempo": 2.5}]}
    twin = content_files.write_json(source)
    assert twin == tmp_path / "words.json"
    assert content_files.load(source) == {"name": "plank", "steps": [{"reps": 3, "tempo": 2.5}]}
    twin.write_text('{"name": "from the twin"}', encoding="utf-8")
    assert content_files.load(source) == {"name": "from the twin"}
