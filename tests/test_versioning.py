import datetime as dt
import subprocess

import pytest

from gittask.errors import GittaskError
from gittask.versioning import (
    STRATEGIES,
    Version,
    artifact_paths,
    is_valid_ref_component,
    is_valid_version,
    next_version,
    parse_duration,
    parse_version,
    promote_name,
    sort_versions,
)

TODAY = dt.date(2025, 1, 7)

VALID = {
    "semantic": ["v1", "v2", "v2.1", "v3-exp", "v3-exp2", "v2.1-exp", "v10", "v10.12",
                 "v3-exp10", "v123"],
    "date": ["2025-01-07", "20250107", "2025-01-07.2", "2025-01-07.10", "2025-01-07-exp",
             "2025-01-07-exp2", "2025-01-07.2-exp", "20250107.3", "2024-02-29"],
    "hybrid": ["v2-20250107", "v2_1736236800", "v3-20250115-exp", "v3-20250115-exp2",
               "v2_1736236800-exp", "v1-20250105", "v12-20241231"],
}

INVALID = {
    "semantic": [
        "v0",             # versions start at v1
        "v01",            # leading zero: v01 and v1 would be one version with two names
        "v2.0",           # that is v2
        "v2.01", "v3-exp1", "v3-exp0", "v3-exp02",
        "1", "2", "V2", "v", "v-1", "v2.", "v.1", "v2.1.3", "v3-experiment", "v3-exp-exp",
        "v3exp", "v3_exp", "2025-01-07", "v2-20250107",
        "", " v1", "v1 ", "v 1", "v1\n", "v1\t", "v1..2", "v1@x", "task@v1", "v1/v2",
        "x/v1", "v1.lock", "v1~", "v1^", "v1:", "v1?", "v1*", "v1[", "v1\\", "@",
        "v\u0661",        # Arabic-Indic digit one
    ],
    "date": [
        "2025-02-30",     # not a calendar date
        "2025-13-01", "2025-00-10", "2025-01-00", "20250230", "2023-02-29",
        "2025-1-7", "2025-0107", "202501-07", "25-01-07", "2025/01/07",
        "2025-01-07.1",   # the first release of a day is the bare date
        "2025-01-07.0", "2025-01-07.02", "2025-01-07-exp1", "2025-01-07.",
        "2025-01-07..2", "2025-01-07 ", "entity-sentiment-2025-01-07", "v2", "v2-20250107",
        "2025-01-07@2", "2025-01-07/2", "2025-01-07.lock",
    ],
    "hybrid": [
        "v0-20250107", "v02-20250107", "v2-20250230", "v2-2025-01-07", "v2-250107",
        "v2_20250107",    # 8 digits after _: a date written with the wrong separator
        "v2_0736236800", "v2_1736236800000", "v2_173623680", "v2", "v2.1-20250107",
        "v2-20250107-exp1", "2025-01-07", "v2-20250107 ", "v2-20250107..", "v2@20250107",
        "v2-20250107/x", "v2-20250107.lock",
    ],
}


def _cases(table):
    return [(strategy, name) for strategy, names in table.items() for name in names]


@pytest.mark.parametrize(("strategy", "name"), _cases(VALID))
def test_valid_names_parse(strategy, name):
    version = parse_version(name, strategy)
    assert (version.name, version.strategy) == (name, strategy)
    assert is_valid_ref_component(name)
    assert is_valid_version(name, strategy)


@pytest.mark.parametrize(("strategy", "name"), _cases(INVALID))
def test_invalid_names_raise_with_forms_and_hint(strategy, name):
    with pytest.raises(GittaskError) as caught:
        parse_version(name, strategy)
    error = caught.value
    assert repr(name) in error.message
    assert strategy in error.message
    assert "e.g." in error.message
    assert error.hint
    assert not is_valid_version(name, strategy)


