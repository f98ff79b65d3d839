// The conversation lifecycle through openapi-generator's `typescript-fetch` client, generated from
// the spec into ./client. Run as `node lifecycle.js BASE_URL TOKEN GROUP_ID`; prints the ids it kept
// and deleted as JSON, exits 1 on a mismatch.
import assert from "node:assert/strict";

import { Configuration, ConversationsApi, ResponseError } from "./client/index.js";
import type { ApiError } from "./client/index.js";

const CONTACT = "WAz8eIbvDR60rouK";
const MESSAGE = "xgQQXg3hrtjh7AvZ";
const ARCHIVED_AT = 705103200;

async function main(basePath: string, token: string, group: string): Promise<void> {
  const api = new ConversationsApi(new Configuration({ basePath, accessToken: token }));
  const contact = await api.createConversation({
    createConversationRequest: { contactId: CONTACT },
  });
  assert.deepEqual([contact.contactId, contact.groupId], [CONTACT, null]);
  const first = await api.createConversation({ createConversationRequest: { groupId: group } });
  const second = await api.createConversation({
    createConversationRequest: { groupId: group, contactId: null },
  });
  assert.deepEqual([second.groupId, second.contactId], [group, null]);
  const newestFirst = [second.id, first.id, contact.id];

  // Follow the cursors one conversation at a time, forwards and then back.
  let page = await api.listConversations({ limit: 1 });
  const seen = page.data.map((c) => c.id);
  while (page.hasMore) {
    page = await api.listConversations({ limit: 1, startingAfter: seen[seen.length - 1] });
    seen.push(...page.data.map((c) => c.id));
  }
  assert.deepEqual(seen, newestFirst);
  const back = await api.listConversations({ endingBefore: contact.id });
  assert.deepEqual(back.data.map((c) => c.id), newestFirst.slice(0, 2));
  const grouped = await api.listConversations({ groupId: group });
  assert.deepEqual(grouped.data.map((c) => c.id), [second.id, first.id]);

  const pinned = await api.updateConversation({
    id: contact.id,
    updateConversationRequest: {
      pinnedMessageId: MESSAGE,
      isPinned: true,
      isMuted: true,
      archivedAt: ARCHIVED_AT,
    },
  });
  assert.deepEqual(
    [pinned.pinnedMessageId, pinned.isPinned, pinned.isMuted, pinned.archivedAt],
    [MESSAGE, true, true, ARCHIVED_AT],
  );
  for (const flag of ["muted", "pinned", "archived"] as const) {
    const flagged = await api.listConversations({ [flag]: true });
    assert.deepEqual(flagged.data.map((c) => c.id), [contact.id], flag);
  }

  // Unpin and unarchive with nulls, and set the flags back to false.
  const cleared = await api.updateConversation({
    id: contact.id,
    updateConversationRequest: {
      pinnedMessageId: null,
      archivedAt: null,
      isPinned: false,
      isMuted: false,
    },
  });
  assert.deepEqual(
    [cleared.pinnedMessageId, cleared.archivedAt, cleared.isPinned, cleared.isMuted],
    [null, null, false, false],
  );
  assert.deepEqual((await api.listConversations({ muted: true })).data, []);
  assert.deepEqual(await api.getConversation({ id: contact.id }), cleared);

  await api.deleteConversation({ id: first.id });
  const missing = await api.getConversation({ id: first.id }).then(
    () => assert.fail(`${first.id} is still there after its delete`),
    (error: unknown) => error,
  );
  assert.ok(missing instanceof ResponseError, String(missing));
  assert.equal(missing.response.status, 404);
  const body = (await missing.response.json()) as ApiError;
  assert.equal(body.type, "invalid_request");
  console.log(JSON.stringify({ kept: [second.id, contact.id], deleted: [first.id] }));
}

const [basePath, token, group] = process.argv.slice(2);
await main(basePath, token, group);
