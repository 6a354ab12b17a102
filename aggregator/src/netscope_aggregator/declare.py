"""The two ways a tool is declared: `unary` (one RPC: arguments → request → reply → answer) and `composite`
(a hand-written handler: several RPCs at once, or a write confirmed first). Both give a catalog `Declaration`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from netscope_aggregator.auth import Role
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Declaration
from netscope_aggregator.contracts import Rpc


def unary(
    backends: Backends,
    *,
    name: str,
    description: str,
    toolsets: tuple[str, ...],
    rpc: Rpc[Any, Any],
    request: Callable[..., Message],
    render: Callable[[Any], Any],
) -> Declaration:
    """A read tool that makes one call. `request`'s signature is the tool's argument model and its name names that
    model; `render` turns the reply into the answer (its return type is the answer's schema)."""

    async def handler(**arguments: Any) -> Any:
        return render(await backends.call(rpc, request(**arguments)))

    signature = inspect.signature(request, eval_str=True)
    answer = inspect.signature(render, eval_str=True).return_annotation
    handler.__signature__ = signature.replace(return_annotation=answer)  # type: ignore[attr-defined]
    handler.__annotations__ = {**{p.name: p.annotation for p in signature.parameters.values()}, "return": answer}
    handler.__name__ = handler.__qualname__ = request.__name__
    handler.__doc__ = request.__doc__
    return Declaration(handler, name, description, toolsets, (rpc,))


def composite(
    handler: Callable[..., Any],
    *,
    name: str,
    description: str,
    toolsets: tuple[str, ...],
    rpcs: tuple[Rpc[Any, Any], ...],
    role: Role = Role.READ,
    writes: bool = False,
    destructive: bool = False,
) -> Declaration:
    """A tool with its own handler; `rpcs` are all the RPCs it may call."""
    return Declaration(handler, name, description, toolsets, rpcs, role, writes, destructive)
