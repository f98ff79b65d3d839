"""The conversation lifecycle through openapi-generator's `python` client, generated from the spec.

Run as ``python openapi_generator.py BASE_URL TOKEN GROUP_ID`` with the generated package
``conversations_og`` importable; prints the ids it kept and deleted as JSON, exits 1 on a mismatch.
"""

from __future__ import annotations

import json
import sys

from conversations_og import (
    ApiClient,
    Configuration,
    ContactConversationRequest,
    ConversationsApi,
    CreateConversationRequest,
    Error,
    GroupConversationRequest,
    UpdateConversationRequest,
)
from conversations_og.exceptions import NotFoundException

CONTACT = "WAz8eIbvDR60rouK"
MESSAGE = "xgQQXg3hrtjh7AvZ"
ARCHIVED_AT = 705103200


def main(base_url: str, token: str, group: str) -> None:
    api = ConversationsApi(ApiClient(Configuration(host=base_url, access_token=token)))
    contact = api.create_conversation(
        CreateConversationRequest(ContactConversationRequest(contact_id=CONTACT))
    )
    assert (contact.contact_id, contact.group_id) == (CONTACT, None)
    first = api.create_conversation(
        CreateConversationRequest(GroupConversationRequest(group_id=group))
    )
    second = api.create_conversation(
        CreateConversationRequest(GroupConversationRequest(group_id=group, contact_id=None))
    )
    assert (second.group_id, second.contact_id) == (group, None)
    newest_first = [second.id, first.id, contact.id]

    # Follow the cursors one conversation at a time, forwards and then back.
    page = api.list_conversations(limit=1)
    seen = [c.id for c in page.data]
    while page.has_more:
        page = api.list_conversations(limit=1, starting_after=seen[-1])
        seen += [c.id for c in page.data]
    assert seen == newest_first, seen
    back = api.list_conversations(ending_before=contact.id)
    assert [c.id for c in back.data] == newest_first[:2]
    grouped = api.list_conversations(group_id=group)
    assert [c.id for c in grouped.data] == [second.id, first.id]

    pinned = api.update_conversation(
        contact.id,
        UpdateConversationRequest(
            pinned_message_id=MESSAGE, is_pinned=True, is_muted=True, archived_at=ARCHIVED_AT
        ),
    )
    assert (pinned.pinned_message_id, pinned.is_pinned, pinned.is_muted) == (MESSAGE, True, True)
    assert pinned.archived_at == ARCHIVED_AT
    for flag in ("muted", "pinned", "archived"):
        flagged = api.list_conversations(**{flag: True})
        assert [c.id for c in flagged.data] == [contact.id], flag

    # Unpin and unarchive with nulls, and set the flags back to false.
    cleared = api.update_conversation(
        contact.id,
        UpdateConversationRequest(
            pinned_message_id=None, archived_at=None, is_pinned=False, is_muted=False
        ),
    )
    assert (cleared.pinned_message_id, cleared.archived_at) == (None, None)
    assert (cleared.is_pinned, cleared.is_muted) == (False, False)
    assert api.list_conversations(muted=True).data == []
    assert api.get_conversation(contact.id) == cleared

    api.delete_conversation(first.id)
    try:
        api.get_conversation(first.id)
    except NotFoundException as missing:
        error = Error.from_json(missing.body)
        assert missing.status == 404 and error is not None, missing
        assert error.type == "invalid_request", error
    else:
        raise AssertionError(f"{first.id} is still there after its delete")
    print(json.dumps({"kept": [second.id, contact.id], "deleted": [first.id]}))


if __name__ == "__main__":
    main(*sys.argv[1:])
