/*
 * Unit tests for src/core/metrics.c (included, to reach the slot registry):
 * the text exposition (HELP/TYPE per family, cumulative buckets, _sum and
 * _count, label escaping, "unmatched" and "other", gauges left out until
 * sampled, build info, process metrics), and that counts recorded on many
 * threads, each in its own slot or in the shared overflow slot, add up.
 * The registry is process-wide, so each case uses series of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/metrics.c"

#define MS(x) ((int64_t)(x) * 1000000)

/* The value of the sample whose name and labels are exactly `series`, or -1. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);

    for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static char *render(void)
{
    size_t len = 0;
    char *text = core_metrics_render(&len, false);

    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void every_line_is_a_comment_or_a_sample(void **state)
{
    (void)state;
    char *text = render();
    char *save = NULL;

    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            assert_true(strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0);
            continue;
        }
        /* name, optional {labels}, one space, a number */
        size_t name = strspn(line, "abcdefghijklmnopqrstuvwxyz_:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
        assert_true(name > 0);
        char *rest = line + name;
        if (*rest == '{')
            rest = strstr(rest, "} ") + 1;
        assert_int_equal(*rest, ' ');
        char *end;
        strtod(rest + 1, &end);
        assert_true(end != rest + 1 && *end == '\0');
    }
    free(text);
}

static void families_and_fixed_metrics(void **state)
{
    (void)state;
    char *text = render();

    assert_non_null(strstr(text, "# TYPE http_request_duration_seconds histogram\n"));
    assert_non_null(strstr(text, "# TYPE http_requests_in_flight gauge\n"));
    assert_non_null(strstr(text, "# TYPE db_query_errors_total counter\n"));
    assert_non_null(strstr(text, "lsf_build_info{version=\"" LSF_VERSION "\",revision=\"" LSF_GIT_REV "\"} 1\n"));
    assert_true(sample(text, "process_resident_memory_bytes") > 1024 * 1024);
    assert_true(sample(text, "process_open_fds") >= 3);
    assert_true(sample(text, "process_start_time_seconds") > 1.6e9);
    assert_true(sample(text, "process_cpu_seconds_total") >= 0);
    /* never sampled: left out rather than reported as 0 */
    assert_null(strstr(text, "store_outbox_pending"));
    assert_null(strstr(text, "db_pool_max_connections"));
    free(text);
}

static void histogram_buckets_are_cumulative(void **state)
{
    (void)state;
    static const char route[] = "/api/test/:id";
    core_str_t get = CORE_STR_LIT("GET");

    for (int i = 0; i < 3; i++)
        core_metrics_request_begin();
    core_metrics_request_end(get, route, 200, 300000, NULL);     /* 0.3 ms */
    core_metrics_request_end(get, route, 200, MS(4), NULL);      /* 4 ms */
    core_metrics_request_end(get, route, 200, MS(20000), NULL);  /* 20 s: past the last bound */
    char *text = render();
#define S(le) "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/test/:id\",status_code=\"200\",le=\"" le "\"}"
    assert_int_equal(sample(text, S("0.0005")), 1);
    assert_int_equal(sample(text, S("0.001")), 1);
    assert_int_equal(sample(text, S("0.005")), 2);
    assert_int_equal(sample(text, S("10")), 2);
    assert_int_equal(sample(text, S("+Inf")), 3);
#undef S
    assert_int_equal(
        sample(text, "http_request_duration_seconds_count{method=\"GET\",route=\"/api/test/:id\",status_code=\"200\"}"), 3);
    double sum = sample(text, "http_request_duration_seconds_sum{method=\"GET\",route=\"/api/test/:id\",status_code=\"200\"}");
    assert_true(sum > 20.0042 && sum < 20.0044);
    assert_int_equal(sample(text, "http_requests_in_flight"), 0);
    free(text);
}

/* OpenMetrics: the latest recorded trace of a series is an exemplar on the
 * bucket its duration fell in, counter families lose _total, "# EOF" ends
 * it; the Prometheus text of the same registry has none of that. */