@pytest.mark.parametrize(("strategy", "name", "hint_part"), [
    ("semantic", "v01", "write v1"),
    ("semantic", "v2.01-exp02", "write v2.1-exp2"),
    ("semantic", "v0", "start at v1"),
    ("semantic", "v2.0", "v2.0 is v2"),
    ("semantic", "v3-exp1", "the first experiment is v3-exp"),
    ("semantic", "V2", "lower case: v2"),
    ("semantic", "v1 ", "contains a space"),
    ("semantic", "v1..2", "'..'"),
    ("semantic", "task@v1", "'@'"),
    ("semantic", "v1/v2", "'/'"),
    ("semantic", "v1.lock", "'.lock'"),
    ("semantic", "2025-01-07", "is a date version name"),
    ("date", "2025-02-30", "not a calendar date"),
    ("date", "2025-01-07.1", "the second is 2025-01-07.2"),
    ("date", "v2", "is a semantic version name"),
    ("hybrid", "v2_20250107", "write v2-20250107"),
    ("hybrid", "v2_1736236800000", "10 digits"),
])
def test_invalid_name_hints_say_what_to_do(strategy, name, hint_part):
    with pytest.raises(GittaskError) as caught:
        parse_version(name, strategy)
    assert hint_part in caught.value.hint


@pytest.mark.parametrize(("name", "strategy", "hint_part"), [
    (2, "semantic", "'v2'"),
    (2.1, "semantic", "'v2.1'"),
    (dt.date(2025, 1, 7), "date", "quote it, '2025-01-07'"),
    (None, "hybrid", "text"),
])
def test_yaml_scalars_that_are_not_text(name, strategy, hint_part):
    with pytest.raises(GittaskError) as caught:
        parse_version(name, strategy)
    assert hint_part in caught.value.hint


def test_unknown_strategy():
    with pytest.raises(GittaskError) as caught:
        parse_version("v1", "calver")
    assert "semantic, date, hybrid" in caught.value.message
    assert "task.yaml" in caught.value.hint


@pytest.mark.parametrize(("strategy", "name", "is_experiment", "base"), [
    ("semantic", "v3", False, None),
    ("semantic", "v3-exp", True, "v3"),
    ("semantic", "v3-exp2", True, "v3"),
    ("semantic", "v2.1-exp", True, "v2.1"),
    ("date", "2025-01-07-exp", True, "2025-01-07"),
    ("date", "2025-01-07.2-exp3", True, "2025-01-07.2"),
    ("date", "20250107", False, None),
    ("hybrid", "v3-20250115-exp", True, "v3-20250115"),
    ("hybrid", "v2_1736236800-exp2", True, "v2_1736236800"),
])
def test_experiment_and_base(strategy, name, is_experiment, base):
    version = parse_version(name, strategy)
    assert (version.is_experiment, version.base) == (is_experiment, base)


def test_version_is_frozen():
    version = parse_version("v2", "semantic")
    assert isinstance(version, Version)
    with pytest.raises(AttributeError):
        version.name = "v3"


@pytest.mark.parametrize(("strategy", "names", "expected"), [
    ("semantic", ["v10", "v2", "v2.1", "v3-exp", "v1", "v3"],
     ["v1", "v2", "v2.1", "v3", "v3-exp", "v10"]),
    ("semantic", ["v3.1", "v3-exp2", "v3", "v3-exp", "v2.10", "v2.9"],
     ["v2.9", "v2.10", "v3", "v3-exp", "v3-exp2", "v3.1"]),
    ("semantic", [], []),
    ("date", ["2025-02-01", "2025-01-15.2", "2025-01-07", "2025-01-15", "2025-01-15-exp",
              "2024-12-31"],
     ["2024-12-31", "2025-01-07", "2025-01-15", "2025-01-15-exp", "2025-01-15.2",
      "2025-02-01"]),
    ("date", ["2025-01-07.10", "20250108", "2025-01-07.2"],
     ["2025-01-07.2", "2025-01-07.10", "20250108"]),
    ("hybrid", ["v3-20250115", "v10-20250101", "v1-20250105", "v2-20250107",
                "v2_1736236800", "v2-20250107-exp"],
     ["v1-20250105", "v2-20250107", "v2-20250107-exp", "v2_1736236800", "v3-20250115",
      "v10-20250101"]),
])
def test_sort_versions(strategy, names, expected):
    assert sort_versions(names, strategy) == expected


