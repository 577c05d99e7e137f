"""The command line, `python -m cxos COMMAND`: one module per command family."""
