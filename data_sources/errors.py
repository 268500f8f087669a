"""The small exception tree adapters raise at their boundary, so callers catch by category.

    SourceError
     ├── SourceUnavailable    transient: the source is down or timed out; retry later
     ├── SourceMisconfigured  permanent: bad options, unknown adapter; stop at start-up
     └── ContractError        a whole batch cannot be read as the contract (e.g. unknown contract)

A driver's own exception (redis.ConnectionError, sqlalchemy.exc.OperationalError, OSError…)
never leaves an adapter: it is converted to one of these, with the original as __cause__.
Single bad rows are not exceptions: the validator rejects them and keeps the good rows.
"""


class SourceError(Exception):
    """Base of every error an adapter raises."""


class SourceUnavailable(SourceError):
    """The source could not be reached or answered with an error; trying again may work."""


class SourceMisconfigured(SourceError):
    """The source's configuration is wrong; trying again will not help."""


class ContractError(SourceError):
    """The data as a whole does not fit the contract it claims to be."""
