/*
 * The one error table, after libuv's UV_ERRNO_MAP: each row names an error,
 * its HTTP status and the message clients see. It generates the enum
 * (CORE_E_<NAME>, negative; CORE_OK is 0), and core_error_status() /
 * core_error_message() look rows up. Functions return CORE_OK or one of these
 * codes; only the HTTP layer turns a code into a response, so no handler
 * writes a status code inline. Messages of the accounts rows are the original
 * app's strings, byte for byte, because its React client shows them.
 */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

#define CORE_ERRORS(X)                                                                                        \
    X(BAD_REQUEST, 400, "Bad Request")                                                                       \
    X(INVALID_JSON, 400, "Malformed JSON body")                                                              \
    X(VALIDATION, 400, "Invalid request")                                                                    \
    X(MISSING_DETAILS, 400, "Missing Details")                                                               \
    X(INVALID_EMAIL, 400, "Invalid email")                                                                   \
    X(WEAK_PASSWORD, 400, "Password must be at least 8 characters")                                          \
    X(LOGIN_FIELDS_REQUIRED, 400, "Email and password are required")                                         \
    X(ALREADY_VERIFIED, 400, "Account Already verified")                                                     \
    X(INVALID_OTP, 400, "Invalid OTP")                                                                       \
    X(OTP_EXPIRED, 400, "OTP Expired")                                                                       \
    X(EMAIL_REQUIRED, 400, "Email is required")                                                              \
    X(RESET_FIELDS_REQUIRED, 400, "Email, OTP, and new password are required")                               \
    X(INVALID_CREDENTIALS, 401, "Invalid email or password")                                                 \
    X(NOT_AUTHORIZED, 401, "Not Authorized. Login Again")                                                    \
    X(FORBIDDEN, 403, "Forbidden")                                                                           \
    X(NOT_FOUND, 404, "Not Found")                                                                           \
    X(USER_NOT_FOUND, 404, "User not found")                                                                 \
    X(TASK_NOT_FOUND, 404, "Task not found")                                                                 \
    X(METHOD_NOT_ALLOWED, 405, "Method Not Allowed")                                                         \
    X(USER_EXISTS, 409, "User already exists")                                                               \
    X(CONFLICT, 409, "Conflict")                                                                             \
    X(PAYLOAD_TOO_LARGE, 413, "Request body too large")                                                      \
    X(UNSUPPORTED_MEDIA_TYPE, 415, "Content-Type must be application/json")                                  \
    X(HEADERS_TOO_LARGE, 431, "Request header fields too large")                                             \
    X(RATE_LIMITED, 429, "Too many requests from this IP, please try again later.")                          \
    X(INTERNAL, 500, "Internal Server Error")                                                                \
    X(UNAVAILABLE, 503, "Service Unavailable")

enum core_error_index {
    CORE_ERROR_INDEX_OK_ = 0,
#define CORE_ERROR_INDEX(name, status, msg) CORE_ERROR_INDEX_##name,
    CORE_ERRORS(CORE_ERROR_INDEX)
#undef CORE_ERROR_INDEX
        CORE_ERROR_INDEX_MAX_
};

enum core_error {
    CORE_OK = 0,
#define CORE_ERROR_CODE(name, status, msg) CORE_E_##name = -CORE_ERROR_INDEX_##name,
    CORE_ERRORS(CORE_ERROR_CODE)
#undef CORE_ERROR_CODE
};

/* HTTP status of a code (200 for CORE_OK, 500 for an unknown code). */
int core_error_status(int code);

/* Client-facing message of a code; a static string, never NULL. */
const char *core_error_message(int code);

/* The symbolic name ("NOT_FOUND") for logs; a static string, never NULL. */
const char *core_error_name(int code);

#endif