def test_sort_versions_rejects_foreign_names():
    with pytest.raises(GittaskError) as caught:
        sort_versions(["v1", "latest"], "semantic")
    assert "'latest'" in caught.value.message


@pytest.mark.parametrize(("strategy", "existing", "flags", "expected"), [
    ("semantic", [], {}, "v1"),
    ("semantic", [], {"major": True}, "v1"),
    ("semantic", ["v1", "v2", "v2.1"], {}, "v3"),
    ("semantic", ["v1", "v10", "v2"], {"major": True}, "v11"),
    ("semantic", ["v1", "v2", "v3-exp"], {}, "v3"),  # an experiment does not use up v3
    ("semantic", ["v1", "v2"], {"minor": True}, "v2.1"),
    ("semantic", ["v1", "v2", "v2.1", "v1.5"], {"minor": True}, "v2.2"),
    ("semantic", ["v1", "v2", "v3-exp"], {"minor": True}, "v2.1"),
    ("semantic", [], {"exp": True}, "v1-exp"),
    ("semantic", ["v1", "v2"], {"exp": True}, "v3-exp"),
    ("semantic", ["v1", "v2", "v3-exp"], {"exp": True}, "v3-exp2"),
    ("semantic", ["v1", "v2", "v3-exp", "v3-exp3"], {"exp": True}, "v3-exp4"),
    ("semantic", ["v1", "v2", "v3"], {"exp": True, "major": True}, "v4-exp"),
    ("semantic", ["v1", "v2", "v2.1-exp"], {"exp": True, "minor": True}, "v2.1-exp2"),
    ("date", [], {}, "2025-01-07"),
    ("date", ["2025-01-05"], {}, "2025-01-07"),
    ("date", ["2025-01-05", "2025-01-07"], {}, "2025-01-07.2"),
    ("date", ["20250107"], {}, "2025-01-07.2"),  # compact spelling of the same day
    ("date", ["2025-01-07", "2025-01-07.2"], {}, "2025-01-07.3"),
    ("date", ["2025-01-07-exp"], {}, "2025-01-07"),
    ("date", [], {"exp": True}, "2025-01-07-exp"),
    ("date", ["2025-01-07-exp"], {"exp": True}, "2025-01-07-exp2"),
    ("date", ["2025-01-07"], {"exp": True}, "2025-01-07.2-exp"),
    ("hybrid", [], {}, "v1-20250107"),
    ("hybrid", ["v1-20250105", "v2_1736236800"], {}, "v3-20250107"),
    ("hybrid", ["v1-20250105"], {"major": True}, "v2-20250107"),
    ("hybrid", ["v1-20250105"], {"exp": True}, "v2-20250107-exp"),
    ("hybrid", ["v1-20250105", "v2-20250107-exp"], {"exp": True}, "v2-20250107-exp2"),
])
def test_next_version(strategy, existing, flags, expected):
    assert next_version(existing, strategy, today=TODAY, **flags) == expected
    assert parse_version(expected, strategy)


def test_next_version_accepts_a_datetime_as_today():
    moment = dt.datetime(2025, 1, 7, 14, 30)
    assert next_version([], "date", today=moment) == "2025-01-07"


def test_next_version_defaults_to_gittask_clock(monkeypatch):
    monkeypatch.setenv("GITTASK_NOW", "2025-03-04T10:00:00")
    assert next_version(["v1-20250105"], "hybrid") == "v2-20250304"


