/*
 * This file implements the samplers of sampler.h, the ones the
 * OpenTelemetry SDK specification names for OTEL_TRACES_SAMPLER. It fits in
 * between reading the trace context (src/http/trace.c) and recording a span:
 * a span the sampler drops costs nothing past this call.
 */
#include "trace/sampler.h"

static bool ratio_keeps(double ratio, const uint8_t id[TRACE_ID_BYTES])
{
    uint64_t v = 0;

    if (ratio >= 1.0)
        return true;
    if (ratio <= 0.0)
        return false;
    for (int i = 8; i < 16; i++)
        v = v << 8 | id[i];
    v >>= 1; /* 63 bits compare exactly against a double's product */
    return v < (uint64_t)(ratio * (double)(UINT64_C(1) << 63));
}

bool trace_sampler_decide(enum trace_sampler sampler, double ratio, const uint8_t trace_id[TRACE_ID_BYTES],
                          const trace_parent_t *parent)
{
    switch (sampler) {
    case TRACE_SAMPLER_ALWAYS_ON:
        return true;
    case TRACE_SAMPLER_ALWAYS_OFF:
        return false;
    case TRACE_SAMPLER_TRACEIDRATIO:
        return ratio_keeps(ratio, trace_id);
    case TRACE_SAMPLER_PARENTBASED_ALWAYS_ON:
        return parent == NULL || (parent->flags & TRACE_FLAG_SAMPLED) != 0;
    case TRACE_SAMPLER_PARENTBASED_ALWAYS_OFF:
        return parent != NULL && (parent->flags & TRACE_FLAG_SAMPLED) != 0;
    case TRACE_SAMPLER_PARENTBASED_TRACEIDRATIO:
        return parent != NULL ? (parent->flags & TRACE_FLAG_SAMPLED) != 0 : ratio_keeps(ratio, trace_id);
    }
    return false;
}
