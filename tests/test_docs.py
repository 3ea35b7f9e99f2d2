"""The documentation: docstring examples run, guide code runs, every env has a page and a GIF,
and ``mkdocs build --strict`` passes."""

from __future__ import annotations

import doctest
import functools
import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rl_nlp_envs.registration import ENV_IDS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE_DIR = ROOT / "rl_nlp_envs"

#: Modules whose public docstrings must keep runnable examples.
MUST_HAVE_EXAMPLES = (
    "rl_nlp_envs.registration",
    "rl_nlp_envs.rewards",
    "rl_nlp_envs.core.task",
    "rl_nlp_envs.core.loaders",
)
#: Guides whose ``python`` code blocks are executed (one namespace per guide, in order), with
#: the optional packages their code needs (the test is skipped without them). A block right
#: after a ``<!-- no-test -->`` line is not run (long training runs, models not installed).
RUNNABLE_GUIDES = {
    "quickstart.md": (),
    "own-data.md": ("datasets", "tokenizers", "transformers"),
    "llm-text-mode.md": (),
    "custom-task.md": (),
    "baselines.md": (),
    "pettingzoo.md": ("pettingzoo", "supersuit"),
}


@functools.cache
def _gen_docs() -> Any:
    """``scripts/gen_docs.py`` (the MkDocs hook that generates the pages), loaded once."""
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_docs"] = module
    spec.loader.exec_module(module)
    return module


def _modules_with_examples() -> list[str]:
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if "data" in path.relative_to(PACKAGE_DIR).parts:
            continue
        if re.search(r"^\s*>>> ", path.read_text(encoding="utf-8"), re.M):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            names.append(".".join(parts))
    return names


EXAMPLE_MODULES = _modules_with_examples()


def test_key_modules_have_examples() -> None:
    missing = [m for m in MUST_HAVE_EXAMPLES if m not in EXAMPLE_MODULES]
    assert not missing, f"these modules lost their docstring examples: {missing}"


@pytest.mark.parametrize("module_name", EXAMPLE_MODULES)
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    tests = [t for t in finder.find(module, module_name) if t.examples]
    assert tests, f"{module_name} has '>>>' lines but doctest found no examples"
    for test in tests:
        runner.run(test, out=out.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(out)


def _python_blocks(markdown: str) -> list[str]:
    blocks = []
    skip = False
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == "<!-- no-test -->":
            skip = True
        elif re.match(r"^```python\b", line.strip()):
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            if not skip:
                blocks.append("\n".join(body))
            skip = False
        i += 1
    return blocks


@pytest.mark.parametrize("guide", RUNNABLE_GUIDES)
def test_guide_code_runs(guide: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in RUNNABLE_GUIDES[guide]:
        pytest.importorskip(module)
    path = DOCS / "guides" / guide
    assert path.exists(), f"docs/guides/{guide} is missing"
    blocks = _python_blocks(path.read_text(encoding="utf-8"))
    assert blocks, f"docs/guides/{guide} has no runnable python block"
    monkeypatch.chdir(tmp_path)  # guides may write example files
    namespace: dict[str, Any] = {"__name__": f"guide_{guide}"}
    for k, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/guides/{guide} block {k + 1}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"docs/guides/{guide}, python block {k + 1} failed:\n"
                f"{block}\n{type(exc).__name__}: {exc}"
            ) from exc


@pytest.fixture(scope="module")
def generated() -> tuple[Any, list[Any], dict[str, str], list[Any]]:
    """The generator module, its env entries, pages and nav (built once: makes every env)."""
    gen = _gen_docs()
    pages, nav = gen.generate()
    return gen, gen.env_entries(), pages, nav


def test_every_env_has_a_generated_page(
    generated: tuple[Any, list[Any], dict[str, str], list[Any]],
) -> None:
    gen, entries, pages, nav = generated
    assert {e.env_id for e in entries} >= set(ENV_IDS)
    env_nav = next(item["Environments"] for item in nav if "Environments" in item)
    for entry in entries:
        page = pages.get(f"environments/{entry.slug}.md")
        assert page is not None, f"no page for {entry.env_id}"
        assert {entry.env_id: f"environments/{entry.slug}.md"} in env_nav
        for section in gen.REQUIRED_SECTIONS:
            assert f"\n## {section}\n" in page, f"{entry.env_id}: no '{section}' section"
        # the live spaces are printed, not copied
        assert "action_space = " in page and "observation_space = " in page


def test_argument_tables_list_only_accepted_arguments(
    generated: tuple[Any, list[Any], dict[str, str], list[Any]],
) -> None:
    import gymnasium as gym

    gen, entries, _, _ = generated
    for entry in entries:
        if entry.kind != "gymnasium":
            continue
        params = gen._signature_params(entry.cls)
        kwargs = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}
        assert "render_mode" in kwargs, f"{entry.env_id}: render_mode missing from the table"
        # every listed argument, passed explicitly with its default, must be accepted
        gym.make(entry.env_id, **kwargs).close()
    translate = next(e for e in entries if e.env_id == "rlnlp/Translate-v0")
    names = [p.name for p in gen._signature_params(translate.cls)]
    assert "action_mode" in names and "tokenizer" in names  # from TextEnv through **kwargs
    assert "task" not in names and "title" not in names  # fixed by TranslateEnv itself