@pytest.mark.parametrize(("strategy", "existing", "flags", "message_part"), [
    ("semantic", ["v1"], {"major": True, "minor": True}, "exclude each other"),
    ("semantic", [], {"minor": True}, "no version yet"),
    ("date", [], {"major": True}, "no major or minor"),
    ("date", [], {"minor": True}, "no major or minor"),
    ("hybrid", ["v1-20250105"], {"minor": True}, "no minor part"),
    ("date", ["2025-01-09"], {}, "before the newest version 2025-01-09"),
    ("semantic", ["v1", "oops"], {}, "'oops'"),
])
def test_next_version_errors(strategy, existing, flags, message_part):
    with pytest.raises(GittaskError) as caught:
        next_version(existing, strategy, today=TODAY, **flags)
    assert message_part in caught.value.message
    assert caught.value.hint


@pytest.mark.parametrize(("strategy", "exp_name", "existing", "expected"), [
    ("semantic", "v3-exp", ["v1", "v2", "v3-exp"], "v3"),
    ("semantic", "v3-exp2", ["v1", "v2", "v3-exp", "v3-exp2"], "v3"),
    ("semantic", "v3-exp", ["v1", "v2", "v3", "v3-exp"], "v4"),
    # v3 is free but v4 exists: v3 would sort before v4 though it is newer.
    ("semantic", "v3-exp", ["v1", "v2", "v4", "v3-exp"], "v5"),
    ("semantic", "v2.1-exp", ["v1", "v2", "v2.1-exp"], "v2.1"),
    ("semantic", "v2.1-exp", ["v1", "v2", "v2.1"], "v3"),
    ("semantic", "v1-exp", [], "v1"),
    ("date", "2025-01-07-exp", ["2025-01-05", "2025-01-07-exp"], "2025-01-07"),
    ("date", "2025-01-07-exp", ["2025-01-07", "2025-01-07-exp"], "2025-01-07.2"),
    ("date", "2025-01-05-exp", ["2025-01-06"], "2025-01-07"),
    ("hybrid", "v3-20250105-exp", ["v2-20250101"], "v3-20250105"),
    ("hybrid", "v3-20250105-exp", ["v3-20250106"], "v4-20250107"),
])
def test_promote_name(strategy, exp_name, existing, expected):
    assert promote_name(exp_name, existing, strategy, today=TODAY) == expected


def test_promote_refuses_a_regular_version():
    with pytest.raises(GittaskError) as caught:
        promote_name("v3", ["v1", "v2", "v3"], "semantic")
    assert "not an experiment" in caught.value.message
    assert "v3-exp" in caught.value.hint


@pytest.mark.parametrize(("strategy", "version", "hf_repo", "expected"), [
    # the seed's 模型產出物命名 examples, exactly
    ("semantic", "v2", "org/entity-sentiment", {
        "adapter_path": "models/adapter/v2",
        "merged_path": "models/merged/v2",
        "gguf_path": "models/gguf/entity-sentiment-v2-q8_0.gguf",
        "hf_repo": "org/entity-sentiment",
        "hub_revision": "v2",
    }),
    ("date", "2025-01-07", "org/entity-sentiment", {
        "adapter_path": "models/adapter/2025-01-07",
        "merged_path": "models/merged/2025-01-07",
        "gguf_path": "models/gguf/entity-sentiment-2025-01-07-q8_0.gguf",
        "hf_repo": "org/entity-sentiment-2025-01-07",
        "hub_revision": "2025-01-07",
    }),
    ("hybrid", "v2-20250107", "org/entity-sentiment", {
        "adapter_path": "models/adapter/v2-20250107",
        "merged_path": "models/merged/v2-20250107",
        "gguf_path": "models/gguf/entity-sentiment-v2-20250107-q8_0.gguf",
        "hf_repo": "org/entity-sentiment",
        "hub_revision": "v2-20250107",
    }),
])
def test_artifact_paths_match_the_seed(strategy, version, hf_repo, expected):
    assert artifact_paths("entity-sentiment", version, strategy, hf_repo) == expected


