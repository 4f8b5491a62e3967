/*
 * The OpenTelemetry samplers named by OTEL_TRACES_SAMPLER, deciding whether
 * a request's span is recorded and exported. Pure functions; any thread.
 */
#ifndef TRACE_SAMPLER_H
#define TRACE_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/context.h"

/* In the order of the OTEL_TRACES_SAMPLER choices in src/core/config.c. */
enum trace_sampler {
    TRACE_SAMPLER_PARENTBASED_TRACEIDRATIO = 0, /* the default */
    TRACE_SAMPLER_PARENTBASED_ALWAYS_ON,
    TRACE_SAMPLER_PARENTBASED_ALWAYS_OFF,
    TRACE_SAMPLER_TRACEIDRATIO,
    TRACE_SAMPLER_ALWAYS_ON,
    TRACE_SAMPLER_ALWAYS_OFF,
};

/* Whether to record a span of trace_id. parent is the caller's context, or
 * NULL for a new trace; the parent-based samplers follow its sampled flag
 * and use their root sampler only without one. The ratio (0 to 1) compares
 * the trace id's last 8 bytes, so every service given the same ratio keeps
 * or drops the same traces. */
bool trace_sampler_decide(enum trace_sampler sampler, double ratio, const uint8_t trace_id[TRACE_ID_BYTES],
                          const trace_parent_t *parent);

#endif
