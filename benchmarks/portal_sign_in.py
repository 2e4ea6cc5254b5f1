"""What the portal's security costs a request: a sign-in (argon2id, 64 MiB, 3 passes: most of
it is the hash, on purpose) and a signed-in page (the session looked up by its digest), on
SQLite, in process (FastAPI's TestClient: its own overhead is in the figures).

    .venv/bin/python benchmarks/portal_sign_in.py               # about 30 s
    .venv/bin/python benchmarks/portal_sign_in.py --pages 100   # fewer page views
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from accord.api import create_app  # noqa: E402
from accord.service import agreements, people, tenants  # noqa: E402
from accord.service.demo import DATA  # noqa: E402
from accord.settings import Settings  # noqa: E402
from accord.store import connect  # noqa: E402

PASSWORD = "a benchmark's long password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _milliseconds(samples: list[float]) -> str:
    found = np.array(samples) * 1000
    return f"p50 {np.percentile(found, 50):7.1f} ms   p95 {np.percentile(found, 95):7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sign-ins", type=int, default=20)
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    database = connect(f"sqlite:///{folder / 'accord.db'}")
    with database.session() as session:
        organisation = tenants.create_organisation(session, "bench", "Bench")
        admin = tenants.Principal(organisation.id, "bench", "admin")
        for name in ("saas.yaml", "it-service-desk.yaml"):
            agreements.upload(session, admin, (DATA / "agreements" / name).read_text())
        people.add_person(
            session,
            organisation.id,
            "ana@acme-corp.example",
            PASSWORD,
            "customer_viewer",
            tenants.now(),
            customer="acme-corp",
        )
    settings = Settings(database_url="unused", demo=False, worker=False, sign_in_limit=10**6)
    sign_ins, pages = [], []
    with TestClient(create_app(settings, database)) as client:
        for _ in range(args.sign_ins):
            client.cookies.clear()
            token = CSRF.search(client.get("/portal/sign-in").text)
            assert token is not None
            started = time.perf_counter()
            answer = client.post(
                "/portal/sign-in",
                data={
                    "email": "ana@acme-corp.example",
                    "password": PASSWORD,
                    "csrf_token": token.group(1),
                },
                follow_redirects=False,
            )
            sign_ins.append(time.perf_counter() - started)
            assert answer.status_code == 303
        for _ in range(args.pages):
            started = time.perf_counter()
            answer = client.get("/portal/")
            pages.append(time.perf_counter() - started)
            assert answer.status_code == 200
            assert "cloudnote-saas" in answer.text
    print(f"sign-in (POST /portal/sign-in), {args.sign_ins} times:  {_milliseconds(sign_ins)}")
    print(f"home page (GET /portal/), {args.pages} times:       {_milliseconds(pages)}")
    database.dispose()


if __name__ == "__main__":
    main()
