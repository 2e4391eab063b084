"""The console loads nothing from the internet: every script, stylesheet and image a
template names is a file the package ships."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CONSOLE = Path(__file__).parents[2] / "starter" / "console"
TEMPLATES = sorted((CONSOLE / "templates").glob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_every_asset_is_bundled_and_none_is_remote(template: Path) -> None:
    text = template.read_text()
    assert not re.search(r"""(src|href)=["'](https?:)?//""", text), "an asset from elsewhere"
    for name in re.findall(r"/console/static/([\w.-]+)", text):
        assert (CONSOLE / "static" / name).is_file(), name


def test_htmx_carries_its_license() -> None:
    head = (CONSOLE / "static" / "htmx.min.js").read_text()[:600]
    assert "htmx 2.0.11" in head and "Zero-Clause BSD" in head


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_needs_inline_script_eval_or_inline_style(template: Path) -> None:
    """The console's CSP (script-src 'self', style-src 'self', htmx allowEval off) would
    refuse them: behaviour goes in console.js, looks in console.css."""
    text = template.read_text()
    assert "hx-on" not in text
    assert not re.search(r"""hx-trigger=["'][^"']*\[""", text), "an htmx trigger filter (eval)"
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "an inline script"
    assert not re.search(r"""\son[a-z]+=["']""", text), "an inline event handler"
    assert not re.search(r"""\sstyle=["']""", text) and "<style" not in text
    assert "js:" not in text and "javascript:" not in text
