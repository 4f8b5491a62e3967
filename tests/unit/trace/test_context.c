/*
 * Unit tests for src/trace/context.c (W3C traceparent and tracestate, read
 * strictly: the cases the spec's test suite names), src/trace/sampler.c
 * (which traces each sampler keeps) and src/trace/otlp.c (the OTLP JSON of
 * a span, OTEL_RESOURCE_ATTRIBUTES). Expected values are written out here,
 * never computed by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>

#include "trace/context.h"
#include "trace/otlp.h"
#include "core/log.h"
#include "trace/sampler.h"
#include "trace/scope.h"
#include "trace/span.h"

#define S(lit) CORE_STR_LIT(lit)

static const char *const valid =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

static void test_parent_valid(void **state)
{
    trace_parent_t p;
    static const uint8_t trace_id[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                         0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
    static const uint8_t span_id[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};

    (void)state;
    assert_true(trace_parent_parse(core_str_c(valid), &p));
    assert_memory_equal(p.trace_id, trace_id, 16);
    assert_memory_equal(p.span_id, span_id, 8);
    assert_int_equal(p.flags, 1);
    assert_true(trace_parent_parse(S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"), &p));
    assert_int_equal(p.flags, 0);
    /* unknown flag bits are read, not refused */
    assert_true(trace_parent_parse(S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff"), &p));
    assert_int_equal(p.flags, 0xff);
}

static void test_parent_future_version(void **state)
{
    trace_parent_t p;

    (void)state;
    assert_true(trace_parent_parse(S("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), &p));
    assert_int_equal(p.flags, 1);
    assert_true(trace_parent_parse(S("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future"), &p));
    assert_true(trace_parent_parse(S("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"), &p));
    /* a later version still needs '-' after the flags, and its fields as in 00 */
    assert_false(trace_parent_parse(S("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what"), &p));
    assert_false(trace_parent_parse(S("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"), &p));
}

static void test_parent_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "00",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* version ff */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", /* 00 has exactly 55 characters */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero span id */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* uppercase */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
        "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", /* short trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", /* short span id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", /* separators */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736--0f067aa0ba902b7-01",
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };
    trace_parent_t p = {.flags = 7};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (trace_parent_parse(core_str_c(bad[i]), &p))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(p.flags, 7); /* untouched */
    assert_false(trace_parent_parse(CORE_STR_NULL, &p));
    /* a NUL inside is not hex */
    assert_false(trace_parent_parse(core_str("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\0", 55), &p));
}

static void test_parent_format(void **state)
{
    trace_parent_t p;
    char out[TRACE_PARENT_LEN + 1];

    (void)state;
    assert_true(trace_parent_parse(core_str_c(valid), &p));
    trace_parent_format(p.trace_id, p.span_id, 1, out);
    assert_string_equal(out, valid);
    trace_parent_format(p.trace_id, p.span_id, 0, out);
    assert_string_equal(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
}

static void test_state(void **state)
{
    static const char *const good[] = {
        "",
        "rojo=00f067aa0ba902b7",
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        " rojo=1 ,\tcongo=2\t",
        "rojo=1,,congo=2", /* empty members are allowed */
        "tenant1@system=x",
        "1tenant@sys-tem=x", /* a tenant id may start with a digit */
        "a_b-c*d/e=v a l",   /* spaces inside a value */
        "k=!\"#$%&'()*+-./:;<>?@[]^_`{|}~",
    };
    static const char *const bad[] = {
        "Rojo=1",             /* uppercase key */
        "1rojo=1",            /* a simple key starts with a letter */
        "rojo",               /* no '=' */
        "rojo=",              /* empty value */
        "=1",                 /* empty key */
        "rojo=1,rojo=2",      /* the same key twice */
        "rojo=a,b",           /* 'b' has no '=' */
        "rojo=a=b",           /* '=' in a value */
        "rojo=\x01",          /* control character */
        "rojo=\xc3\xa9",      /* not ASCII */
        "tenant@1sys=x",      /* a system id starts with a letter */
        "tenant@systemtoolong15=x",
        "@sys=x",
        "ten@ant@sys=x",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!trace_state_valid(core_str_c(good[i])))
            fail_msg("refused \"%s\"", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (trace_state_valid(core_str_c(bad[i])))
            fail_msg("accepted \"%s\"", bad[i]);
}

static void test_state_limits(void **state)
{
    char buf[1024];
    size_t n = 0;

    (void)state;
    /* 32 members are fine, 33 are not */
    for (int i = 0; i < 32; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sk%d=v", i ? "," : "", i);
    assert_true(trace_state_valid(core_str(buf, n)));
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",k32=v");
    assert_false(trace_state_valid(core_str(buf, n)));
    /* 512 bytes are kept, 513 are dropped */
    memset(buf, 'v', sizeof(buf));
    memcpy(buf, "k=", 2);
    assert_true(trace_state_valid(core_str(buf, 2 + 256))); /* the longest value */
    assert_false(trace_state_valid(core_str(buf, 2 + 257)));
    n = 0;
    for (int i = 0; i < 2; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sk%d=%0256d", i ? "," : "", i, 0);
    assert_int_equal(n, 2 * 259 + 1);
    assert_false(trace_state_valid(core_str(buf, n)));
    n = (size_t)snprintf(buf, sizeof(buf), "k0=%0253d,k1=%0252d", 0, 0);
    assert_int_equal(n, 512);
    assert_true(trace_state_valid(core_str(buf, n)));
}

static void test_sampler(void **state)
{
    uint8_t low[16] = {0}, high[16], mid[16] = {0};
    trace_parent_t sampled = {.flags = 1}, unsampled = {.flags = 0};

    (void)state;
    memset(high, 0xff, sizeof(high));
    mid[8] = 0x7f; /* last 8 bytes 0x7f00...: 0.496 of the range */
    low[15] = 1;
    assert_true(trace_sampler_decide(TRACE_SAMPLER_TRACEIDRATIO, 0.5, low, NULL));
    assert_true(trace_sampler_decide(TRACE_SAMPLER_TRACEIDRATIO, 0.5, mid, NULL));
    assert_false(trace_sampler_decide(TRACE_SAMPLER_TRACEIDRATIO, 0.49, mid, NULL));
    assert_false(trace_sampler_decide(TRACE_SAMPLER_TRACEIDRATIO, 0.5, high, NULL));
    assert_true(trace_sampler_decide(TRACE_SAMPLER_TRACEIDRATIO, 1.0, high, NULL));
    assert_false(trace_sampler_decide(TRACE_SAMPLER_TRACEIDRATIO, 0.0, low, NULL));
    /* the ratio sampler ignores the parent; the parent-based ones follow it */
    assert_false(trace_sampler_decide(TRACE_SAMPLER_TRACEIDRATIO, 0.5, high, &sampled));
    assert_true(trace_sampler_decide(TRACE_SAMPLER_PARENTBASED_TRACEIDRATIO, 0.0, low, &sampled));
    assert_false(trace_sampler_decide(TRACE_SAMPLER_PARENTBASED_TRACEIDRATIO, 1.0, low, &unsampled));
    assert_true(trace_sampler_decide(TRACE_SAMPLER_PARENTBASED_TRACEIDRATIO, 0.5, low, NULL));
    assert_false(trace_sampler_decide(TRACE_SAMPLER_PARENTBASED_TRACEIDRATIO, 0.5, high, NULL));
    assert_true(trace_sampler_decide(TRACE_SAMPLER_PARENTBASED_ALWAYS_ON, 0.0, high, NULL));
    assert_false(trace_sampler_decide(TRACE_SAMPLER_PARENTBASED_ALWAYS_ON, 1.0, low, &unsampled));
    assert_false(trace_sampler_decide(TRACE_SAMPLER_PARENTBASED_ALWAYS_OFF, 1.0, low, NULL));
    assert_true(trace_sampler_decide(TRACE_SAMPLER_PARENTBASED_ALWAYS_OFF, 0.0, low, &sampled));
    assert_true(trace_sampler_decide(TRACE_SAMPLER_ALWAYS_ON, 0.0, high, &unsampled));
    assert_false(trace_sampler_decide(TRACE_SAMPLER_ALWAYS_OFF, 1.0, low, &sampled));
}

/* The exporter's body for one span, parsed back (jansson checks it is JSON). */
static json_t *encode(const trace_span_t *s, const trace_resource_attr_t *res, size_t nres)
{
    size_t len;
    char *text = trace_otlp_encode(s, 1, res, nres, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    if (root == NULL)
        fail_msg("not JSON (%s): %s", err.text, text);
    free(text);
    return root;
}

static void test_otlp_span(void **state)
{
    trace_parent_t p;
    trace_resource_attr_t res[] = {{"service.name", "svc"}};

    (void)state;
    assert_true(trace_parent_parse(core_str_c(valid), &p));
    trace_span_t *s = trace_span_create("GET /api/tasks/:id", TRACE_KIND_SERVER);
    memcpy(s->trace_id, p.trace_id, 16);
    memcpy(s->span_id, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    memcpy(s->parent_span_id, p.span_id, 8);
    s->has_parent = true;
    s->start_unix_ns = 1764892800123456789LL;
    s->end_unix_ns = 1764892800123999999LL;
    trace_span_attr_str(s, "http.request.method", S("GET"));
    trace_span_attr_int(s, "http.response.status_code", 500);
    trace_span_attr_str(s, "bad.utf8", S("\xc3("));  /* left out */
    trace_span_fail(s, "INTERNAL", "boom", 1764892800123999999LL);

    json_t *root = encode(s, res, 1);
    char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(
        text,
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}}]},"
        "\"scopeSpans\":[{\"scope\":{\"name\":\"lsf-server\",\"version\":\"" LSF_VERSION "\"},\"spans\":[{"
        "\"attributes\":[{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
        "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"500\"}}],"
        "\"endTimeUnixNano\":\"1764892800123999999\","
        "\"events\":[{\"attributes\":[{\"key\":\"exception.type\",\"value\":{\"stringValue\":\"INTERNAL\"}},"
        "{\"key\":\"exception.message\",\"value\":{\"stringValue\":\"boom\"}}],\"name\":\"exception\","
        "\"timeUnixNano\":\"1764892800123999999\"}],"
        "\"kind\":2,\"name\":\"GET /api/tasks/:id\",\"parentSpanId\":\"00f067aa0ba902b7\","
        "\"spanId\":\"0102030405060708\",\"startTimeUnixNano\":\"1764892800123456789\","
        "\"status\":{\"code\":2,\"message\":\"INTERNAL\"},\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}]}]}]}");
    free(text);
    json_decref(root);
    trace_span_destroy(s);
}

static void test_otlp_text_cut(void **state)
{
    char long_text[600];

    (void)state;
    memset(long_text, 'x', sizeof(long_text));
    memcpy(long_text + 255, "\xc3\xa9", 2); /* é across the 256-byte cut goes whole */
    trace_span_t *s = trace_span_create("n", TRACE_KIND_INTERNAL);
    trace_span_attr_str(s, "k", core_str(long_text, sizeof(long_text)));
    assert_int_equal(s->nattrs, 1);
    assert_int_equal(strlen(s->attrs[0].s), 255); /* 255 x, then not half of é */
    for (int i = 0; i < 20; i++)
        trace_span_attr_int(s, "n", i);
    assert_int_equal(s->nattrs, TRACE_SPAN_ATTRS);
    trace_span_destroy(s);
}

static void test_otlp_link(void **state)
{
    (void)state;
    trace_span_t *s = trace_span_create("mail deliver", TRACE_KIND_CLIENT);
    memset(s->trace_id, 0x11, 16);
    memset(s->span_id, 0x22, 8);
    memset(s->link_trace_id, 0xab, 16);
    memset(s->link_span_id, 0xcd, 8);
    s->has_link = true;
    json_t *root = encode(s, NULL, 0);
    json_t *span = json_array_get(
        json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(root, "resourceSpans"), 0),
                                                       "scopeSpans"), 0), "spans"), 0);
    char *links = json_dumps(json_object_get(span, "links"), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(links, "[{\"spanId\":\"cdcdcdcdcdcdcdcd\",\"traceId\":\"abababababababababababababababab\"}]");
    assert_null(json_object_get(span, "parentSpanId"));
    free(links);
    json_decref(root);
    trace_span_destroy(s);
}

