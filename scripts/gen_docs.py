"""Generate the documentation pages that come from the code, and the site's navigation.

One source of truth: every environment page is built from the env class docstring (its
``## Description`` / ``## Action Space`` / ... sections), the registry row in
``rl_nlp_envs/registration.py``, the constructor signature and the spaces of a live
``gymnasium.make(id)``. The API reference has one page per public module (mkdocstrings).

Used two ways:

- as an MkDocs hook (``hooks: [scripts/gen_docs.py]`` in ``mkdocs.yml``): the pages are generated
  in memory on every ``mkdocs build`` / ``mkdocs serve`` and the nav is built from what exists,
  so a newly registered environment, a PettingZoo module ``rl_nlp_envs/envs/**/<name>_v<N>.py``
  or a new guide in ``docs/guides/`` appears without editing the docs;
- as a script: ``python scripts/gen_docs.py OUT_DIR`` writes the generated pages to ``OUT_DIR``
  (to read them, or to diff them).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "rl_nlp_envs"
DOCS = ROOT / "docs"
GIF_DIR = DOCS / "img" / "envs"

log = logging.getLogger("mkdocs.hooks.gen_docs")

#: The sections every environment docstring must have (Gymnasium's cartpole.py style).
REQUIRED_SECTIONS = (
    "Description",
    "Action Space",
    "Observation Space",
    "Rewards",
    "Episode End",
    "Arguments",
    "Version History",
)

#: The guides in nav order: (file in docs/guides, title). Files that do not exist are left out;
#: any other ``docs/guides/*.md`` is appended, so a new guide never breaks ``--strict``.
GUIDES = (
    ("own-data.md", "Your own data and tokenizer"),
    ("llm-text-mode.md", "Text mode for LLM agents"),
    ("custom-task.md", "A custom text task and reward"),
    ("pettingzoo.md", "PettingZoo and SuperSuit"),
)
LIBRARY_GUIDES = (
    ("sb3.md", "Stable-Baselines3"),
    ("rllib.md", "RLlib"),
    ("torchrl.md", "TorchRL"),
    ("tianshou.md", "Tianshou"),
    ("cleanrl.md", "CleanRL"),
)
#: Guides with a place of their own in the nav (not under "Guides").
TOP_LEVEL_GUIDES = ("quickstart.md", "baselines.md")


# -- environments -----------------------------------------------------------------------------
@dataclass
class EnvEntry:
    """One environment to document: a registered Gymnasium id or a PettingZoo module."""

    env_id: str
    kind: str  # "gymnasium" or "pettingzoo"
    cls: type
    description: str = ""
    entry_point: str = ""
    vector_entry_point: str | None = None
    registered_kwargs: dict[str, Any] = field(default_factory=dict)
    module: str = ""

    @property
    def name(self) -> str:
        """``rlnlp/Snake-v0`` -> ``Snake-v0``."""
        return self.env_id.split("/")[-1]

    @property
    def slug(self) -> str:
        """File-name form: ``snake-v0`` (pages and GIFs)."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


def _load(entry_point: str) -> Any:
    module_name, _, attr = entry_point.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def pettingzoo_modules() -> list[str]:
    """Versioned PettingZoo modules (``<name>_v<N>.py`` or packages) under ``rl_nlp_envs/envs``."""
    envs_dir = ROOT / PACKAGE / "envs"
    found = []
    for path in sorted(envs_dir.rglob("*_v[0-9]*")):
        if path.is_dir() and (path / "__init__.py").exists():
            rel = path.relative_to(ROOT)
        elif path.suffix == ".py":
            rel = path.relative_to(ROOT).with_suffix("")
        else:
            continue
        found.append(".".join(rel.parts))
    return found


