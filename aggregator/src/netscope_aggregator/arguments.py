"""Tool arguments are checked strictly: an unknown argument is an error, not silently dropped.

An assistant that passes `src` where the tool takes `src_ip` must hear so; ignoring it would answer an
unfiltered question as if it were the filtered one. Validation errors are rendered as one short clause per
problem, with the arguments the tool does take; a number that was out of range is echoed, text never is (it
may be a community string or a key).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError


def invalid_arguments_message(tool: str, allowed: Iterable[str], error: ValidationError) -> str:
    """What is wrong with a call's arguments, one problem per clause, and what the tool takes."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        if item["type"] == "extra_forbidden":
            problems.append(f"{where}: not an argument of this tool")
            continue
        text = f"{where}: {item['msg']}"
        value = item.get("input")
        if isinstance(value, int | float) and item["type"] != "missing":  # never echo text: it may be a secret
            text += f" (got {value!r})"
        problems.append(text)
    takes = ", ".join(allowed) or "none"
    return f"invalid arguments for {tool}: {'; '.join(problems)}. It takes: {takes}."
