#include "ops/ops.h"
#include <stdio.h>
#include <stdlib.h>
int ops_import(const core_config_t *cfg, const ops_import_options_t *opts)
{
    (void)cfg; (void)opts;
    fprintf(stderr, "lsf-server import: not yet\n");
    return EXIT_FAILURE;
}
