"""The shared screen read from across a room: every text on every council step in `?present=1` at 1920×1080
is at least 20 px with WCAG AA contrast (4.5:1), the minutes are formatted text, nothing scrolls sideways."""

import re

import pytest

from .conftest import skip_module_without_browser
from .test_browser import (
    COUNCIL_STEPS,
    expect,
    no_exception,
    open_on_the_shared_screen,
    save_screenshot,
    wait_for_app,
)

skip_module_without_browser()
pytestmark = pytest.mark.e2e

MIN_PX = 20
MIN_CONTRAST = 4.5
DECISION = "Ship the *SSO* fix [first](http://example.com) | before the QBR"  # Markdown that must stay text

# Every visible text in the page, measured where the browser drew it: DOM text nodes, input values and
# placeholders, chart text (Vega draws SVG), and the canvas tables through the theme their grid was given.
# A text's background is what is painted beneath it: the SVG shape under it, else its ancestors' backgrounds.
AUDIT_JS = """
({minPx, minContrast}) => {
  const rgba = (css) => {
    const m = css && css.match(/rgba?\\(([^)]+)\\)/);
    if (!m) {
      const hex = css && css.match(/^#([0-9a-f]{6})$/i);
      return hex ? [0, 2, 4].map(i => parseInt(hex[1].slice(i, i + 2), 16)).concat([1]) : null;
    }
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => [0, 1, 2].map(i => top[i] * top[3] + below[i] * (1 - top[3])).concat([1]);
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const domBackground = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    return chain.reduce((bg, e) => {
      const c = rgba(getComputedStyle(e).backgroundColor);
      return c && c[3] > 0 ? over(c, bg) : bg;
    }, [255, 255, 255, 1]);
  };
  const svgBackground = (text) => {
    const box = text.getBoundingClientRect();
    const under = document.elementsFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    const shape = under.find(e => e !== text && e instanceof SVGGeometryElement && !(e instanceof SVGTextElement)
      && getComputedStyle(e).fill.startsWith('rgb'));
    const base = domBackground(text.ownerSVGElement || text);
    if (!shape) return base;
    const style = getComputedStyle(shape);
    const fill = rgba(style.fill);
    fill[3] *= Number(style.fillOpacity) * Number(style.opacity);
    return over(fill, base);
  };
  const inactive = (el) => !!el.closest('[disabled], [aria-disabled="true"]');
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && Number(style.opacity) > 0;
  };
  const problems = [];
  const opacity = (el) => {
    let product = 1;
    for (let e = el; e instanceof Element; e = e.parentElement) product *= Number(getComputedStyle(e).opacity);
    return product;
  };
  const check = (what, el, px, colour, background) => {
    const drawn = [...colour.slice(0, 3), colour[3] * opacity(el)];  // faded or translucent text is lighter
    const ratio = contrast(over(drawn, background), background);
    if (px + 0.01 < minPx || ratio + 0.005 < minContrast) {
      problems.push(`${what.slice(0, 60)} (${el.tagName.toLowerCase()}${el.dataset.testid ? ' ' + el.dataset.testid : ''}): ${px.toFixed(1)} px, contrast ${ratio.toFixed(2)}`);
    }
  };
  let texts = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const words = node.textContent.trim();
    if (!words || !el || el.closest('style, script, noscript, svg') || inactive(el) || !shown(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (![...range.getClientRects()].some(r => r.width > 0 && r.height > 0)) continue;
    const style = getComputedStyle(el);
    texts += 1;
    check(words, el, parseFloat(style.fontSize), rgba(style.color), domBackground(el));
  }
  for (const field of document.querySelectorAll('input, textarea')) {
    if (['hidden', 'checkbox', 'radio'].includes(field.type) || inactive(field) || !shown(field)) continue;
    const style = getComputedStyle(field);
    const words = field.value || field.placeholder;
    if (!words) continue;
    texts += 1;
    const colour = field.value ? style.color : getComputedStyle(field, '::placeholder').color;
    check(`input "${words}"`, field, parseFloat(style.fontSize), rgba(colour), domBackground(field));
  }
  for (const text of document.querySelectorAll('svg text')) {
    if (!text.textContent.trim()) continue;
    if (text.getBoundingClientRect().width > 0 && opacity(text) === 0) {  // Vega hides labels that collide
      problems.push(`chart "${text.textContent.trim()}": dropped, no room for it`);
      continue;
    }
    if (!shown(text)) continue;
    const style = getComputedStyle(text);
    texts += 1;
    check(`chart "${text.textContent.trim()}"`, text, parseFloat(style.fontSize), rgba(style.fill), svgBackground(text));
  }
  let grids = 0;
  for (const table of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    const themed = [table, ...table.querySelectorAll('*')].find(e => e.style.getPropertyValue('--gdg-base-font-style'));
    if (!themed || !shown(table)) continue;
    grids += 1;
    const v = (name) => themed.style.getPropertyValue(name).trim();
    const px = (font) => parseFloat((font.match(/([\\d.]+)px/) || [0, 0])[1]);
    check('table cells', themed, px(v('--gdg-base-font-style')), rgba(v('--gdg-text-dark')), rgba(v('--gdg-bg-cell')));
    check('table header', themed, px(v('--gdg-header-font-style')), rgba(v('--gdg-text-header')), rgba(v('--gdg-bg-header')));
  }
  const sideways = [document.scrollingElement, ...document.querySelectorAll('body *')]
    .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
      && (e === document.scrollingElement || ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)))
    .map(e => `${e.tagName.toLowerCase()}${e.dataset && e.dataset.testid ? ' ' + e.dataset.testid : ''} `
      + `${e.className && e.className.baseVal === undefined ? e.className : ''}`.trim() + `: ${e.scrollWidth} > ${e.clientWidth}`);
  return {texts, grids, problems, sideways};
}
"""


