/*
 * cli.h - commands and their options. The only module (with main) that prints
 * usage or decides exit codes.
 *
 * Exit codes: 0 success, 1 failure (bad input, I/O), 2 usage error.
 */
#ifndef CLI_H
#define CLI_H

#define EXIT_USAGE 2

int cli_main(int argc, char **argv);

#endif
