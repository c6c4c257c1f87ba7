// How outbox items read on the pages that show records created on this phone.

import { listItems } from "./outbox.js";
import { verdictOf } from "./outbox-core.js";

/** entity id -> the verdict text of its latest submission, for records not yet synced. */
export async function itemsForAll() {
  const map = new Map();
  for (const item of await listItems().catch(() => [])) map.set(item.entity_id, verdictOf(item).text);
  return map;
}
