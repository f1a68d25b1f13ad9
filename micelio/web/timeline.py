"""A project's landed sessions as an inline SVG: landing position against time.

Server-rendered so that the page needs no script; each session is a circle whose area grows
with its number of changes, linking to the session, with its goal as a tooltip (escaped like
everything else: SVG text is HTML-parsed text inside the page).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from micelio.service.browse import Timeline, TimelinePoint
from micelio.web.html import Markup, html, join, segment

WIDTH, HEIGHT = 960, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 56, 16, 48
TICKS = 5
MIN_RADIUS, MAX_RADIUS = 3.0, 18.0


def radius(changes: int) -> float:
    """Area proportional to the change count, bounded so one huge session does not hide
    the others."""
    return min(MAX_RADIUS, MIN_RADIUS + 1.5 * math.sqrt(changes))


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high <= low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def render(timeline: Timeline) -> Markup:
    points = timeline.points
    if not points:
        return html('<p class="empty">No landed session in this window.</p>')
    times = [p.landed_at.timestamp() for p in points]
    t_low, t_high = min(times), max(times)
    p_low, p_high = timeline.first, max(timeline.last, timeline.first)
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    # Points keep a largest radius away from the axes, so that no circle covers them.
    x_low, x_high = LEFT + MAX_RADIUS, plot_right - MAX_RADIUS
    y_low, y_high = plot_bottom - MAX_RADIUS, TOP + MAX_RADIUS

    def x_of(stamp: float) -> float:
        return _scale(stamp, t_low, t_high, x_low, x_high)

    def x(point: TimelinePoint) -> float:
        return x_of(point.landed_at.timestamp())

    def y(position: float) -> float:
        return _scale(position, p_low, p_high, y_low, y_high)  # higher positions go up

    axes = html(
        '<line class="tl-axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>'
        '<line class="tl-axis" x1="{l}" y1="{t}" x2="{l}" y2="{b}"/>',
        l=LEFT,
        r=plot_right,
        t=TOP,
        b=plot_bottom,
    )
    x_ticks = []
    # Dates alone would repeat on a timeline shorter than a few days.
    tick_format = "%Y-%m-%d" if t_high - t_low > 3 * 86400 else "%Y-%m-%d %H:%M"
    for i in range(TICKS):
        stamp = t_low + (t_high - t_low) * i / (TICKS - 1)
        tx = x_of(stamp)
        label = datetime.fromtimestamp(stamp, UTC).strftime(tick_format)
        x_ticks.append(
            html(
                '<text class="tl-label" x="{x:.1f}" y="{y}" text-anchor="middle">{label}</text>',
                x=tx,
                y=plot_bottom + 20,
                label=label,
            )
        )
        if t_high <= t_low:
            break
    y_ticks = []
    positions = {round(p_low + (p_high - p_low) * i / (TICKS - 1)) for i in range(TICKS)}
    for position in sorted(positions):
        y_ticks.append(
            html(
                '<text class="tl-label" x="{x}" y="{y:.1f}" text-anchor="end">#{p}</text>',
                x=LEFT - 8,
                y=y(position) + 4,
                p=position,
            )
        )
    circles = [
        html(
            '<a href="/s/{sid}"><circle class="tl-point{extra}" cx="{cx:.1f}" cy="{cy:.1f}" '
            'r="{r:.1f}"><title>#{pos} · {when} · {n} change{s}\n{goal}</title></circle></a>',
            sid=segment(p.session_id),
            extra=" tl-empty" if p.changes == 0 else "",
            cx=x(p),
            cy=y(p.landing_position),
            r=radius(p.changes),
            pos=p.landing_position,
            when=p.landed_at.strftime("%Y-%m-%d %H:%M UTC"),
            n=p.changes,
            s="" if p.changes == 1 else "s",
            goal=p.goal,
        )
        # Biggest first, so small sessions stay clickable on top of large ones.
        for p in sorted(points, key=lambda p: -p.changes)
    ]
    return html(
        '<svg class="timeline" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="Landed sessions: landing position against time">'
        "{axes}{xt}{yt}"
        '<text class="tl-label" x="{mx}" y="{h2}" text-anchor="middle">landed at (UTC)</text>'
        '<g class="tl-points">{circles}</g></svg>',
        w=WIDTH,
        h=HEIGHT,
        axes=axes,
        xt=join(x_ticks),
        yt=join(y_ticks),
        mx=(LEFT + plot_right) / 2,
        h2=HEIGHT - 6,
        circles=join(circles),
    )
