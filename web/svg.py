"""Pictures of progress drawn on the server as inline SVG: a calendar
heat-map of sober days and check-ins, a cravings-over-time chart and a
milestone timeline. No JavaScript; each scales to the width of a phone
(viewBox, no fixed width), is an ``img`` with a <title> and <desc>, and the
page beside it carries the same facts as text. Every value written into
the SVG is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

CELL, GAP = 12, 3
COLOURS = {"sober": "#95d5b2", "checked": "#2d6a4f", "restart": "#a9b4c2", "none": "#eef0f2"}
LEGEND = {"sober": "Sober day", "checked": "Sober day with a check-in",
          "restart": "Day of a restart", "none": "No record"}


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    state: str  # a key of COLOURS


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    cravings: int


@dataclass(frozen=True, slots=True)
class Mark:
    name: str
    when: date
    reached: bool


def _svg(name: str, width: int, height: int, title: str, desc: str, body: str) -> Markup:
    return Markup(  # noqa: S704 -- every value below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{name}-title {name}-desc">'
        f'<title id="{name}-title">{escape(title)}</title>'
        f'<desc id="{name}-desc">{escape(desc)}</desc>{body}</svg>')


def heatmap(days: Sequence[Day], summary: str) -> Markup:
    """Weeks as columns (Monday at the top), one square per day."""
    if not days:
        return _svg("heatmap", 10, 10, "Calendar of sober days", summary, "")
    first = days[0].day - timedelta(days=days[0].day.weekday())
    weeks = (days[-1].day - first).days // 7 + 1
    left, top, step = 22, 4, CELL + GAP
    parts = [f'<text x="0" y="{top + step * i + 10}" class="axis">{label}</text>'
             for i, label in ((0, "M"), (2, "W"), (4, "F"))]
    for d in days:
        offset = (d.day - first).days
        x, y = left + (offset // 7) * step, top + (offset % 7) * step
        parts.append(
            f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" '
            f'fill="{COLOURS[d.state]}"><title>{d.day.isoformat()}: '
            f'{escape(LEGEND[d.state])}</title></rect>')
    legend_y = top + 7 * step + 8
    x = 0
    for state, label in LEGEND.items():
        parts.append(f'<rect x="{x}" y="{legend_y}" width="{CELL}" height="{CELL}" rx="2" '
                     f'fill="{COLOURS[state]}"/>'
                     f'<text x="{x + CELL + 4}" y="{legend_y + 10}" class="legend">'
                     f'{escape(label)}</text>')
        x += CELL + 8 + 6 * len(label)
    width = max(left + weeks * step, x)
    return _svg("heatmap", width, legend_y + CELL + 4, "Calendar of sober days and check-ins",
                summary, "".join(parts))


def cravings(points: Sequence[Point], summary: str) -> Markup:
    """Cravings 0-10 of each evening review, oldest on the left."""
    width, height, left, top, bottom = 360, 170, 28, 10, 30
    plot_h = height - top - bottom
    parts = []
    for level in (0, 5, 10):
        y = top + plot_h - plot_h * level / 10
        parts.append(f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="grid"/><text x="2" y="{y + 4:.1f}" class="axis">{level}</text>')
    if points:
        span = max((points[-1].day - points[0].day).days, 1)
        coords = []
        for p in points:
            x = left + (width - left - 10) * (p.day - points[0].day).days / span
            y = top + plot_h - plot_h * p.cravings / 10
            coords.append((x, y, p))
        parts.append('<polyline class="line" fill="none" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords) + '"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="dot"><title>'
                  f'{p.day.isoformat()}: cravings {p.cravings} of 10</title></circle>'
                  for x, y, p in coords]
        for label_day, anchor, x in ((points[0].day, "start", left),
                                     (points[-1].day, "end", width - 4)):
            parts.append(f'<text x="{x}" y="{height - 8}" text-anchor={quoteattr(anchor)} '
                         f'class="axis">{label_day.isoformat()}</text>')
    return _svg("cravings", width, height, "Cravings over time, 0 to 10", summary,
                "".join(parts))


def timeline(marks: Sequence[Mark], summary: str) -> Markup:
    """The streak's milestones top to bottom: reached ones filled, the
    coming ones hollow."""
    step, top = 30, 14
    height = top + step * max(len(marks), 1)
    parts = []
    if len(marks) > 1:
        parts.append(f'<line x1="14" x2="14" y1="{top}" y2="{top + step * (len(marks) - 1)}" '
                     'class="spine"/>')
    for i, mark in enumerate(marks):
        y = top + step * i
        kind = "reached" if mark.reached else "coming"
        status = "reached" if mark.reached else "to come"
        parts.append(
            f'<circle cx="14" cy="{y}" r="8" class="{kind}"/>'
            f'<text x="32" y="{y + 5}" class="label">{escape(mark.name)}</text>'
            f'<text x="330" y="{y + 5}" text-anchor="end" class="axis">'
            f'{mark.when.isoformat()} ({status})</text>')
    return _svg("timeline", 340, height, "Milestone timeline", summary, "".join(parts))
