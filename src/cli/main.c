/*
 * main.c - repodigest entry point: argv to the command (cli.c), nothing else.
 */
#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