/* Child spans: nothing without a scope in the log context; with one, the
 * scope's trace, the scope's span as parent, a span id of its own, and times
 * on the scope's wall clock. */
static void test_child_span(void **state)
{
    trace_scope_t scope = {.unix_ns = 1764892800000000000LL, .mono_ns = 1000};
    core_log_context_t ctx = {.request_id = "r"};
    core_pool_t pool;

    (void)state;
    memset(scope.trace_id, 0x42, 16);
    memset(scope.span_id, 0x07, 8);
    core_pool_init(&pool);
    core_log_context_set(&ctx); /* a request that is not recorded */
    trace_child_t none = trace_child_begin();
    assert_null(none.scope);
    assert_null(trace_child_end(&none, "task get", TRACE_KIND_CLIENT));
    assert_null(trace_scope_traceparent(&pool));

    ctx.trace = &scope;
    trace_child_t c = trace_child_begin();
    assert_ptr_equal(c.scope, &scope);
    trace_span_t *s = trace_child_end(&c, "task get", TRACE_KIND_CLIENT);
    assert_non_null(s);
    assert_string_equal(s->name, "task get");
    assert_memory_equal(s->trace_id, scope.trace_id, 16);
    assert_true(s->has_parent);
    assert_memory_equal(s->parent_span_id, scope.span_id, 8);
    assert_memory_not_equal(s->span_id, scope.span_id, 8);
    assert_false(trace_id_is_zero(s->span_id, 8));
    assert_true(s->start_unix_ns == scope.unix_ns + (c.start_mono_ns - 1000));
    assert_true(s->end_unix_ns >= s->start_unix_ns);
    assert_string_equal(trace_scope_traceparent(&pool), "00-42424242424242424242424242424242-0707070707070707-01");
    trace_span_destroy(s);
    core_log_context_set(NULL);
    core_pool_cleanup(&pool);
}

