"""The cohort report's plots as inline SVG, drawn with matplotlib when it is installed
(`pip install 'screener[report]'`); the report's tables never need it.

Deterministic: a fixed hash salt for the SVG ids, no date, text drawn as paths (no font from
elsewhere), and every id prefixed with the plot's name so that several plots live in one page.
"""

from __future__ import annotations

import importlib.util
import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INSTALL_HINT = "pip install 'screener[report]'"
KIND_COLOURS = {"alert": "#b00020", "contributor": "#8a5a00", "primary_indicator": "#7a1f7a", "mimic": "#006d77",
                "data_gap": "#1f4e99"}  # as the one-person report's CSS
KIND_WORDS = {"alert": "alert", "contributor": "contributor", "primary_indicator": "pointer to primary RLS",
              "mimic": "mimic", "data_gap": "data gap"}
INK, MUTED, BAR = "#1b1b1b", "#5b5b5b", "#4a6d8c"
WIDTH = 7.0  # inches: the text width of an A4 or Letter page
STYLE = {"svg.hashsalt": "screener-cohort-report", "svg.fonttype": "path", "font.family": "DejaVu Sans",
         "font.size": 8, "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": MUTED,
         "axes.labelcolor": INK, "xtick.color": MUTED, "ytick.color": MUTED, "text.color": INK,
         "savefig.bbox": "standard", "figure.dpi": 72}
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(xlink:href="#|href="#|url\(#)([^")]+)')


def available() -> bool:
    """Whether matplotlib can be imported (without importing it)."""
    return importlib.util.find_spec("matplotlib") is not None


def draw(summary: dict[str, Any]) -> dict[str, str]:
    """The plots the summary has data for, as SVG elements ready to inline (name -> markup)."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        plots: dict[str, str] = {}
        if any(f["n"] for f in summary["findings"]):
            plots["prevalence"] = _svg(_prevalence(summary["findings"]), "prevalence",
                                       "Respondents with each finding, per cent with 95 % interval")
        if summary["contributor_sets"]["sets"]:
            plots["sets"] = _svg(_sets(summary["contributor_sets"], summary["findings"]), "sets",
                                 "The most frequent sets of contributors found together")
        distributions = summary["distributions"] or {}
        for name, title in (("ferritin_ng_ml", "Ferritin (ng/mL), log scale, lines at 75 and 100 ng/mL"),
                            ("tsat_percent", "Transferrin saturation (%), line at 20 %")):
            if distributions.get(name, {}).get("counts"):
                plots[name] = _svg(_histogram(distributions[name], name), name.split("_")[0], title)
        return plots


def _figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height))


def _svg(figure: Figure, name: str, title: str) -> str:
    """The figure as an <svg> element for an HTML page: no XML prolog, comments or fixed size;
    ids prefixed with `name`; a <title> for screen readers."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.DOTALL)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r'<style type="text/css">.*?</style>\s*', "", text, flags=re.DOTALL)  # global in a page
    text = re.sub(r'\s(?:xmlns(?::xlink)?|width|height|version)="[^"]*"', "", text[:text.index(">")]) + \
        text[text.index(">"):]
    text = _ID.sub(lambda m: f'id="{name}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", text)
    title = title.replace("&", "&amp;").replace("<", "&lt;")
    return text.replace("<svg", f'<svg class="plot" role="img" aria-labelledby="{name}-title"', 1).replace(
        ">", f'>\n <title id="{name}-title">{title}</title>', 1).strip() + "\n"


def _percent_axis(axes: Axes, axis: str = "x") -> None:
    from matplotlib.ticker import PercentFormatter

    (axes.xaxis if axis == "x" else axes.yaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


def _whole_numbers(axes: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins="auto"))


def _prevalence(findings: list[dict[str, Any]]) -> Figure:
    """Horizontal bars: per cent of respondents with each finding, Wilson 95 % interval as error bars."""
    shown = [f for f in findings if f["n"]]
    height = 1.1 + 0.13 * len(shown)
    figure = _figure(height)
    axes = figure.add_axes((0.28, 0.6 / height, 0.68, 1 - 0.95 / height))
    positions = list(range(len(shown)))[::-1]
    for y, finding in zip(positions, shown):
        low, high = finding["ci95"]
        axes.barh(y, finding["p"], height=0.7, color=KIND_COLOURS.get(finding["kind"], BAR), alpha=0.85)
        axes.plot([low, high], [y, y], color=INK, linewidth=0.9, solid_capstyle="butt")
        axes.plot([low, low, high, high], [y - 0.18, y + 0.18, y - 0.18, y + 0.18], linestyle="none", marker="|",
                  markersize=3.5, color=INK)
    axes.set_yticks(positions, [f["code"] for f in shown])
    axes.set_ylim(-0.7, len(shown) - 0.3)
    axes.set_xlim(0, min(1.0, max(f["ci95"][1] for f in shown) * 1.05))
    _percent_axis(axes)
    axes.xaxis.tick_top()
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    from matplotlib.patches import Patch

    kinds = list(dict.fromkeys(f["kind"] for f in shown))
    figure.legend(handles=[Patch(color=KIND_COLOURS.get(k, BAR), label=KIND_WORDS.get(k, k)) for k in kinds],
                  loc="lower center", ncols=len(kinds), frameon=False, fontsize=7, bbox_to_anchor=(0.6, 0.0))
    return figure


def _short(n: float, _position: object = None) -> str:
    """A count in few characters: 950, 9,500, 95k, 1.2M."""
    if n >= 999_500:
        return f"{n / 1e6:.1f}M".replace(".0M", "M")
    return f"{n / 1e3:.0f}k" if n >= 20_000 else f"{n:,.0f}"


def _sets(sets: dict[str, Any], findings: list[dict[str, Any]]) -> Figure:
    """UpSet-style: a bar per set of contributors (respondents with exactly that set), a dot
    matrix of the contributors in each set, and each contributor's own count on the left."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    columns = sets["sets"][:15]
    overall = {f["code"]: f["n"] for f in findings}
    codes = sorted({c for s in columns for c in s["codes"]}, key=lambda c: (-overall.get(c, 0), c))
    row_height, bars_height, bottom = 0.2, 1.3, 0.45
    height = bottom + row_height * len(codes) + bars_height + 0.15
    figure = _figure(height)

    def box(left: float, low: float, width: float, tall: float) -> tuple[float, float, float, float]:
        return left / WIDTH, low / height, width / WIDTH, tall / height

    matrix_height = row_height * len(codes)
    bars = figure.add_axes(box(2.9, bottom + matrix_height, 4.0, bars_height))
    matrix = figure.add_axes(box(2.9, bottom, 4.0, matrix_height))
    sizes = figure.add_axes(box(0.35, bottom, 0.95, matrix_height))
    xs = list(range(len(columns)))
    bars.bar(xs, [s["n"] for s in columns], color=BAR, width=0.6)
    for x, s in zip(xs, columns):
        bars.text(x, s["n"], _short(s["n"]), ha="center", va="bottom", fontsize=6)
    bars.yaxis.set_major_formatter(FuncFormatter(_short))
    bars.set_xlim(-0.6, len(columns) - 0.4)
    bars.set_ylim(0, max(s["n"] for s in columns) * 1.15)
    bars.set_xticks([])
    _whole_numbers(bars)
    bars.set_ylabel("respondents with\nexactly this set", fontsize=7)
    bars.spines["bottom"].set_visible(False)
    rows = [len(codes) - 1 - i for i in range(len(codes))]
    for y in rows[::2]:
        matrix.axhspan(y - 0.5, y + 0.5, color="#f1f1f1", linewidth=0)
    for x, s in zip(xs, columns):
        matrix.scatter([x] * len(codes), rows, s=16, color="#d4d4d4", zorder=2, linewidths=0)
        ys = [rows[codes.index(c)] for c in s["codes"]]
        matrix.plot([x, x], [min(ys), max(ys)], color=INK, linewidth=1.2, zorder=3)
        matrix.scatter([x] * len(ys), ys, s=18, color=INK, zorder=4, linewidths=0)
    matrix.set_xlim(-0.6, len(columns) - 0.4)
    matrix.set_ylim(-0.5, len(codes) - 0.5)
    matrix.set_xticks([])
    matrix.set_yticks(rows, codes)
    matrix.tick_params(axis="y", length=0, pad=6, labelcolor=INK)
    for spine in matrix.spines.values():
        spine.set_visible(False)
    sizes.barh(rows, [overall.get(c, 0) for c in codes], color=KIND_COLOURS["contributor"], height=0.6)
    sizes.set_ylim(-0.5, len(codes) - 0.5)
    sizes.set_yticks([])
    sizes.invert_xaxis()
    sizes.spines["left"].set_visible(False)
    sizes.spines["right"].set_visible(True)
    sizes.xaxis.set_major_locator(MaxNLocator(nbins=2, integer=True))
    sizes.xaxis.set_major_formatter(FuncFormatter(_short))
    sizes.tick_params(axis="x", labelsize=6.5)
    sizes.set_xlabel("respondents with\nthis contributor", fontsize=7)
    return figure


def _histogram(data: dict[str, Any], name: str) -> Figure:
    """Counts per bin, with the rules' thresholds as dashed lines (ferritin on a log axis)."""
    edges, counts = data["edges"], data["counts"]
    figure = _figure(2.6)
    axes = figure.add_axes((0.09, 0.2, 0.88, 0.72))
    widths = [b - a for a, b in zip(edges, edges[1:])]
    axes.bar(edges[:-1], counts, width=widths, align="edge", color=BAR, edgecolor="white", linewidth=0.3)
    low, high = edges[0], edges[-1]
    for line in data["lines"]:
        low, high = min(low, line), max(high, line)
    if data["scale"] == "log10":
        from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

        axes.set_xscale("log")
        ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)
                 if low * 0.8 <= t <= high * 1.25]
        axes.xaxis.set_major_locator(FixedLocator(ticks))
        axes.xaxis.set_minor_locator(NullLocator())
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xticks(ticks, [f"{t:,}" for t in ticks])
        axes.set_xlim(low / 1.15, high * 1.15)
        axes.set_xlabel("ferritin (ng/mL)")
    else:
        axes.set_xlim(max(0, low - 2), min(100, high + 2))
        axes.set_xlabel("transferrin saturation (%)")
    top = max(counts)
    for line in data["lines"]:
        axes.axvline(line, color="#b00020", linestyle=(0, (4, 2)), linewidth=1)
        axes.text(line, top * 1.04, f" {line:g}{' %' if name == 'tsat_percent' else ''}", color="#b00020",
                  fontsize=7, ha="left", va="bottom")
    axes.set_ylim(0, top * 1.15)
    _whole_numbers(axes)
    axes.set_ylabel("respondents")
    bands = "    ".join(f"{b['band']}: {b['p'] * 100:.1f} %" for b in data["bands"] if b["p"] is not None)
    axes.set_title(f"n = {data['n']:,}    {bands}", fontsize=7.5, loc="left", color=MUTED, pad=8)
    return figure