@pytest.mark.parametrize(("strategy", "version", "hf_repo", "expected"), [
    ("semantic", "v2", "org/entity-sentiment-{version}", "org/entity-sentiment-v2"),
    ("date", "2025-01-07", "org/es-{version}-lora", "org/es-2025-01-07-lora"),
    ("hybrid", "v2-20250107", "org/{version}", "org/v2-20250107"),
    ("semantic", "v2", None, None),
    ("date", "2025-01-07", None, None),
])
def test_artifact_hub_repo(strategy, version, hf_repo, expected):
    assert artifact_paths("entity-sentiment", version, strategy, hf_repo)["hf_repo"] == expected


@pytest.mark.parametrize(("task", "version"), [
    ("entity-sentiment", "v02"),
    ("../evil", "v2"),
    ("Entity", "v2"),
])
def test_artifact_paths_reject_bad_names(task, version):
    with pytest.raises(GittaskError):
        artifact_paths(task, version, "semantic", "org/x")


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", dt.timedelta(minutes=30)),
    ("12h", dt.timedelta(hours=12)),
    ("7d", dt.timedelta(days=7)),
    ("2w", dt.timedelta(weeks=2)),
    ("1d12h", dt.timedelta(days=1, hours=12)),
    ("1w2d3h4m", dt.timedelta(weeks=1, days=2, hours=3, minutes=4)),
    ("12h1d", dt.timedelta(days=1, hours=12)),  # the schema allows any order
    ("0d", dt.timedelta(0)),
    (" 7d ", dt.timedelta(days=7)),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("text", "hint_part"), [
    ("7", "7d"),
    (7, "7d"),
    ("", "7d"),
    ("d", "7d"),
    ("1.5d", "whole numbers"),
    ("7D", "lower case: 7d"),
    ("1d 12h", "1d12h"),
    ("3mo", "months"),
    ("1y", "years"),
    ("7 days", "one letter: 7d"),
    ("12hours", "one letter: 12h"),
    ("2 mo", "months"),
    ("-7d", "7d"),
    ("30s", "7d"),
    (None, "7d"),
])
def test_parse_duration_errors(text, hint_part):
    with pytest.raises(GittaskError) as caught:
        parse_duration(text)
    assert repr(text) in caught.value.message
    assert "1d12h" in caught.value.message
    assert hint_part in caught.value.hint


@pytest.mark.parametrize(("component", "valid"), [
    ("v1", True), ("v2.1-exp", True), ("2025-01-07", True), ("v2_1736236800", True),
    ("", False), ("a b", False), ("a..b", False), (".a", False), ("-a", False),
    ("a.", False), ("a.lock", False), ("a@{b", False), ("@", False), ("a@b", False),
    ("a/b", False), ("a~b", False), ("a^b", False), ("a:b", False), ("a?b", False),
    ("a*b", False), ("a[b", False), ("a\\b", False), ("a\x7fb", False), ("a\x01b", False),
])
def test_is_valid_ref_component(component, valid):
    assert is_valid_ref_component(component) is valid


def _git_accepts(ref):
    return subprocess.run(["git", "check-ref-format", ref], capture_output=True).returncode == 0


@pytest.mark.parametrize(("strategy", "name"), _cases(VALID) + [
    ("semantic", next_version(["v1", "v2", "v3-exp"], "semantic", exp=True)),
    ("date", next_version(["2025-01-07"], "date", exp=True, today=TODAY)),
    ("hybrid", next_version(["v1-20250105"], "hybrid", exp=True, today=TODAY)),
])
def test_accepted_names_are_valid_git_tags(strategy, name):
    assert parse_version(name, strategy)
    assert _git_accepts(f"refs/tags/entity-sentiment@{name}")


@pytest.mark.parametrize("component", ["a b", "a..b", ".a", "a.", "a.lock", "a@{b", "a~b",
                                       "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "a\x01b"])
def test_components_refused_here_are_refused_by_git_too(component):
    # As a component of its own; inside "<task>@<v>" git would allow a leading '.'.
    # Beyond these, gittask also refuses '/', '@' and a leading '-', which git would allow.
    assert not is_valid_ref_component(component)
    assert not _git_accepts(f"refs/tags/{component}")


def test_strategies():
    assert STRATEGIES == ("semantic", "date", "hybrid")