def audit(page) -> dict:
    """The room's readability figures for what is on screen now."""
    return page.evaluate(AUDIT_JS, {"minPx": MIN_PX, "minContrast": MIN_CONTRAST})


def start_or_join_the_council(page) -> None:
    """Step 6 needs an open council with a decision; other tests may have opened one already."""
    start = page.get_by_role("button", name="Start this week's council")
    decision = page.get_by_label("Decision or action")
    start.or_(decision).first.wait_for()  # the step's body draws after its heading
    if start.count():
        start.click()
        wait_for_app(page)
    decision.fill(DECISION)
    page.get_by_label("Owner (a person or team)").fill("Priya Shah")
    page.get_by_role("button", name="Record").click()
    wait_for_app(page)


def test_every_council_step_is_readable_from_across_the_room(page):
    """At 1920×1080 every text of every step is ≥ 20 px at ≥ 4.5:1 and nothing scrolls sideways."""
    open_on_the_shared_screen(page, "/Council?present=1&step=6", re.compile(r"^Step 6 of 6"))
    start_or_join_the_council(page)
    # The shared screen shows the room's step, and this screen presents: Back moves the room to step 1.
    for number in range(6, 1, -1):
        expect(page.get_by_role("heading", name=re.compile(rf"^Step {number} of 6"))).to_be_visible()
        page.get_by_role("button", name="← Back").click()
        wait_for_app(page)
    failures = {}
    for number, title in enumerate(COUNCIL_STEPS, 1):
        expect(page.get_by_role("heading", name=f"Step {number} of 6 · {title}")).to_be_visible()
        no_exception(page)
        page.wait_for_timeout(800)  # charts and tables finish drawing
        save_screenshot(page, f"present_step_{number}")
        found = audit(page)
        assert found["texts"] > 10, f"step {number}: the audit saw almost no text"
        if found["problems"] or found["sideways"]:
            failures[number] = found["problems"][:15] + found["sideways"]
        if number < len(COUNCIL_STEPS):
            page.get_by_role("button", name="Next →").click()
            wait_for_app(page)
            page.wait_for_url(re.compile(rf"step={number + 1}"))
    assert not failures, "\n".join(f"step {n}: {'; '.join(p)}" for n, p in failures.items())


def test_the_minutes_are_formatted_text_with_peoples_words_as_typed(page):
    """Step 6 shows the minutes rendered (headings, a list, a table), not Markdown source; a decision's
    Markdown stays the characters that were typed."""
    open_on_the_shared_screen(page, "/Council?present=1&step=6", re.compile(r"^Step 6 of 6"))
    start_or_join_the_council(page)
    minutes = (
        page.get_by_test_id("stVerticalBlock")
        .filter(has=page.get_by_role("heading", name=re.compile(r"^Experience Council — ")))
        .last
    )
    expect(minutes.get_by_role("heading", name="What we reviewed")).to_be_visible()
    expect(minutes.get_by_role("heading", name="Decisions")).to_be_visible()
    expect(minutes.get_by_text("## What we reviewed")).to_have_count(0)
    expect(minutes.get_by_text(DECISION, exact=False).first).to_be_visible()
    expect(minutes.get_by_role("link", name="first")).to_have_count(0)