def env_entries() -> list[EnvEntry]:
    """Every ``rlnlp/`` id of the registry, then every importable PettingZoo module."""
    from rl_nlp_envs.registration import ENV_TABLE, NAMESPACE

    entries = [
        EnvEntry(
            env_id=spec.id,
            kind="gymnasium",
            cls=_load(spec.entry_point),
            description=spec.description,
            entry_point=spec.entry_point,
            vector_entry_point=spec.vector_entry_point,
            registered_kwargs=dict(spec.kwargs),
        )
        for spec in ENV_TABLE
        if spec.id.startswith(f"{NAMESPACE}/")
    ]
    for module_name in pettingzoo_modules():
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            log.info("gen_docs: %s is not importable (%s); no page for it", module_name, exc)
            continue
        if not all(hasattr(module, f) for f in ("env", "raw_env", "parallel_env")):
            continue
        raw = module.raw_env()
        cls = type(raw)
        raw.close()
        # the module's ENV_ID if it declares one, else rlnlp/<Name>-v<N> from metadata["name"]
        env_name = str(getattr(cls, "metadata", {}).get("name", module_name.rsplit(".", 1)[-1]))
        base, _, version = env_name.rpartition("_")
        pretty = "".join(part.capitalize() for part in base.split("_"))
        entries.append(
            EnvEntry(
                env_id=str(getattr(module, "ENV_ID", f"{NAMESPACE}/{pretty}-{version}")),
                kind="pettingzoo",
                cls=cls,
                description=(inspect.getdoc(cls) or "").split("\n", 1)[0],
                module=module_name,
            )
        )
    return entries


# -- docstrings to markdown ---------------------------------------------------------------------
def docstring_sections(doc: str) -> tuple[str, list[tuple[str, str]]]:
    """Split an env docstring into its summary (text before the first ``##``) and sections."""
    summary_lines: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in inspect.cleandoc(doc).splitlines():
        match = re.match(r"^##\s+(.+?)\s*$", line)
        if match:
            sections.append((match.group(1), []))
        elif sections:
            sections[-1][1].append(line)
        else:
            summary_lines.append(line)
    summary = "\n".join(summary_lines).strip()
    return summary, [(title, docstring_markdown("\n".join(body))) for title, body in sections]


def docstring_markdown(text: str) -> str:
    """Docstring text as Markdown: a blank line before a list (Python-Markdown needs one)."""
    out: list[str] = []
    for line in text.strip("\n").splitlines():
        is_item = re.match(r"^\s*([-*+]|\d+\.)\s", line) is not None
        previous = out[-1] if out else ""
        previous_is_list = re.match(r"^\s*([-*+]|\d+\.)\s", previous) or previous.startswith(" ")
        if is_item and previous.strip() and not previous_is_list:
            out.append("")
        out.append(line)
    return "\n".join(out).strip()


def describe_space(space: Any, indent: int = 0) -> str:
    """A readable, bounded description of a space (a ``Text`` charset is not spelled out)."""
    import numpy as np
    from gymnasium import spaces

    with np.printoptions(linewidth=10_000, threshold=40):
        return _describe_space(space, indent, spaces)


def _describe_space(space: Any, indent: int, spaces: Any) -> str:
    pad = "    " * indent
    if isinstance(space, spaces.Dict):
        items = [
            f"{pad}    {key!r}: {describe_space(sub, indent + 1).strip()},"
            for key, sub in space.spaces.items()
        ]
        return "Dict(\n" + "\n".join(items) + f"\n{pad})"
    if isinstance(space, spaces.Tuple):
        items = [f"{pad}    {describe_space(sub, indent + 1).strip()}," for sub in space.spaces]
        return "Tuple(\n" + "\n".join(items) + f"\n{pad})"
    if isinstance(space, spaces.Text):
        return (
            f"Text(min_length={space.min_length}, max_length={space.max_length}, "
            f"charset=<{len(space.character_set)} characters>)"
        )
    text = str(space)
    return text if len(text) <= 400 else text[:400] + " ..."


def _passed_to_super(init: Any) -> tuple[int, set[str]]:
    """How many positional arguments, and which keywords, ``__init__`` passes explicitly to
    ``super().__init__(...)`` (those are fixed by the subclass, not the user's to pass)."""
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError):
        return 0, set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and isinstance(node.func.value, ast.Call)
            and isinstance(node.func.value.func, ast.Name)
            and node.func.value.func.id == "super"
        ):
            return len(node.args), {k.arg for k in node.keywords if k.arg is not None}
    return 0, set()


