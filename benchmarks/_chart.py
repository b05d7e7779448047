"""``--chart PATH``: the speedups of a report as one small PNG.

matplotlib is imported here only (it is in the ``bench`` extra), so that the
suite itself runs without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["chart"]

#: Peers in a fixed order and colour, so that every panel reads alike;
#: ``streamkit-py`` (the pure-Python decoder) shows what the compiled one gains.
_PEERS = {
    "openai": "#4c72b0",
    "httpx-sse": "#dd8452",
    "anthropic": "#8172b3",
    "streamkit-py": "#937860",
    "floor": "#55a868",
}


def chart(report: dict[str, Any], path: str | Path) -> None:
    """One panel per layer: streamkit's speedup over each peer (log scale) per
    input and chunking, the scaling series left out, targets as dashed lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = {k: v for k, v in report["layers"].items() if v["cases"]}
    fig, axes = plt.subplots(len(layers), 1, figsize=(10, 3.6 * len(layers)), squeeze=False)
    for ax, (name, layer) in zip(axes[:, 0], layers.items(), strict=True):
        cases = [c for c in layer["cases"] if not c["input"].startswith("responses-text-")]
        peers = [p for p in _PEERS if any(p in c["ratios"] for c in cases)]
        width = 0.8 / max(1, len(peers))
        for i, peer in enumerate(peers):
            xs = [k + (i - (len(peers) - 1) / 2) * width for k in range(len(cases))]
            ys = [c["ratios"].get(peer, {}).get("speedup", float("nan")) for c in cases]
            ax.bar(xs, ys, width, label=f"vs {peer}", color=_PEERS[peer])
        targets = {(t["peer"], t["target"]) for c in cases for t in c["targets"]}
        for peer, value in sorted(targets):
            ax.axhline(value, color=_PEERS.get(peer, "k"), linestyle="--", linewidth=1)
        ax.axhline(1.0, color="black", linewidth=0.6)
        ax.set_yscale("log")
        # Headroom above the tallest bar for the legend.
        low, high = ax.get_ylim()
        ax.set_ylim(low, high * 4)
        ax.set_xticks(range(len(cases)))
        ax.set_xticklabels(
            [f"{c['input']} / {c['chunking']}" for c in cases],
            fontsize=6.5,
            rotation=25,
            ha="right",
        )
        ax.set_ylabel("speedup (x)", fontsize=8)
        ax.set_title(
            f"{name}: streamkit speedup, peer time / streamkit time (> 1: faster; dashed: targets)",
            fontsize=9,
        )
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=7, loc="upper right", ncol=len(peers))
    machine = report.get("machine", {})
    fig.text(
        0.01,
        0.005,
        f"{report.get('mode', '')}; {machine.get('python', '')}; {machine.get('cpu', '')}; "
        f"git {machine.get('streamkit_git') or '?'}",
        fontsize=6.5,
    )
    fig.tight_layout(rect=(0, 0.015, 1, 1))
    fig.savefig(path, dpi=72)
    plt.close(fig)
