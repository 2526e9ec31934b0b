/*
 * cli.h - commands and their options. The only module (with main) that prints
 * usage or decides exit codes.
 *
 * Exit codes: 0 success, 1 failure (bad input, I/O), 2 usage error; `report`
 * adds 3: merged, but the batch is incomplete (repos failed or pending, or
 * shards missing), so scripts can tell "bad input" from "more work to do".
 */
#ifndef CLI_H
#define CLI_H

#define EXIT_USAGE 2
#define EXIT_INCOMPLETE 3

int cli_main(int argc, char **argv);

#endif