def _signature_params(cls: type) -> list[inspect.Parameter]:
    """Constructor parameters, following ``**kwargs`` into the base classes (minus those the
    subclass passes to the base itself)."""
    params: list[inspect.Parameter] = []
    seen: set[str] = set()
    fixed_positional, fixed_keywords = 0, set[str]()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        has_var_kw = False
        named = [
            p
            for p in inspect.signature(init).parameters.values()
            if p.name != "self" and p.kind is not inspect.Parameter.VAR_POSITIONAL
        ]
        for k, p in enumerate(named):
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                has_var_kw = True
            elif k >= fixed_positional and p.name not in fixed_keywords | seen:
                seen.add(p.name)
                params.append(p)
        if not has_var_kw:
            break
        fixed_positional, fixed_keywords = _passed_to_super(init)
    return params


def arguments_table(entry: EnvEntry) -> str:
    """The constructor's keyword arguments with their defaults, as a Markdown table."""
    rows = ["| argument | default |", "|---|---|"]
    for p in _signature_params(entry.cls):
        if p.name in entry.registered_kwargs:
            default = f"`{entry.registered_kwargs[p.name]!r}` (registered)"
        elif p.default is inspect.Parameter.empty:
            default = "required"
        else:
            default = f"`{p.default!r}`"
        rows.append(f"| `{p.name}` | {default} |")
    return "\n".join(rows)


def action_mode_variants(cls: type) -> list[dict[str, Any]]:
    """``[{}]`` plus ``{"action_mode": m}`` for every non-default mode of the env.

    The modes come from an ``ACTION_MODES`` tuple in the module of the class or of a base
    class (the project's convention); ``"text"`` is assumed when there is none."""
    param = next((p for p in _signature_params(cls) if p.name == "action_mode"), None)
    if param is None:
        return [{}]
    modes: tuple[str, ...] = ("text",)
    for klass in cls.__mro__:
        found = getattr(sys.modules.get(klass.__module__), "ACTION_MODES", None)
        if isinstance(found, tuple) and all(isinstance(m, str) for m in found):
            modes = found
            break
    return [{}] + [{"action_mode": m} for m in modes if m != param.default]


def live_spaces(entry: EnvEntry) -> list[tuple[str, str, str]]:
    """(setting, action space, observation space) of live environments: the defaults, and
    every other ``action_mode`` of the environment."""
    rows: list[tuple[str, str, str]] = []
    for kwargs in action_mode_variants(entry.cls):
        args = "".join(f", {k}={v!r}" for k, v in kwargs.items()).replace("'", '"')
        if entry.kind == "pettingzoo":
            short = entry.module.rsplit(".", 1)[-1]
            label = f"`{short}.parallel_env({args.removeprefix(', ')})`"
            env = importlib.import_module(entry.module).parallel_env(**kwargs)
            per_agent = {
                agent: (
                    describe_space(env.action_space(agent)),
                    describe_space(env.observation_space(agent)),
                )
                for agent in env.possible_agents
            }
            env.close()
            if len(set(per_agent.values())) == 1:
                action, observation = next(iter(per_agent.values()))
                rows.append((f"{label}, every agent", action, observation))
            else:
                rows += [(f"{label}, agent `{a}`", *pair) for a, pair in per_agent.items()]
        else:
            import gymnasium as gym

            env = gym.make(entry.env_id, **kwargs)
            action, observation = (
                describe_space(env.action_space),
                describe_space(env.observation_space),
            )
            env.close()
            rows.append((f"`gym.make(id{args})`", action, observation))
    return rows


def env_metadata(entry: EnvEntry) -> dict[str, Any]:
    """``metadata`` of the env class (render modes, fps, PettingZoo name)."""
    return dict(getattr(entry.cls, "metadata", {}) or {})


def gif_caption(gif: Path) -> str:
    """What a GIF shows, from the comment ``scripts/record_gifs.py`` writes into it."""
    try:
        from PIL import Image
    except ImportError:
        return ""
    with Image.open(gif) as image:
        comment = image.info.get("comment", b"")
    return comment.decode("utf-8", "replace") if isinstance(comment, bytes) else str(comment)


