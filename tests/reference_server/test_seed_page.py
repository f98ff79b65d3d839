"""The seed page's cURL samples, run verbatim but for host and token, answer as the page shows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from protocol_kit.spec import Spec
from reference_server.runner import running_server

from .conftest import TOKEN

_BLOCK = re.compile(r"```(\w+)(?: \{\{ title: '([^']*)' \}\})?\n(.*?)```", re.DOTALL)


def _blocks(page: str) -> list[tuple[str, str, str]]:
    return [(lang, title or "", body) for lang, title, body in _BLOCK.findall(page)]


def _response_json(text: str) -> Any:
    """The page's response JSON; `// ...` marks an object the page abbreviated."""
    return json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))


def _curl_samples(page: str) -> list[tuple[str, Any]]:
    """Each cURL sample with the Response JSON that follows it before the next sample, if any."""
    samples: list[tuple[str, Any]] = []
    for lang, title, body in _blocks(page):
        if lang == "bash" and title == "cURL":
            samples.append((body, None))
        elif lang == "json" and title == "Response" and samples:
            samples[-1] = (samples[-1][0], _response_json(body))
    return samples


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with running_server(":memory:", tokens=[TOKEN], demo=True) as url:
        yield url


def _run(command: str, base_url: str) -> str:
    command = command.replace("https://api.protocol.chat", base_url).replace("{token}", TOKEN)
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _assert_matches(actual: Any, documented: Any, path: str = "") -> None:
    """Equal, except that abbreviated documented objects (just an id) match on what they show."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), path
        if len(documented) < len(actual):
            assert set(documented) <= set(actual), path
        else:
            assert set(actual) == set(documented), path
        for key, value in documented.items():
            _assert_matches(actual[key], value, f"{path}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) == len(documented), path
        for index, (a, d) in enumerate(zip(actual, documented, strict=True)):
            _assert_matches(a, d, f"{path}[{index}]")
    else:
        assert actual == documented, f"{path}: {actual!r} != {documented!r}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_five_curl_samples_answer_as_the_page_shows(seed_page: str, demo_url: str) -> None:
    samples = _curl_samples(seed_page)
    assert [s.split()[0:3] for s, _ in samples] == [
        ["curl", "-G", "https://api.protocol.chat/v1/conversations"],
        ["curl", "https://api.protocol.chat/v1/conversations", "\\"],
        ["curl", "https://api.protocol.chat/v1/conversations/xgQQXg3hrtjh7AvZ", "\\"],
        ["curl", "-X", "PUT"],
        ["curl", "-X", "DELETE"],
    ]
    (list_cmd, listed), (create_cmd, created), (get_cmd, got), (put_cmd, put), (del_cmd, _) = samples

    _assert_matches(json.loads(_run(list_cmd, demo_url)), listed)

    answer = json.loads(_run(create_cmd, demo_url))
    # A new conversation gets its own id and the current time; the rest is as documented.
    _assert_matches({**answer, "id": created["id"], "created_at": created["created_at"]}, created)
    assert answer["id"] != created["id"]

    _assert_matches(json.loads(_run(get_cmd, demo_url)), got)
    _assert_matches(json.loads(_run(put_cmd, demo_url)), put)
    assert _run(del_cmd, demo_url) == ""
    gone = json.loads(_run(get_cmd, demo_url))
    assert gone["type"] == "invalid_request"


def test_every_json_example_on_the_page_fits_the_spec(seed_page: str) -> None:
    spec = Spec.load()
    conversation = spec.validator("#/components/schemas/Conversation")
    page_list = spec.validator("#/components/schemas/ConversationList")
    properties = spec.resolve({"$ref": "#/components/schemas/Conversation"})["properties"]
    examples = [_response_json(body) for lang, title, body in _blocks(seed_page) if lang == "json"]
    assert len(examples) == 4
    for example in examples:
        objects = example["data"] if "data" in example else [example]
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
