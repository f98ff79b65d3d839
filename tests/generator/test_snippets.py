"""The code samples rendered from the model are the seed page's samples (whose indentation was lost)."""

from __future__ import annotations

from protocol_kit.generator import load_model
from protocol_kit.generator.snippets import code_samples

from ..seed import seed_operations


def _unindented(code: str) -> str:
    return "\n".join(line.strip() for line in code.strip().splitlines())


def test_generated_samples_are_the_pages_samples(seed_page: str) -> None:
    api = load_model()
    resource = api.resources[0]
    page = seed_operations(seed_page)
    assert [(op.method, op.path.replace(":id", "{id}")) for op in page] == [
        (op.method, op.path) for op in resource.operations
    ]
    for documented, operation in zip(page, resource.operations, strict=True):
        samples = code_samples(api, resource, operation)
        assert [(s.language, s.title) for s in samples] == [
            ("bash", "cURL"),
            ("js", "JavaScript"),
            ("python", "Python"),
            ("php", "PHP"),
        ]
        for sample in samples:
            assert _unindented(sample.code) == _unindented(documented.samples[sample.language]), (
                operation.name,
                sample.language,
            )


def test_samples_are_indented_as_code() -> None:
    api = load_model()
    resource = api.resources[0]
    create = code_samples(api, resource, resource.operations[1])
    by_language = {s.language: s.code for s in create}
    assert '\n  -H "Authorization: Bearer {token}"' in by_language["bash"]
    assert "\n  contact_id: 'WAz8eIbvDR60rouK',\n})" in by_language["js"]
    assert "\n    'contact_id' => 'WAz8eIbvDR60rouK',\n]);" in by_language["php"]