def _gif_markdown(entry: EnvEntry, prefix: str) -> str:
    gif = GIF_DIR / f"{entry.slug}.gif"
    if not gif.exists():
        return f"*No recording yet: run `python scripts/record_gifs.py --env {entry.env_id}`.*"
    caption = gif_caption(gif)
    image = f"![{entry.env_id}]({prefix}img/envs/{entry.slug}.gif)"
    if not caption:
        return image
    return f'{image}\n\n*{caption[0].upper()}{caption[1:]}, from `render_mode="rgb_array"`.*'


def env_page(entry: EnvEntry) -> str:
    """The Markdown page of one environment."""
    doc = inspect.getdoc(entry.cls) or ""
    summary, sections = docstring_sections(doc)
    titles = [title for title, _ in sections]
    missing = [s for s in REQUIRED_SECTIONS if s not in titles]
    where = f"{entry.cls.__module__}.{entry.cls.__qualname__}"
    if missing:
        log.warning(
            "gen_docs: the docstring of %s (%s) lacks the section(s): %s",
            where,
            entry.env_id,
            ", ".join(missing),
        )
    meta = env_metadata(entry)
    lines = [f"# {entry.env_id}", "", summary, "", _gif_markdown(entry, "../"), ""]
    table = ["| | |", "|---|---|"]
    if entry.kind == "gymnasium":
        table.append(f'| Make | `gymnasium.make("{entry.env_id}")` |')
        if entry.vector_entry_point:
            table.append(
                f'| Batched | `gymnasium.make_vec("{entry.env_id}", num_envs=N)` '
                f"(native: `{entry.vector_entry_point}`) |"
            )
        table.append(f"| Entry point | `{entry.entry_point}` |")
    else:
        table.append(
            f"| Import | `from {entry.module.rsplit('.', 1)[0]} import "
            f"{entry.module.rsplit('.', 1)[1]}` |"
        )
        table.append("| Make | `env()` (AEC, wrapped), `raw_env()`, `parallel_env()` |")
        table.append(f"| Class | `{where}` |")
    if "render_modes" in meta:
        modes = ", ".join(f'`"{m}"`' for m in meta["render_modes"])
        table.append(f"| Render modes | {modes} at {meta.get('render_fps', '-')} fps |")
    base = _documented_base(entry.cls)
    if base is not None:
        page = reference_path(base.__module__).removeprefix("reference/")
        table.append(
            f"| Shared behaviour | [`{base.__name__}`](../reference/{page}) "
            '(what "as ..." below refers to) |'
        )
    lines += [*table, ""]
    for setting, action, observation in live_spaces(entry):
        lines += [f"Spaces of {setting}:", "", "```python", f"action_space = {action}"]
        lines += [f"observation_space = {observation}", "```", ""]
    for title, body in sections:
        lines += [f"## {title}", "", body, ""]
        if title == "Arguments":
            how = (
                "`gymnasium.make(id, **kwargs)`"
                if entry.kind == "gymnasium"
                else f"`{entry.module.rsplit('.', 1)[-1]}.env(**kwargs)`"
            )
            lines += [
                f"All constructor arguments, with their defaults (pass them as {how}):",
                "",
                arguments_table(entry),
                "",
            ]
    lines += [
        "---",
        "",
        f"Generated from the docstring of `{where}` by `scripts/gen_docs.py`; "
        "the spaces are those of a live environment.",
        "",
    ]
    return "\n".join(lines)


def _documented_base(cls: type) -> type | None:
    """The nearest base class of ours with its own sectioned docstring (``TextEnv``)."""
    for base in cls.__mro__[1:]:
        if base.__module__.startswith(PACKAGE + ".") and "## " in (base.__doc__ or ""):
            return base
    return None


def env_table(entries: list[EnvEntry], page_dir: str, root: str) -> str:
    """Every environment with its description and recording, linked from ``page_dir``."""
    lines = ["| id | API | what the agent does | |", "|---|---|---|---|"]
    for e in entries:
        gif = GIF_DIR / f"{e.slug}.gif"
        thumb = ""
        if gif.exists():
            thumb = f'![{e.env_id}]({root}img/envs/{e.slug}.gif){{ width="160" }}'
        link = f"{page_dir}{e.slug}.md"
        lines.append(f"| [`{e.env_id}`]({link}) | {e.kind} | {e.description} | {thumb} |")
    return "\n".join(lines)


