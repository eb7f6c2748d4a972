"""The size rules the loop's refactor set (README "Layout"): small files with one purpose and short
functions in trainer/ and app/, so a change to when evaluations happen or what a flush writes stays
inside one part. A file or function that grows past them fails here, named."""

import ast

from tests.conftest import ROOT

MAX_FILE_LINES = 350
MAX_FUNCTION_LINES = 80


def sources():
    for folder in ("trainer", "app"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_file_over_350_lines_and_no_function_over_80_in_trainer_and_app():
    files = list(sources())
    assert len(files) > 20  # the walk found the packages
    too_long = []
    for path in files:
        text = path.read_text()
        if text.count("\n") > MAX_FILE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}(): {n} lines")
    assert not too_long, too_long
