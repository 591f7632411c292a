from batchlint.cli import console

console()
