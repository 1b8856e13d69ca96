/* commands.h - one function per `telle` subcommand, each in cli/cmd_<name>.c.
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status. cli/ is the only code
 * that prints or exits. */
#ifndef TELLE_CLI_COMMANDS_H
#define TELLE_CLI_COMMANDS_H

int cmd_package(int argc, char **argv);
int cmd_interpret(int argc, char **argv);
int cmd_ballots(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_testdeck(int argc, char **argv);

int cmd_init(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_settle(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_protocol(int argc, char **argv);
int cmd_prelim(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_spotcheck(int argc, char **argv);

#endif
