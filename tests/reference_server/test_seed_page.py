"""The seed page's cURL samples, run verbatim but for host and token, answer as the page shows."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from protocol_kit.server.runner import running_server
from protocol_kit.spec import Spec

from ..seed import check_seed_results, seed_operations
from .conftest import TOKEN


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with running_server(":memory:", tokens=[TOKEN], demo=True) as url:
        yield url


def _run(command: str, base_url: str) -> str:
    command = command.replace("https://api.protocol.chat", base_url).replace("{token}", TOKEN)
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_five_curl_samples_answer_as_the_page_shows(seed_page: str, demo_url: str) -> None:
    operations = seed_operations(seed_page)
    outputs = [_run(op.samples["bash"], demo_url) for op in operations]
    # DELETE prints nothing: its 204 has no body, as the page shows no response.
    check_seed_results(operations, [json.loads(out) if out else None for out in outputs])
    gone = json.loads(_run(operations[2].samples["bash"], demo_url))
    assert gone["type"] == "invalid_request"


def test_every_json_example_on_the_page_fits_the_spec(seed_page: str) -> None:
    spec = Spec.load()
    conversation = spec.validator("#/components/schemas/Conversation")
    page_list = spec.validator("#/components/schemas/ConversationList")
    properties = spec.schemas["Conversation"].properties
    examples = [op.response for op in seed_operations(seed_page) if op.response is not None]
    assert len(examples) == 4
    for example in examples:
        objects = example.get("data", [example])
        for item in objects:
            if len(item) == len(properties):
                assert not list(conversation.iter_errors(item)), item
            else:  # abbreviated on the page: each attribute it does show must fit
                for key, value in item.items():
                    pointer = f"#/components/schemas/Conversation/properties/{key}"
                    assert spec.validator(pointer).is_valid(value), (key, value)
        if "data" in example:
            complete = {**example, "data": [i for i in objects if len(i) == len(properties)]}
            assert not list(page_list.iter_errors(complete))
