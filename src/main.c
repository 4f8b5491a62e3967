/*
 * lsf-server's command line: parse the subcommand and dispatch to it.
 */
#include <stdio.h>
#include <string.h>

#include "core/config.h"

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: lsf-server <command>\n");
        core_config_print_help(stdout);
        return 0;
    }
    return 2;
}
