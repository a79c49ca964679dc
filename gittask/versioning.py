"""Version names: what each strategy accepts, how names sort, and which name comes next.

A released version is the annotated git tag `<task>@<version>`, so every name accepted
here is a valid git ref component that also has no `/` and no `@`.

    strategy  form                      examples
    semantic  v{major}[.{minor}]        v1, v2, v2.1         major >= 1, minor >= 1
    date      YYYY-MM-DD | YYYYMMDD     2025-01-07, 20250107  a real calendar date
              <date>.N                  2025-01-07.2          N >= 2: Nth release that day
    hybrid    v{n}-YYYYMMDD             v2-20250107           n >= 1, a real date
              v{n}_{unix seconds}       v2_1736236800         10 digits
    any       <regular>-exp[N]          v3-exp, v3-exp2, v2.1-exp, 2025-01-07-exp,
                                        v3-20250115-exp

Decisions (the seed is silent on them):
- No leading zeros anywhere and no `v0`: `v01` and `v1` would be two tags for one
  version, and the seed's first version is `v1`. `v2.0` is refused too: it is `v2`.
- Experiments are `-exp` (first), `-exp2`, `-exp3` …; `-exp1` is refused for the same
  one-name-per-version reason. An experiment's base is the regular version it would
  become; it sorts right after that base. Experiments exist in every strategy.
- A second release on one day is `<date>.2`, a third `.3`; the bare date is the first.
- `20250107` and `2025-01-07` (and `v2-20250107` / `v2_1736208000`) share a sort key and
  count as the same version when deciding whether a name is taken; gittask itself only
  writes the dashed date and the `v{n}-YYYYMMDD` hybrid form.
- A hybrid timestamp must have 10 digits (2001-09-09 … 2286-11-20), so an 8-digit date
  written after `_` by mistake is caught instead of read as a day in 1970.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gittask import clock
from gittask.errors import GittaskError

STRATEGIES = ("semantic", "date", "hybrid")

VERSION_FORMS = {
    "semantic": "v{major}, v{major}.{minor}, or an experiment <version>-exp[N] "
                "(e.g. v1, v2, v2.1, v3-exp, v3-exp2)",
    "date": "YYYY-MM-DD or YYYYMMDD, <date>.N for the Nth release of a day, "
            "or an experiment <version>-exp[N] "
            "(e.g. 2025-01-07, 20250107, 2025-01-07.2, 2025-01-07-exp)",
    "hybrid": "v{n}-YYYYMMDD or v{n}_{unix seconds}, or an experiment <version>-exp[N] "
              "(e.g. v2-20250107, v2_1736236800, v3-20250115-exp)",
}

_EXAMPLE = {"semantic": "v2", "date": "2025-01-07", "hybrid": "v2-20250107"}

# Same rule as project.SLUG_RE, repeated so that this module imports nothing of git.
_TASK_RE = re.compile(r"[a-z0-9][a-z0-9-]*")

# Patterns are used with fullmatch (a `$` would accept a trailing newline) and match
# ASCII digits only (int() would read other scripts' digits). The lazy body stops before
# a trailing -exp[digits]; the strategy's own pattern checks the body, so "v3-exp-exp"
# fails there.
_EXPERIMENT_RE = re.compile(r"(?P<body>.*?)(?:-exp(?P<exp>\d*))?", re.DOTALL | re.ASCII)
_SEMANTIC_RE = re.compile(r"v(?P<major>\d+)(?:\.(?P<minor>\d+))?", re.ASCII)
_DATE_RE = re.compile(
    r"(?:(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})|(?P<cy>\d{4})(?P<cm>\d{2})(?P<cd>\d{2}))"
    r"(?:\.(?P<nth>\d+))?", re.ASCII)
_HYBRID_RE = re.compile(r"v(?P<n>\d+)(?:-(?P<date>\d{8})|_(?P<ts>\d+))", re.ASCII)

_REF_FORBIDDEN_CHARS = set(" ~^:?*[\\")


@dataclass(frozen=True)
class Version:
    """A parsed version name.

    `key` sorts versions of one strategy oldest → newest; it is three ints, the last being
    0 for a regular version and N for its Nth experiment (`-exp` is 1):
    semantic (major, minor, exp), date (day ordinal, nth release of the day, exp),
    hybrid (n, unix seconds, exp).
    """

    name: str
    strategy: str
    key: tuple[int, int, int]
    is_experiment: bool
    base: str | None  # the regular version an experiment belongs to: v3-exp → v3


class _Invalid(Exception):
    """Internal: why a name is refused, as a hint for the user."""


class _LeadingZero(_Invalid):
    """Internal: a number written with a leading zero; the hint shows the fixed name."""


# --- git ref components ---------------------------------------------------------------

def ref_component_problem(name: str) -> str | None:
    """Why `name` cannot be one component of a gittask tag, or None when it can."""
    if not name:
        return "is empty"
    if "/" in name:
        return "contains '/'"
    if "@" in name:  # also covers git's '@{' and lone '@'
        return "contains '@' (it separates the task from the version in tag names)"
    for char in name:
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return f"contains the control character {char!r}"
        if char in _REF_FORBIDDEN_CHARS:
            return "contains a space" if char == " " else f"contains {char!r}"
    if ".." in name:
        return "contains '..'"
    if name[0] in ".-":
        return f"starts with {name[0]!r}"
    if name.endswith(".lock"):
        return "ends with '.lock'"
    if name.endswith("."):
        return "ends with '.'"
    return None


def is_valid_ref_component(name: str) -> bool:
    """`git check-ref-format` rules for one component, plus no `/` and no `@`."""
    return ref_component_problem(name) is None


# --- parsing ----------------------------------------------------------------------------

def parse_version(name: str, strategy: str) -> Version:
    """Parse `name` under `strategy`; GittaskError says what is wrong and how to fix it."""
    _check_strategy(strategy)
    if not isinstance(name, str):
        raise _invalid_error(name, strategy, _non_text_hint(name, strategy))
    try:
        return _parse(name, strategy)
    except _LeadingZero:
        raise _invalid_error(name, strategy, "leading zeros would give one version two "
                                             f"names: write {_without_leading_zeros(name)}")
    except _Invalid as why:
        raise _invalid_error(name, strategy, str(why) or _generic_hint(name, strategy))


def is_valid_version(name: str, strategy: str) -> bool:
    """Whether `name` is a version name of `strategy` (for filtering foreign tags)."""
    _check_strategy(strategy)
    return isinstance(name, str) and _try_parse(name, strategy) is not None


def _parse(name: str, strategy: str) -> Version:
    match = _EXPERIMENT_RE.fullmatch(name)
    body, exp_digits = match["body"], match["exp"]
    head = {"semantic": _semantic_key, "date": _date_key, "hybrid": _hybrid_key}[strategy](body)
    exp = 0 if exp_digits is None else _experiment_number(exp_digits, body)
    return Version(name=name, strategy=strategy, key=(*head, exp),
                   is_experiment=exp > 0, base=body if exp else None)


def _try_parse(name: str, strategy: str) -> Version | None:
    try:
        return _parse(name, strategy)
    except _Invalid:
        return None


def _semantic_key(body: str) -> tuple[int, int]:
    match = _SEMANTIC_RE.fullmatch(body)
    if not match:
        raise _Invalid()
    major = _counter(match["major"], first=1,
                     zero_hint="versions start at v1 (v0 is not used)")
    if match["minor"] is None:
        return major, 0
    minor = _counter(match["minor"], first=1,
                     zero_hint=f"v{major}.0 is v{major} itself: minor versions start at "
                               f"v{major}.1")
    return major, minor


def _date_key(body: str) -> tuple[int, int]:
    match = _DATE_RE.fullmatch(body)
    if not match:
        raise _Invalid()
    y, m, d = (match["y"], match["m"], match["d"]) if match["y"] else (
        match["cy"], match["cm"], match["cd"])
    day = _calendar_date(y, m, d)
    if match["nth"] is None:
        return day.toordinal(), 1
    nth = _counter(match["nth"], first=2,
                   zero_hint=f"the first release of a day is the bare date; the second is "
                             f"{body.rsplit('.', 1)[0]}.2")
    return day.toordinal(), nth


def _hybrid_key(body: str) -> tuple[int, int]:
    match = _HYBRID_RE.fullmatch(body)
    if not match:
        raise _Invalid()
    n = _counter(match["n"], first=1,
                 zero_hint="versions start at v1 (v0 is not used)")
    if match["date"]:
        day = _calendar_date(match["date"][:4], match["date"][4:6], match["date"][6:])
        return n, (day - dt.date(1970, 1, 1)).days * 86400
    return n, _unix_seconds(match["ts"], n)


def _counter(digits: str, *, first: int, zero_hint: str) -> int:
    """A number in a name: no leading zeros, at least `first`."""
    value = int(digits)
    if value < first:
        raise _Invalid(zero_hint)
    if digits != str(value):
        raise _LeadingZero()
    return value


def _without_leading_zeros(name: str) -> str:
    # Only numbers after v . _ exp are counters; the 01 of a month is not.
    return re.sub(r"(?<=[v._p])0+(?=\d)", "", name)


def _experiment_number(digits: str, body: str) -> int:
    if digits == "":
        return 1
    return _counter(digits, first=2,
                    zero_hint=f"the first experiment is {body}-exp, the second "
                              f"{body}-exp2")


def _calendar_date(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as why:
        raise _Invalid(f"{year}-{month}-{day} is not a calendar date ({why})") from None


def _unix_seconds(digits: str, n: int) -> int:
    if len(digits) == 8:
        raise _Invalid(f"{digits} looks like a date: write v{n}-{digits} (a dash before a "
                       f"date, an underscore before a Unix timestamp)")
    if len(digits) != 10 or digits.startswith("0"):
        raise _Invalid(f"the timestamp must be Unix seconds, 10 digits (e.g. "
                       f"v{n}_1736236800), not {digits}")
    return int(digits)


# --- error text -------------------------------------------------------------------------

def _check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise GittaskError(f"unknown versioning strategy {strategy!r}: expected one of "
                           f"{', '.join(STRATEGIES)}",
                           hint="set versioning.strategy in task.yaml to semantic, date or "
                                "hybrid")


def _invalid_error(name: object, strategy: str, hint: str) -> GittaskError:
    shown = repr(name) if isinstance(name, str) else f"{name} ({type(name).__name__})"
    return GittaskError(f"invalid {strategy} version name {shown}: expected "
                        f"{VERSION_FORMS[strategy]}", hint=hint)


def _generic_hint(name: str, strategy: str) -> str:
    problem = ref_component_problem(name)
    if problem:
        return (f"version names become git tags (<task>@<version>) and this one {problem}; "
                f"use e.g. {_EXAMPLE[strategy]}")
    if name != name.lower() and _try_parse(name.lower(), strategy):
        return f"write it in lower case: {name.lower()}"
    for other in STRATEGIES:
        if other != strategy and _try_parse(name, other):
            return (f"{name} is a {other} version name, but this task's versioning.strategy "
                    f"is {strategy}: use a {strategy} name such as {_EXAMPLE[strategy]}, or "
                    f"change the strategy in task.yaml")
    return f"use one of the forms above, e.g. {_EXAMPLE[strategy]}"


def _non_text_hint(name: object, strategy: str) -> str:
    # YAML turns unquoted 2 / 2.1 / 2025-01-07 into numbers and dates.
    if isinstance(name, dt.date):
        return f"YAML read it as a date: quote it, '{name:%Y-%m-%d}'"
    if isinstance(name, (int, float)) and not isinstance(name, bool) and strategy != "date":
        return f"version names are text: write 'v{name}'"
    return f"version names are text, e.g. '{_EXAMPLE[strategy]}'"


# --- ordering ---------------------------------------------------------------------------

def sort_versions(names: list[str], strategy: str) -> list[str]:
    """Names oldest → newest; GittaskError on the first name that is not a version."""
    parsed = [parse_version(name, strategy) for name in names]
    # The name breaks ties between spellings of one version (20250107 / 2025-01-07).
    return [v.name for v in sorted(parsed, key=lambda v: (v.key, v.name))]


# --- next names -------------------------------------------------------------------------

def next_version(existing: list[str], strategy: str, *, major: bool = False,
                 minor: bool = False, exp: bool = False,
                 today: dt.date | None = None) -> str:
    """The name of the next version after `existing`.

    semantic: v{max major + 1} (v1 first); minor → v{latest major}.{next minor}.
    date: today, or today.2, .3 … when today is taken.  hybrid: v{n + 1}-YYYYMMDD of today.
    exp: the next regular name + "-exp" (then -exp2 …), e.g. v3-exp, 2025-01-07-exp,
    v3-20250107-exp; with minor (semantic) v2.1-exp. Only regular versions count when
    numbering, so v3-exp does not use up v3. `today` defaults to gittask's clock.
    """
    _check_strategy(strategy)
    _check_flags(strategy, major, minor)
    versions = [parse_version(name, strategy) for name in existing]
    regular = [v for v in versions if not v.is_experiment]
    if strategy == "semantic":
        name = _next_semantic(regular, minor)
    elif strategy == "date":
        name = _next_date(regular, _today(today))
    else:
        name = _next_hybrid(regular, _today(today))
    return _next_experiment(name, versions, strategy) if exp else name


def promote_name(exp_name: str, existing: list[str], strategy: str, *,
                 today: dt.date | None = None) -> str:
    """The regular name a successful experiment becomes.

    Its base (v3-exp → v3) when no regular version has that name or a newer one, so
    that the promoted version also sorts as the newest; otherwise the next regular name
    (next_version with no flags: next major, today's date, next hybrid n).
    """
    experiment = parse_version(exp_name, strategy)
    if not experiment.is_experiment:
        raise GittaskError(f"{exp_name!r} is not an experiment, so there is nothing to "
                           f"promote",
                           hint="promote takes an experiment name such as v3-exp or v3-exp2")
    base_key = (*experiment.key[:2], 0)
    parsed = [parse_version(name, strategy) for name in existing]
    regular = [v for v in parsed if not v.is_experiment]
    if all(v.key < base_key for v in regular):
        return experiment.base
    return next_version(existing, strategy, today=today)


def _check_flags(strategy: str, major: bool, minor: bool) -> None:
    if major and minor:
        raise GittaskError("--major and --minor exclude each other",
                           hint="pick one: --major starts v{n+1}, --minor adds v{n}.{m+1}")
    if strategy == "date" and (major or minor):
        raise GittaskError("date versions have no major or minor part: the next name is "
                           "today's date",
                           hint="leave out --major/--minor (--exp still makes an experiment)")
    if strategy == "hybrid" and minor:
        raise GittaskError("hybrid versions have no minor part: the next name is "
                           "v{n+1}-YYYYMMDD",
                           hint="leave out --minor, or switch the task to the semantic "
                                "strategy for v{n}.{m} names")


def _today(today: dt.date | None) -> dt.date:
    if today is None:
        return clock.now().date()  # honours GITTASK_NOW in tests and demos
    # A datetime is a date too, but its isoformat() would carry the time.
    return today.date() if isinstance(today, dt.datetime) else today


def _next_semantic(regular: list[Version], minor: bool) -> str:
    latest_major = max((v.key[0] for v in regular), default=0)
    if not minor:
        return f"v{latest_major + 1}"
    if not latest_major:
        raise GittaskError("there is no version yet to make a minor version of",
                           hint="leave out --minor: the first version is v1")
    latest_minor = max(v.key[1] for v in regular if v.key[0] == latest_major)
    return f"v{latest_major}.{latest_minor + 1}"


def _next_date(regular: list[Version], today: dt.date) -> str:
    newest = max(regular, key=lambda v: v.key, default=None)
    if newest and newest.key[0] > today.toordinal():
        raise GittaskError(f"today ({today:%Y-%m-%d}) is before the newest version "
                           f"{newest.name}, so today's name would not sort as the newest",
                           hint="check the system clock (or GITTASK_NOW), or name the "
                                "version explicitly")
    releases_today = [v.key[1] for v in regular if v.key[0] == today.toordinal()]
    if not releases_today:
        return f"{today:%Y-%m-%d}"
    return f"{today:%Y-%m-%d}.{max(releases_today) + 1}"


def _next_hybrid(regular: list[Version], today: dt.date) -> str:
    latest_n = max((v.key[0] for v in regular), default=0)
    return f"v{latest_n + 1}-{today:%Y%m%d}"


def _next_experiment(base: str, versions: list[Version], strategy: str) -> str:
    base_key = parse_version(base, strategy).key[:2]
    taken = [v.key[2] for v in versions if v.is_experiment and v.key[:2] == base_key]
    number = max(taken, default=0) + 1
    return f"{base}-exp" if number == 1 else f"{base}-exp{number}"


# --- artifacts --------------------------------------------------------------------------

def artifact_paths(task: str, version: str, strategy: str,
                   hf_repo: str | None = None) -> dict[str, str | None]:
    """Where a version's model artifacts go (the seed's 模型產出物命名).

    Keys: adapter_path, merged_path, gguf_path (relative to the task directory);
    hf_repo (the Hub repo; None when the task has none): as given for semantic and
    hybrid, `<hf_repo>-<version>` for date, and any `{version}` placeholder substituted
    whatever the strategy; hub_revision (the tag on the Hub repo: the version name).
    """
    parse_version(version, strategy)
    if not isinstance(task, str) or not _TASK_RE.fullmatch(task):
        raise GittaskError(f"invalid task name {task!r}: expected a slug of lowercase "
                           f"letters, digits and '-' (e.g. entity-sentiment)",
                           hint="use the task's directory name, which is its task_name")
    return {
        "adapter_path": f"models/adapter/{version}",
        "merged_path": f"models/merged/{version}",
        "gguf_path": f"models/gguf/{task}-{version}-q8_0.gguf",
        "hf_repo": _hub_repo(hf_repo, version, strategy),
        "hub_revision": version,
    }


def _hub_repo(hf_repo: str | None, version: str, strategy: str) -> str | None:
    if not hf_repo:
        return None
    if "{version}" in hf_repo:
        # replace, not format: other braces in a repo name are not ours to interpret.
        return hf_repo.replace("{version}", version)
    # Date versions are snapshots served side by side, so each gets its own repo.
    return f"{hf_repo}-{version}" if strategy == "date" else hf_repo


# --- durations --------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+)([wdhm])", re.ASCII)
# The schema's cleanup_exp_after pattern: parts in any order, repeats add up.
_DURATION_RE = re.compile(r"(?:\d+[wdhm])+", re.ASCII)
_UNIT = {"w": dt.timedelta(weeks=1), "d": dt.timedelta(days=1),
         "h": dt.timedelta(hours=1), "m": dt.timedelta(minutes=1)}
_DURATION_FORMS = ("whole numbers with units w (weeks), d (days), h (hours), m (minutes) "
                   "— e.g. 30m, 12h, 7d, 2w, 1d12h")


def parse_duration(text: str) -> dt.timedelta:
    """A retention duration such as 7d or 1d12h; parts add up, m is minutes."""
    if not isinstance(text, str) or not _DURATION_RE.fullmatch(text.strip()):
        raise GittaskError(f"invalid duration {text!r}: expected {_DURATION_FORMS}",
                           hint=_duration_hint(text))
    parts = _DURATION_PART.findall(text.strip())
    return sum((int(count) * _UNIT[unit] for count, unit in parts), dt.timedelta())


def _duration_hint(text: object) -> str:
    if isinstance(text, int) and not isinstance(text, bool):
        return f"add a unit: {text}d for {text} days"
    text = str(text).strip()
    if text.isdigit():
        return f"add a unit: {text}d for {text} days"
    if re.search(r"\d\s*(mo|y)", text):
        return "months and years vary in length: use days or weeks, e.g. 30d or 52w"
    spelled = re.fullmatch(r"(\d+)\s*(w|d|h|m)[a-z]*", text)  # 7 days, 12 hours, 30 min
    if spelled:
        return f"write the unit as one letter: {spelled[1]}{spelled[2]}"
    if text.lower() != text and _DURATION_RE.fullmatch(text.lower()):
        return f"units are lower case: {text.lower()}"
    if "." in text:
        return "use whole numbers, e.g. 1d12h instead of 1.5d"
    if " " in text:
        return f"leave out the spaces: {text.replace(' ', '')}"
    return "e.g. cleanup_exp_after: 7d"
