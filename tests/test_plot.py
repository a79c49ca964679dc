"""gittask.plot writes real PNG/SVG files, with Chinese text, and fails helpfully."""
from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gittask.errors import GittaskError
from gittask.plot import pick_cjk_font, plot_versions

REPO = Path(__file__).resolve().parent.parent
VERSIONS = [("v1", 0.71), ("v2", 0.78), ("v3", None), ("v4-中文", 0.83), ("v5", 0.81)]
PER_CLASS = {"正面": [0.70, 0.80, None, 0.85, 0.84],
             "負面": [0.60, 0.70, None, 0.80, 0.79],
             "中立": [0.80, 0.82, None, 0.84, 0.80]}


@pytest.fixture(autouse=True)
def matplotlib_cache(tmp_path_factory, monkeypatch):
    # conftest gives every test a fresh HOME; share one matplotlib cache instead of
    # rebuilding the font list for each test.
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path_factory.getbasetemp() / "mpl"))


def draw(path, **extra):
    return plot_versions(path, VERSIONS, "macro_f1", threshold=0.8, deployed=["v4-中文"],
                         per_class=PER_CLASS, title="實體情感 正面/負面/中立", **extra)


def test_png(tmp_path):
    out = draw(tmp_path / "plots" / "trend.png")  # the directory is created
    assert out == tmp_path / "plots" / "trend.png"
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
    # written atomically: no temporary file left next to it
    assert [p.name for p in out.parent.iterdir()] == ["trend.png"]


def test_svg_keeps_text_including_chinese(tmp_path):
    out = draw(tmp_path / "trend.svg")
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join("".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text"))
    for expected in ("v1", "v2", "v3", "v4-中文", "v5", "正面", "負面", "中立",
                     "實體情感", "threshold 80.0%", "deployed"):
        assert expected in text
    assert "%" in text  # percentage axis


def test_svg_is_reproducible(tmp_path):
    # Plots may be committed to git: the same data must give the same bytes.
    first = draw(tmp_path / "a.svg").read_bytes()
    second = draw(tmp_path / "b.svg").read_bytes()
    assert first == second


def test_without_optional_parts(tmp_path):
    out = plot_versions(tmp_path / "plain.PNG", [("only", 0.5)], "accuracy")
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_bad_suffix(tmp_path):
    with pytest.raises(GittaskError) as info:
        plot_versions(tmp_path / "trend.pdf", VERSIONS, "macro_f1")
    assert "trend.pdf" in info.value.message
    assert info.value.hint == "allowed suffixes: .png, .svg"
    assert not (tmp_path / "trend.pdf").exists()


def test_bad_input(tmp_path):
    with pytest.raises(GittaskError, match="no versions"):
        plot_versions(tmp_path / "x.png", [], "macro_f1")
    with pytest.raises(GittaskError, match="'正面': 2 given for 5 versions"):
        plot_versions(tmp_path / "x.png", VERSIONS, "macro_f1", per_class={"正面": [1, 2]})


def test_pick_cjk_font():
    assert pick_cjk_font(["DejaVu Sans", "STIXGeneral"]) is None
    assert pick_cjk_font(["DejaVu Sans", "WenQuanYi Zen Hei"]) == "WenQuanYi Zen Hei"
    assert pick_cjk_font(["Noto Sans CJK JP", "Noto Sans CJK TC", "AR PL UMing TW"]) \
        == "Noto Sans CJK TC"


def test_missing_matplotlib_names_the_extra(tmp_path):
    fake = tmp_path / "fake"
    (fake / "matplotlib").mkdir(parents=True)
    (fake / "matplotlib" / "__init__.py").write_text(
        "raise ImportError('no matplotlib here')\n", encoding="utf-8")
    code = ("from gittask.errors import GittaskError\n"
            "from gittask.plot import plot_versions\n"
            "try:\n"
            "    plot_versions('out.png', [('v1', 0.5)], 'accuracy')\n"
            "except GittaskError as e:\n"
            "    print(e.message); print(e.hint)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), str(REPO)])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["plotting needs matplotlib",
                                        "pip install 'gittask[plot]'"]
    assert not (tmp_path / "out.png").exists()
