"""Rendered overlays, once per session."""

from __future__ import annotations

import pytest

from tests.k8s.render import OVERLAYS, Obj, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Obj]]:
    """overlay name -> rendered objects."""
    return {overlay: render(overlay) for overlay in OVERLAYS}


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    """Each overlay in turn."""
    return str(request.param)