def environments_index(entries: list[EnvEntry]) -> str:
    """The overview page of the Environments section."""
    return (
        "# Environments\n\nEvery page below is generated from the environment's class "
        "docstring, its registry row and a live instance, so it always matches the installed "
        "code.\n\n" + env_table(entries, "", "../") + "\n"
    )


# -- API reference ---------------------------------------------------------------------------------
def public_modules() -> list[str]:
    """Dotted names of the package's public modules (no component starting with ``_``)."""
    names = []
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts) or "data" in parts:
            continue
        if not (path.parent / "__init__.py").exists():
            # mkdocstrings (griffe) cannot reach modules of a folder without __init__.py
            log.info("gen_docs: %s is in a folder without __init__.py; no API page", rel)
            continue
        names.append(".".join(parts))
    return names


def module_summary(name: str) -> str:
    """First line of a module's docstring, read without importing it."""
    rel = Path(*name.split("."))
    path = ROOT / rel / "__init__.py" if (ROOT / rel).is_dir() else ROOT / rel.with_suffix(".py")
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().split("\n", 1)[0].replace("|", "\\|")


def reference_path(module: str) -> str:
    """Page of a module: ``rl_nlp_envs.core.task`` -> ``reference/rl_nlp_envs/core/task.md``."""
    return "reference/" + module.replace(".", "/") + ".md"


def reference_pages() -> dict[str, str]:
    """One mkdocstrings page per public module, plus an index."""
    modules = public_modules()
    pages = {reference_path(m): f"# `{m}`\n\n::: {m}\n" for m in modules}
    rows = ["| module | |", "|---|---|"]
    for m in modules:
        link = reference_path(m).removeprefix("reference/")
        rows.append(f"| [`{m}`]({link}) | {module_summary(m)} |")
    pages["reference/index.md"] = (
        "# API reference\n\nGenerated by mkdocstrings from the docstrings of every public "
        "module.\n\n" + "\n".join(rows) + "\n"
    )
    return pages


# -- site -------------------------------------------------------------------------------------
def generate(docs: Path = DOCS) -> tuple[dict[str, str], list[Any]]:
    """All generated pages ``{path under docs/: markdown}`` and the nav."""
    entries = env_entries()
    pages = {"environments/index.md": environments_index(entries)}
    for e in entries:
        pages[f"environments/{e.slug}.md"] = env_page(e)
    reference = reference_pages()
    pages.update(reference)
    api = sorted(p for p in reference if p != "reference/index.md")
    return pages, build_nav(entries, api, docs)


def _existing_guides(docs: Path, names: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{title: f"guides/{name}"} for name, title in names if (docs / "guides" / name).exists()]


def build_nav(entries: list[EnvEntry], reference: list[str], docs: Path = DOCS) -> list[Any]:
    """The site navigation, from what exists on disk and in the registry."""
    known = {n for n, _ in GUIDES + LIBRARY_GUIDES} | set(TOP_LEVEL_GUIDES)
    other = sorted(p.name for p in (docs / "guides").glob("*.md") if p.name not in known)
    guides: list[Any] = _existing_guides(docs, GUIDES)
    guides += [{_title_of(docs / "guides" / name): f"guides/{name}"} for name in other]
    libraries = _existing_guides(docs, LIBRARY_GUIDES)
    if libraries:
        guides.append({"RL libraries": libraries})
    nav: list[Any] = [{"Home": "index.md"}]
    if (docs / "guides" / "quickstart.md").exists():
        nav.append({"Quick start": "guides/quickstart.md"})
    envs: list[Any] = [{"Overview": "environments/index.md"}]
    envs += [{e.env_id: f"environments/{e.slug}.md"} for e in entries]
    nav.append({"Environments": envs})
    if guides:
        nav.append({"Guides": guides})
    if (docs / "guides" / "baselines.md").exists():
        nav.append({"Baselines": "guides/baselines.md"})
    api: list[Any] = [{"Overview": "reference/index.md"}]
    nav.append({"API reference": api + _api_tree(reference)})
    return nav


