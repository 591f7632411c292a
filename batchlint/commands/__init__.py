"""The commands: one module per `batchlint` command, each with its typed arguments and a `run(args) -> int`.

A command calls the engine or the library and a reporter, and returns `exit.exit_code(...)`; it
computes nothing itself. `batchlint.cli` parses the command line into the typed arguments.
"""