static void test_resource_parse(void **state)
{
    trace_resource_attr_t out[4];

    (void)state;
    assert_int_equal(trace_otlp_resource_parse("a=1, b = x%2Cy ,,c=%C3%A9", out, 4), 3);
    assert_string_equal(out[0].key, "a");
    assert_string_equal(out[0].value, "1");
    assert_string_equal(out[1].key, "b");
    assert_string_equal(out[1].value, "x,y");
    assert_string_equal(out[2].value, "\xc3\xa9");
    for (int i = 0; i < 3; i++) {
        free((char *)(uintptr_t)out[i].key);
        free((char *)(uintptr_t)out[i].value);
    }
    assert_int_equal(trace_otlp_resource_parse("", out, 4), 0);
    assert_int_equal(trace_otlp_resource_parse(NULL, out, 4), 0);
    assert_int_equal(trace_otlp_resource_parse("a=1,b", out, 4), -1);  /* no '=' */
    assert_int_equal(trace_otlp_resource_parse("=1", out, 4), -1);     /* empty key */
    assert_int_equal(trace_otlp_resource_parse("a=%2", out, 4), -1);   /* short escape */
    assert_int_equal(trace_otlp_resource_parse("a=%zz", out, 4), -1);  /* not hex */
    assert_int_equal(trace_otlp_resource_parse("a=%00", out, 4), -1);  /* NUL */
    assert_int_equal(trace_otlp_resource_parse("a=%C3", out, 4), -1);  /* not UTF-8 */
    assert_int_equal(trace_otlp_resource_parse("a=1,b=2,c=3,d=4,e=5", out, 4), -1); /* too many */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parent_valid),      cmocka_unit_test(test_parent_future_version),
        cmocka_unit_test(test_parent_invalid),    cmocka_unit_test(test_parent_format),
        cmocka_unit_test(test_state),             cmocka_unit_test(test_state_limits),
        cmocka_unit_test(test_sampler),           cmocka_unit_test(test_otlp_span),
        cmocka_unit_test(test_otlp_text_cut),     cmocka_unit_test(test_resource_parse),
        cmocka_unit_test(test_otlp_link),         cmocka_unit_test(test_child_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
