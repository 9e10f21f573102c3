"""Entrypoints that are not commands: the scheduler process and the jobs it runs.

They sit with `cli/` at the top of the layers (see docs/ARCHITECTURE.md) and hold no
rules of their own: a job calls a use case in the service layer, and the scheduler
decides when, under the lease. The command line (`tracker scheduler run`) starts them.
"""