static void openmetrics_carries_exemplars(void **state)
{
    (void)state;
    static const char route[] = "/api/exemplar";
    const uint8_t first[16] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
    const uint8_t last[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
    size_t len;

    for (int i = 0; i < 3; i++)
        core_metrics_request_begin();
    core_metrics_request_end(CORE_STR_LIT("GET"), route, 200, MS(40), first);
    core_metrics_request_end(CORE_STR_LIT("GET"), route, 200, 300000, last); /* 0.3 ms: bucket 0.0005 */
    core_metrics_request_end(CORE_STR_LIT("GET"), route, 200, MS(7), NULL);  /* not recorded: no exemplar */
    char *om = core_metrics_render(&len, true);
    assert_non_null(om);
    assert_int_equal(strlen(om), len);
    const char *line = strstr(om, "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/exemplar\","
                                  "status_code=\"200\",le=\"0.0005\"} 1 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} "
                                  "0.000300000 ");
    assert_non_null(line);
    assert_null(strstr(om, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* the latest only */
    const char *ex = strstr(om, " # {"); /* one exemplar in all, on that bucket */
    assert_true(ex > line && ex < strchr(line, '\n'));
    assert_null(strstr(ex + 1, " # {"));
    assert_non_null(strstr(om, "\n# TYPE mail_sent counter\nmail_sent_total "));
    assert_null(strstr(om, "# TYPE mail_sent_total"));
    assert_int_equal(strcmp(om + len - 6, "# EOF\n"), 0);
    char *text = render();
    assert_null(strstr(text, "trace_id"));
    assert_null(strstr(text, "# EOF"));
    assert_non_null(strstr(text, "# TYPE mail_sent_total counter\n"));
    free(text);
    free(om);
}

static void openmetrics_is_negotiated_by_accept(void **state)
{
    (void)state;
    assert_true(core_metrics_accepts_openmetrics(CORE_STR_LIT(
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"))); /* Prometheus 2.x's scrape */
    assert_true(core_metrics_accepts_openmetrics(CORE_STR_LIT("text/plain, Application/OpenMetrics-Text ; q=0.5")));
    assert_false(core_metrics_accepts_openmetrics(CORE_STR_LIT("application/openmetrics-text;q=0")));
    assert_false(core_metrics_accepts_openmetrics(CORE_STR_LIT("application/openmetrics-text; q=0.000")));
    assert_false(core_metrics_accepts_openmetrics(CORE_STR_LIT("text/plain;version=0.0.4")));
    assert_false(core_metrics_accepts_openmetrics(CORE_STR_LIT("*/*")));
    assert_false(core_metrics_accepts_openmetrics(CORE_STR_LIT("application/openmetrics-textual")));
    assert_false(core_metrics_accepts_openmetrics(CORE_STR_LIT("")));
}

static void unknown_routes_methods_and_odd_labels(void **state)
{
    (void)state;
    static const char odd[] = "/we\"ird\\route";

    core_metrics_request_begin();
    core_metrics_request_end(CORE_STR_LIT("BREW"), NULL, 404, 1000, NULL);
    core_metrics_request_begin();
    core_metrics_request_end(CORE_STR_LIT("DELETE"), odd, 418, 1000, NULL);
    char *text = render();
    assert_int_equal(
        sample(text, "http_request_duration_seconds_count{method=\"other\",route=\"unmatched\",status_code=\"404\"}"), 1);
    assert_int_equal(sample(text, "http_request_duration_seconds_count{method=\"DELETE\",route=\"/we\\\"ird\\\\route\","
                                  "status_code=\"418\"}"),
                     1);
    assert_null(strstr(text, "BREW"));
    free(text);
}

static void gauges_and_cache_outcomes(void **state)
{
    (void)state;
    char *before = render();
    double hits = sample(before, "kv_cache_requests_total{result=\"hit\"}");
    double misses = sample(before, "kv_cache_requests_total{result=\"miss\"}");
    double errors = sample(before, "kv_cache_requests_total{result=\"error\"}");
    free(before);

    assert_int_equal(core_metrics_cache_result(CORE_OK), CORE_OK);
    assert_int_equal(core_metrics_cache_result(CORE_E_NOT_FOUND), CORE_E_NOT_FOUND);
    assert_int_equal(core_metrics_cache_result(CORE_E_NOT_FOUND), CORE_E_NOT_FOUND);
    assert_int_equal(core_metrics_cache_result(CORE_E_UNAVAILABLE), CORE_E_UNAVAILABLE);
    core_metrics_gauge_set(CORE_METRICS_OUTBOX_PENDING, 7);
    core_metrics_kv_backend_set("redis");
    core_metrics_gauge_set(CORE_METRICS_KV_UP, 0);
    char *text = render();
    assert_int_equal(sample(text, "kv_cache_requests_total{result=\"hit\"}"), hits + 1);
    assert_int_equal(sample(text, "kv_cache_requests_total{result=\"miss\"}"), misses + 2);
    assert_int_equal(sample(text, "kv_cache_requests_total{result=\"error\"}"), errors + 1);
    assert_int_equal(sample(text, "store_outbox_pending"), 7);
    assert_int_equal(sample(text, "kv_up{backend=\"redis\"}"), 0);
    free(text);
}

/* METRICS=off: nothing is recorded, and switching back records again. */
static void nothing_is_recorded_while_disabled(void **state)
{
    (void)state;
    static const char route[] = "/api/disabled";
    static const char series[] =
        "http_request_duration_seconds_count{method=\"GET\",route=\"/api/disabled\",status_code=\"200\"}";
    char *before = render();
    double errors = sample(before, "db_query_errors_total");
    free(before);

    core_metrics_set_enabled(false);
    core_metrics_request_begin();
    core_metrics_count(CORE_METRICS_DB_ERRORS);
    assert_int_equal(core_metrics_cache_result(CORE_OK), CORE_OK);
    core_metrics_request_end(CORE_STR_LIT("GET"), route, 200, MS(1), NULL);
    char *off = render();
    assert_true(sample(off, series) < 0); /* no such sample */
    assert_int_equal(sample(off, "db_query_errors_total"), errors);
    assert_int_equal(sample(off, "http_requests_in_flight"), 0);
    free(off);

    core_metrics_set_enabled(true);
    core_metrics_request_begin();
    core_metrics_request_end(CORE_STR_LIT("GET"), route, 200, MS(1), NULL);
    char *on = render();
    assert_int_equal(sample(on, series), 1);
    free(on);
}

#define THREADS 4
#define PER_THREAD 5000

static void *record(void *arg)
{
    static const char route[] = "/api/threads";
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        core_metrics_request_begin();
        core_metrics_count(CORE_METRICS_DB_ERRORS);
        core_metrics_request_end(CORE_STR_LIT("POST"), route, 201, MS(1), NULL);
    }
    return NULL;
}

static double run_threads(void)
{
    pthread_t tids[THREADS];
    char *before = render();
    double errors = sample(before, "db_query_errors_total");
    free(before);

    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&tids[i], NULL, record, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(tids[i], NULL);
    return errors;
}

static void threads_each_have_a_slot_and_the_scrape_sums_them(void **state)
{
    (void)state;
    int slots_before = atomic_load(&reg.nslots);
    double errors = run_threads();
    char *text = render();

    assert_int_equal(atomic_load(&reg.nslots), slots_before + THREADS);
    assert_int_equal(sample(text, "http_request_duration_seconds_count{method=\"POST\",route=\"/api/threads\","
                                  "status_code=\"201\"}"),
                     THREADS * PER_THREAD);
    assert_int_equal(sample(text, "db_query_errors_total"), errors + THREADS * PER_THREAD);
    assert_int_equal(sample(text, "http_requests_in_flight"), 0);
    free(text);
}

static void threads_past_the_slot_limit_share_one_slot(void **state)
{
    (void)state;
    atomic_store(&reg.nslots, MAX_SLOTS); /* every new thread now gets the shared slot */
    double errors = run_threads();
    char *text = render();

    /* the earlier case's threads plus these */
    assert_int_equal(sample(text, "http_request_duration_seconds_count{method=\"POST\",route=\"/api/threads\","
                                  "status_code=\"201\"}"),
                     2 * THREADS * PER_THREAD);
    assert_int_equal(sample(text, "db_query_errors_total"), errors + THREADS * PER_THREAD);
    assert_int_equal(get(&reg.shared.counters[CORE_METRICS_DB_ERRORS]), THREADS * PER_THREAD);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_line_is_a_comment_or_a_sample),
        cmocka_unit_test(families_and_fixed_metrics),
        cmocka_unit_test(histogram_buckets_are_cumulative),
        cmocka_unit_test(openmetrics_carries_exemplars),
        cmocka_unit_test(openmetrics_is_negotiated_by_accept),
        cmocka_unit_test(unknown_routes_methods_and_odd_labels),
        cmocka_unit_test(gauges_and_cache_outcomes),
        cmocka_unit_test(nothing_is_recorded_while_disabled),
        cmocka_unit_test(threads_each_have_a_slot_and_the_scrape_sums_them),
        cmocka_unit_test(threads_past_the_slot_limit_share_one_slot),
        /* last: leaves text with every kind of sample for the format check */
        cmocka_unit_test(every_line_is_a_comment_or_a_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
