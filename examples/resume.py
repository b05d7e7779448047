"""Resume a Responses stream after the connection drops.

A local replay server cuts the connection in the middle of an event every few
events; streamkit.http reconnects with
GET /v1/responses/{id}?stream=true&starting_after=N and keeps folding into the
same Response: nothing lost, nothing twice.

    python examples/resume.py
"""

from __future__ import annotations

import httpx

import streamkit
from streamkit.testing import demo_stream


def main(base_url: str) -> streamkit.Response:
    body = {"model": "responses-text", "input": "A story, please.", "stream": True}
    policy = streamkit.http.Resume(max_attempts=3, backoff=0.05)
    with httpx.Client(base_url=base_url) as client:
        with streamkit.http.stream(
            client, "POST", "/v1/responses", json=body, resume=policy
        ) as events:
            numbers = [event.sequence_number for event in events]  # type: ignore[union-attr]
            print(f"{len(numbers)} events over {events.resumes + 1} connections")
        assert numbers == list(range(len(numbers)))  # 0 lost, 0 seen twice

        response = streamkit.http.reduce(client, "POST", "/v1/responses", json=body, resume=policy)
    assert response == streamkit.reduce(demo_stream("responses-text"))
    print(f"{response.id}: {response.verdict.status}")
    return response


if __name__ == "__main__":
    from _local import local_server

    with local_server(cut_every=100, cut_partial=True) as url:
        main(url)