def _api_tree(reference: list[str]) -> list[Any]:
    """Module pages nested by package: a package's section holds its own page first."""
    modules = [
        p.removeprefix("reference/").removesuffix(".md").replace("/", ".") for p in reference
    ]
    packages = {m for m in modules if any(o.startswith(m + ".") for o in modules)}

    def children(parent: str) -> list[Any]:
        items: list[Any] = []
        for m in sorted(m for m in modules if m.rpartition(".")[0] == parent):
            page = reference_path(m)
            short = m.rpartition(".")[2]
            if m in packages:
                items.append({short: [{m: page}, *children(m)]})
            else:
                items.append({short: page})
        return items

    roots = [m for m in modules if "." not in m]
    return [item for root in roots for item in ([{root: reference_path(root)}, *children(root)])]


def _title_of(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


# -- the README's baseline table on the baselines page ---------------------------------------------
def readme_section_table(heading: str) -> str:
    """The first Markdown table under ``## heading`` in README.md (the measured numbers)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        log.warning("gen_docs: README.md has no '## %s' section", heading)
        return ""
    block: list[str] = []
    for line in match.group(1).splitlines():
        if line.startswith("|"):
            block.append(line)
        elif block:
            break
    return "\n".join(block)


def baseline_agents_table() -> str:
    """Every registered baseline agent, from ``rl_nlp_envs.agents.registry``."""
    from rl_nlp_envs.agents import registry

    every = (*registry.BASELINES, *getattr(registry, "PETTINGZOO_BASELINES", ()))
    rows = ["| env | agent | what it does | learns | extra | in `rlnlp baselines` |"]
    rows.append("|---|---|---|---|---|---|")
    for b in every:
        if not b.learns:
            learns = "no"
        elif b.train_steps:
            learns = f"{b.train_steps:,} steps" + (
                f", at most {b.max_minutes:g} min" if b.max_minutes else ""
            )
        elif b.max_minutes:
            learns = f"at most {b.max_minutes:g} min"
        else:
            learns = "yes"
        extra = f"`{b.needs}`" if b.needs else "-"
        cheap = "yes" if b.cheap else "with `--all`"
        rows.append(
            f"| `{b.env_id}` | `{b.name}` | {b.description} | {learns} | {extra} | {cheap} |"
        )
    return "\n".join(rows)


MARKERS = {
    "<!-- gen:readme-baselines -->": lambda: readme_section_table("Baselines"),
    "<!-- gen:baseline-agents -->": baseline_agents_table,
    "<!-- gen:env-table -->": lambda: env_table(env_entries(), "environments/", ""),
}


# -- MkDocs hook API -------------------------------------------------------------------------------
_GENERATED: dict[str, str] = {}


def on_config(config: Any) -> Any:
    """Generate the pages and set the nav (mkdocs.yml has none of its own)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    pages, nav = generate(Path(config["docs_dir"]))
    _GENERATED.clear()
    _GENERATED.update(pages)
    config["nav"] = nav
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages to the site (replacing any stale copy under docs/)."""
    from mkdocs.structure.files import File

    for path, content in _GENERATED.items():
        existing = files.get_file_from_path(path)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, path, content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the ``<!-- gen:... -->`` markers of hand-written pages from the code and README."""
    for marker, make in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown


#: Sphinx roles some docstrings use (``:class:`Metric```); Markdown shows them literally.
_SPHINX_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|obj|exc|const):(?=<code>)")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Drop Sphinx role prefixes in front of inline code in the rendered API pages."""
    return _SPHINX_ROLE.sub("", html)


def _iter_written(out: Path, pages: dict[str, str]) -> Iterator[Path]:
    for path, content in pages.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        yield target


def main(argv: list[str] | None = None) -> int:
    """``python scripts/gen_docs.py OUT_DIR``: write the generated pages for inspection."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("out", type=Path, help="folder to write the generated pages into")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pages, nav = generate()
    written = list(_iter_written(args.out, pages))
    print(f"wrote {len(written)} pages under {args.out}; nav has {len(nav)} top-level entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
