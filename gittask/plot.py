"""Draw a metric across versions to a .png or .svg file.

matplotlib is an optional extra (`gittask[plot]`) and slow to import, so it is only
imported inside the functions here; importing this module costs nothing.
Values are fractions in [0, 1]; the y axes show them as percentages.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Iterable, Sequence

from gittask.errors import GittaskError

FORMATS = {".png": "png", ".svg": "svg"}

# Families known to carry CJK glyphs, most preferred first, matched as lower-case
# substrings of installed font names. Traditional-Chinese variants lead because the
# labels we expect (負面) are written in Traditional characters.
_CJK_FONT_MARKERS = (
    "noto sans cjk tc", "noto sans cjk", "noto serif cjk", "source han sans",
    "wenquanyi", "droid sans fallback", "ar pl", "microsoft jhenghei",
    "microsoft yahei", "pingfang", "heiti", "simhei", "noto sans tc", "noto sans sc",
)
# matplotlib warns once per missing character per draw; without a CJK font that is
# dozens of lines of noise for every plot, and core code must not print.
_MISSING_GLYPH = r"Glyph \d+ .* missing from"


def plot_versions(path: str | os.PathLike, versions: Sequence[tuple[str, float | None]],
                  metric: str, threshold: float | None = None,
                  deployed: Iterable[str] = (),
                  per_class: dict[str, Sequence[float | None]] | None = None,
                  title: str | None = None) -> Path:
    """Plot `metric` for each (version, value) in order and write it to `path`.

    None values leave a gap. `deployed` names versions to mark with a star (names
    not among `versions` are ignored: the deployed one may be outside the range
    shown). `per_class` maps a label to one value per version and adds a panel.
    The file is written atomically; its suffix chooses the format.
    """
    path = Path(path)
    fmt = _format_for(path)
    if not versions:
        raise GittaskError("no versions to plot")
    _check_per_class(per_class, len(versions))
    matplotlib = _import_matplotlib()
    rc = {"svg.hashsalt": "gittask",  # stable element ids: re-plots diff cleanly in git
          "svg.fonttype": "none"}  # keep text as text: searchable, and the viewer's
    # fonts render CJK even when this machine has none
    font = cjk_font()
    if font:
        rc["font.family"] = [*matplotlib.rcParams["font.family"], font]
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_MISSING_GLYPH, category=UserWarning)
        figure = _draw(versions, metric, threshold, set(deployed), per_class, title)
        _write_atomically(figure, path, fmt)
    return path


def cjk_font() -> str | None:
    """Name of an installed font with CJK glyphs, or None (then CJK shows as boxes)."""
    from matplotlib import font_manager

    return pick_cjk_font(entry.name for entry in font_manager.fontManager.ttflist)


def pick_cjk_font(names: Iterable[str]) -> str | None:
    """The most preferred CJK-capable family among `names`."""
    names = sorted(set(names))
    for marker in _CJK_FONT_MARKERS:
        for name in names:
            if marker in name.lower():
                return name
    return None


def _format_for(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise GittaskError(f"cannot write a plot to {path.name}: use a .png or .svg file",
                           hint="allowed suffixes: " + ", ".join(FORMATS))
    return fmt


def _check_per_class(per_class: dict | None, n_versions: int) -> None:
    for label, values in (per_class or {}).items():
        if len(values) != n_versions:
            raise GittaskError(f"per-class values for {label!r}: {len(values)} given "
                               f"for {n_versions} versions")


def _import_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise GittaskError("plotting needs matplotlib",
                           hint="pip install 'gittask[plot]'") from None
    matplotlib.use("Agg")  # no display needed, and no GUI backend start-up cost
    return matplotlib


def _draw(versions, metric, threshold, deployed, per_class, title):
    from matplotlib.figure import Figure

    names = [name for name, _ in versions]
    width = max(6.0, 0.7 * len(names) + 3)
    if per_class:
        figure = Figure(figsize=(width, 7.5), layout="constrained")
        main, classes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    else:
        figure = Figure(figsize=(width, 4.5), layout="constrained")
        main, classes = figure.subplots(), None
    _draw_metric(main, names, [value for _, value in versions], metric, threshold,
                 deployed)
    main.set_title(title or f"{metric} by version")
    if classes is not None:
        _draw_per_class(classes, per_class)
    _label_versions(classes if classes is not None else main, names)
    return figure


def _draw_metric(ax, names, values, metric, threshold, deployed) -> None:
    xs = range(len(names))
    ax.plot(xs, _gaps(values), marker="o", label=metric, zorder=2)
    if threshold is not None:
        ax.axhline(threshold, linestyle="--", color="tab:red", linewidth=1,
                   label=f"threshold {threshold:.1%}")
        ax.annotate(f"threshold {threshold:.1%}", (0, threshold),
                    xycoords=ax.get_yaxis_transform(), xytext=(4, 3),
                    textcoords="offset points", color="tab:red", fontsize=8)
    starred = [(x, v) for x, name, v in zip(xs, names, values)
               if name in deployed and v is not None]
    for number, (x, value) in enumerate(starred):
        ax.plot([x], [value], linestyle="none", marker="*", markersize=18,
                color="gold", markeredgecolor="black", zorder=3,
                label="deployed" if number == 0 else None)
        ax.annotate(f"deployed\n{value:.1%}", (x, value), xytext=(0, 12),
                    textcoords="offset points", ha="center", fontsize=8)
    ax.margins(y=0.15)  # head room so the "deployed" note stays inside the axes
    ax.set_ylabel(metric)
    _percent_axis(ax)
    ax.legend(loc="best", fontsize=8)


def _draw_per_class(ax, per_class) -> None:
    for label, values in per_class.items():
        ax.plot(range(len(values)), _gaps(values), marker=".", label=str(label))
    ax.set_ylabel("F1 per class")
    _percent_axis(ax)
    ax.legend(loc="best", fontsize=8, ncols=min(4, len(per_class)))


def _label_versions(ax, names) -> None:
    # Version names are the x axis; tilt them when they would collide.
    crowded = len(names) > 6 or max(len(n) for n in names) > 10
    ax.set_xticks(range(len(names)), names, rotation=30 if crowded else 0,
                  ha="right" if crowded else "center")
    ax.set_xlabel("version")


def _percent_axis(ax) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.grid(True, axis="y", alpha=0.3)


def _gaps(values) -> list[float]:
    # NaN breaks the line, so a version without a value shows as a gap.
    return [float("nan") if v is None else v for v in values]


def _write_atomically(figure, path: Path, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same directory so os.replace is an atomic rename; opened normally (not
    # mkstemp) so the file gets the usual umask permissions rather than 0600.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            # No date in the metadata: the same data gives the same file.
            figure.savefig(out, format=fmt, dpi=150,
                           metadata={"Date": None} if fmt == "svg" else None)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
