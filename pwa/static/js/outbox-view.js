// How outbox items read on the pages that show records created on this phone.

import { listItems } from "./outbox.js";
import { currentVerdict, documentTypeOf, verdictOf } from "./outbox-core.js";
import { getEntity } from "./store.js";

/** Each item with what it shows now: the current state of its document from the pull. */
export async function withCurrentVerdicts(items) {
  return Promise.all(items.map(async (item) => {
    const type = documentTypeOf(item);
    const doc = type && item.state === "done" ? await getEntity(type, item.entity_id).catch(() => undefined) : undefined;
    return { item, verdict: currentVerdict(item, doc) };
  }));
}

/** entity id -> the verdict text of its latest submission, for records not yet synced. */
export async function itemsForAll() {
  const map = new Map();
  for (const item of await listItems().catch(() => [])) map.set(item.entity_id, verdictOf(item).text);
  return map;
}
