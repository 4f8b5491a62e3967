/*
 * The one error table, after libuv's UV_ERRNO_MAP: each row names an error,
 * its HTTP status, its status under ERROR_STATUS=legacy, and the message
 * clients see. Legacy mode answers 200 where the original Express app did
 * (its handlers and auth middleware always used res.json) and keeps the
 * status where Express middleware answered (404 route, 413, 415, malformed
 * JSON, 429; and Node's own 400 and 417 for a malformed request). The
 * IDEMPOTENCY_* rows keep theirs too: the original client never sends
 * Idempotency-Key, and a client that does must tell "retry later" (409) and
 * "wrong key" (400, 422) from a handler's answer, which a 200 would hide.
 * It generates the enum
 * (CORE_E_<NAME>, negative; CORE_OK is 0), and core_error_status() /
 * core_error_message() look rows up. Functions return CORE_OK or one of these
 * codes; only the HTTP layer turns a code into a response, so no handler
 * writes a status code inline. Messages of the accounts rows are the original
 * app's strings, byte for byte, because its React client shows them.
 */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

#define CORE_ERRORS(X)                                                                                        \
    X(BAD_REQUEST, 400, 200, "Bad Request")                                                                       \
    X(MALFORMED_REQUEST, 400, 400, "Malformed request")                                                           \
    X(INVALID_JSON, 400, 400, "Malformed JSON body")                                                              \
    X(VALIDATION, 400, 200, "Invalid request")                                                                    \
    X(MISSING_DETAILS, 400, 200, "Missing Details")                                                               \
    X(INVALID_EMAIL, 400, 200, "Invalid email")                                                                   \
    X(WEAK_PASSWORD, 400, 200, "Password must be at least 8 characters")                                          \
    X(LOGIN_FIELDS_REQUIRED, 400, 200, "Email and password are required")                                         \
    X(ALREADY_VERIFIED, 400, 200, "Account Already verified")                                                     \
    X(INVALID_OTP, 400, 200, "Invalid OTP")                                                                       \
    X(OTP_EXPIRED, 400, 200, "OTP Expired")                                                                       \
    X(EMAIL_REQUIRED, 400, 200, "Email is required")                                                              \
    X(RESET_FIELDS_REQUIRED, 400, 200, "Email, OTP, and new password are required")                               \
    X(IDEMPOTENCY_KEY, 400, 400, "Idempotency-Key must be 1 to 255 printable ASCII characters")                   \
    X(INVALID_CREDENTIALS, 401, 200, "Invalid email or password")                                                 \
    X(NOT_AUTHORIZED, 401, 200, "Not Authorized. Login Again")                                                    \
    X(FORBIDDEN, 403, 403, "Forbidden")                                                                           \
    X(NOT_FOUND, 404, 404, "Not Found")                                                                           \
    X(USER_NOT_FOUND, 404, 200, "User not found")                                                                 \
    X(TASK_NOT_FOUND, 404, 200, "Task not found")                                                                 \
    X(METHOD_NOT_ALLOWED, 405, 405, "Method Not Allowed")                                                         \
    X(USER_EXISTS, 409, 200, "User already exists")                                                               \
    X(CONFLICT, 409, 200, "Conflict")                                                                             \
    X(IDEMPOTENCY_IN_PROGRESS, 409, 409, "A request with this Idempotency-Key is in progress; retry later")       \
    X(PAYLOAD_TOO_LARGE, 413, 413, "Request body too large")                                                      \
    X(UNSUPPORTED_MEDIA_TYPE, 415, 415, "Content-Type must be application/json")                                  \
    X(EXPECTATION_FAILED, 417, 417, "Expectation Failed")                                                         \
    X(IDEMPOTENCY_MISMATCH, 422, 422, "This Idempotency-Key was used with a different request")                   \
    X(HEADERS_TOO_LARGE, 431, 431, "Request header fields too large")                                             \
    X(RATE_LIMITED, 429, 429, "Too many requests from this IP, please try again later.")                          \
    X(INTERNAL, 500, 200, "Internal Server Error")                                                                \
    X(UNAVAILABLE, 503, 503, "Service Unavailable")

enum core_error_index {
    CORE_ERROR_INDEX_OK_ = 0,
#define CORE_ERROR_INDEX(name, status, legacy, msg) CORE_ERROR_INDEX_##name,
    CORE_ERRORS(CORE_ERROR_INDEX)
#undef CORE_ERROR_INDEX
        CORE_ERROR_INDEX_MAX_
};

enum core_error {
    CORE_OK = 0,
#define CORE_ERROR_CODE(name, status, legacy, msg) CORE_E_##name = -CORE_ERROR_INDEX_##name,
    CORE_ERRORS(CORE_ERROR_CODE)
#undef CORE_ERROR_CODE
};

/* HTTP status of a code (200 for CORE_OK, 500 for an unknown code). */
int core_error_status(int code);

/* HTTP status of a code under ERROR_STATUS=legacy. */
int core_error_status_legacy(int code);

/* Client-facing message of a code; a static string, never NULL. */
const char *core_error_message(int code);

/* The symbolic name ("NOT_FOUND") for logs; a static string, never NULL. */
const char *core_error_name(int code);

#endif
