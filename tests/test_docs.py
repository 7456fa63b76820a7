"""The docs stay true: README.md and docs/*.md against the code they describe."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from hydra._internal.utils import get_args_parser

from mnist_gan.config.command_line import check_command_line, jobs
from mnist_gan.config.compose import compose_config
from mnist_gan.config.knobs import check_knobs
from mnist_gan.config.reference import PAGE, page

from conftest import REPO, quick_first, require_extras

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
ENTRIES = {
    "train.py": "train",
    "eval.py": "eval",
    "generate.py": "generate",
    "mnist-gan-train": "train",
    "mnist-gan-eval": "eval",
    "mnist-gan-generate": "generate",
}


def blocks(path: Path) -> list[tuple[str, str]]:
    return BLOCK.findall(path.read_text(encoding="utf-8"))


def excerpts() -> list[tuple[str, str, str]]:
    """(page, file, text) for each code block that starts with a comment naming a file."""
    found = []
    for path in PAGES:
        for _, body in blocks(path):
            first, _, rest = body.partition("\n")
            if re.fullmatch(r"# [\w./-]+\.(py|yaml)", first.strip()):
                found.append((path.name, first.strip()[2:], rest))
    return found


@pytest.mark.parametrize(("page_name", "file", "text"), excerpts(), ids=lambda v: str(v)[:40])
def test_every_excerpt_is_copied_from_its_file(page_name, file, text):
    assert text in (REPO / file).read_text(encoding="utf-8"), f"{page_name}: {file}"


def test_the_knob_reference_is_current():
    assert PAGE.read_text(encoding="utf-8") == page(), "python -m mnist_gan.config.reference"


def commands() -> list[tuple[str, str, list[str]]]:
    """(page, entry config, arguments) of every train/eval/generate command in a code block."""
    found = []
    for path in PAGES:
        for language, body in blocks(path):
            if language not in ("bash", "sh", "shell"):
                continue
            for line in body.replace("\\\n", " ").splitlines():
                for part in line.split("&&"):
                    words = shlex.split(part.split(" #")[0])
                    for i, word in enumerate(words):
                        name = Path(word).name
                        if name in ENTRIES and (i == 0 or words[i - 1] == "python"):
                            found.append((path.name, ENTRIES[name], words[i + 1 :]))
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("page_name", "entry", "argv"), commands(), ids=lambda v: str(v)[:60])
def test_every_documented_command_composes_and_its_values_pass(
    page_name, entry, argv, tmp_path, tiny_checkpoint, mnist_dir
):
    """Through the front door's own parser and composition (keys, options, syntax), then the
    knob declarations (values), job by job for a sweep; nothing runs. The files a command
    names on the reader's machine are this machine's: a checkpoint, the MNIST folder."""
    real = {"ckpt_path": tiny_checkpoint, "data.data_dir": mnist_dir}
    argv = [
        f"{a.split('=')[0]}={real[a.split('=')[0]]}"
        if a.split("=")[0] in real and a.split("=", 1)[1] not in ("auto", "null")
        else a
        for a in argv
    ]
    if any(a.startswith("hparams_search=") for a in argv):
        require_extras("optuna")
    check_command_line(entry, argv)
    args, _ = get_args_parser().parse_known_args(argv)
    for overrides in jobs(args.overrides, args.multirun):
        if any(o.startswith("hparams_search=") for o in overrides):
            continue  # the sweeper's search space, not values
        check_knobs(compose_config(entry, overrides, tmp_path), entry)


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page."""
    text = BLOCK.sub("", path.read_text(encoding="utf-8"))
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_relative_link_and_image_resolves():
    for path in PAGES:
        text = BLOCK.sub("", path.read_text(encoding="utf-8"))
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)]*))?\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            page = path.parent / target if target else path
            assert page.exists(), f"{path.name}: {target}"
            if anchor:  # a section a benchmark has not yet published fails here too
                assert anchor in anchors(page), f"{path.name}: {target}#{anchor}"


def answers() -> list[tuple[str, list[str], str]]:
    """(entry, arguments, answer) of each command row of troubleshooting.md's first table."""
    text = (REPO / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `python (train|eval|generate)\.py ?([^`]*)` \| `(.*)` \|$", text, re.M)
    return [(entry, shlex.split(args), answer) for entry, args, answer in rows]


# The first rows (Hydra's own refusal, an unknown key, a knob's range) in the quick tier.
@pytest.mark.parametrize(
    ("entry", "argv", "answer"), quick_first(answers(), 3), ids=lambda v: str(v)[:50]
)
def test_every_documented_answer_is_the_answer(entry, argv, answer, tmp_path, mnist_dir, request):
    """The command, run as its console script would (up to Trainer.fit), ends with exit code 2
    and one ERROR line that reads as documented (`…` for text left out)."""
    from fuzzing import run_command

    if "ckpt_path=last.ckpt" in argv:
        ckpt = request.getfixturevalue("tiny_checkpoint")
        argv = [f"ckpt_path={ckpt}" if a == "ckpt_path=last.ckpt" else a for a in argv]
    where = [f"hydra.run.dir={tmp_path / 'run'}", f"data.data_dir={mnist_dir}"]
    outcome = run_command(entry, [*where[: 2 if entry != "generate" else 1], *argv], dry=True)
    errors = [line for line in outcome.output.splitlines() if "ERROR" in line]
    assert outcome.code == 2 and len(errors) == 1, outcome.output[-2000:]
    pattern = ".*".join(re.escape(part) for part in answer.split("…"))
    assert re.search(pattern, errors[0]), errors[0]
