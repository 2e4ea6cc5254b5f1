"""The interactive docs work on a closed network: /docs (Swagger UI) and /redoc load every
script and stylesheet from the service itself, none from a CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord.api import create_app
from accord.settings import Settings

ASSET = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"')
TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", demo=False, worker=False)
    with TestClient(create_app(settings)) as found:
        yield found


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_every_asset_from_the_service(client: TestClient, page: str) -> None:
    html = client.get(page)
    assert html.status_code == 200
    assets = ASSET.findall(html.text)
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert re.match(r"^/[^/]", asset), f"{asset} is not served by the service"
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset
        expected = TYPES[Path(asset).suffix]
        assert expected in response.headers["content-type"], (asset, response.headers)
    assert "fonts.googleapis" not in html.text


def test_the_docs_read_the_document_of_the_service(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        assert "/openapi.json" in client.get(page).text
    assert client.get("/openapi.json").json()["info"]["title"] == "Accord"
