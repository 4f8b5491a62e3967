/*
 * The tasks API's side of the wire: turning a JSON body into a task or a
 * partial update, a query string into a store query, and a stored task into
 * its Mongo-style JSON ({_id, userId, title, ...}). Every refusal names the
 * field in its message; nothing is coerced. Any thread.
 */
#ifndef API_TASK_INPUT_H
#define API_TASK_INPUT_H

#include "api/api.h"
#include "api/json_out.h"
#include "store/task.h"

/* Read req->body into patch. With creating, title is required and absent
 * fields take their defaults (status pending, priority medium, no due date,
 * no tags, empty description), and every field is marked set. CORE_OK or
 * CORE_E_VALIDATION with req->message naming the field. */
int api_task_input(api_req_t *req, bool creating, store_task_patch_t *patch);

/* Read req->query into q (q->user_id is left to the caller). CORE_OK or
 * CORE_E_VALIDATION naming the parameter. *page gets the page number (1 in
 * cursor mode). */
int api_task_query(api_req_t *req, store_task_query_t *q, int64_t *page);

/* Write the JSON object of a task ({_id, userId, title, description, status,
 * priority, dueDate, tags, completedAt, createdAt, updatedAt}, absent times
 * as null, and deletedAt for a task in the trash) as the next value of out. The only serialiser of a task. */
void api_task_write(api_json_out_t *out, const store_task_t *t);

/* The :id parameter (req->params[0]) as a task id in req's pool, or NULL
 * when it cannot be one (answer 404). A 24-hex MongoDB ObjectId names the
 * task imported from it (core/objectid.h), so the original app's links keep
 * working. */
const char *api_task_id(api_req_t *req);

/* Names on the wire of statuses, priorities and sort fields. */
extern const char *const api_task_statuses[STORE_TASK_STATUSES];
extern const char *const api_task_priorities[STORE_TASK_PRIORITIES];

#endif