def test_a_docstring_without_the_sections_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    import gymnasium as gym

    class BareEnv(gym.Env[Any, Any]):
        """An env whose docstring has only a description.

        ## Description
        Nothing else.
        """

        def __init__(self, **kwargs: Any) -> None:
            self.action_space = gym.spaces.Discrete(2)
            self.observation_space = gym.spaces.Discrete(3)

    gen = _gen_docs()
    env_id = "doccheck/Bare-v0"
    gym.register(id=env_id, entry_point=BareEnv)
    try:
        entry = gen.EnvEntry(env_id=env_id, kind="gymnasium", cls=BareEnv, entry_point="x:BareEnv")
        with caplog.at_level("WARNING", logger="mkdocs.hooks.gen_docs"):
            page = gen.env_page(entry)
    finally:
        gym.registry.pop(env_id)
    assert "action_space = Discrete(2)" in page and "## Description\n\nNothing else." in page
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "lacks the section(s): Action Space, Observation Space, Rewards" in warned


def test_docstring_sections_to_markdown() -> None:
    gen = _gen_docs()
    summary, sections = gen.docstring_sections(
        "Short summary.\n\n    ## Description\n    Text.\n    Modes:\n    - a\n    - b\n"
        "\n    ## Rewards\n    +1.\n"
    )
    assert summary == "Short summary."
    assert sections == [("Description", "Text.\nModes:\n\n- a\n- b"), ("Rewards", "+1.")]


def test_nav_lists_the_guides_that_exist(tmp_path: Path) -> None:
    gen = _gen_docs()
    guides = tmp_path / "guides"
    guides.mkdir()
    for name in ("quickstart.md", "own-data.md", "sb3.md", "cleanrl.md"):
        (guides / name).write_text(f"# {name}\n", encoding="utf-8")
    (guides / "zz-extra.md").write_text("# An extra guide\n", encoding="utf-8")
    nav = gen.build_nav([], ["reference/rl_nlp_envs/registration.md"], tmp_path)
    flat = repr(nav)
    for present in (
        "guides/quickstart.md",
        "guides/own-data.md",
        "guides/sb3.md",
        "guides/cleanrl.md",
        "'An extra guide': 'guides/zz-extra.md'",
    ):
        assert present in flat, f"{present} missing from the nav {nav}"
    for absent in ("rllib.md", "torchrl.md", "tianshou.md", "baselines.md", "pettingzoo.md"):
        assert absent not in flat, f"{absent} is in the nav but does not exist"


def test_every_env_has_a_small_gif(
    generated: tuple[Any, list[Any], dict[str, str], list[Any]],
) -> None:
    gen, entries, _, _ = generated
    for entry in entries:
        gif = DOCS / "img" / "envs" / f"{entry.slug}.gif"
        assert gif.exists(), (
            f"{entry.env_id} has no GIF; record it with "
            f"python scripts/record_gifs.py --env {entry.env_id}"
        )
        assert gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
        assert gif.stat().st_size < 1_000_000, f"{gif} is over 1 MB"
        if importlib.util.find_spec("PIL") is not None:
            assert re.match(r"\d+ episodes? with ", gen.gif_caption(gif)), (
                f"{gif} has no caption; re-record it with scripts/record_gifs.py"
            )


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install -e '.[docs]')")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SDL_VIDEODRIVER": "dummy"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for entry in _gen_docs().env_entries():
        html = site / "environments" / entry.slug / "index.html"
        assert html.exists(), f"no built page for {entry.env_id}"
        assert entry.env_id in html.read_text(encoding="utf-8")
    reference = site / "reference" / "rl_nlp_envs" / "core" / "text_env" / "index.html"
    assert "TextEnv" in reference.read_text(encoding="utf-8")
