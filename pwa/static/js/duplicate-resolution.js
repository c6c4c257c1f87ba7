// A customer the server refused as a possible duplicate: the rep either uses one of the
// existing customers it named (the refused one's orders and quotes move to it) or confirms
// it is new (sent again with `confirm_new`). Both work offline: they only change the phone.
//
// The server refuses any later use of an id whose creation it refused, so what goes again
// goes under a new id.

import { newId } from "./ids.js";
import { enqueue, listItems, saveItems } from "./outbox.js";
import { documentsToMove } from "./outbox-core.js";
import { deleteEntity, putEntity } from "./store.js";

/** The customer.create item refused as a possible duplicate, or null. */
export function refusedCreate(items) {
  const creates = items.filter((i) => i.type.startsWith("customer.create"));
  const last = creates[creates.length - 1];
  const o = last?.outcome;
  const open = last && !last.used_customer_id && !last.confirmed_as;
  return open && last.state === "done" && o?.status === "rejected" && o.code === "possible_duplicate" ? last : null;
}

async function moveDocuments(fromId, toId) {
  const { rewritten, resend } = documentsToMove(await listItems(), fromId, toId, newId);
  await saveItems(rewritten);
  for (const fields of resend) await enqueue(fields);
}

/** Sends the refused customer again, confirmed as new, with its refused documents after
 * it. Returns the customer's new id. */
export async function confirmNew(item, customer) {
  const id = newId();
  await putEntity("customer", id, { ...customer, id });
  await enqueue({ type: item.type, entity_id: id, args: { ...item.args, id, confirm_new: true }, label: item.label });
  await moveDocuments(item.entity_id, id);
  await saveItems([{ ...item, confirmed_as: id }]);
  await deleteEntity("customer", item.entity_id);
  return id;
}

/** Uses the existing customer `candidate` instead; the refused record leaves the phone. */
export async function useExisting(item, candidate) {
  await moveDocuments(item.entity_id, candidate.id);
  await saveItems([{ ...item, used_customer_id: candidate.id }]);
  await deleteEntity("customer", item.entity_id);
}
