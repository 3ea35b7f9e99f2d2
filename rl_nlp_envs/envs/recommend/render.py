"""Drawing a recommendation step: the slate with titles and the user's response."""

from __future__ import annotations

from collections.abc import Sequence

from rl_nlp_envs.envs.recommend.catalogue import Catalogue
from rl_nlp_envs.render.text import TextPanel


def slate_panel(
    catalogue: Catalogue,
    slate_items: Sequence[int],
    valid: Sequence[bool],
    clicked_position: int,
    step: int,
    budget: float,
    ctr: float,
    user_type: str,
    history: Sequence[int] = (),
) -> TextPanel:
    """A text panel of the last slate (before the first step: the candidates' titles)."""
    lines = []
    for pos, (item, ok) in enumerate(zip(slate_items, valid, strict=True)):
        mark = "  << clicked" if pos == clicked_position else ""
        if not ok:
            lines.append(f"{pos + 1}. (repeat: empty slot)")
            continue
        kind = catalogue.kinds[item]
        lines.append(f"{pos + 1}. [{kind}] {catalogue.titles[item]}{mark}")
    if step == 0:
        heading, response = "Candidates", "no slate shown yet"
    else:
        heading = "Slate"
        response = "no click"
        if clicked_position >= 0:
            title = catalogue.titles[slate_items[clicked_position]]
            response = f"clicked #{clicked_position + 1}: {title}"
    recent = [catalogue.titles[i] for i in history if i >= 0][-3:]
    sections = [(heading, "\n".join(lines)), ("Response", response)]
    if recent:
        sections.append(("Recently consumed", "\n".join(recent)))
    status = f"user: {user_type}   step {step}   CTR {ctr:.2f}   budget {budget:.1f}"
    return TextPanel(f"rlnlp/Recommend-v0  step {step}", sections, status)
